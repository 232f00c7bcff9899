//! The Chinese analyzer, registered with tantivy as `zh` and used the same
//! way at index and query time: characters are normalised one for one
//! (full-width to half-width, traditional to simplified, lower case), jieba
//! segments in search mode (a long word also yields the words inside it), stop
//! words are dropped, and each word in a synonym group is followed, at the
//! same position, by the group's canonical term. Offsets point into the
//! original text. Skill text (what a person has done, what a job asks)
//! also drops the words that are never skills (body words, hedges, place
//! names), and a short run of latin letters that is no word of ours is read
//! as pinyin initials of a domain word (zj → 质检).

use std::sync::Arc;

use jieba_rs::{Jieba, TokenizeMode};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::engine::config::MatchConfig;

/// The analyzer's name in tantivy's tokenizer registry.
pub const ZH: &str = "zh";

/// Prefix of the sound-alike term of a word (homophone typos: 宝洁 ~ 保洁).
pub const PINYIN_PREFIX: &str = "py:";

/// Shared, immutable analysis state.
pub struct Analysis {
    jieba: Jieba,
    config: Arc<MatchConfig>,
    /// Domain words (dictionary and synonym words): the only words looked for
    /// inside longer words, and the only single characters kept.
    domain: std::collections::HashSet<String>,
    longest_domain_word: usize,
    /// Pinyin initials of domain words of 2–4 characters → the words.
    initials: std::collections::HashMap<String, Vec<String>>,
}

impl Analysis {
    pub fn new(config: Arc<MatchConfig>) -> Analysis {
        let mut jieba = Jieba::new();
        for (word, freq) in &config.dictionary {
            jieba.add_word(word, *freq, None);
        }
        // Synonym words are domain words too: keep them whole.
        for word in config.synonyms.keys() {
            if word.chars().count() > 1 {
                jieba.add_word(word, Some(20_000), None);
            }
        }
        // Place names are kept whole, so that they can be told apart.
        for place in &config.places {
            jieba.add_word(place, Some(20_000), None);
        }
        let mut domain: std::collections::HashSet<String> = config.dictionary.iter().map(|(w, _)| w.clone()).collect();
        domain.extend(config.synonyms.keys().cloned());
        let longest_domain_word = domain.iter().map(|w| w.chars().count()).max().unwrap_or(0);
        let mut initials: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
        for word in &domain {
            let n = word.chars().count();
            if !(2..=4).contains(&n) || word.is_ascii() {
                continue;
            }
            let letters: Option<String> =
                word.chars().map(|c| config.pinyin.get(&c).and_then(|p| p.chars().next())).collect();
            if let Some(letters) = letters {
                initials.entry(letters).or_default().push(word.clone());
            }
        }
        for words in initials.values_mut() {
            words.sort();
        }
        Analysis { jieba, config, domain, longest_domain_word, initials }
    }

    pub fn config(&self) -> &MatchConfig {
        &self.config
    }

    /// The text with each character normalised (same character count).
    pub fn normalise(&self, text: &str) -> String {
        text.chars()
            .map(|c| {
                let c = match c {
                    '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                    '\u{3000}' => ' ',
                    _ => c,
                };
                let c = *self.config.t2s.get(&c).unwrap_or(&c);
                if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c
                }
            })
            .collect()
    }

    fn keep(&self, word: &str, skills: bool) -> bool {
        if skills && self.config.not_skills.contains(word) {
            return false;
        }
        if self.config.stopwords.contains(word) || !word.chars().any(|c| c.is_alphanumeric()) {
            return false;
        }
        // A lone Chinese character says little (开, 用, 懂) unless it is a domain word.
        let mut chars = word.chars();
        let single_cjk = matches!((chars.next(), chars.next()), (Some(c), None) if !c.is_ascii());
        !single_cjk || self.domain.contains(word)
    }

    /// Domain words inside a longer word (保洁 in 保洁员), by char offsets.
    fn inner_domain_words<'w>(&self, word: &'w str) -> Vec<(usize, usize, &'w str)> {
        let idx: Vec<usize> = word.char_indices().map(|(i, _)| i).chain([word.len()]).collect();
        let n = idx.len() - 1;
        let mut out = Vec::new();
        for len in (2..n).rev().filter(|l| *l <= self.longest_domain_word) {
            for start in 0..=(n - len) {
                let sub = &word[idx[start]..idx[start + len]];
                if self.domain.contains(sub) {
                    out.push((start, start + len, sub));
                }
            }
        }
        out
    }

    /// Every token of `text`: (term, byte offsets into `text`, position).
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        self.tokens_with(text, true, false)
    }

    /// Tokens without sound-alikes: for long texts (job descriptions), where
    /// typos are not looked for.
    pub fn tokens_plain(&self, text: &str) -> Vec<Token> {
        self.tokens_with(text, false, false)
    }

    /// Tokens of skill text: without the words that are never skills, and
    /// with pinyin initials read as the domain words they stand for.
    /// People write what they did with an aspect particle inside the
    /// verb and its object (洗过碗, 烧过菜, 扛过包, 开了十年车): the text is
    /// also read without 过/了 between Chinese characters, and the words
    /// found only that way follow the others (offsets: the whole text).
    pub fn skill_tokens(&self, text: &str) -> Vec<Token> {
        let mut out = self.tokens_with(text, true, true);
        let chars: Vec<char> = text.chars().collect();
        let is_cjk = |c: char| ('\u{4E00}'..='\u{9FFF}').contains(&c);
        let stripped: String = chars
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                !(matches!(c, '过' | '了')
                    && *i > 0
                    && chars.get(i + 1).is_some_and(|n| is_cjk(*n))
                    && is_cjk(chars[i - 1]))
            })
            .map(|(_, c)| *c)
            .collect();
        if stripped.chars().count() != chars.len() {
            let next = out.last().map(|t| t.position + 1).unwrap_or(0);
            for mut t in self.tokens_with(&stripped, true, true) {
                if !out.iter().any(|o| o.text == t.text) {
                    t.position += next;
                    t.offset_from = 0;
                    t.offset_to = text.len();
                    out.push(t);
                }
            }
        }
        out
    }

    /// The distinct terms of skill text, in order of first appearance.
    pub fn skill_terms(&self, text: &str) -> Vec<String> {
        distinct(&self.skill_tokens(text))
    }

    /// The domain words a run of 2–4 latin letters may be the pinyin
    /// initials of (none when it is a word of ours, or stands for more
    /// than two words).
    fn words_of_initials(&self, word: &str) -> &[String] {
        let n = word.len();
        if !(2..=4).contains(&n) || !word.bytes().all(|b| b.is_ascii_lowercase()) || self.domain.contains(word) {
            return &[];
        }
        match self.initials.get(word) {
            Some(words) if words.len() <= 2 => words,
            _ => &[],
        }
    }

    fn tokens_with(&self, text: &str, sound_alikes: bool, skills: bool) -> Vec<Token> {
        let normal = self.normalise(text);
        // Byte offset in `text` of each character, and one past the end.
        let mut starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        starts.push(text.len());
        let mut out = Vec::new();
        let mut position = 0;
        let mut first = true;
        for t in self.jieba.tokenize(&normal, TokenizeMode::Default, false) {
            let word = t.word.trim();
            // The word itself, then domain words inside it, all at one position.
            let mut words: Vec<(usize, usize, &str)> = Vec::new();
            if self.keep(word, skills) {
                words.push((t.start, t.end, word));
            }
            if skills {
                for w in self.words_of_initials(word) {
                    words.push((t.start, t.end, w.as_str()));
                }
            }
            if word.chars().count() > 2 {
                for (s, e, sub) in self.inner_domain_words(word) {
                    if self.keep(sub, skills) {
                        words.push((t.start + s, t.start + e, sub));
                    }
                }
            }
            if words.is_empty() {
                continue;
            }
            if !first {
                position += 1;
            }
            first = false;
            let at = out.len();
            for (start, end, w) in words {
                let (from, to) = (starts[start.min(starts.len() - 1)], starts[end.min(starts.len() - 1)]);
                // One term once per position.
                let mut push = |text: &str| {
                    if !out[at..].iter().any(|t: &Token| t.text == text) {
                        out.push(Token {
                            offset_from: from,
                            offset_to: to,
                            position,
                            text: text.to_string(),
                            position_length: 1,
                        })
                    }
                };
                push(w);
                if let Some(canon) = self.config.synonyms.get(w) {
                    for c in canon {
                        if c != w {
                            push(c);
                        }
                    }
                }
                if let Some(py) = sound_alikes.then(|| self.pinyin_term(w)).flatten() {
                    push(&py);
                }
            }
        }
        out
    }

    /// `py:` and the toneless pinyin of a Chinese word of two or more
    /// characters (None when any character has no reading).
    pub fn pinyin_term(&self, word: &str) -> Option<String> {
        if word.chars().count() < 2 || word.is_ascii() {
            return None;
        }
        let mut out = String::from(PINYIN_PREFIX);
        for c in word.chars() {
            out.push_str(self.config.pinyin.get(&c)?);
        }
        Some(out)
    }

    /// The distinct terms of `text`, in order of first appearance.
    pub fn terms(&self, text: &str) -> Vec<String> {
        distinct(&self.tokens(text))
    }
}

/// The distinct texts of `tokens`, in order of first appearance.
pub fn distinct(tokens: &[Token]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tokens {
        if !out.contains(&t.text) {
            out.push(t.text.clone());
        }
    }
    out
}

/// The tantivy side of the analyzer.
#[derive(Clone)]
pub struct ZhTokenizer(pub Arc<Analysis>);

pub struct ZhTokenStream {
    tokens: Vec<Token>,
    index: usize,
    token: Token,
}

impl Tokenizer for ZhTokenizer {
    type TokenStream<'a> = ZhTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhTokenStream {
        ZhTokenStream { tokens: self.0.tokens(text), index: 0, token: Token::default() }
    }
}

impl TokenStream for ZhTokenStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.token = std::mem::take(&mut self.tokens[self.index]);
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// Register every analyzer of this crate by name on an index.
pub fn register(index: &tantivy::Index, analysis: &Arc<Analysis>) {
    index.tokenizers().register(ZH, tantivy::tokenizer::TextAnalyzer::from(ZhTokenizer(analysis.clone())));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analysis() -> Analysis {
        Analysis::new(Arc::new(MatchConfig::load(None).unwrap().with_places(["平湖市", "王江泾镇", "许村镇"])))
    }

    #[test]
    fn skill_text_drops_places_body_words_and_hedges() {
        let a = analysis();
        let terms = a.skill_terms("以前在平湖做过几年，手脚麻利，在王江泾的织布厂挡车，会一点验布");
        for not_skill in ["平湖", "王江泾", "手脚", "麻利", "以前", "一点", "几年"] {
            assert!(!terms.iter().any(|t| t == not_skill), "{not_skill} in {terms:?}");
        }
        assert!(terms.iter().any(|t| t == "验布"), "{terms:?}");
        // Titles and descriptions keep place names.
        assert!(a.terms("平湖市保洁员").iter().any(|t| t == "平湖市" || t == "平湖"));
    }

    #[test]
    fn an_aspect_particle_inside_a_phrase_does_not_hide_the_work() {
        let a = analysis();
        for (text, canon) in [("在饭店洗过碗", "洗碗"), ("码头扛过包", "装卸"), ("以前烧过菜", "做饭")]
        {
            let terms = a.skill_terms(text);
            assert!(terms.iter().any(|t| t == canon), "{text}: {terms:?}");
        }
        let tokens = a.skill_tokens("码头扛过包");
        assert!(tokens.windows(2).all(|w| w[0].position <= w[1].position));
    }

    #[test]
    fn pinyin_initials_read_as_the_domain_word() {
        let a = analysis();
        assert!(a.skill_terms("做过zj").iter().any(|t| t == "质检"), "{:?}", a.skill_terms("做过zj"));
        // A word of ours is itself, not initials.
        assert_eq!(a.skill_terms("会用excel"), a.terms("会用excel"));
        assert!(a.skill_terms("会xyzq").iter().all(|t| t.is_ascii()), "unknown initials add nothing");
    }

    #[test]
    fn offsets_point_into_the_original_text_and_positions_advance() {
        let a = analysis();
        let text = "Ａ区保洁员，会打扫卫生";
        let tokens = a.tokens(text);
        for t in &tokens {
            let original = &text[t.offset_from..t.offset_to];
            assert!(!original.is_empty(), "{t:?}");
        }
        let baojie = tokens.iter().find(|t| t.text == "保洁员").unwrap();
        assert_eq!(&text[baojie.offset_from..baojie.offset_to], "保洁员");
        let dasao = tokens.iter().find(|t| t.text == "打扫卫生").unwrap();
        assert_eq!(&text[dasao.offset_from..dasao.offset_to], "打扫卫生");
        // The synonym stands at the same position as its word.
        let canon: Vec<&Token> =
            tokens.iter().filter(|t| t.offset_from == dasao.offset_from && t.text == "保洁").collect();
        assert_eq!(canon.len(), 1);
        assert_eq!(canon[0].position, dasao.position);
        assert!(dasao.position > baojie.position);
        assert!(tokens.windows(2).all(|w| w[0].position <= w[1].position));
        assert!(!tokens.iter().any(|t| t.text == "会" || t.text == "，"), "stop words and punctuation are dropped");
    }

    #[test]
    fn traditional_and_full_width_text_analyses_like_simplified() {
        let a = analysis();
        assert_eq!(a.terms("河道保潔員"), a.terms("河道保洁员"));
        assert!(a.terms("ＰＬＣ懂一点").contains(&"plc".to_string()));
    }

    #[test]
    fn a_homophone_typo_meets_the_right_word() {
        let a = analysis();
        let typo = a.terms("宝洁员");
        let right = a.terms("保洁员");
        assert!(typo.iter().any(|t| t.starts_with(PINYIN_PREFIX) && right.contains(t)), "{typo:?} / {right:?}");
    }

    #[test]
    fn colloquial_words_meet_formal_ones() {
        let a = analysis();
        let has = |text: &str, term: &str| a.terms(text).contains(&term.to_string());
        assert!(has("会打扫卫生", "保洁"));
        assert!(has("帮人看大门", "保安"));
        assert!(has("送过一年外卖", "配送"));
        assert!(has("自己带大两个孩子", "育儿") || has("带孩子", "育儿"));
        assert!(has("招保洁员", "保洁"), "domain words inside a long word are found");
        assert!(!has("会骑电动车", "动车"), "but not every dictionary word inside it");
        assert!(!has("在厂里干了十年电工", "干"), "lone characters are dropped");
    }
}
