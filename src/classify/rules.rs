//! Operator rules (`[rules.<id>]`): keywords, regular expressions and authors that
//! force an alert with a severity, raise the severity of what is negative anyway,
//! or silence a mention (our own staff's replies).
//!
//! A rule *matches* a mention when its filters pass (`sources`, `platforms`, all
//! optional) and at least one of its matchers fires: a keyword (case-, accent- and
//! whitespace-insensitive, whole words; `refund*` is a prefix), a regular
//! expression (the `regex` crate's syntax, linear time, on title and text as
//! written), or the author (compared folded, exactly).
//!
//! Then, by `action`:
//! * `alert` (default): the mention is negative, at least at the rule's severity;
//! * `escalate`: a mention that is negative anyway gets the rule's severity;
//! * `never`: the mention is not negative and does not alert, whatever else said so.
//!   `never` wins over `alert`.
//!
//! Every rule that matched is listed in the verdict's `rules` (by id, in id order)
//! and explained in its `reasons`.

use std::collections::BTreeMap;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use super::text::fold_char;
use crate::config::RuleConfig;

/// How urgent an alert is; routing uses it. `Critical > High > Normal`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Normal,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Normal, Severity::High, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Normal => "normal",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a matching rule does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleAction {
    /// The mention is negative and alerts, at least at the rule's severity.
    #[default]
    Alert,
    /// A mention negative anyway gets the rule's severity; others are left alone.
    Escalate,
    /// Never alert (staff replies, known noise). Wins over `alert`.
    Never,
}

/// Largest compiled size of one regular expression (the `regex` crate's limit).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// One compiled rule.
#[derive(Debug, Clone)]
struct Rule {
    id: String,
    action: RuleAction,
    severity: Severity,
    /// Folded keywords with their original spelling; `prefix` for a trailing `*`.
    keywords: Vec<Keyword>,
    regex: Vec<Regex>,
    /// Folded author names.
    authors: Vec<String>,
    sources: Vec<String>,
    platforms: Vec<String>,
}

#[derive(Debug, Clone)]
struct Keyword {
    shown: String,
    /// ` word word` (leading space; trailing space added unless a prefix).
    needle: String,
}

/// All rules of a config, compiled. Empty by default.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

/// What a rule sees of a mention.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject<'a> {
    pub title: Option<&'a str>,
    pub text: &'a str,
    pub author: Option<&'a str>,
    pub source: Option<&'a str>,
    pub platform: Option<&'a str>,
}

/// Rules that matched one mention.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Ids of the rules that matched, in id order.
    pub ids: Vec<String>,
    pub reasons: Vec<String>,
    /// Highest severity of the matching `alert` rules, if any matched.
    pub alert: Option<Severity>,
    /// Highest severity of the matching `escalate` rules, if any matched.
    pub escalate: Option<Severity>,
    /// A `never` rule matched.
    pub never: bool,
}

/// Rules are checked on at most this many bytes of title and text each.
const MAX_RULE_TEXT: usize = super::MAX_TEXT_BYTES;

impl Rules {
    /// Compile `[rules.<id>]` tables. Errors are `(key, message)` with the full key
    /// (`rules.fraud.regex`), all of them.
    pub fn build(cfg: &BTreeMap<String, RuleConfig>) -> Result<Rules, Vec<(String, String)>> {
        let mut rules = Vec::new();
        let mut problems = Vec::new();
        for (id, r) in cfg {
            let key = |k: &str| format!("rules.{id}.{k}");
            if r.keywords.is_empty() && r.regex.is_empty() && r.authors.is_empty() {
                problems.push((
                    format!("rules.{id}"),
                    "needs at least one of `keywords`, `regex`, `authors`".to_string(),
                ));
            }
            let mut keywords = Vec::new();
            for k in &r.keywords {
                let (body, prefix) = match k.trim().strip_suffix('*') {
                    Some(b) => (b, true),
                    None => (k.trim(), false),
                };
                let folded = fold_words(body);
                if folded.trim().is_empty() {
                    problems.push((key("keywords"), format!("{k:?} has no letters or digits")));
                    continue;
                }
                let mut needle = String::with_capacity(folded.len() + 2);
                needle.push(' ');
                needle.push_str(folded.trim());
                if !prefix {
                    needle.push(' ');
                }
                keywords.push(Keyword {
                    shown: k.trim().to_string(),
                    needle,
                });
            }
            let mut regex = Vec::new();
            for (i, pattern) in r.regex.iter().enumerate() {
                match RegexBuilder::new(pattern)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                {
                    Ok(re) => regex.push(re),
                    Err(e) => problems.push((
                        key("regex"),
                        format!(
                            "pattern {} ({pattern:?}) is not a valid regular expression: {}",
                            i + 1,
                            one_line(&e.to_string())
                        ),
                    )),
                }
            }
            let authors: Vec<String> = r.authors.iter().map(|a| fold_words(a)).collect();
            if authors.iter().any(|a| a.trim().is_empty()) {
                problems.push((key("authors"), "an author name is empty".to_string()));
            }
            rules.push(Rule {
                id: id.clone(),
                action: r.action,
                severity: r.severity,
                keywords,
                regex,
                authors: authors.into_iter().map(|a| a.trim().to_string()).collect(),
                sources: r.sources.clone(),
                platforms: r.platforms.clone(),
            });
        }
        if problems.is_empty() {
            Ok(Rules { rules })
        } else {
            Err(problems)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Which rules match `s`, and what they decide.
    pub fn check(&self, s: &Subject<'_>) -> Outcome {
        let mut out = Outcome::default();
        if self.rules.is_empty() {
            return out;
        }
        let title = super::lang::prefix(s.title.unwrap_or(""), MAX_RULE_TEXT);
        let text = super::lang::prefix(s.text, MAX_RULE_TEXT);
        // Folded words of title and body, each surrounded by single spaces, built
        // once if any rule has keywords.
        let words = self.rules.iter().any(|r| !r.keywords.is_empty()).then(|| {
            let mut w = fold_words(title);
            w.push_str(" . ");
            w.push_str(&fold_words(text));
            w.push(' ');
            w
        });
        let author = s.author.map(|a| fold_words(a).trim().to_string());
        for r in &self.rules {
            if !r.sources.is_empty() && !s.source.is_some_and(|x| r.sources.iter().any(|y| y == x))
            {
                continue;
            }
            if !r.platforms.is_empty()
                && !s
                    .platform
                    .is_some_and(|x| r.platforms.iter().any(|y| y == x))
            {
                continue;
            }
            let mut why = None;
            if let Some(w) = &words
                && let Some(k) = r.keywords.iter().find(|k| w.contains(&k.needle))
            {
                why = Some(format!("keyword \"{}\"", k.shown));
            }
            if why.is_none() {
                for re in &r.regex {
                    if let Some(m) = re.find(title).or_else(|| re.find(text)) {
                        let hit: String = m.as_str().chars().take(60).collect();
                        why = Some(format!("pattern /{}/ matched \"{hit}\"", re.as_str()));
                        break;
                    }
                }
            }
            if why.is_none()
                && let Some(a) = &author
                && r.authors.iter().any(|x| x == a)
            {
                why = Some(format!(
                    "author \"{}\"",
                    s.author.unwrap_or("").chars().take(60).collect::<String>()
                ));
            }
            let Some(why) = why else { continue };
            out.ids.push(r.id.clone());
            let effect = match r.action {
                RuleAction::Alert => {
                    out.alert = out.alert.max(Some(r.severity));
                    format!("always alert, severity {}", r.severity.as_str())
                }
                RuleAction::Escalate => {
                    out.escalate = out.escalate.max(Some(r.severity));
                    format!("severity {} when negative", r.severity.as_str())
                }
                RuleAction::Never => {
                    out.never = true;
                    "never alert".to_string()
                }
            };
            out.reasons.push(format!("rule {}: {why} ({effect})", r.id));
        }
        out
    }
}

/// Fold `s` to lower-case words without diacritics, separated by single spaces,
/// with a leading space: `" geld zuruck"`.
fn fold_words(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(' ');
    for c in s.chars() {
        if c.is_alphanumeric() {
            fold_char(c, &mut out);
        } else if ('\u{0300}'..='\u{036f}').contains(&c) {
            // combining marks: dropped
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(toml_text: &str) -> Result<Rules, Vec<(String, String)>> {
        #[derive(Deserialize)]
        struct Doc {
            rules: BTreeMap<String, RuleConfig>,
        }
        let d: Doc = toml::from_str(toml_text).unwrap();
        Rules::build(&d.rules)
    }

    fn text(t: &str) -> Subject<'_> {
        Subject {
            text: t,
            ..Default::default()
        }
    }

    #[test]
    fn keywords_are_whole_words_case_and_accent_insensitive() {
        let r = rules(
            "[rules.fraud]\nkeywords = [\"Betrug\", \"estafa\", \"Geld zurück\", \"refund*\"]\nseverity = \"critical\"\n",
        )
        .unwrap();
        for t in [
            "Das ist BETRUG!",
            "una estafa.",
            "ich will mein geld   zuruck",
            "Refunded? Never.",
        ] {
            let o = r.check(&text(t));
            assert_eq!(o.ids, ["fraud"], "{t}");
            assert_eq!(o.alert, Some(Severity::Critical));
        }
        for t in ["Betrugsmasche", "no estafas here", "Geld"] {
            assert!(r.check(&text(t)).ids.is_empty(), "{t}");
        }
    }

    #[test]
    fn regex_authors_filters_and_never() {
        let r = rules(
            "[rules.chargeback]\nregex = ['(?i)charge\\s*back']\nseverity = \"high\"\n\n[rules.staff]\naction = \"never\"\nauthors = [\"Shop Team\"]\nregex = ['(?i)^antwort des shops']\nsources = [\"tp\"]\n",
        )
        .unwrap();
        let o = r.check(&text("I filed a Charge back"));
        assert_eq!(o.ids, ["chargeback"]);
        assert_eq!(o.alert, Some(Severity::High));
        assert!(o.reasons[0].contains("Charge back"), "{o:?}");
        let staff = Subject {
            text: "Sorry, we filed a chargeback dispute",
            author: Some("  shop   TEAM "),
            source: Some("tp"),
            ..Default::default()
        };
        let o = r.check(&staff);
        assert_eq!(o.ids, ["chargeback", "staff"]);
        assert!(o.never);
        // The staff rule is limited to source "tp".
        let o = r.check(&Subject {
            source: Some("other"),
            ..staff
        });
        assert!(!o.never);
    }

    #[test]
    fn bad_rules_are_reported_with_their_key() {
        let e = rules("[rules.x]\nregex = ['(unclosed']\n").unwrap_err();
        assert_eq!(e[0].0, "rules.x.regex");
        let e = rules("[rules.y]\nseverity = \"high\"\n").unwrap_err();
        assert_eq!(e[0].0, "rules.y");
        assert!(Severity::Critical > Severity::High && Severity::High > Severity::Normal);
    }
}
