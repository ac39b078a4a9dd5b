//! `[rules.<id>]` (operator rules for triage) and `[markets.<id>]` (per-market
//! rating calibration). The rules are compiled by [`crate::classify::Rules::build`],
//! which also validates them; see `src/classify/rules.rs` for what they do.

use serde::Deserialize;

use crate::classify::{RuleAction, Severity};

/// `[rules.<id>]`: keywords, regular expressions or authors that force an alert,
/// raise the severity, or silence a mention.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// `alert` (default): a match makes the mention negative with `severity`;
    /// `escalate`: a mention negative anyway gets `severity`; `never`: never alert
    /// (wins over `alert`).
    #[serde(default)]
    pub action: RuleAction,
    /// `normal` (default), `high` or `critical`; routing uses it.
    #[serde(default)]
    pub severity: Severity,
    /// Whole words or phrases, any language; case, accents and spacing do not
    /// matter. A trailing `*` makes a prefix (`refund*`).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Regular expressions (Rust `regex` syntax) searched in title and text as
    /// written; `(?i)` for case-insensitive. `patterns` is the same key.
    #[serde(default, alias = "patterns")]
    pub regex: Vec<String>,
    /// Author names (compared without case, accents or extra spaces).
    #[serde(default)]
    pub authors: Vec<String>,
    /// Only mentions first seen by these source ids (default: every source).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Only mentions of these platforms (`trustpilot`, `google_alerts`, ...).
    #[serde(default)]
    pub platforms: Vec<String>,
}

/// `[markets.<id>]`: calibration shared by the sources that name it in `market`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MarketConfig {
    /// Added to every rating threshold of the market's sources (a source's own
    /// `rating_shift` wins). `-1` makes "negative" one point stricter, as for
    /// European NPS (detractors 0-5 instead of 0-6).
    #[serde(default)]
    pub rating_shift: f64,
}
