//! The matcher: keeps the indexes in step with the store through the outbox,
//! rebuilds them when needed, and answers person→jobs and job→people.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use jobmatch_core::domain::{Job, Person};
use jobmatch_core::events::{self, Position};
use jobmatch_core::idcard::age_on;
use jobmatch_core::records;
use jobmatch_core::state::{Candidate, CandidateQuery, CandidateSource, JobFit, NotCaughtUp};
use jobmatch_core::AppState;
use tantivy::query::Occur;
use tantivy::tokenizer::{PreTokenizedString, Token};
use tokio::sync::watch;

use crate::engine::analyzer::{distinct, Analysis};
use crate::engine::config::MatchConfig;
use crate::engine::facts::{demand_rank, is_matchable, limit_rank, JobFacts, JobTerms, PersonFacts};
use crate::engine::index::{any_of, boolean, boost, index_dir, range_i64, term, Side};
use crate::engine::rank::{self, Idf, Scored};
use crate::engine::rules::{broken_rule, Moment, Rule};

/// The people index's `consent` term for `recommend_to_employers`.
const RECOMMEND: &str = "recommend_to_employers";

/// Which people a candidate search may return.
#[derive(Clone, Copy, Debug, Default)]
pub struct Only<'a> {
    /// People whose home lies in this region (staff scope).
    pub home_scope: Option<&'a str>,
    /// These people only (an agency's assigned people).
    pub ids: Option<&'a [String]>,
    /// People who consented to push.
    pub push_consent: bool,
    /// People who consented to being recommended to employers.
    pub recommend_consent: bool,
}

/// A job with its score and reasons.
pub struct JobMatch {
    pub facts: JobFacts,
    pub scored: Scored,
}

/// A person with their score and reasons.
pub struct PersonMatch {
    pub facts: PersonFacts,
    pub scored: Scored,
}

pub struct Matcher {
    pub jobs: Side,
    pub persons: Side,
    pub analysis: Arc<Analysis>,
    state: AppState,
    applied: std::sync::Mutex<Position>,
    ready: AtomicBool,
    category_cache: std::sync::Mutex<HashMap<String, Vec<Token>>>,
}

fn pre(text: &str, tokens: Vec<Token>) -> PreTokenizedString {
    PreTokenizedString { text: text.to_string(), tokens }
}

/// Rarity among open jobs (BM25's idf), cached for one query.
struct JobsIdf<'a> {
    side: &'a Side,
    cache: RefCell<HashMap<String, f32>>,
}

impl Idf for JobsIdf<'_> {
    fn idf(&self, term: &str) -> f32 {
        if let Some(v) = self.cache.borrow().get(term) {
            return *v;
        }
        let (df, n) = self.side.doc_freq(term);
        let v = (1.0 + (n as f32 - df as f32 + 0.5) / (df as f32 + 0.5)).ln().max(0.1);
        self.cache.borrow_mut().insert(term.to_string(), v);
        v
    }
}

impl Matcher {
    /// Open (or create) the indexes under the data folder and bring them up
    /// to date: rebuilt from the store when new or unreadable, else caught up
    /// from the outbox.
    pub async fn open(state: AppState, config: Arc<MatchConfig>) -> anyhow::Result<Arc<Matcher>> {
        let config = Arc::new((*config).clone().with_places(state.regions.all().map(|r| r.name.as_str())));
        let analysis = Arc::new(Analysis::new(config));
        let dir = index_dir(&state.settings.data_dir);
        let (jobs, fresh_jobs) = Side::open(&dir.join("jobs"), &analysis)?;
        let (persons, fresh_persons) = Side::open(&dir.join("persons"), &analysis)?;
        let applied = jobs.applied().min(persons.applied());
        let m = Arc::new(Matcher {
            jobs,
            persons,
            analysis,
            state,
            applied: std::sync::Mutex::new(applied),
            ready: AtomicBool::new(false),
            category_cache: std::sync::Mutex::new(HashMap::new()),
        });
        if fresh_jobs || fresh_persons || jobs_and_persons_disagree(&m) {
            m.rebuild().await?;
        }
        m.catch_up().await?;
        m.ready.store(true, Ordering::Release);
        Ok(m)
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// The last outbox event both indexes reflect.
    pub fn applied(&self) -> Position {
        *self.applied.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether every event committed so far has been applied.
    pub async fn caught_up(&self) -> anyhow::Result<bool> {
        Ok(events::count_after(&self.state.db, self.applied()).await? == 0)
    }

    fn job_doc(&self, facts: &JobFacts, tokens: [Vec<Token>; 4]) -> anyhow::Result<tantivy::TantivyDocument> {
        let side = &self.jobs;
        let input = &facts.job.input;
        let mut doc = side.new_doc(&facts.job.id, &serde_json::to_string(facts)?);
        // The category's words are the same for every job of it: they are
        // matched through the category code, not indexed per job.
        // Descriptions carry no sound-alikes: typos are looked for in titles and skills.
        let [title, skills, _category, description] = tokens;
        doc.add_pre_tokenized_text(side.text.title, pre("", title));
        doc.add_pre_tokenized_text(side.text.skills, pre("", skills));
        doc.add_pre_tokenized_text(side.text.description, pre("", description));
        for r in &facts.scopes {
            doc.add_text(side.region, r);
        }
        for c in &input.requirements.certificates {
            doc.add_text(side.cert, c);
        }
        doc.add_u64(side.physical, demand_rank(input.requirements.physical));
        doc.add_text(side.category_code, &input.category);
        doc.add_i64(side.age_lo, input.requirements.age_min.unwrap_or(0));
        doc.add_i64(side.age_hi, input.requirements.age_max.unwrap_or(200));
        doc.add_i64(side.until, facts.valid_until_ts.unwrap_or(i64::MAX));
        doc.add_i64(side.certified, i64::from(facts.job.certified_only));
        Ok(doc)
    }

    /// Analyse a job once: its facts and the tokens of each text field.
    pub fn job_facts(&self, job: jobmatch_core::domain::Job) -> (JobFacts, [Vec<Token>; 4]) {
        let a = &self.analysis;
        let tokens = [
            a.tokens(&job.input.title),
            a.skill_tokens(&job.input.requirements.skills.join("，")),
            self.category_tokens(&job.input.category),
            a.tokens_plain(&job.input.description),
        ];
        let roles = &a.config().roles;
        let title = a.normalise(&job.input.title);
        let role = roles.of_title(&title);
        let invests = role.is_some_and(|r| r.code == "investor")
            || roles.asks_for_money(&title)
            || roles.asks_for_money(&a.normalise(&job.input.description));
        let role = role.map(|r| r.code.clone());
        let mut facts = JobFacts::build(job, &self.state.regions);
        facts.role = role;
        facts.invests = invests;
        facts.terms = JobTerms {
            title: distinct(&tokens[0]),
            skills: distinct(&tokens[1]),
            category: distinct(&tokens[2]),
            description: distinct(&tokens[3]),
            skill_phrases: self.skill_phrases(&facts.job.input.requirements.skills),
        };
        (facts, tokens)
    }

    /// The tokens of a category's name and words, analysed once per category.
    fn category_tokens(&self, code: &str) -> Vec<Token> {
        if let Some(t) = self.category_cache.lock().ok().and_then(|c| c.get(code).cloned()) {
            return t;
        }
        let text = self.state.vocab.category(code).map(|c| c.text()).unwrap_or_default();
        let tokens = self.analysis.tokens(&text);
        if let Ok(mut c) = self.category_cache.lock() {
            c.insert(code.to_string(), tokens.clone());
        }
        tokens
    }

    fn skill_phrases(&self, skills: &[String]) -> Vec<Vec<String>> {
        skills.iter().map(|s| self.analysis.skill_terms(s)).collect()
    }

    /// Put a job in the index, or take it out when it cannot be offered.
    pub fn index_job(&self, job: jobmatch_core::domain::Job, now: i64) -> anyhow::Result<()> {
        let id = job.id.clone();
        let (facts, tokens) = self.job_facts(job);
        if facts.is_open(now) {
            self.jobs.upsert(&id, self.job_doc(&facts, tokens)?)
        } else {
            self.jobs.delete(&id)
        }
    }

    /// Put a person in the index, or take them out when not matchable.
    pub fn index_person(&self, person: Person) -> anyhow::Result<()> {
        let id = person.id.clone();
        if !is_matchable(person.profile.employment_status, person.profile.willingness) {
            return self.persons.delete(&id);
        }
        let Some(facts) = PersonFacts::build(
            person,
            &self.state.regions,
            &self.state.vocab,
            &self.analysis,
            &self.state.policy.public_welfare,
        ) else {
            return self.persons.delete(&id);
        };
        let side = &self.persons;
        let profile = &facts.person.profile;
        let mut doc = side.new_doc(&id, &serde_json::to_string(&facts)?);
        let skills = profile.skills.join("，");
        let skill_tokens = self.analysis.skill_tokens(&skills);
        let category_tokens: Vec<Token> =
            profile.preferred_categories.iter().flat_map(|c| self.category_tokens(c)).collect();
        doc.add_pre_tokenized_text(side.text.skills, pre(&skills, skill_tokens));
        doc.add_pre_tokenized_text(side.text.category, pre("", category_tokens));
        for r in &facts.accept {
            doc.add_text(side.region, r);
        }
        for r in self.state.regions.scopes(&profile.region_code) {
            doc.add_text(side.home, &r);
        }
        for c in &profile.certificates {
            doc.add_text(side.cert, c);
        }
        doc.add_u64(side.physical, limit_rank(profile.physical_limit));
        for c in &profile.preferred_categories {
            doc.add_text(side.category_code, c);
        }
        doc.add_i64(side.age_lo, facts.birth_date.signed_duration_since(NaiveDate::default()).num_days());
        doc.add_i64(side.until, i64::from(profile.consent.push));
        doc.add_i64(
            side.certified,
            facts.placeable_through().map_or(-1, |d| d.signed_duration_since(NaiveDate::default()).num_days()),
        );
        if profile.consent.recommend_to_employers {
            doc.add_text(side.consent, RECOMMEND);
        }
        side.upsert(&id, doc)
    }

    async fn load_job(&self, id: &str) -> anyhow::Result<Option<jobmatch_core::domain::Job>> {
        Ok(records::jobs::get(&self.state, id).await?.map(|job_row| job_row.job))
    }

    async fn load_person(&self, id: &str) -> anyhow::Result<Option<Person>> {
        match records::persons::get(&self.state.db.pool, id).await? {
            Some(record) => Ok(Some(records::persons::to_matchable(&self.state, &record, self.state.today())?)),
            None => Ok(None),
        }
    }

    /// Apply outbox events after the last applied one; returns how many were
    /// read. Rows are read on the runtime; analysis, indexing and commits run
    /// on a blocking thread.
    pub async fn catch_up(self: &Arc<Self>) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let from = self.applied();
            let batch = events::read_after(&self.state.db, from, 1000).await?;
            let Some(cursor) = batch.last().map(events::Event::position) else {
                return Ok(total);
            };
            total += batch.len();
            let mut job_ids = HashSet::new();
            let mut person_ids = HashSet::new();
            for event in &batch {
                if event.kind.starts_with("job.") {
                    job_ids.insert(event.entity_id.clone());
                } else if event.kind.starts_with("person.") {
                    person_ids.insert(event.entity_id.clone());
                }
            }
            let mut jobs = Vec::with_capacity(job_ids.len());
            for id in job_ids {
                let job = self.load_job(&id).await?;
                jobs.push((id, job));
            }
            let mut people = Vec::with_capacity(person_ids.len());
            for id in person_ids {
                let person = self.load_person(&id).await?;
                people.push((id, person));
            }
            let matcher = self.clone();
            tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                let now = matcher.state.clock.now().timestamp();
                for (id, job) in jobs {
                    match job {
                        Some(job) => matcher.index_job(job, now)?,
                        None => matcher.jobs.delete(&id)?,
                    }
                }
                for (id, person) in people {
                    match person {
                        Some(person) => matcher.index_person(person)?,
                        None => matcher.persons.delete(&id)?,
                    }
                }
                matcher.commit(cursor)
            })
            .await??;
            if batch.len() < 1000 {
                return Ok(total);
            }
        }
    }

    /// Commit what was indexed directly (benchmarks, tools), keeping the
    /// outbox position.
    pub fn commit_now(&self) -> anyhow::Result<()> {
        self.commit(self.applied())
    }

    fn commit(&self, applied: Position) -> anyhow::Result<()> {
        self.jobs.commit(applied)?;
        self.persons.commit(applied)?;
        *self.applied.lock().unwrap_or_else(|e| e.into_inner()) = applied;
        Ok(())
    }

    /// Rebuild both indexes from the store: pages of rows are read on the
    /// runtime and indexed on a blocking thread.
    pub async fn rebuild(self: &Arc<Self>) -> anyhow::Result<(usize, usize)> {
        let started = std::time::Instant::now();
        // Everything before this position is in the rows read below; later
        // events are applied again.
        let upto = events::start_position(&self.state.db).await?;
        self.on_blocking_thread(|matcher| {
            matcher.jobs.clear()?;
            matcher.persons.clear()
        })
        .await?;
        let mut jobs = 0;
        let mut last = String::new();
        loop {
            let page = records::jobs::open_page_after(&self.state, &last, 1000).await?;
            let Some(stored) = page.last() else { break };
            last = stored.job.id.clone();
            jobs += page.len();
            self.on_blocking_thread(move |matcher| {
                let now = matcher.state.clock.now().timestamp();
                page.into_iter().try_for_each(|stored| matcher.index_job(stored.job, now))
            })
            .await?;
        }
        let mut persons = 0;
        let mut last = String::new();
        let day = self.state.today();
        loop {
            let page = records::persons::matchable_page_after(&self.state.db.pool, &last, 1000).await?;
            let Some(stored) = page.last() else { break };
            last = stored.id.clone();
            persons += page.len();
            let people = page
                .iter()
                .map(|record| records::persons::to_matchable(&self.state, record, day))
                .collect::<Result<Vec<_>, _>>()?;
            self.on_blocking_thread(move |matcher| people.into_iter().try_for_each(|p| matcher.index_person(p)))
                .await?;
        }
        self.on_blocking_thread(move |matcher| matcher.commit(upto)).await?;
        tracing::info!(jobs, persons, seconds = started.elapsed().as_secs_f64(), "indexes rebuilt from the store");
        Ok((jobs, persons))
    }

    /// Run index work off the async runtime.
    async fn on_blocking_thread<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Matcher) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let matcher = self.clone();
        tokio::task::spawn_blocking(move || work(&matcher)).await?
    }

    /// Follow the outbox until `shutdown` turns true.
    pub fn spawn(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.catch_up().await {
                    Ok(n) if n > 0 => {
                        self.state.metrics.count("jobmatch_matching_events_applied_total", "event", n as u64)
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = format!("{e:#}"), "applying the outbox failed"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                    _ = shutdown.changed() => break,
                }
            }
        })
    }

    fn idf(&self) -> JobsIdf<'_> {
        JobsIdf { side: &self.jobs, cache: RefCell::new(HashMap::new()) }
    }

    /// The best open jobs for a person, best first. Nothing for a person
    /// who is not matchable.
    pub fn matches_for(&self, person: &PersonFacts, limit: usize) -> anyhow::Result<Vec<JobMatch>> {
        if !person.is_matchable() {
            return Ok(Vec::new());
        }
        let weights = &self.analysis.config().weights;
        let today = self.state.today();
        let now = self.state.clock.now().timestamp();
        let profile = &person.person.profile;
        let side = &self.jobs;
        let at = Moment { today, now };
        let certificates = self.state.vocab.certificate_codes();
        let mut clauses: Vec<_> =
            Rule::ALL.into_iter().flat_map(|rule| rule.job_filters(side, person, certificates, at)).collect();
        for t in person.terms.iter().chain(&person.category_terms) {
            clauses.push((Occur::Should, boost(term(side.text.title, t), weights.fields.title)));
            clauses.push((Occur::Should, boost(term(side.text.skills, t), weights.fields.skills)));
            if !t.starts_with(crate::engine::analyzer::PINYIN_PREFIX) {
                clauses.push((Occur::Should, boost(term(side.text.description, t), weights.fields.description)));
            }
        }
        // Categories whose words the person uses count like a stated preference, a little less.
        for c in self.categories_for_terms(&person.terms) {
            clauses.push((Occur::Should, boost(term(side.category_code, &c), weights.fields.category)));
        }
        for c in &profile.preferred_categories {
            clauses.push((Occur::Should, boost(term(side.category_code, c), 4.0)));
        }
        let hits = side.search(&boolean(clauses), weights.retrieve.candidates.max(limit))?;
        let idf = self.idf();
        let mut out = Vec::with_capacity(hits.len());
        for (_, json) in hits {
            let facts: JobFacts = serde_json::from_str(&json)?;
            if let Some(rule) = broken_rule(&facts, person, today, now) {
                tracing::error!(job_id = %facts.job.id, person_id = %person.person.id, rule, "index returned a job that breaks a hard rule");
                continue;
            }
            if !person.may_take(&facts) {
                continue;
            }
            let scored = rank::score(&facts, person, weights, &self.state.vocab, &idf);
            out.push(JobMatch { facts, scored });
        }
        out.sort_by(|a, b| b.scored.score.total_cmp(&a.scored.score).then_with(|| b.facts.job.id.cmp(&a.facts.job.id)));
        out.truncate(limit);
        Ok(out)
    }

    /// The best matchable people for an open job, best first; `home_scope`
    /// keeps only people living in that region (staff).
    pub fn candidates_for(&self, job: &JobFacts, only: &Only, limit: usize) -> anyhow::Result<Vec<PersonMatch>> {
        let today = self.state.today();
        let now = self.state.clock.now().timestamp();
        if !job.is_open(now) {
            return Ok(Vec::new());
        }
        let weights = &self.analysis.config().weights;
        let side = &self.persons;
        let at = Moment { today, now };
        let mut clauses: Vec<_> = Rule::ALL.into_iter().flat_map(|rule| rule.person_filters(side, job, at)).collect();
        if let Some(scope) = only.home_scope {
            clauses.push((Occur::Must, term(side.home, scope)));
        }
        if let Some(ids) = only.ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            clauses.push((Occur::Must, any_of(side.id, ids)));
        }
        if only.push_consent {
            clauses.push((Occur::Must, range_i64(side.until, Bound::Included(1), Bound::Unbounded)));
        }
        if only.recommend_consent {
            clauses.push((Occur::Must, term(side.consent, RECOMMEND)));
        }
        let terms: HashSet<&String> = job.terms.title.iter().chain(&job.terms.skills).collect();
        for t in terms {
            clauses.push((Occur::Should, boost(term(side.text.skills, t), weights.fields.skills)));
            clauses.push((Occur::Should, boost(term(side.text.category, t), weights.fields.category)));
        }
        clauses.push((Occur::Should, boost(term(side.category_code, &job.job.input.category), 4.0)));
        let hits = side.search(&boolean(clauses), weights.retrieve.candidates.max(limit))?;
        let idf = self.idf();
        let mut out = Vec::with_capacity(hits.len());
        for (_, json) in hits {
            let mut facts: PersonFacts = serde_json::from_str(&json)?;
            if let Some(rule) = broken_rule(job, &facts, today, now) {
                tracing::error!(job_id = %job.job.id, person_id = %facts.person.id, rule, "index returned a person who breaks a hard rule");
                continue;
            }
            if !facts.may_take(job) {
                continue;
            }
            facts.person.age = age_on(facts.birth_date, today);
            let scored = rank::score(job, &facts, weights, &self.state.vocab, &idf);
            out.push(PersonMatch { facts, scored });
        }
        // The order of `Candidate::best_first`.
        out.sort_by(|a, b| {
            b.scored.score.total_cmp(&a.scored.score).then_with(|| b.facts.person.id.cmp(&a.facts.person.id))
        });
        out.truncate(limit);
        Ok(out)
    }

    /// Category codes whose name or words appear among `terms`.
    fn categories_for_terms(&self, terms: &[String]) -> Vec<String> {
        self.state
            .vocab
            .categories
            .iter()
            .filter(|c| self.category_tokens(&c.code).iter().any(|t| terms.contains(&t.text)))
            .map(|c| c.code.clone())
            .collect()
    }
}

/// The matcher as the job search of GET /v1/jobs, held weakly: the matcher
/// holds the state that holds this, and a strong reference would keep the
/// indexes (and their writer locks) alive after shutdown.
pub struct WeakJobSearch(pub std::sync::Weak<Matcher>);

impl jobmatch_core::state::JobSearch for WeakJobSearch {
    fn search_open_jobs(&self, q: &str, limit: usize) -> anyhow::Result<Vec<String>> {
        match self.0.upgrade() {
            Some(m) => jobmatch_core::state::JobSearch::search_open_jobs(m.as_ref(), q, limit),
            None => Ok(Vec::new()),
        }
    }
}

impl jobmatch_core::state::JobSearch for Matcher {
    /// Open jobs whose title, skills, category or description hold the words
    /// of `q` (analysed like the jobs), best first.
    fn search_open_jobs(&self, q: &str, limit: usize) -> anyhow::Result<Vec<String>> {
        let weights = &self.analysis.config().weights;
        let side = &self.jobs;
        let terms = self.analysis.terms(q);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut words = Vec::new();
        for t in &terms {
            words.push((Occur::Should, boost(term(side.text.title, t), weights.fields.title)));
            words.push((Occur::Should, boost(term(side.text.skills, t), weights.fields.skills)));
            words.push((Occur::Should, boost(term(side.text.description, t), weights.fields.description)));
        }
        for c in self.categories_for_terms(&terms) {
            words.push((Occur::Should, boost(term(side.category_code, &c), weights.fields.category)));
        }
        let query = boolean(vec![
            (Occur::Must, Box::new(boolean(words)) as Box<dyn tantivy::query::Query>),
            (Occur::Must, range_i64(side.until, Bound::Excluded(self.state.clock.now().timestamp()), Bound::Unbounded)),
        ]);
        side.search_ids(&query, limit)
    }
}

fn jobs_and_persons_disagree(m: &Matcher) -> bool {
    m.jobs.applied() != m.persons.applied()
}

impl Matcher {
    /// The fitting people of `job`, best first, as the push service asks:
    /// the one answer both [`MatcherCandidates`] and the HTTP route give.
    pub fn fitting_people(&self, job: Job, query: &CandidateQuery, limit: usize) -> anyhow::Result<Vec<Candidate>> {
        let (facts, _) = self.job_facts(job);
        let only = Only {
            push_consent: query.push_consent,
            recommend_consent: false,
            ids: query.ids.as_deref(),
            home_scope: None,
        };
        Ok(self
            .candidates_for(&facts, &only, limit)?
            .into_iter()
            .map(|found| Candidate {
                person_id: found.facts.person.id,
                score: found.scored.score,
                region_code: found.facts.person.profile.region_code,
                push_consent: found.facts.person.profile.consent.push,
                share_consent: found.facts.person.profile.consent.share_with_agencies,
            })
            .collect())
    }

    /// [`Matcher::fitting_people`] of a stored job, read from the store and
    /// answered on a blocking thread; nothing for an unknown job;
    /// [`NotCaughtUp`] while this replica is behind `query.through`.
    pub async fn fitting_people_of(
        self: &Arc<Self>,
        job_id: &str,
        query: CandidateQuery,
        limit: usize,
    ) -> anyhow::Result<Vec<Candidate>> {
        if let Some(through) = query.through {
            if self.applied() < through {
                return Err(NotCaughtUp(through).into());
            }
        }
        let Some(stored) = records::jobs::get(&self.state, job_id).await? else {
            return Ok(Vec::new());
        };
        self.on_blocking_thread(move |matcher| matcher.fitting_people(stored.job, &query, limit)).await
    }
}

impl Matcher {
    /// The best open jobs for a stored person, as the push service asks when
    /// someone becomes ready for work: the one answer both
    /// [`MatcherCandidates`] and the HTTP route give. Nothing for an unknown
    /// or unmatchable person; [`NotCaughtUp`] while this replica is behind
    /// `through`.
    pub async fn fitting_jobs_of(
        self: &Arc<Self>,
        person_id: &str,
        through: Option<Position>,
        limit: usize,
    ) -> anyhow::Result<Vec<JobFit>> {
        if let Some(through) = through {
            if self.applied() < through {
                return Err(NotCaughtUp(through).into());
            }
        }
        let Some(stored) = records::persons::get(&self.state.db.pool, person_id).await? else {
            return Ok(Vec::new());
        };
        let person = records::persons::to_matchable(&self.state, &stored, self.state.today())?;
        self.on_blocking_thread(move |matcher| {
            let Some(facts) = PersonFacts::build(
                person,
                &matcher.state.regions,
                &matcher.state.vocab,
                &matcher.analysis,
                &matcher.state.policy.public_welfare,
            ) else {
                return Ok(Vec::new());
            };
            Ok(matcher
                .matches_for(&facts, limit)?
                .into_iter()
                .map(|found| JobFit { job_id: found.facts.job.id, score: found.scored.score })
                .collect())
        })
        .await
    }
}

/// The matching service as the push service's source of recipients, in
/// the same process (weak, so that the matcher closes when the app stops).
pub struct MatcherCandidates(pub std::sync::Weak<Matcher>);

impl CandidateSource for MatcherCandidates {
    fn fitting_people<'a>(
        &'a self,
        job_id: &'a str,
        limit: usize,
        query: CandidateQuery,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<Vec<Candidate>>> + Send + 'a>> {
        Box::pin(async move {
            let Some(matcher) = self.0.upgrade() else { return Ok(Vec::new()) };
            matcher.fitting_people_of(job_id, query, limit).await
        })
    }

    fn fitting_jobs<'a>(
        &'a self,
        person_id: &'a str,
        limit: usize,
        through: Option<Position>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<Vec<JobFit>>> + Send + 'a>> {
        Box::pin(async move {
            let Some(matcher) = self.0.upgrade() else { return Ok(Vec::new()) };
            matcher.fitting_jobs_of(person_id, through, limit).await
        })
    }
}
