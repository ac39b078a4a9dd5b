//! Evaluation of the text classifier over labelled JSON Lines (`reviewradar eval`).
//!
//! Each line is a review: `text` (required), `title`, `lang` (the true language,
//! used to group the figures), `kind` (a hard-case tag such as `negation`), and a
//! label: `stars` if present (1-2 negative, 4-5 positive, 3 skipped: the binary
//! task of the targets), else `negative` (bool), else `rating` on `rating_max`
//! (default 5; at or below 40 % negative, at or above 60 % positive, between
//! skipped). Only title and text are
//! classified: the stars are the answer key, never an input.
//!
//! Figures per language, per kind and overall: accuracy, and precision, recall and
//! F1 of the negative class. Throughput is measured separately, single-threaded.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{TriageInput, triage};

/// One labelled review as read.
#[derive(Debug, Clone, Deserialize)]
pub struct Labelled {
    pub text: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub negative: Option<bool>,
    #[serde(default)]
    pub stars: Option<f64>,
    #[serde(default)]
    pub rating: Option<f64>,
    #[serde(default)]
    pub rating_max: Option<f64>,
}

impl Labelled {
    /// The gold label; `None` for neutral items (3 stars), which are skipped.
    pub fn label(&self) -> Option<bool> {
        if let Some(s) = self.stars {
            return if s <= 2.0 {
                Some(true)
            } else if s >= 4.0 {
                Some(false)
            } else {
                None
            };
        }
        if let Some(n) = self.negative {
            return Some(n);
        }
        let r = self.rating?;
        let p = r / self.rating_max.filter(|m| *m > 0.0).unwrap_or(5.0);
        if p <= 0.4 + 1e-9 {
            Some(true)
        } else if p >= 0.6 - 1e-9 {
            Some(false)
        } else {
            None
        }
    }
}

/// A confusion matrix for the negative class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub tn: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
}

impl Counts {
    pub fn add(&mut self, gold: bool, predicted: bool) {
        match (gold, predicted) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (false, false) => self.tn += 1,
            (true, false) => self.fn_ += 1,
        }
    }
    pub fn n(&self) -> usize {
        self.tp + self.fp + self.tn + self.fn_
    }
    pub fn accuracy(&self) -> f64 {
        ratio(self.tp + self.tn, self.n())
    }
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// One misclassified item, for `--errors`.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub lang: String,
    pub kind: String,
    pub gold_negative: bool,
    pub score: f64,
    pub title: String,
    pub text: String,
    pub reasons: Vec<String>,
}

/// The figures of one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub overall: Counts,
    pub by_lang: BTreeMap<String, Counts>,
    pub by_kind: BTreeMap<String, Counts>,
    /// Items whose detected language was the labelled one, per language.
    pub lang_detected: BTreeMap<String, usize>,
    /// Neutral items skipped (3 stars).
    pub skipped: usize,
    pub misses: Vec<Miss>,
    /// Reviews classified per second on one thread (title and text).
    pub reviews_per_second: f64,
}

/// Classify every labelled item (text only; the `lang` field is given as a hint
/// only when `use_hint`), and time repeated passes for throughput.
pub fn evaluate(items: &[Labelled], use_hint: bool) -> Report {
    let mut r = Report::default();
    let classify = |it: &Labelled| {
        triage(&TriageInput {
            title: it.title.as_deref(),
            text: &it.text,
            lang_hint: if use_hint { it.lang.as_deref() } else { None },
            ..TriageInput::default()
        })
    };
    for it in items {
        let Some(gold) = it.label() else {
            r.skipped += 1;
            continue;
        };
        let v = classify(it);
        let lang = it.lang.clone().unwrap_or_else(|| "?".into());
        let kind = it.kind.clone().unwrap_or_else(|| "-".into());
        r.overall.add(gold, v.negative);
        r.by_lang
            .entry(lang.clone())
            .or_default()
            .add(gold, v.negative);
        r.by_kind
            .entry(kind.clone())
            .or_default()
            .add(gold, v.negative);
        *r.lang_detected.entry(lang.clone()).or_default() +=
            usize::from(v.lang.as_deref() == Some(lang.as_str()));
        if gold != v.negative {
            r.misses.push(Miss {
                lang,
                kind,
                gold_negative: gold,
                score: v.score,
                title: it.title.clone().unwrap_or_default(),
                text: it.text.clone(),
                reasons: v.reasons,
            });
        }
    }
    r.reviews_per_second = throughput(items, use_hint);
    r
}

/// Reviews per second on this thread: repeated passes for at least half a second.
pub fn throughput(items: &[Labelled], use_hint: bool) -> f64 {
    if items.is_empty() {
        return 0.0;
    }
    let _ = triage(&TriageInput::default()); // the lexicons load outside the timing
    let start = Instant::now();
    let mut n = 0usize;
    let mut negatives = 0usize;
    while start.elapsed().as_secs_f64() < 0.5 || n < items.len() {
        for it in items {
            let v = triage(&TriageInput {
                title: it.title.as_deref(),
                text: &it.text,
                lang_hint: if use_hint { it.lang.as_deref() } else { None },
                ..TriageInput::default()
            });
            negatives += usize::from(v.negative);
            n += 1;
        }
    }
    std::hint::black_box(negatives);
    n as f64 / start.elapsed().as_secs_f64()
}

/// The report as a plain-text table.
pub fn render(r: &Report, out: &mut String) {
    use std::fmt::Write;
    let row = |out: &mut String, name: &str, c: &Counts, extra: &str| {
        let _ = writeln!(
            out,
            "{name:<30} {:>5} {:>8.3} {:>9.3} {:>7.3} {:>7.3}{extra}",
            c.n(),
            c.accuracy(),
            c.precision(),
            c.recall(),
            c.f1()
        );
    };
    let header = |out: &mut String, what: &str| {
        let _ = writeln!(
            out,
            "{what:<30} {:>5} {:>8} {:>9} {:>7} {:>7}",
            "n", "accuracy", "precision", "recall", "F1"
        );
    };
    header(out, "language");
    for (lang, c) in &r.by_lang {
        let detected = r.lang_detected.get(lang).copied().unwrap_or(0);
        row(
            out,
            lang,
            c,
            &format!("   (language detected {detected}/{})", c.n()),
        );
    }
    row(out, "all", &r.overall, "");
    if r.by_kind.len() > 1 || !r.by_kind.contains_key("-") {
        out.push('\n');
        header(out, "kind");
        for (kind, c) in &r.by_kind {
            row(out, kind, c, "");
        }
    }
    let _ = writeln!(
        out,
        "\n{} items ({} neutral skipped); precision, recall and F1 are for the negative class",
        r.overall.n(),
        r.skipped
    );
    let _ = writeln!(
        out,
        "throughput: {:.0} reviews/s on one thread",
        r.reviews_per_second
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_labels() {
        let mut c = Counts::default();
        for (g, p) in [
            (true, true),
            (true, false),
            (false, true),
            (false, false),
            (true, true),
        ] {
            c.add(g, p);
        }
        assert_eq!((c.tp, c.fp, c.tn, c.fn_), (2, 1, 1, 1));
        assert!((c.accuracy() - 0.6).abs() < 1e-9);
        assert!((c.precision() - 2.0 / 3.0).abs() < 1e-9);
        assert!((c.recall() - 2.0 / 3.0).abs() < 1e-9);
        assert!((c.f1() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(Counts::default().f1(), 0.0);
        let l = |s: &str| serde_json::from_str::<Labelled>(s).unwrap().label();
        assert_eq!(l(r#"{"text":"x","stars":2}"#), Some(true));
        assert_eq!(l(r#"{"text":"x","stars":3}"#), None);
        assert_eq!(l(r#"{"text":"x","stars":3,"negative":false}"#), None);
        assert_eq!(l(r#"{"text":"x","negative":true}"#), Some(true));
        assert_eq!(l(r#"{"text":"x","rating":4,"rating_max":10}"#), Some(true));
        assert_eq!(l(r#"{"text":"x","rating":6,"rating_max":10}"#), Some(false));
        assert_eq!(l(r#"{"text":"x"}"#), None);
    }

    #[test]
    fn report_renders_languages_and_kinds() {
        let items: Vec<Labelled> = [
            r#"{"text":"Total scam, never arrived.","lang":"en","stars":1,"kind":"plain"}"#,
            r#"{"text":"Great kettle, fast delivery, love it.","lang":"en","stars":5,"kind":"plain"}"#,
            r#"{"text":"Nicht gut.","lang":"de","stars":2,"kind":"negation"}"#,
            r#"{"text":"Geht so.","lang":"de","stars":3}"#,
        ]
        .iter()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect();
        let r = evaluate(&items, true);
        assert_eq!(r.overall.n(), 3);
        assert_eq!(r.skipped, 1);
        assert_eq!(r.overall.accuracy(), 1.0);
        let mut s = String::new();
        render(&r, &mut s);
        assert!(
            s.contains("\nen ") && s.contains("\nde ") && s.contains("\nall "),
            "{s}"
        );
        assert!(
            s.contains("\nnegation ") && s.contains("throughput:"),
            "{s}"
        );
    }
}
