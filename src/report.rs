//! Response-time figures (`reviewradar report`): how long cases took to be
//! acknowledged, to reach the customer, to get a public reply and to be resolved,
//! overall and per source, platform and route.
//!
//! Pure: [`compute`] reads cases and two instants; [`write_text`] and the
//! [`Report`]'s JSON form render it. The method, in one place:
//!
//! * The cases are those **opened** in `[since, now]`. A case with several routes
//!   counts in each route's group; cases without a route are counted in
//!   [`Report::unrouted`] and in no route group.
//! * Each time is measured from the case's first opening to the first time it
//!   reached the step (a reopened case keeps its first milestones). Reaching a
//!   later step fills the earlier ones it implies (a reply acknowledges).
//! * A case that has not reached a step is **not** counted as zero: it is
//!   `pending` while the case is still open (not resolved or ignored), and `never`
//!   once it is closed without reaching it (ignored, or resolved without a reply).
//!   So `reached + pending + never == cases` for every step.
//! * Median and p90 use the nearest-rank method: the p-th percentile of n sorted
//!   times is the value at rank ⌈p·n/100⌉ (1-based), the smallest time at or above
//!   which p % of the cases fall. The median of an even count is the lower middle
//!   value. Times are whole seconds.

use std::collections::BTreeMap;
use std::io::Write;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::case::Case;

/// `--since`: a duration back from now (`30d`, `12h`), or an instant (RFC 3339,
/// or a date meaning its midnight UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    Ago(Duration),
    At(DateTime<Utc>),
}

impl FromStr for Since {
    type Err = String;

    fn from_str(s: &str) -> Result<Since, String> {
        let s = s.trim();
        if let Ok(d) = humantime::parse_duration(s) {
            return Ok(Since::Ago(d));
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(Since::At(t.with_timezone(&Utc)));
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Since::At(d.and_time(chrono::NaiveTime::MIN).and_utc()));
        }
        Err(format!(
            "{s:?} is neither a duration (\"30d\", \"12h\") nor a date (\"2026-03-01\", \"2026-03-01T08:00:00Z\")"
        ))
    }
}

impl Since {
    /// The instant the report starts at.
    pub fn resolve(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Since::At(t) => t,
            Since::Ago(d) => chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| now.checked_sub_signed(d))
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
        }
    }
}

/// The figures. Its JSON form is the `--json` output (a stable shape: fields are
/// only ever added).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub since: DateTime<Utc>,
    pub now: DateTime<Utc>,
    /// Always "nearest-rank".
    pub percentile_method: &'static str,
    /// Every case in the window; its `key` is "all".
    pub all: Group,
    /// One group per source id, in id order.
    pub by_source: Vec<Group>,
    /// One group per platform, in name order.
    pub by_platform: Vec<Group>,
    /// One group per route id, in id order.
    pub by_route: Vec<Group>,
    /// Cases in the window without a route.
    pub unrouted: u64,
}

/// The figures of one group of cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub key: String,
    pub cases: u64,
    /// Not resolved or ignored.
    pub open: u64,
    /// Open, acknowledged or contacted: no public reply yet.
    pub unanswered: u64,
    /// Closed as ignored.
    pub ignored: u64,
    pub acknowledge: Metric,
    pub contact: Metric,
    pub reply: Metric,
    pub resolve: Metric,
}

/// Time to one step, over the cases of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Metric {
    /// Cases that reached the step.
    pub reached: u64,
    /// Nearest-rank median of their times, in seconds (`null` when none reached it).
    pub median_secs: Option<i64>,
    /// Nearest-rank 90th percentile, in seconds.
    pub p90_secs: Option<i64>,
    /// Not reached yet, case still open.
    pub pending: u64,
    /// Not reached, case closed.
    pub never: u64,
}

/// When a case first reached a step.
type Milestone = fn(&Case) -> Option<DateTime<Utc>>;

/// The steps, as (name in the text output, milestone of a case).
const STEPS: [(&str, Milestone); 4] = [
    ("acknowledge", |c| c.acknowledged_at),
    ("contact", |c| c.contacted_at),
    ("reply", |c| c.replied_at),
    ("resolve", |c| c.resolved_at),
];

/// The figures for the cases opened in `[since, now]`.
pub fn compute(cases: &[Case], since: DateTime<Utc>, now: DateTime<Utc>) -> Report {
    let window: Vec<&Case> = cases
        .iter()
        .filter(|c| c.opened_at >= since && c.opened_at <= now)
        .collect();
    let mut by_source: BTreeMap<&str, Vec<&Case>> = BTreeMap::new();
    let mut by_platform: BTreeMap<&str, Vec<&Case>> = BTreeMap::new();
    let mut by_route: BTreeMap<&str, Vec<&Case>> = BTreeMap::new();
    let mut unrouted = 0;
    for c in &window {
        by_source.entry(&c.source).or_default().push(c);
        by_platform.entry(&c.platform).or_default().push(c);
        let mut routes: Vec<&str> = c.routes.iter().map(String::as_str).collect();
        routes.sort_unstable();
        routes.dedup();
        if routes.is_empty() {
            unrouted += 1;
        }
        for r in routes {
            by_route.entry(r).or_default().push(c);
        }
    }
    let groups = |m: BTreeMap<&str, Vec<&Case>>| -> Vec<Group> {
        m.into_iter().map(|(k, cs)| group(k, &cs)).collect()
    };
    Report {
        since,
        now,
        percentile_method: "nearest-rank",
        all: group("all", &window),
        by_source: groups(by_source),
        by_platform: groups(by_platform),
        by_route: groups(by_route),
        unrouted,
    }
}

fn group(key: &str, cases: &[&Case]) -> Group {
    let count = |f: &dyn Fn(&Case) -> bool| cases.iter().filter(|c| f(c)).count() as u64;
    let [acknowledge, contact, reply, resolve] = STEPS.map(|(_, at)| metric(cases, at));
    Group {
        key: key.to_string(),
        cases: cases.len() as u64,
        open: count(&|c| !c.state.is_closed()),
        unanswered: count(&|c| c.state.is_unanswered()),
        ignored: count(&|c| c.state == crate::case::CaseState::Ignored),
        acknowledge,
        contact,
        reply,
        resolve,
    }
}

fn metric(cases: &[&Case], at: Milestone) -> Metric {
    let mut m = Metric::default();
    let mut secs = Vec::new();
    for c in cases {
        match c.secs_to(at(c)) {
            Some(s) => secs.push(s),
            None if c.state.is_closed() => m.never += 1,
            None => m.pending += 1,
        }
    }
    secs.sort_unstable();
    m.reached = secs.len() as u64;
    m.median_secs = nearest_rank(&secs, 50);
    m.p90_secs = nearest_rank(&secs, 90);
    m
}

/// The `p`-th percentile (1..=100) of sorted `v` by nearest rank.
pub fn nearest_rank(v: &[i64], p: usize) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    let rank = (p * v.len()).div_ceil(100).clamp(1, v.len());
    Some(v[rank - 1])
}

/// A duration for people: "45s", "12m 30s", "3h 5m", "2d 4h" (two units at most,
/// rounded down).
pub fn human(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    let two = |a: i64, ua: &str, b: i64, ub: &str| {
        if b == 0 {
            format!("{a}{ua}")
        } else {
            format!("{a}{ua} {b}{ub}")
        }
    };
    if d > 0 {
        two(d, "d", h, "h")
    } else if h > 0 {
        two(h, "h", m, "m")
    } else if m > 0 {
        two(m, "m", sec, "s")
    } else {
        format!("{sec}s")
    }
}

/// The text table of `reviewradar report`.
pub fn write_text(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    let when = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC");
    writeln!(
        out,
        "Response times of {} case{} opened {} to {}.",
        r.all.cases,
        if r.all.cases == 1 { "" } else { "s" },
        when(r.since),
        when(r.now)
    )?;
    writeln!(
        out,
        "Times run from opening; median and p90 by nearest rank over the cases that reached the step.\n\
         PENDING: not reached yet, still open. NEVER: closed without reaching it."
    )?;
    if r.all.cases == 0 {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<28} {:>5} {:>5}  {:<11} {:>7} {:>8} {:>8} {:>7} {:>5}",
        "GROUP", "CASES", "OPEN", "STEP", "REACHED", "MEDIAN", "P90", "PENDING", "NEVER"
    )?;
    let sections: [(&str, std::slice::Iter<'_, Group>); 4] = [
        ("", std::slice::from_ref(&r.all).iter()),
        ("source ", r.by_source.iter()),
        ("platform ", r.by_platform.iter()),
        ("route ", r.by_route.iter()),
    ];
    for (prefix, groups) in sections {
        for g in groups {
            let label = format!("{prefix}{}", g.key);
            let label = crate::mention::cut(&label, 28);
            let metrics = [&g.acknowledge, &g.contact, &g.reply, &g.resolve];
            for (i, (m, (step, _))) in metrics.iter().zip(STEPS).enumerate() {
                let t = |v: Option<i64>| v.map(human).unwrap_or_else(|| "-".into());
                let (label, cases, open) = if i == 0 {
                    (label, g.cases.to_string(), g.open.to_string())
                } else {
                    ("", String::new(), String::new())
                };
                writeln!(
                    out,
                    "{:<28} {:>5} {:>5}  {:<11} {:>7} {:>8} {:>8} {:>7} {:>5}",
                    label,
                    cases,
                    open,
                    step,
                    m.reached,
                    t(m.median_secs),
                    t(m.p90_secs),
                    m.pending,
                    m.never
                )?;
            }
        }
    }
    if r.unrouted > 0 && !r.by_route.is_empty() {
        writeln!(out, "\n{} case(s) matched no route.", r.unrouted)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
