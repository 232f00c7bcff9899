//! The two tantivy indexes a matching replica keeps: open jobs and people who
//! can be matched. Each stores the last outbox event it has applied in its
//! commit payload; a missing or unreadable index is rebuilt from the store.

use jobmatch_core::events::Position;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, RangeQuery, TermQuery, TermSetQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::engine::analyzer::{self, Analysis, ZH};

/// Bumped when the schema or the analysis changes: an index of another
/// version is rebuilt.
pub const SCHEMA_VERSION: &str = "jobmatch-index-v7";

/// Text fields searched with the Chinese analyzer.
pub struct TextFields {
    pub title: Field,
    pub skills: Field,
    pub category: Field,
    pub description: Field,
}

/// One index with its fields, reader and writer.
pub struct Side {
    pub index: Index,
    pub reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    pub id: Field,
    pub facts: Field,
    pub text: TextFields,
    /// Region codes: for jobs where they lie, for people where they accept work.
    pub region: Field,
    /// People: every region their home lies in (staff scope).
    pub home: Field,
    /// Certificates: required by a job, held by a person.
    pub cert: Field,
    /// Physical demand of a job / limit of a person, as a rank.
    pub physical: Field,
    /// Category codes: of a job / preferred by a person.
    pub category_code: Field,
    /// Jobs: minimum and maximum age. People: birth date as days since 1970.
    pub age_lo: Field,
    pub age_hi: Field,
    /// Jobs: end of validity (Unix seconds). People: push consent (0/1).
    pub until: Field,
    /// People: what else they consented to (`recommend_to_employers`).
    pub consent: Field,
    /// Jobs: 1 when only certified 就业困难人员 may be matched. People: the
    /// last day of their certification as days since 1970 (-1: none).
    pub certified: Field,
}

fn text_options(stored: bool) -> TextOptions {
    let o = TextOptions::default().set_indexing_options(
        // Frequencies only: matching asks for words, never phrases.
        TextFieldIndexing::default().set_tokenizer(ZH).set_index_option(IndexRecordOption::WithFreqs),
    );
    if stored {
        o.set_stored()
    } else {
        o
    }
}

fn schema() -> Schema {
    let mut b = Schema::builder();
    let num = || NumericOptions::default().set_indexed().set_fast();
    b.add_text_field("id", STRING | STORED);
    b.add_text_field("facts", STORED);
    b.add_text_field("title", text_options(false));
    b.add_text_field("skills", text_options(false));
    b.add_text_field("category", text_options(false));
    // Descriptions: which documents hold a word, not how often (cheaper to index).
    b.add_text_field(
        "description",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(ZH).set_index_option(IndexRecordOption::Basic),
        ),
    );
    b.add_text_field("region", STRING);
    b.add_text_field("home", STRING);
    b.add_text_field("cert", STRING);
    b.add_u64_field("physical", num());
    b.add_text_field("category_code", STRING);
    b.add_i64_field("age_lo", num());
    b.add_i64_field("age_hi", num());
    b.add_i64_field("until", num());
    b.add_text_field("consent", STRING);
    b.add_i64_field("certified", num());
    b.build()
}

impl Side {
    /// Open the index in `dir`, or create it there. `Ok(false)` in the second
    /// field when it was created (or re-created) and must be filled from the store.
    pub fn open(dir: &Path, analysis: &Arc<Analysis>) -> anyhow::Result<(Side, bool)> {
        let version_file = dir.join("VERSION");
        let existing = std::fs::read_to_string(&version_file).ok().filter(|v| v.trim() == SCHEMA_VERSION);
        let opened = existing.and_then(|_| Index::open_in_dir(dir).ok()).filter(|i| i.load_metas().is_ok());
        let (index, fresh) = match opened {
            Some(i) => (i, false),
            None => {
                if dir.exists() {
                    tracing::warn!(dir = %dir.display(), "index missing, outdated or unreadable: rebuilding from the store");
                    std::fs::remove_dir_all(dir)?;
                }
                std::fs::create_dir_all(dir)?;
                let i = Index::create_in_dir(dir, schema())?;
                std::fs::write(&version_file, SCHEMA_VERSION)?;
                (i, true)
            }
        };
        analyzer::register(&index, analysis);
        let s = index.schema();
        let f = |n: &str| s.get_field(n).map_err(|e| anyhow::anyhow!("index field {n}: {e}"));
        let writer = index.writer_with_num_threads(1, 200_000_000)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok((
            Side {
                id: f("id")?,
                facts: f("facts")?,
                text: TextFields {
                    title: f("title")?,
                    skills: f("skills")?,
                    category: f("category")?,
                    description: f("description")?,
                },
                region: f("region")?,
                home: f("home")?,
                cert: f("cert")?,
                physical: f("physical")?,
                category_code: f("category_code")?,
                age_lo: f("age_lo")?,
                age_hi: f("age_hi")?,
                consent: f("consent")?,
                until: f("until")?,
                certified: f("certified")?,
                index,
                reader,
                writer: Mutex::new(writer),
            },
            fresh,
        ))
    }

    /// The last outbox event applied, from the last commit.
    pub fn applied(&self) -> Position {
        self.index.load_metas().ok().and_then(|m| m.payload).and_then(|p| Position::parse(&p)).unwrap_or_default()
    }

    /// Replace (or add) the document with this id.
    pub fn upsert(&self, id: &str, doc: TantivyDocument) -> anyhow::Result<()> {
        let w = self.writer.lock().map_err(|_| anyhow::anyhow!("index writer poisoned"))?;
        w.delete_term(Term::from_field_text(self.id, id));
        w.add_document(doc)?;
        Ok(())
    }

    pub fn delete(&self, id: &str) -> anyhow::Result<()> {
        let w = self.writer.lock().map_err(|_| anyhow::anyhow!("index writer poisoned"))?;
        w.delete_term(Term::from_field_text(self.id, id));
        Ok(())
    }

    /// Drop every document (before a rebuild).
    pub fn clear(&self) -> anyhow::Result<()> {
        let w = self.writer.lock().map_err(|_| anyhow::anyhow!("index writer poisoned"))?;
        w.delete_all_documents()?;
        Ok(())
    }

    /// Commit with the last applied outbox position and make it visible.
    pub fn commit(&self, applied: Position) -> anyhow::Result<()> {
        {
            let mut w = self.writer.lock().map_err(|_| anyhow::anyhow!("index writer poisoned"))?;
            let mut prepared = w.prepare_commit()?;
            prepared.set_payload(&applied.to_string());
            prepared.commit()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    pub fn new_doc(&self, id: &str, facts_json: &str) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_text(self.id, id);
        d.add_text(self.facts, facts_json);
        d
    }

    /// Run `query` and return the stored facts of the best `limit` documents.
    pub fn search(&self, query: &dyn Query, limit: usize) -> anyhow::Result<Vec<(f32, String)>> {
        let searcher = self.reader.searcher();
        let hits = searcher.search(query, &TopDocs::with_limit(limit.max(1)))?;
        let mut out = Vec::with_capacity(hits.len());
        for (score, addr) in hits {
            let doc: TantivyDocument = searcher.doc(addr)?;
            if let Some(facts) = doc.get_first(self.facts).and_then(|v| v.as_str()) {
                out.push((score, facts.to_string()));
            }
        }
        Ok(out)
    }

    /// The ids of the best `limit` documents.
    pub fn search_ids(&self, query: &dyn Query, limit: usize) -> anyhow::Result<Vec<String>> {
        let searcher = self.reader.searcher();
        let hits = searcher.search(query, &TopDocs::with_limit(limit.max(1)))?;
        let mut out = Vec::with_capacity(hits.len());
        for (_, addr) in hits {
            let doc: TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = doc.get_first(self.id).and_then(|v| v.as_str()) {
                out.push(id.to_string());
            }
        }
        Ok(out)
    }

    /// Document frequency of an analysed term (the most in any one text
    /// field), and the doc count.
    pub fn doc_freq(&self, term: &str) -> (u64, u64) {
        let searcher = self.reader.searcher();
        let df = [self.text.title, self.text.skills, self.text.description]
            .into_iter()
            .map(|f| searcher.doc_freq(&Term::from_field_text(f, term)).unwrap_or(0))
            .max()
            .unwrap_or(0);
        (df, searcher.num_docs())
    }
}

/// Query helpers.
pub fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs))
}

pub fn any_of(field: Field, texts: &[String]) -> Box<dyn Query> {
    Box::new(TermSetQuery::new(texts.iter().map(|t| Term::from_field_text(field, t))))
}

pub fn range_i64(field: Field, lo: Bound<i64>, hi: Bound<i64>) -> Box<dyn Query> {
    let map = |b: Bound<i64>| match b {
        Bound::Included(v) => Bound::Included(Term::from_field_i64(field, v)),
        Bound::Excluded(v) => Bound::Excluded(Term::from_field_i64(field, v)),
        Bound::Unbounded => Bound::Unbounded,
    };
    Box::new(RangeQuery::new(map(lo), map(hi)))
}

pub fn range_u64(field: Field, lo: Bound<u64>, hi: Bound<u64>) -> Box<dyn Query> {
    let map = |b: Bound<u64>| match b {
        Bound::Included(v) => Bound::Included(Term::from_field_u64(field, v)),
        Bound::Excluded(v) => Bound::Excluded(Term::from_field_u64(field, v)),
        Bound::Unbounded => Bound::Unbounded,
    };
    Box::new(RangeQuery::new(map(lo), map(hi)))
}

pub fn boost(q: Box<dyn Query>, by: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, by))
}

pub fn boolean(clauses: Vec<(Occur, Box<dyn Query>)>) -> BooleanQuery {
    BooleanQuery::new(clauses)
}

/// Where a replica keeps its indexes.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("index")
}
