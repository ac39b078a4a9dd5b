//! Triage: is a mention negative? From its rating when it has one (scaled to the
//! platform's range, overridable per source), otherwise from its text with a
//! multilingual lexicon classifier. Every verdict carries its reasons.

/// What triage needs to know about one mention.
#[derive(Debug, Clone, Default)]
pub struct TriageInput<'a> {
    pub title: Option<&'a str>,
    pub text: &'a str,
    pub rating: Option<f64>,
    pub rating_min: Option<f64>,
    pub rating_max: Option<f64>,
    /// Language declared by the item or the source's `language` hint; wins over detection.
    pub lang_hint: Option<&'a str>,
    /// Per-source threshold on the platform's own scale (`negative_at_or_below`).
    pub negative_at_or_below: Option<f64>,
}

/// The decision and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub negative: bool,
    /// -1 (very negative) ..= 1 (very positive).
    pub score: f64,
    /// ISO 639-1 code: the hint if given, else detected, else None.
    pub lang: Option<String>,
    /// Human-readable reasons: the rule or words that decided.
    pub reasons: Vec<String>,
}

pub fn triage(_input: &TriageInput<'_>) -> Verdict {
    todo!("classify helper")
}
