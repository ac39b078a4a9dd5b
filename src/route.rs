//! Routing: which notifiers hear of a negative mention, on what reminder and
//! escalation timing, and when quiet hours hold a delivery back.
//!
//! Pure: [`plan`] reads the config and a [`RouteInput`] and returns a [`Plan`]; it
//! never touches the store or the clock. The caller opens the case with
//! [`Plan::routes`] and [`Plan::notifiers`], schedules each delivery's first attempt
//! at [`Plan::hold_until`] (or now), and reminders and escalations with
//! [`Plan::reminder_due`] and [`Plan::escalation_due`].
//!
//! The rules, in one place (the README repeats them for operators):
//!
//! * Routes are tried **in the order they appear in the file**. Disabled routes are
//!   skipped. A route matches when every match key it sets matches (a list matches
//!   when any of its entries does); a route with no match keys matches everything.
//! * `[triage] route_mode = "first"` (default): the first matching route decides.
//!   `"all"`: every matching route sends; the notifiers are their union, in route
//!   order, without repeats, and each of `remind_after`, `escalate_after` and
//!   `escalate_to` comes from the first matching route that sets it, else `[triage]`.
//! * No `[routes]` at all: every enabled notifier, `[triage]` timing, no quiet hours.
//! * Routes, but none matches (or the matches name only disabled notifiers): the
//!   same as no routes, and a log line says so. Nothing is dropped silently; a
//!   catch-all route last (no match keys) decides instead.
//! * Quiet hours belong to a route. A notifier is held while **every** matched route
//!   that sends to it is inside its quiet hours (a route without quiet hours sends at
//!   once), until the earliest of their windows ends. A notifier only named by
//!   `escalate_to` is held by the matched routes' quiet hours the same way.
//!   `critical` severity bypasses quiet hours entirely.
//! * A duration of `"0s"` turns reminders or escalation off (a route can switch off
//!   what `[triage]` turns on).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::classify::text::fold;
use crate::config::{Config, RouteConfig, RouteMode};

/// How urgent a negative mention is (set by operator rules). Routes match a
/// minimum (`severity = "high"` matches high and critical); `critical` bypasses
/// quiet hours.
pub use crate::classify::Severity;

/// What routing looks at, borrowed from a mention and its triage.
#[derive(Debug, Clone, Copy, Default)]
pub struct RouteInput<'a> {
    /// Source id.
    pub source: &'a str,
    pub platform: &'a str,
    /// The source's `brand`, if it sets one.
    pub brand: Option<&'a str>,
    /// ISO 639-1 language of the mention.
    pub lang: Option<&'a str>,
    pub severity: Severity,
    /// The rating on a 0-to-5 scale ([`stars`]); `None` when unrated.
    pub rating: Option<f64>,
    pub title: Option<&'a str>,
    pub text: &'a str,
    /// Ids of the operator rules that fired.
    pub rules: &'a [String],
}

impl<'a> RouteInput<'a> {
    /// The input for a stored mention: the brand is the source's `brand`, the
    /// rating is scaled with [`stars`].
    pub fn for_mention(
        cfg: &'a Config,
        m: &'a crate::mention::Mention,
        severity: Severity,
        rules: &'a [String],
    ) -> RouteInput<'a> {
        RouteInput {
            source: &m.source,
            platform: &m.platform,
            brand: cfg.sources.get(&m.source).and_then(|s| s.brand.as_deref()),
            lang: m.lang.as_deref(),
            severity,
            rating: m.rating.and_then(|r| stars(r, m.rating_min, m.rating_max)),
            title: m.title.as_deref(),
            text: &m.text,
            rules,
        }
    }
}

/// A rating on the 0-to-5 scale routes compare with: its position on the
/// platform's scale (min default 0, max default 5, as in triage) times 5. So 2/5
/// is 2, 4/10 is 2, and on an explicit 1..5 scale 1 star is 0 and 3 stars 2.5.
/// `None` for a rating that is not a number or a scale that is not usable.
pub fn stars(rating: f64, min: Option<f64>, max: Option<f64>) -> Option<f64> {
    let min = min.unwrap_or(crate::classify::rating::DEFAULT_RATING_MIN);
    let max = max.unwrap_or(crate::classify::rating::DEFAULT_RATING_MAX);
    (rating.is_finite() && min.is_finite() && max.is_finite() && max > min)
        .then(|| 5.0 * ((rating - min) / (max - min)).clamp(0.0, 1.0))
}

/// Quiet hours: a daily window of local wall-clock time, `start` inclusive, `end`
/// exclusive, that may wrap midnight (`22:00-07:00`), in an IANA time zone.
///
/// Daylight saving is followed: `22:00-07:00` in Europe/Berlin ends at 05:00 UTC in
/// summer and 06:00 UTC in winter, and is an hour shorter (or longer) on the night
/// the clocks change. An end time that does not exist that night (inside the
/// spring-forward gap) ends the window when the clocks jump; one that exists twice
/// (the autumn repeat) ends it at the next occurrence after now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub tz: Tz,
}

/// The `quiet_hours` value as written, before the route's `timezone` is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietWindow {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietWindow {
    /// `"HH:MM-HH:MM"`; start and end must differ.
    pub fn parse(spec: &str) -> Result<QuietWindow, String> {
        let bad = || {
            format!(
                "invalid quiet hours {spec:?}; write them like \"22:00-07:00\" (local time, may wrap midnight)"
            )
        };
        let (a, b) = spec.split_once('-').ok_or_else(bad)?;
        let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| bad());
        let (start, end) = (time(a)?, time(b)?);
        if start == end {
            return Err(format!(
                "quiet hours {spec:?} start and end at the same time; leave quiet_hours out for none"
            ));
        }
        Ok(QuietWindow { start, end })
    }
}

impl fmt::Display for QuietWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

impl<'de> Deserialize<'de> for QuietWindow {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        QuietWindow::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl QuietHours {
    /// Parse `"HH:MM-HH:MM"` in time zone `tz`.
    pub fn parse(spec: &str, tz: Tz) -> Result<QuietHours, String> {
        let w = QuietWindow::parse(spec)?;
        Ok(QuietHours::new(w, tz))
    }

    pub fn new(w: QuietWindow, tz: Tz) -> QuietHours {
        QuietHours {
            start: w.start,
            end: w.end,
            tz,
        }
    }

    /// Whether `now` falls inside the window.
    pub fn is_quiet(&self, now: DateTime<Utc>) -> bool {
        self.hold_until(now).is_some()
    }

    /// `None` when `now` is outside the window; else the instant the window ends
    /// (always after `now`).
    pub fn hold_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&self.tz);
        let t = local.time();
        let today = local.date_naive();
        let end_date = if self.start < self.end {
            (self.start <= t && t < self.end).then_some(today)?
        } else if t >= self.start {
            today.succ_opt()?
        } else if t < self.end {
            today
        } else {
            return None;
        };
        Some(self.first_instant_after(end_date, now))
    }

    /// The first instant after `now` whose local time is `end` on `date`, or, when
    /// that local time does not exist (a DST gap), the instant the clocks jump.
    fn first_instant_after(&self, date: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
        let wanted: NaiveDateTime = date.and_time(self.end);
        let mut n = wanted;
        // Gaps are at most a day long (Samoa, 2011); step by minutes across one.
        for _ in 0..=(2 * 24 * 60) {
            match self.tz.from_local_datetime(&n) {
                LocalResult::Single(t) => return t.with_timezone(&Utc),
                LocalResult::Ambiguous(a, b) => {
                    let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
                    return if a > now { a } else { b };
                }
                LocalResult::None => n += chrono::Duration::minutes(1),
            }
        }
        Utc.from_utc_datetime(&wanted)
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{} {}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M"),
            self.tz.name()
        )
    }
}

/// What to do with one negative mention.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Matched route ids, in file order (empty without routes or on fallback).
    pub routes: Vec<String>,
    /// Routes exist but none matched (or the matches named only disabled
    /// notifiers): the mention goes to every enabled notifier.
    pub fallback: bool,
    /// Enabled notifiers the alert goes to, without repeats.
    pub notifiers: Vec<String>,
    /// Reminder interval; `None`: no reminders.
    pub remind_after: Option<Duration>,
    /// Reminder steps per round; 0: no limit.
    pub max_reminders: u32,
    /// Escalation delay; `None`: no escalation.
    pub escalate_after: Option<Duration>,
    /// Enabled notifiers escalations go to.
    pub escalate_to: Vec<String>,
    /// Quiet hours per notifier (of `notifiers` and `escalate_to`): a notifier is
    /// held while every one of its windows is quiet. A notifier without an entry is
    /// never held. Empty for `critical` severity.
    pub quiet: BTreeMap<String, Vec<QuietHours>>,
}

impl Plan {
    /// When a delivery to `notifier` may first be attempted if it falls due at
    /// `now`: `None` to send at once, else the end of its quiet hours. Use it for
    /// alerts, reminders and escalations alike.
    pub fn hold_until(&self, notifier: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let windows = self.quiet.get(notifier).filter(|w| !w.is_empty())?;
        let mut until: Option<DateTime<Utc>> = None;
        for w in windows {
            let end = w.hold_until(now)?;
            until = Some(until.map_or(end, |u| u.min(end)));
        }
        until
    }

    /// When reminder `step` (1, 2, ...) of a round falls due:
    /// `round_opened_at + step * remind_after`. `None` without reminders, for step 0,
    /// or past `max_reminders`.
    pub fn reminder_due(&self, round_opened_at: DateTime<Utc>, step: u32) -> Option<DateTime<Utc>> {
        let every = self.remind_after?;
        if step == 0 || (self.max_reminders != 0 && step > self.max_reminders) {
            return None;
        }
        let d = chrono::Duration::from_std(every.checked_mul(step)?).ok()?;
        round_opened_at.checked_add_signed(d)
    }

    /// When the round's escalation falls due: `round_opened_at + escalate_after`.
    /// `None` without escalation or without anyone to escalate to.
    pub fn escalation_due(&self, round_opened_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.escalate_to.is_empty() {
            return None;
        }
        let d = chrono::Duration::from_std(self.escalate_after?).ok()?;
        round_opened_at.checked_add_signed(d)
    }
}

impl Plan {
    /// The store's [`Routing`](crate::store::Routing) for events falling due at
    /// `now`: each target carries its [`Plan::hold_until`].
    pub fn routing(&self, now: DateTime<Utc>) -> crate::store::Routing {
        let target = |n: &String| crate::store::Target {
            notifier: n.clone(),
            hold_until: self.hold_until(n, now),
        };
        crate::store::Routing {
            routes: self.routes.clone(),
            targets: self.notifiers.iter().map(target).collect(),
            remind_after: self.remind_after,
            max_reminders: self.max_reminders,
            escalate_after: self.escalate_after,
            escalate_to: self.escalate_to.iter().map(target).collect(),
        }
    }
}

/// The routing of a stored mention at `now`, for the daemon's router: its
/// severity and the operator rules that fired come from its triage.
pub fn routing(
    cfg: &Config,
    m: &crate::mention::Mention,
    now: DateTime<Utc>,
) -> crate::store::Routing {
    plan(cfg, &RouteInput::for_mention(cfg, m, m.severity, &m.rules)).routing(now)
}

/// Decide where a mention goes. See the module docs for the rules.
pub fn plan(cfg: &Config, input: &RouteInput<'_>) -> Plan {
    let t = &cfg.triage;
    // A digest notifier hears of mentions only in its digest, never one by one.
    let enabled = |id: &String| {
        cfg.notifiers
            .get(id)
            .is_some_and(|n| n.enabled && n.digest.is_none())
    };
    let off_if_zero = |d: Option<Duration>| d.filter(|d| !d.is_zero());
    let mut out = Plan {
        routes: vec![],
        fallback: false,
        notifiers: vec![],
        remind_after: off_if_zero(t.remind_after),
        max_reminders: t.max_reminders,
        escalate_after: off_if_zero(t.escalate_after),
        escalate_to: t
            .escalate_to
            .iter()
            .filter(|n| enabled(n))
            .cloned()
            .collect(),
        quiet: BTreeMap::new(),
    };
    let everyone = |out: &mut Plan| {
        out.notifiers = cfg
            .enabled_notifiers()
            .filter(|(_, n)| n.digest.is_none())
            .map(|(id, _)| id.clone())
            .collect();
    };
    let routes = cfg.routes_in_order();
    if routes.is_empty() {
        everyone(&mut out);
        return out;
    }

    let words = Words::of(input);
    let mut matched: Vec<(&str, &RouteConfig)> = Vec::new();
    for (id, r) in routes {
        if r.enabled && matches(r, input, &words) {
            matched.push((id, r));
            if t.route_mode == RouteMode::First {
                break;
            }
        }
    }
    let mut notifiers: Vec<String> = Vec::new();
    for (_, r) in &matched {
        for n in &r.notifiers {
            if enabled(n) && !notifiers.contains(n) {
                notifiers.push(n.clone());
            }
        }
    }
    if notifiers.is_empty() {
        tracing::info!(
            source = input.source,
            platform = input.platform,
            matched = matched.len(),
            "No route sends this mention anywhere; alerting every enabled notifier."
        );
        out.fallback = true;
        everyone(&mut out);
        return out;
    }

    out.routes = matched.iter().map(|(id, _)| id.to_string()).collect();
    out.notifiers = notifiers;
    if let Some(d) = matched.iter().find_map(|(_, r)| r.remind_after) {
        out.remind_after = off_if_zero(Some(d));
    }
    if let Some(d) = matched.iter().find_map(|(_, r)| r.escalate_after) {
        out.escalate_after = off_if_zero(Some(d));
    }
    if let Some(to) = matched.iter().find_map(|(_, r)| r.escalate_to.as_ref()) {
        out.escalate_to = to.iter().filter(|n| enabled(n)).cloned().collect();
    }
    if input.severity < Severity::Critical {
        let targets = out.notifiers.iter().chain(&out.escalate_to);
        for n in targets {
            if out.quiet.contains_key(n) {
                continue;
            }
            let mut senders: Vec<&RouteConfig> = matched
                .iter()
                .filter(|(_, r)| r.notifiers.contains(n))
                .map(|(_, r)| *r)
                .collect();
            if senders.is_empty() {
                senders = matched.iter().map(|(_, r)| *r).collect();
            }
            let windows: Option<Vec<QuietHours>> = senders.iter().map(|r| r.quiet()).collect();
            if let Some(w) = windows.filter(|w| !w.is_empty()) {
                out.quiet.insert(n.clone(), w);
            }
        }
    }
    out
}

/// Whether every match key `r` sets matches `input`.
fn matches(r: &RouteConfig, input: &RouteInput<'_>, words: &Words) -> bool {
    let eq = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let any_of = |list: &[String], v: Option<&str>| {
        list.is_empty() || v.is_some_and(|v| list.iter().any(|x| eq(x, v)))
    };
    (r.sources.is_empty() || r.sources.iter().any(|s| s == input.source))
        && any_of(&r.platforms, Some(input.platform))
        && any_of(&r.brands, input.brand)
        && any_of(&r.languages, input.lang)
        && r.severity.is_none_or(|min| input.severity >= min)
        && r.rating_at_or_below
            .is_none_or(|t| input.rating.is_some_and(|x| x <= t + 1e-9))
        && (r.keywords.is_empty() || r.keywords.iter().any(|k| words.contains(k)))
        && (r.rules.is_empty() || r.rules.iter().any(|x| input.rules.contains(x)))
}

/// The folded words of a mention's title and text, for keyword matches.
struct Words(Vec<String>);

impl Words {
    fn of(input: &RouteInput<'_>) -> Words {
        let mut s = input.title.map(fold).unwrap_or_default();
        s.push(' ');
        s.push_str(&fold(input.text));
        Words(split_words(&s).map(str::to_string).collect())
    }

    /// A keyword matches whole words, case and accents ignored; several words
    /// match in sequence; a word ending in `*` matches any word it begins.
    fn contains(&self, keyword: &str) -> bool {
        let pattern = keyword_words(keyword);
        if pattern.is_empty() || pattern.len() > self.0.len() {
            return false;
        }
        self.0.windows(pattern.len()).any(|w| {
            w.iter().zip(&pattern).all(|(word, (p, prefix))| {
                if *prefix {
                    word.starts_with(p.as_str())
                } else {
                    word == p
                }
            })
        })
    }
}

fn split_words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// The folded words of a keyword, each with whether it is a prefix (`refund*`).
pub(crate) fn keyword_words(keyword: &str) -> Vec<(String, bool)> {
    fold(keyword)
        .split(|c: char| !(c.is_alphanumeric() || c == '*'))
        .filter_map(|w| {
            let prefix = w.ends_with('*');
            let w: String = w.chars().filter(|&c| c != '*').collect();
            (!w.is_empty()).then_some((w, prefix))
        })
        .collect()
}

#[cfg(test)]
mod tests;
