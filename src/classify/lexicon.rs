//! Word lists, parsed once from the files shipped under `data/lexicons/`.
//!
//! * `generated.tsv` — built by `data/lexicons/build.py` from VADER (en, emoji,
//!   emoticons), pattern (en, fr, nl) and nlp.js/ML-SentiCon stems (de, es):
//!   `lang<TAB>term<TAB>valence`, valence in -1..1, `lang` `*` for emoji.
//! * `rules-<lang>.tsv` — hand-written per language (and `rules-any.tsv`):
//!   `kind<TAB>term<TAB>value`, where kind is
//!   `w` (word, valence), `c` (complaint: a word or a phrase, valence),
//!   `neg` (negator), `int` (intensifier or diminisher, multiplier),
//!   `but` (contrast: what follows weighs more), `stop` (function word, only used
//!   to recognise the language of short texts), `iro` (irony marker, a word or
//!   phrase, valence: "thanks a lot", "knap hoor", "ganz großes Kino"; see
//!   [`super::score`]) and `deg` (a degree adverb from a negative word,
//!   multiplier: "insanely", "belachelijk", "jube"; it boosts a sentiment word
//!   right after it and keeps its own valence otherwise). `rules-any.tsv` takes
//!   `w` and `iro` for symbols. Hand-written entries override generated ones.
//!
//! A term ending in `*` is a stem and matches any word that starts with it and has
//! at most a few more letters (four for generated stems, six for hand-written
//! ones). Stems shorter than five bytes match exactly. Phrase tokens may be stems
//! too; a phrase's first token must be a whole word (it indexes the phrase).
//! Every key is folded like the tokens (see [`super::text::fold`]).

use std::collections::{HashMap as StdHashMap, HashSet as StdHashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use super::lang::Lang;
use super::text::fold;

const GENERATED: &str = include_str!("../../data/lexicons/generated.tsv");
const RULES: [(Option<Lang>, &str); 7] = [
    (None, include_str!("../../data/lexicons/rules-any.tsv")),
    (
        Some(Lang::En),
        include_str!("../../data/lexicons/rules-en.tsv"),
    ),
    (
        Some(Lang::De),
        include_str!("../../data/lexicons/rules-de.tsv"),
    ),
    (
        Some(Lang::Es),
        include_str!("../../data/lexicons/rules-es.tsv"),
    ),
    (
        Some(Lang::Fr),
        include_str!("../../data/lexicons/rules-fr.tsv"),
    ),
    (
        Some(Lang::Nl),
        include_str!("../../data/lexicons/rules-nl.tsv"),
    ),
    (
        Some(Lang::Et),
        include_str!("../../data/lexicons/rules-et.tsv"),
    ),
];

/// FNV-1a: the keys are short words and the tables are fixed after loading (no
/// inserts from input, so no collision attacks); much faster than SipHash here.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

pub(crate) type HashMap<K, V> = StdHashMap<K, V, BuildHasherDefault<Fnv>>;
pub(crate) type HashSet<K> = StdHashSet<K, BuildHasherDefault<Fnv>>;

const GENERATED_MAX_SUFFIX: u8 = 4;
const CURATED_MAX_SUFFIX: u8 = 6;
const MIN_STEM_BYTES: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entry {
    pub v: f32,
    /// A complaint term (scam, refund, chargeback): reported as a complaint pattern.
    pub complaint: bool,
    /// An irony marker (`iro`): with complaint content around it, praise is ironic.
    pub irony: bool,
}

#[derive(Debug, Clone, Copy)]
struct Stem {
    entry: Entry,
    max_suffix: u8,
}

#[derive(Debug)]
pub(crate) struct PhraseTok {
    pub text: Box<str>,
    pub prefix: bool,
}

#[derive(Debug)]
pub(crate) struct Phrase {
    pub toks: Vec<PhraseTok>,
    pub v: f32,
    /// An irony marker (`iro`), not a plain phrase.
    pub irony: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Lexicon {
    words: HashMap<Box<str>, Entry>,
    stems: HashMap<Box<str>, Stem>,
    max_stem: usize,
    pub negators: HashSet<Box<str>>,
    pub boosters: HashMap<Box<str>, f32>,
    /// Degree adverbs from negative words (`deg`): boosters before a sentiment word.
    pub degree: HashMap<Box<str>, f32>,
    pub contrast: HashSet<Box<str>>,
    stop: HashSet<Box<str>>,
    pub phrases: Vec<Phrase>,
    pub phrase_index: HashMap<Box<str>, Vec<u32>>,
}

impl Lexicon {
    /// Valence of a folded word: exact entry first, then the longest stem.
    pub fn lookup(&self, w: &str) -> Option<Entry> {
        if let Some(e) = self.words.get(w) {
            return Some(*e);
        }
        let mut end = w.len().min(self.max_stem);
        let lowest = MIN_STEM_BYTES.max(w.len().saturating_sub(usize::from(CURATED_MAX_SUFFIX)));
        while end >= lowest {
            if w.is_char_boundary(end)
                && let Some(s) = self.stems.get(&w[..end])
                && w.len() - end <= s.max_suffix as usize
            {
                return Some(s.entry);
            }
            end -= 1;
        }
        None
    }

    /// Every whole word this lexicon knows (for picking a language).
    fn known_words(&self) -> impl Iterator<Item = &Box<str>> {
        self.stop
            .iter()
            .chain(&self.negators)
            .chain(&self.contrast)
            .chain(self.boosters.keys())
            .chain(self.degree.keys())
            .chain(self.phrase_index.keys())
            .chain(self.words.keys())
    }

    fn insert_term(&mut self, term: &str, entry: Entry, max_suffix: u8) {
        if let Some(stem) = term.strip_suffix('*') {
            if stem.len() < MIN_STEM_BYTES {
                self.words.insert(stem.into(), entry);
            } else {
                self.max_stem = self.max_stem.max(stem.len());
                self.stems.insert(stem.into(), Stem { entry, max_suffix });
            }
        } else {
            self.words.insert(term.into(), entry);
        }
    }
}

#[derive(Debug)]
pub(crate) struct Lexicons {
    pub langs: Vec<Lexicon>,
    /// Emoji and emoticons, the same in every language.
    pub symbols: HashMap<Box<str>, f32>,
    /// Emoji that mark irony (🙃): see [`super::score`].
    pub irony_symbols: HashSet<Box<str>>,
    /// For each whole word: a bit per language (`1 << Lang::index`) whose lexicon
    /// knows it. One lookup per token votes for the language of a text.
    pub known: HashMap<Box<str>, u8>,
    /// Lines that did not parse (a test keeps this empty).
    #[cfg_attr(not(test), allow(dead_code))]
    pub bad_lines: Vec<String>,
}

impl Lexicons {
    pub fn get(&self, lang: Lang) -> &Lexicon {
        &self.langs[lang.index()]
    }
}

pub(crate) static LEXICONS: LazyLock<Lexicons> = LazyLock::new(load);

fn load() -> Lexicons {
    let mut langs: Vec<Lexicon> = Lang::ALL.iter().map(|_| Lexicon::default()).collect();
    let mut symbols = HashMap::default();
    let mut irony_symbols = HashSet::default();
    let mut bad_lines = Vec::new();

    for line in GENERATED.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut f = line.split('\t');
        let (Some(lang), Some(term), Some(val)) = (f.next(), f.next(), f.next()) else {
            bad_lines.push(format!("generated.tsv: {line}"));
            continue;
        };
        let Ok(v) = val.trim().parse::<f32>() else {
            bad_lines.push(format!("generated.tsv: {line}"));
            continue;
        };
        if lang == "*" {
            symbols.insert(term.into(), v);
        } else if let Some(l) = Lang::from_code(lang) {
            let entry = Entry {
                v,
                complaint: false,
                irony: false,
            };
            langs[l.index()].insert_term(&fold(term), entry, GENERATED_MAX_SUFFIX);
        } else {
            bad_lines.push(format!("generated.tsv: {line}"));
        }
    }

    for (lang, text) in RULES {
        let file = lang.map_or("any", Lang::code);
        for line in text.lines() {
            let line = line.trim_end();
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if let Err(e) = rule_line(lang, line, &mut langs, &mut symbols, &mut irony_symbols) {
                bad_lines.push(format!("rules-{file}.tsv: {e}: {line}"));
            }
        }
    }
    for lex in &mut langs {
        for (i, p) in lex.phrases.iter().enumerate() {
            if let Some(first) = p.toks.first() {
                lex.phrase_index
                    .entry(first.text.clone())
                    .or_default()
                    .push(u32::try_from(i).unwrap_or(u32::MAX));
            }
        }
        // Longest phrase first: "nie wieder woanders" before "nie wieder".
        let phrases = &lex.phrases;
        for ids in lex.phrase_index.values_mut() {
            ids.sort_by_key(|&id| {
                std::cmp::Reverse(phrases.get(id as usize).map_or(0, |p| p.toks.len()))
            });
        }
    }
    let mut known: HashMap<Box<str>, u8> = HashMap::default();
    for (i, lex) in langs.iter().enumerate() {
        for w in lex.known_words() {
            *known.entry(w.clone()).or_default() |= 1 << i;
        }
    }
    Lexicons {
        langs,
        symbols,
        irony_symbols,
        known,
        bad_lines,
    }
}

fn rule_line(
    lang: Option<Lang>,
    line: &str,
    langs: &mut [Lexicon],
    symbols: &mut HashMap<Box<str>, f32>,
    irony_symbols: &mut HashSet<Box<str>>,
) -> Result<(), &'static str> {
    let mut f = line.split('\t');
    let kind = f.next().ok_or("no kind")?.trim();
    let raw = f.next().ok_or("no term")?.trim();
    let value = f.next().map(str::trim).filter(|v| !v.is_empty());
    let num = || -> Result<f32, &'static str> {
        value
            .ok_or("no value")?
            .parse::<f32>()
            .map_err(|_| "bad value")
    };
    if raw.is_empty() {
        return Err("empty term");
    }
    let Some(lang) = lang else {
        // rules-any.tsv holds symbols only.
        match kind {
            "w" => {}
            "iro" => {
                irony_symbols.insert(raw.into());
            }
            _ => return Err("rules-any.tsv only takes `w` and `iro`"),
        }
        symbols.insert(raw.into(), num()?);
        return Ok(());
    };
    let lex = &mut langs[lang.index()];
    let term = fold(raw);
    match kind {
        "w" | "c" | "iro" => {
            let v = num()?;
            if !(-1.0..=1.0).contains(&v) {
                return Err("valence outside -1..1");
            }
            let complaint = kind == "c";
            let irony = kind == "iro";
            if term.contains(' ') {
                let toks: Vec<PhraseTok> = term
                    .split_whitespace()
                    .map(|t| match t.strip_suffix('*') {
                        Some(s) => PhraseTok {
                            text: s.into(),
                            prefix: true,
                        },
                        None => PhraseTok {
                            text: t.into(),
                            prefix: false,
                        },
                    })
                    .collect();
                if toks[0].prefix {
                    return Err("a phrase must start with a whole word");
                }
                lex.phrases.push(Phrase { toks, v, irony });
            } else {
                let entry = Entry {
                    v,
                    complaint,
                    irony,
                };
                lex.insert_term(&term, entry, CURATED_MAX_SUFFIX);
            }
        }
        "neg" => {
            lex.negators.insert(term.into());
        }
        "int" => {
            lex.boosters.insert(term.into(), num()?);
        }
        "deg" => {
            lex.degree.insert(term.into(), num()?);
        }
        "but" => {
            lex.contrast.insert(term.into());
        }
        "stop" => {
            lex.stop.insert(term.into());
        }
        _ => return Err("unknown kind"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_parses() {
        assert!(LEXICONS.bad_lines.is_empty(), "{:#?}", LEXICONS.bad_lines);
    }

    #[test]
    fn every_language_has_rules() {
        for l in Lang::ALL {
            let lex = LEXICONS.get(l);
            assert!(!lex.negators.is_empty(), "{l:?} negators");
            assert!(!lex.contrast.is_empty(), "{l:?} contrast");
            assert!(!lex.phrases.is_empty(), "{l:?} complaint phrases");
            assert!(lex.words.len() + lex.stems.len() >= 150, "{l:?} words");
        }
        assert!(LEXICONS.symbols.len() > 100);
    }

    #[test]
    fn stems_match_inflections() {
        let de = LEXICONS.get(Lang::De);
        assert!(de.lookup("enttauscht").is_some_and(|e| e.v < 0.0));
        assert!(de.lookup("kaputt").is_some_and(|e| e.v < 0.0));
    }
}
