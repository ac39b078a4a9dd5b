//! Alert languages: a small message catalog per language, compiled in.
//!
//! Each catalog is a flat TOML table (`i18n/<lang>.toml`) of message keys to text
//! with `{name}` placeholders; keys ending in `_one`/`_other` are plural forms. The
//! English catalog is the reference: a test checks that every other catalog has
//! exactly its keys and the same placeholders, so a lookup never falls back.
//!
//! Why not an i18n crate: we need six fixed languages chosen per notifier (not per
//! process), a few dozen strings and one plural rule; a TOML table read with the
//! `toml` crate we already have does that, and translators edit plain text files.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// The language of a notifier's messages (`language = "de"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    De,
    Es,
    Nl,
    Et,
    Fr,
}

impl Language {
    pub const ALL: [Language; 6] = [
        Language::En,
        Language::De,
        Language::Es,
        Language::Nl,
        Language::Et,
        Language::Fr,
    ];

    /// The ISO 639-1 code, as written in the config.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
            Language::Es => "es",
            Language::Nl => "nl",
            Language::Et => "et",
            Language::Fr => "fr",
        }
    }

    pub fn parse(s: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == s.trim())
    }

    fn source(self) -> &'static str {
        match self {
            Language::En => include_str!("i18n/en.toml"),
            Language::De => include_str!("i18n/de.toml"),
            Language::Es => include_str!("i18n/es.toml"),
            Language::Nl => include_str!("i18n/nl.toml"),
            Language::Et => include_str!("i18n/et.toml"),
            Language::Fr => include_str!("i18n/fr.toml"),
        }
    }

    /// Plural category of `n`: French counts 0 and 1 as singular, the others only 1.
    fn is_one(self, n: i64) -> bool {
        match self {
            Language::Fr => n == 0 || n == 1,
            _ => n == 1,
        }
    }

    /// Every message of this language, for templates (`{{ t.label_rating }}`).
    pub fn catalog(self) -> &'static BTreeMap<String, String> {
        &CATALOGS[&self]
    }

    /// The message `key`. Falls back to English, then to the key itself (never
    /// happens: the catalog test keeps the languages complete).
    pub fn tr(self, key: &str) -> &'static str {
        if let Some(s) = CATALOGS[&self].get(key) {
            return s;
        }
        debug_assert!(false, "message key {key:?} is missing in {}", self.code());
        match CATALOGS[&Language::En].get(key) {
            Some(s) => s,
            None => Box::leak(key.to_string().into_boxed_str()),
        }
    }

    /// The message `key` with its `{name}` placeholders filled from `args`.
    pub fn fmt(self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.tr(key), args)
    }

    /// The plural form of `key` for `n` (`<key>_one` or `<key>_other`), with `{n}`
    /// and `args` filled.
    pub fn plural(self, key: &str, n: i64, args: &[(&str, &str)]) -> String {
        let form = if self.is_one(n) { "one" } else { "other" };
        let n = n.to_string();
        let mut all = vec![("n", n.as_str())];
        all.extend_from_slice(args);
        fill(self.tr(&format!("{key}_{form}")), &all)
    }

    /// A duration in its two largest units: "2d 3h", "8h", "8h 5m", "45m" (English).
    pub fn duration(self, secs: i64) -> String {
        let secs = secs.max(0);
        let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
        let part = |key: &str, n: i64| self.fmt(key, &[("n", &n.to_string())]);
        let parts = if d > 0 {
            vec![part("dur_days", d), part("dur_hours", h)]
                .into_iter()
                .take(if h > 0 { 2 } else { 1 })
                .collect::<Vec<_>>()
        } else if h > 0 {
            vec![part("dur_hours", h), part("dur_minutes", m)]
                .into_iter()
                .take(if m > 0 { 2 } else { 1 })
                .collect()
        } else {
            vec![part("dur_minutes", m)]
        };
        parts.join(" ")
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

static CATALOGS: LazyLock<HashMap<Language, BTreeMap<String, String>>> = LazyLock::new(|| {
    Language::ALL
        .into_iter()
        .map(|l| {
            let table: BTreeMap<String, String> = toml::from_str(l.source())
                .unwrap_or_else(|e| panic!("i18n/{}.toml is not a flat table: {e}", l.code()));
            (l, table)
        })
        .collect()
});

/// Replace each `{name}` in `template` by its value in `args`; unknown names stay.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders of a message, sorted.
#[cfg(test)]
fn placeholders(s: &str) -> Vec<&str> {
    let mut v: Vec<&str> = s
        .split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(n, _)| n))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key_with_the_same_placeholders() {
        let en = Language::En.catalog();
        assert!(en.len() > 50, "the English catalog parsed: {}", en.len());
        for lang in Language::ALL {
            let cat = lang.catalog();
            let missing: Vec<&String> = en.keys().filter(|k| !cat.contains_key(*k)).collect();
            let extra: Vec<&String> = cat.keys().filter(|k| !en.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{lang}: missing {missing:?}");
            assert!(extra.is_empty(), "{lang}: unknown keys {extra:?}");
            for (k, v) in cat {
                assert!(!v.trim().is_empty(), "{lang}.{k} is empty");
                assert_eq!(
                    placeholders(v),
                    placeholders(&en[k]),
                    "{lang}.{k}: placeholders differ from en"
                );
            }
        }
    }

    #[test]
    fn plurals_and_durations() {
        assert_eq!(
            Language::En.plural("figure_cases", 1, &[]),
            "1 case".to_string()
        );
        assert_eq!(Language::En.plural("figure_cases", 0, &[]), "0 cases");
        assert_eq!(Language::Fr.plural("figure_cases", 0, &[]), "0 dossier");
        assert_eq!(
            Language::Et.plural("digest_new", 3, &[]),
            "3 uut negatiivset"
        );
        assert_eq!(Language::En.duration(8 * 3600), "8h");
        assert_eq!(Language::En.duration(8 * 3600 + 5 * 60 + 59), "8h 5m");
        assert_eq!(Language::En.duration(2 * 86_400 + 3 * 3600 + 60), "2d 3h");
        assert_eq!(Language::En.duration(86_400), "1d");
        assert_eq!(Language::En.duration(59), "0m");
        assert_eq!(Language::En.duration(-5), "0m");
        assert_eq!(Language::De.duration(90 * 60), "1 Std. 30 Min.");
        assert_eq!(Language::Fr.duration(3 * 86_400), "3 j");
    }

    #[test]
    fn fill_replaces_known_names_only() {
        assert_eq!(
            fill("{a} and {b} {c", &[("a", "x"), ("b", "{a}")]),
            "x and {a} {c"
        );
        assert_eq!(fill("no args {x}", &[]), "no args {x}");
    }

    #[test]
    fn codes_round_trip() {
        for l in Language::ALL {
            assert_eq!(Language::parse(l.code()), Some(l));
            assert_eq!(serde_json::to_string(&l).unwrap(), format!("\"{l}\""));
        }
        assert_eq!(Language::parse("pt"), None);
    }
}
