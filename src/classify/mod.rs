//! Triage: is a mention negative? From its rating when it has one (scaled to the
//! platform's range, overridable per source), otherwise from its text with a
//! multilingual lexicon classifier. Every verdict carries its reasons.
//!
//! * [`rating`]: the scale rule (negative iff the rating sits at or below 40% of the
//!   scale, i.e. "2 of 5", or at or below the source's `negative_at_or_below`; NPS
//!   detractors; a per-source or per-market `rating_shift`). When a mention has
//!   both stars and text, the text is scored too, and a strong disagreement is
//!   reported; the source's `on_disagreement` says who decides then.
//! * [`rules`]: the operator's `[rules.<id>]`: always alert (with a severity),
//!   escalate, or never alert, on keywords, regexes or authors.
//! * [`eval`]: accuracy, precision, recall and F1 over labelled JSON Lines.
//! * [`lang`]: the hint wins, else `whatlang` among the supported languages
//!   (en, de, es, fr, nl, et); for short texts where whatlang is unsure, the
//!   language whose lexicon knows most of the words.
//! * `text`: folding (case, diacritics), tokens, clauses and sentences.
//! * `lexicon`: the word lists under `data/lexicons/`, parsed once.
//! * [`score`]: negation scope, boosters, contrast ("but", "aber", "pero", "mais",
//!   "maar", "aga": what follows weighs more), title weight, complaint phrases.
//!
//! Text is negative when its score is below [`TEXT_NEGATIVE_BELOW`]. Inputs are
//! capped at [`MAX_TEXT_BYTES`] each (title and body) so a huge body costs no more
//! than that; triage never panics.

pub mod eval;
pub mod lang;
pub(crate) mod lexicon;
pub mod rating;
pub mod rules;
pub mod score;
pub(crate) mod text;

#[cfg(test)]
mod tests;

pub use lang::Lang;
pub use rating::{Disagreement, RatingScale};
pub use rules::{RuleAction, Rules, Severity};

use std::sync::Arc;

use score::What;
use text::{Part, Tokens};

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
    /// How ratings are read: stars/points (default) or NPS answers.
    pub rating_scale: RatingScale,
    /// Added to the rating threshold (per source or market; 0 = none).
    pub rating_shift: f64,
    /// Who decides when stars and text strongly disagree.
    pub on_disagreement: Disagreement,
    /// For the operator rules: who wrote it, which source and platform saw it.
    pub author: Option<&'a str>,
    pub source: Option<&'a str>,
    pub platform: Option<&'a str>,
    /// Operator rules (`[rules.<id>]`), applied after the rating and the text.
    pub rules: Option<&'a Rules>,
}

/// One source's triage settings, from its config (`Config::triage_policy`).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The source id (rules may be limited to sources).
    pub source: Option<String>,
    pub negative_at_or_below: Option<f64>,
    pub rating_scale: RatingScale,
    /// The source's `rating_shift`, else its market's, else 0.
    pub rating_shift: f64,
    pub on_disagreement: Disagreement,
    /// The source's `language` hint.
    pub language: Option<String>,
    pub rules: Arc<Rules>,
}

impl Policy {
    /// A [`TriageInput`] with this policy's settings and no content.
    pub fn input(&self) -> TriageInput<'_> {
        TriageInput {
            lang_hint: self.language.as_deref(),
            negative_at_or_below: self.negative_at_or_below,
            rating_scale: self.rating_scale,
            rating_shift: self.rating_shift,
            on_disagreement: self.on_disagreement,
            source: self.source.as_deref(),
            rules: Some(&self.rules),
            ..TriageInput::default()
        }
    }
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
    /// Normal unless an operator rule says otherwise.
    pub severity: Severity,
    /// Ids of the operator rules that matched.
    pub rules: Vec<String>,
}

/// A text whose score is below this is negative.
pub const TEXT_NEGATIVE_BELOW: f64 = -0.1;
/// Stars and text "strongly disagree" when the text score is at least this far on
/// the other side.
pub const DISAGREEMENT: f64 = 0.4;
/// Title and body are each scored on at most this many bytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Known words needed for the lexicon vote to decide the language alone.
const VOTE_MIN: u32 = 4;
/// Reasons list at most this many words per kind.
const MAX_WORDS_IN_REASON: usize = 6;

/// Decide whether a mention is negative, and why: the rating (with the source's
/// threshold, scale and shift), the text, their disagreement, then the rules.
pub fn triage(input: &TriageInput<'_>) -> Verdict {
    let mut v = judge(input);
    if let Some(rules) = input.rules {
        apply_rules(rules, input, &mut v);
    }
    v
}

fn judge(input: &TriageInput<'_>) -> Verdict {
    let title = input.title.unwrap_or("");
    let has_text = !title.trim().is_empty() || !input.text.trim().is_empty();
    let text = has_text.then(|| classify_text(input.title, input.text, input.lang_hint));

    match rating::judge(input) {
        Ok(Some(r)) => {
            let mut reasons = vec![r.reason];
            let lang = text
                .as_ref()
                .and_then(|t| t.lang.clone())
                .or_else(|| input.lang_hint.map(hint_code));
            let mut negative = r.negative;
            let mut score = r.score;
            if let Some(t) = &text {
                let text_negative = t.negative && t.score <= -DISAGREEMENT;
                let text_positive = t.score >= DISAGREEMENT;
                if (!r.negative && text_negative) || (r.negative && text_positive) {
                    let policy = input.on_disagreement;
                    let decides = match policy {
                        Disagreement::Rating => "the rating decides",
                        Disagreement::Text => {
                            negative = text_negative;
                            score = t.score;
                            "the text decides"
                        }
                        Disagreement::Either if text_negative => {
                            negative = true;
                            score = t.score;
                            "either is enough: negative"
                        }
                        Disagreement::Either => "either is enough: the rating says negative",
                    };
                    reasons.push(format!(
                        "rating and text disagree: the text reads {} (score {:.2}); {decides} (on_disagreement = \"{}\")",
                        if text_positive { "positive" } else { "negative" },
                        t.score,
                        policy.as_str()
                    ));
                    reasons.extend(t.reasons.iter().map(|x| format!("text: {x}")));
                }
            }
            Verdict {
                negative,
                score,
                lang,
                reasons,
                severity: Severity::Normal,
                rules: Vec::new(),
            }
        }
        Ok(None) | Err(_) => {
            let note = rating::judge(input).err();
            match text {
                Some(mut t) => {
                    if let Some(n) = note {
                        t.reasons.insert(0, n);
                    }
                    t
                }
                None => Verdict {
                    negative: false,
                    score: 0.0,
                    lang: input.lang_hint.map(hint_code),
                    reasons: note
                        .into_iter()
                        .chain(["no usable rating and no text: nothing to judge".to_string()])
                        .collect(),
                    severity: Severity::Normal,
                    rules: Vec::new(),
                },
            }
        }
    }
}

/// Apply the operator rules to a verdict: `never` wins, then `alert`, then
/// `escalate`. The rules' reasons go first (they decided).
fn apply_rules(rules: &Rules, input: &TriageInput<'_>, v: &mut Verdict) {
    let o = rules.check(&rules::Subject {
        title: input.title,
        text: input.text,
        author: input.author,
        source: input.source,
        platform: input.platform,
    });
    if o.ids.is_empty() {
        return;
    }
    v.rules = o.ids;
    let mut reasons = o.reasons;
    if o.never {
        if v.negative {
            reasons.push("not negative: a `never` rule matched".to_string());
        }
        v.negative = false;
        v.severity = Severity::Normal;
    } else {
        if let Some(s) = o.alert {
            v.negative = true;
            v.severity = v.severity.max(s);
        }
        if let Some(s) = o.escalate.filter(|_| v.negative) {
            v.severity = v.severity.max(s);
        }
    }
    reasons.append(&mut v.reasons);
    v.reasons = reasons;
}

/// Classify title and text alone (no rating).
pub fn classify_text(title: Option<&str>, body: &str, lang_hint: Option<&str>) -> Verdict {
    let title = lang::prefix(title.unwrap_or(""), MAX_TEXT_BYTES);
    let body = lang::prefix(body, MAX_TEXT_BYTES);
    let lexicons = &*lexicon::LEXICONS;
    let is_symbol = |s: &str| lexicons.symbols.contains_key(s);
    let mut tokens = Tokens::default();
    text::tokenize_into(title, Part::Title, &mut tokens, &is_symbol);
    text::tokenize_into(body, Part::Body, &mut tokens, &is_symbol);

    let mut reasons = Vec::new();
    if body.len() < input_len(Some(body)) {
        reasons.push("text truncated for scoring".to_string());
    }
    let hint = lang_hint.filter(|h| !h.trim().is_empty());
    let hinted = hint.and_then(Lang::from_code);
    let (lang, lang_out, lang_reason) = match (hint, hinted) {
        (Some(_), Some(l)) => (
            Some(l),
            Some(l.code().to_string()),
            format!("language {} (hint)", l.code()),
        ),
        (Some(h), None) => {
            let best = best_by_lexicon(&tokens, None);
            let code = hint_code(h);
            let why = match best {
                Some(b) => format!(
                    "language {code} (hint) has no lexicon; scored as {}",
                    b.code()
                ),
                None => format!("language {code} (hint) has no lexicon"),
            };
            (best, Some(code), why)
        }
        (None, _) if let Some(l) = decisive_vote(&tokens) => (
            Some(l),
            Some(l.code().to_string()),
            format!("language {} (detected: lexicon vote)", l.code()),
        ),
        (None, _) => {
            let mut joined = String::with_capacity(title.len() + body.len() + 2);
            joined.push_str(title);
            joined.push_str(". ");
            joined.push_str(lang::prefix(body, lang::DETECT_MAX_BYTES));
            match lang::detect(&joined) {
                Some((l, true)) => (
                    Some(l),
                    Some(l.code().to_string()),
                    format!("language {} (detected)", l.code()),
                ),
                guess => {
                    let best = best_by_lexicon(&tokens, guess.map(|g| g.0));
                    match best {
                        Some(b) => (
                            Some(b),
                            Some(b.code().to_string()),
                            format!(
                                "language {} (best lexicon match; detection unsure)",
                                b.code()
                            ),
                        ),
                        None => (None, None, "language unknown".to_string()),
                    }
                }
            }
        }
    };
    reasons.push(lang_reason);

    let lex = lang.map(|l| lexicons.get(l));
    let s = score::score(
        &tokens,
        lang,
        lex,
        &lexicons.symbols,
        &lexicons.irony_symbols,
    );
    let negative = s.score < TEXT_NEGATIVE_BELOW;
    explain(&s, title, body, negative, &mut reasons);
    Verdict {
        negative,
        score: s.score.clamp(-1.0, 1.0),
        lang: lang_out,
        reasons,
        severity: Severity::Normal,
        rules: Vec::new(),
    }
}

fn input_len(s: Option<&str>) -> usize {
    s.map_or(0, str::len)
}

/// The language whose lexicon knows most tokens; ties go to whatlang's guess, then
/// to the fixed order of [`Lang::ALL`]. None if no lexicon knows any token.
fn best_by_lexicon(tokens: &Tokens, guess: Option<Lang>) -> Option<Lang> {
    let counts = lexicon_vote(tokens);
    let best = *counts.iter().max()?;
    if best == 0 {
        return guess;
    }
    if let Some(g) = guess.filter(|g| counts[g.index()] == best) {
        return Some(g);
    }
    Lang::ALL.into_iter().find(|l| counts[l.index()] == best)
}

/// How many of the first 200 words each language's lexicon knows.
fn lexicon_vote(tokens: &Tokens) -> [u32; 6] {
    let known = &lexicon::LEXICONS.known;
    let mut counts = [0u32; 6];
    for t in tokens
        .toks
        .iter()
        .filter(|t| t.kind == text::Kind::Word && !t.numeric)
        .take(200)
    {
        if let Some(&mask) = known.get(tokens.norm(t)) {
            for (i, c) in counts.iter_mut().enumerate() {
                *c += u32::from(mask >> i & 1);
            }
        }
    }
    counts
}

/// A clear vote: at least [`VOTE_MIN`] known words, and twice as many as any other
/// language. Decides without whatlang (which costs ~50 µs per text).
fn decisive_vote(tokens: &Tokens) -> Option<Lang> {
    let counts = lexicon_vote(tokens);
    let (best, &n) = counts.iter().enumerate().max_by_key(|(_, c)| **c)?;
    let second = counts
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != best)
        .map(|(_, c)| *c)
        .max()?;
    (n >= VOTE_MIN && n >= 2 * second).then(|| Lang::ALL[best])
}

/// The primary subtag of a hint, lower case (`de-AT` → `de`), for the verdict.
fn hint_code(h: &str) -> String {
    let p = h.trim().split(['-', '_']).next().unwrap_or("");
    if (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()) {
        p.to_ascii_lowercase()
    } else {
        h.trim().chars().take(16).collect()
    }
}

fn explain(
    s: &score::TextScore,
    title: &str,
    body: &str,
    negative: bool,
    reasons: &mut Vec<String>,
) {
    let span = |(part, a, b): (Part, u32, u32)| -> String {
        let src = if part == Part::Title { title } else { body };
        src.get(a as usize..b as usize)
            .unwrap_or("")
            .chars()
            .take(60)
            .collect()
    };
    let mut list = |what: &[What], sign: f64, label: &str| {
        let mut items: Vec<_> = s
            .contribs
            .iter()
            .filter(|c| what.contains(&c.what) && c.v * sign > 0.0)
            .collect();
        items.sort_by(|a, b| (b.v * sign).total_cmp(&(a.v * sign)));
        let mut words: Vec<String> = Vec::new();
        for c in items {
            let w = span(c.span);
            if !words.contains(&w) && words.len() < MAX_WORDS_IN_REASON {
                words.push(w);
            }
        }
        if !words.is_empty() {
            reasons.push(format!("{label}: {}", words.join(", ")));
        }
    };
    list(&[What::Complaint], -1.0, "complaint pattern");
    list(&[What::Word, What::Symbol], -1.0, "negative words");
    list(&[What::Negated], -1.0, "negation");
    list(&[What::Word, What::Symbol], 1.0, "positive words");
    list(&[What::Ironic], -1.0, "ironic praise");
    list(&[What::Negated], 1.0, "negation");
    list(&[What::BareNegation], -1.0, "negated statement");
    if let Some(c) = s.irony {
        reasons.push(format!(
            "irony: \"{}\" with complaint content turns the praise around",
            span(c)
        ));
    }
    if let Some(c) = s.contrast {
        reasons.push(format!(
            "contrast: what follows \"{}\" weighs more",
            span(c)
        ));
    }
    reasons.push(format!(
        "text score {:.2} is {} the threshold {TEXT_NEGATIVE_BELOW}",
        s.score,
        if negative { "below" } else { "not below" }
    ));
}
