//! `[triage]` (reminders, escalation, how routes combine) and `[routes.<id>]` (who
//! hears of which negative mention, with quiet hours). The matching itself is
//! [`crate::route`]; this module holds the keys and their checks.

use std::time::Duration;

use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

use super::{Config, Problem, Spans, duration};
use crate::route::{QuietHours, QuietWindow, Severity, keyword_words};

/// `[triage]`: what happens to a case after its first alert.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TriageConfig {
    /// Remind the case's notifiers every this long while the case is not answered
    /// (the first reminder at `remind_after` after the case (re)opened, the k-th at
    /// k times it). Absent or "0s": no reminders.
    #[serde(with = "duration::option")]
    pub remind_after: Option<Duration>,
    /// After this long without a public reply, the case is escalated once per
    /// round to `escalate_to`. Absent or "0s": no escalation.
    #[serde(with = "duration::option")]
    pub escalate_after: Option<Duration>,
    /// Notifier ids escalations go to (required with `escalate_after`).
    pub escalate_to: Vec<String>,
    /// "first" (default): the first matching route decides. "all": every
    /// matching route sends.
    pub route_mode: RouteMode,
    /// Successful polls in a row that no longer show a review before
    /// `review.removed` is sent; 0 turns removal tracking off.
    pub removed_after_polls: u32,
    /// Reminders per round of a case; 0: no limit (until the case is answered,
    /// resolved or ignored).
    pub max_reminders: u32,
}

pub const DEFAULT_REMOVED_AFTER_POLLS: u32 = 3;
pub const DEFAULT_MAX_REMINDERS: u32 = 6;

impl Default for TriageConfig {
    fn default() -> Self {
        Self {
            remind_after: None,
            escalate_after: None,
            escalate_to: vec![],
            route_mode: RouteMode::First,
            removed_after_polls: DEFAULT_REMOVED_AFTER_POLLS,
            max_reminders: DEFAULT_MAX_REMINDERS,
        }
    }
}

/// How matching routes combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteMode {
    /// The first matching route, in file order, decides.
    #[default]
    First,
    /// Every matching route sends; notifiers are their union.
    All,
}

/// `[routes.<id>]`: which negative mentions go to which notifiers. Every match
/// key is optional; all given keys must match (a list when any entry does); a
/// route without match keys matches everything. Routes are tried in file order.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Set false to keep the route configured but unused.
    #[serde(default = "super::yes")]
    pub enabled: bool,
    // --- match keys ---
    /// Source ids.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Platform labels (`trustpilot`, `google_alerts`, ...), any case.
    #[serde(default)]
    pub platforms: Vec<String>,
    /// The sources' `brand` values, any case.
    #[serde(default)]
    pub brands: Vec<String>,
    /// ISO 639-1 languages of the mention.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Minimum severity: "normal", "high" or "critical".
    pub severity: Option<Severity>,
    /// Rated mentions at or below this on a 0-to-5 scale (the rating's position on
    /// the platform's scale times 5: 4 of 10 is 2). Unrated mentions never match.
    pub rating_at_or_below: Option<f64>,
    /// Words or phrases in the title or text: whole words, case and accents
    /// ignored; a trailing `*` matches a word's beginning (`refund*`).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Ids of operator rules that fired on the mention.
    #[serde(default)]
    pub rules: Vec<String>,
    // --- actions ---
    /// Notifier ids the alert goes to (required).
    pub notifiers: Vec<String>,
    /// Overrides `[triage] remind_after` ("0s": none for this route).
    #[serde(default, with = "duration::option")]
    pub remind_after: Option<Duration>,
    /// Overrides `[triage] escalate_after` ("0s": none for this route).
    #[serde(default, with = "duration::option")]
    pub escalate_after: Option<Duration>,
    /// Overrides `[triage] escalate_to`.
    pub escalate_to: Option<Vec<String>>,
    /// Daily local time window during which deliveries are held until it ends,
    /// "HH:MM-HH:MM", may wrap midnight. `critical` mentions are not held.
    pub quiet_hours: Option<QuietWindow>,
    /// IANA time zone of `quiet_hours` (default "UTC").
    #[serde(default = "utc", deserialize_with = "de_tz")]
    pub timezone: Tz,
    /// Position in the file (routes are tried in this order).
    #[serde(skip)]
    pub order: usize,
}

fn utc() -> Tz {
    Tz::UTC
}

fn de_tz<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    let s = String::deserialize(d)?;
    s.trim().parse::<Tz>().map_err(|_| {
        serde::de::Error::custom(format!(
            "unknown time zone {s:?}; use an IANA name such as \"Europe/Berlin\" or \"UTC\""
        ))
    })
}

impl RouteConfig {
    /// The route's quiet hours in its time zone, if it has any.
    pub fn quiet(&self) -> Option<QuietHours> {
        self.quiet_hours.map(|w| QuietHours::new(w, self.timezone))
    }

    /// Whether the route sets no match key (it matches every mention).
    pub fn matches_everything(&self) -> bool {
        self.sources.is_empty()
            && self.platforms.is_empty()
            && self.brands.is_empty()
            && self.languages.is_empty()
            && self.severity.is_none()
            && self.rating_at_or_below.is_none()
            && self.keywords.is_empty()
            && self.rules.is_empty()
    }
}

impl Config {
    /// Routes in the order they appear in the file.
    pub fn routes_in_order(&self) -> Vec<(&str, &RouteConfig)> {
        let mut v: Vec<(&str, &RouteConfig)> =
            self.routes.iter().map(|(k, r)| (k.as_str(), r)).collect();
        v.sort_by_key(|(id, r)| (r.order, *id));
        v
    }
}

/// Checks of `[triage]` and `[routes]` that serde cannot express.
pub(super) fn validate(cfg: &Config, spans: &Spans<'_>, p: &mut Vec<Problem>) {
    let t = &cfg.triage;
    let known = |list: &[String], key: String, p: &mut Vec<Problem>| {
        for n in list {
            if !cfg.notifiers.contains_key(n) {
                p.push(spans.problem(&key, format!("unknown notifier {n:?}")));
            }
        }
    };
    known(&t.escalate_to, "triage.escalate_to".into(), p);
    let on = |d: Option<Duration>| d.is_some_and(|d| !d.is_zero());
    if on(t.escalate_after) && t.escalate_to.is_empty() {
        p.push(spans.problem(
            "triage.escalate_to",
            "needs at least one notifier when escalate_after is set",
        ));
    }

    for (id, r) in &cfg.routes {
        let k = |f: &str| format!("routes.{id}.{f}");
        if r.notifiers.is_empty() {
            p.push(spans.problem(k("notifiers"), "needs at least one notifier"));
        }
        known(&r.notifiers, k("notifiers"), p);
        if let Some(to) = &r.escalate_to {
            known(to, k("escalate_to"), p);
        }
        for s in &r.sources {
            if !cfg.sources.contains_key(s) {
                p.push(spans.problem(k("sources"), format!("unknown source {s:?}")));
            }
        }
        for l in &r.languages {
            let l = l.trim();
            if !(2..=3).contains(&l.len()) || !l.bytes().all(|b| b.is_ascii_alphabetic()) {
                p.push(spans.problem(
                    k("languages"),
                    format!("{l:?} is not an ISO 639-1 code such as \"de\""),
                ));
            }
        }
        for (key, list) in [
            ("platforms", &r.platforms),
            ("brands", &r.brands),
            ("rules", &r.rules),
        ] {
            if list.iter().any(|v| v.trim().is_empty()) {
                p.push(spans.problem(k(key), "entries must not be empty"));
            }
        }
        for w in &r.keywords {
            if keyword_words(w).is_empty() {
                p.push(spans.problem(
                    k("keywords"),
                    format!("{w:?} has no letters or digits to match"),
                ));
            }
        }
        if let Some(x) = r.rating_at_or_below
            && !(x.is_finite() && (0.0..=5.0).contains(&x))
        {
            p.push(spans.problem(
                k("rating_at_or_below"),
                format!("{x} is not on the 0-to-5 scale routes use"),
            ));
        }
        let escalate_after = r.escalate_after.or(t.escalate_after);
        let escalate_to = r.escalate_to.as_ref().unwrap_or(&t.escalate_to);
        if on(escalate_after) && escalate_to.is_empty() {
            p.push(spans.problem(
                k("escalate_to"),
                "needs at least one notifier: this route escalates (escalate_after)",
            ));
        }
    }
}

/// Advice that does not stop loading.
pub(super) fn warnings(cfg: &Config, w: &mut Vec<String>) {
    let disabled = |n: &String| cfg.notifiers.get(n).is_some_and(|n| !n.enabled);
    for n in &cfg.triage.escalate_to {
        if cfg.notifiers.get(n).is_some_and(|n| n.digest.is_some()) {
            w.push(format!(
                "triage.escalate_to: notifier {n:?} sends digests; escalations do not go to it"
            ));
        }
    }
    for n in cfg.triage.escalate_to.iter().filter(|n| disabled(n)) {
        w.push(format!(
            "triage.escalate_to: notifier {n:?} is disabled; nothing is sent to it"
        ));
    }
    let mut catch_all: Option<&str> = None;
    for (id, r) in cfg.routes_in_order() {
        if !r.enabled {
            continue;
        }
        if let Some(first) = catch_all
            && cfg.triage.route_mode == RouteMode::First
        {
            w.push(format!(
                "routes.{id}: never used: routes.{first} before it matches every mention (route_mode = \"first\")"
            ));
        }
        if r.matches_everything() && catch_all.is_none() {
            catch_all = Some(id);
        }
        if !r.notifiers.is_empty() && r.notifiers.iter().all(disabled) {
            w.push(format!(
                "routes.{id}.notifiers: every notifier is disabled; its mentions go to every enabled notifier instead"
            ));
        }
        let digests = |list: &[String]| -> Vec<String> {
            list.iter()
                .filter(|n| cfg.notifiers.get(*n).is_some_and(|n| n.digest.is_some()))
                .cloned()
                .collect()
        };
        for n in digests(&r.notifiers)
            .into_iter()
            .chain(digests(r.escalate_to.as_deref().unwrap_or_default()))
        {
            w.push(format!(
                "routes.{id}: notifier {n:?} sends digests; it gets no message per mention (its digest covers every source)"
            ));
        }
        if r.quiet_hours.is_none() && r.timezone != Tz::UTC {
            w.push(format!(
                "routes.{id}.timezone: has no effect without quiet_hours"
            ));
        }
    }
}
