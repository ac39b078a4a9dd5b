//! Digests: one message per period instead of one per event, for notifiers with
//! `digest = "..."`.
//!
//! This module owns the schedule (`"hourly"`, `"daily 08:00 Europe/Berlin"`,
//! `"weekly mon 08:00 Europe/Berlin"`, correct across DST changes), the digest's
//! data types (filled by the store side), and its rendering: the email subject and
//! bodies in the notifier's language, and the webhook JSON body
//! `{"event": "digest", "delivery_id", "digest": {...}}`.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::message::{self, CaseView, EVENT_DIGEST};
use super::{CasePayload, Language, MentionPayload};
use crate::case::Case;
use crate::mention::Mention;

/// When a digest falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// At the start of every hour (UTC; every zone's hours start together but a
    /// few with half-hour offsets, which `daily` serves).
    Hourly,
    /// Every day at a local time.
    Daily { at: NaiveTime, tz: Tz },
    /// Every week on a day at a local time.
    Weekly { day: Weekday, at: NaiveTime, tz: Tz },
}

/// Why a schedule string was refused; the message quotes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?}: {reason}")]
pub struct ScheduleError {
    pub input: String,
    pub reason: String,
}

const SCHEDULE_HELP: &str =
    "expected \"hourly\", \"daily HH:MM [Area/City]\" or \"weekly DAY HH:MM [Area/City]\"";

impl Schedule {
    /// `"hourly"`, `"daily HH:MM"`, `"daily HH:MM Area/City"`,
    /// `"weekly mon HH:MM [Area/City]"`. The zone is an IANA name (default UTC).
    pub fn parse(s: &str) -> Result<Schedule, ScheduleError> {
        let err = |reason: String| ScheduleError {
            input: s.to_string(),
            reason,
        };
        let words: Vec<&str> = s.split_whitespace().collect();
        let (kind, rest) = words
            .split_first()
            .ok_or_else(|| err(format!("empty; {SCHEDULE_HELP}")))?;
        let time_and_zone = |rest: &[&str]| -> Result<(NaiveTime, Tz), ScheduleError> {
            let (at, zone) = match rest {
                [at] => (*at, None),
                [at, zone] => (*at, Some(*zone)),
                _ => return Err(err(SCHEDULE_HELP.to_string())),
            };
            let at = parse_hhmm(at).ok_or_else(|| {
                err(format!(
                    "{at:?} is not a time of day (HH:MM, 00:00 to 23:59)"
                ))
            })?;
            let tz = match zone {
                None => Tz::UTC,
                Some(z) => Tz::from_str(z).map_err(|_| {
                    err(format!(
                        "unknown time zone {z:?} (an IANA name such as Europe/Berlin, or UTC)"
                    ))
                })?,
            };
            Ok((at, tz))
        };
        match kind.to_ascii_lowercase().as_str() {
            "hourly" if rest.is_empty() => Ok(Schedule::Hourly),
            "daily" => {
                let (at, tz) = time_and_zone(rest)?;
                Ok(Schedule::Daily { at, tz })
            }
            "weekly" => {
                let (day, rest) = rest
                    .split_first()
                    .ok_or_else(|| err(SCHEDULE_HELP.to_string()))?;
                let day = parse_weekday(day).ok_or_else(|| {
                    err(format!(
                        "{day:?} is not a day of the week (mon, tue, wed, thu, fri, sat, sun)"
                    ))
                })?;
                let (at, tz) = time_and_zone(rest)?;
                Ok(Schedule::Weekly { day, at, tz })
            }
            _ => Err(err(SCHEDULE_HELP.to_string())),
        }
    }

    /// The first time the digest falls due strictly after `t`.
    ///
    /// A local time that does not exist that day (inside a spring-forward gap) is
    /// taken as the first instant after the gap; one that exists twice (in the
    /// fall-back fold) as the first of the two, so a digest is sent once.
    pub fn next_after(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        match *self {
            Schedule::Hourly => {
                let hour = t
                    .with_minute(0)
                    .and_then(|x| x.with_second(0))
                    .and_then(|x| x.with_nanosecond(0))
                    .unwrap_or(t);
                hour + Duration::hours(1)
            }
            Schedule::Daily { at, tz } => next_local(t, at, tz, |_| true),
            Schedule::Weekly { day, at, tz } => next_local(t, at, tz, |d| d.weekday() == day),
        }
    }

    /// The time zone the schedule is read in.
    pub fn tz(&self) -> Tz {
        match *self {
            Schedule::Hourly => Tz::UTC,
            Schedule::Daily { tz, .. } | Schedule::Weekly { tz, .. } => tz,
        }
    }
}

/// The first local `at` on a day accepted by `day_ok`, strictly after `t`.
fn next_local(
    t: DateTime<Utc>,
    at: NaiveTime,
    tz: Tz,
    day_ok: impl Fn(NaiveDate) -> bool,
) -> DateTime<Utc> {
    let today = t.with_timezone(&tz).date_naive();
    let mut day = today - Duration::days(1);
    // A week and two days always holds a match for any weekday.
    for _ in 0..10 {
        if day_ok(day) {
            let due = resolve_local(tz, day.and_time(at));
            if due > t {
                return due;
            }
        }
        day += Duration::days(1);
    }
    unreachable!("a matching day within ten days")
}

/// A local time as an instant: the first of two in a fold, the end of the gap
/// for one that does not exist.
fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(x) => x.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Search the transition: the first instant whose local time is past
            // `local`. Offsets lie within ±15h, so the bounds straddle it.
            // Whole seconds: transitions fall on them.
            let at = |secs: i64| DateTime::from_timestamp(secs, 0).unwrap_or_default();
            let mut lo = local.and_utc().timestamp() - 15 * 3600;
            let mut hi = local.and_utc().timestamp() + 15 * 3600;
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if at(mid).with_timezone(&tz).naive_local() >= local {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            at(hi)
        }
    }
}

fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    NaiveTime::from_hms_opt(h, m, 0)
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    let s = s.to_ascii_lowercase();
    let days = [
        ("mon", "monday", Weekday::Mon),
        ("tue", "tuesday", Weekday::Tue),
        ("wed", "wednesday", Weekday::Wed),
        ("thu", "thursday", Weekday::Thu),
        ("fri", "friday", Weekday::Fri),
        ("sat", "saturday", Weekday::Sat),
        ("sun", "sunday", Weekday::Sun),
    ];
    days.iter()
        .find(|(short, long, _)| s == *short || s == *long)
        .map(|(_, _, d)| *d)
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zone = |tz: Tz| {
            if tz == Tz::UTC {
                String::new()
            } else {
                format!(" {}", tz.name())
            }
        };
        match *self {
            Schedule::Hourly => f.write_str("hourly"),
            Schedule::Daily { at, tz } => write!(f, "daily {}{}", at.format("%H:%M"), zone(tz)),
            Schedule::Weekly { day, at, tz } => write!(
                f,
                "weekly {} {}{}",
                day.to_string().to_ascii_lowercase(),
                at.format("%H:%M"),
                zone(tz)
            ),
        }
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Schedule::parse(s)
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Schedule::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Schedule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

// --- the digest's contents ---

/// One digest for one notifier and period. The store side fills it; it is kept
/// in the outbox until delivered, so it round-trips through JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Digest {
    /// Stable across retries; receivers dedupe on it (Message-ID, webhook header).
    pub delivery_id: String,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// Negative mentions first seen in the period.
    pub new_negatives: Vec<Mention>,
    /// Cases open at the end of the period, oldest first.
    pub open_cases: Vec<CaseItem>,
    /// Open cases past their deadline (also in `open_cases`).
    pub overdue_cases: Vec<CaseItem>,
    /// Cases resolved in the period.
    pub resolved_cases: Vec<CaseItem>,
    /// Response-time figures (`acknowledge`, `contact`, `reply`, `resolve`).
    pub figures: Vec<Figure>,
}

/// A case with its mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseItem {
    pub case: Case,
    pub mention: Mention,
}

/// One response-time figure. `label` is a key the templates translate:
/// `acknowledge`, `contact`, `reply`, `resolve` (others are shown as written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub label: String,
    pub count: usize,
    pub median_secs: Option<i64>,
    pub p90_secs: Option<i64>,
}

impl Digest {
    /// Nothing new, nothing open, nothing resolved: with `digest_send_empty =
    /// false` (the default) such a digest is not sent.
    pub fn is_empty(&self) -> bool {
        self.new_negatives.is_empty()
            && self.open_cases.is_empty()
            && self.overdue_cases.is_empty()
            && self.resolved_cases.is_empty()
    }
}

// --- the webhook body ---

/// `{"event": "digest", "delivery_id", "digest": {...}}`: the JSON digest of the
/// webhook and file notifiers. Mentions and cases have the alert contract's shape.
#[derive(Debug, Serialize)]
pub struct DigestPayload<'a> {
    pub event: &'static str,
    pub delivery_id: &'a str,
    pub digest: DigestBody<'a>,
}

#[derive(Debug, Serialize)]
pub struct DigestBody<'a> {
    pub period_start: String,
    pub period_end: String,
    pub new_negatives: Vec<MentionPayload<'a>>,
    pub open_cases: Vec<CaseItemPayload<'a>>,
    pub overdue_cases: Vec<CaseItemPayload<'a>>,
    pub resolved_cases: Vec<CaseItemPayload<'a>>,
    pub figures: &'a [Figure],
}

#[derive(Debug, Serialize)]
pub struct CaseItemPayload<'a> {
    pub case: CasePayload<'a>,
    pub mention: MentionPayload<'a>,
}

impl<'a> DigestPayload<'a> {
    pub fn new(d: &'a Digest) -> Self {
        let items = |v: &'a [CaseItem]| {
            v.iter()
                .map(|i| CaseItemPayload {
                    case: CasePayload::new(&i.case),
                    mention: MentionPayload::new(&i.mention),
                })
                .collect()
        };
        DigestPayload {
            event: EVENT_DIGEST,
            delivery_id: &d.delivery_id,
            digest: DigestBody {
                period_start: super::rfc3339(d.period_start),
                period_end: super::rfc3339(d.period_end),
                new_negatives: d.new_negatives.iter().map(MentionPayload::new).collect(),
                open_cases: items(&d.open_cases),
                overdue_cases: items(&d.overdue_cases),
                resolved_cases: items(&d.resolved_cases),
                figures: &d.figures,
            },
        }
    }
}

// --- rendering ---

/// Everything a digest template can use (README, `templates_dir`).
#[derive(Debug, Clone, Serialize)]
pub struct DigestView {
    pub language: &'static str,
    pub t: &'static std::collections::BTreeMap<String, String>,
    pub subject: String,
    pub headline: String,
    pub delivery_id: String,
    pub period_start: String,
    pub period_end: String,
    pub is_empty: bool,
    pub counts: Counts,
    pub new_negatives: Vec<DigestMention>,
    pub open_cases: Vec<DigestCase>,
    pub overdue_cases: Vec<DigestCase>,
    pub resolved_cases: Vec<DigestCase>,
    pub figures: Vec<FigureView>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Counts {
    pub new: usize,
    pub open: usize,
    pub overdue: usize,
    pub resolved: usize,
}

/// A mention in a digest: one line's worth.
#[derive(Debug, Clone, Serialize)]
pub struct DigestMention {
    pub id: String,
    pub platform: String,
    pub source: String,
    pub rating: Option<String>,
    /// The title, else the first words of the text.
    pub what: String,
    /// Whether `what` is a title (else the excerpt says the same again).
    pub has_title: bool,
    pub author: Option<String>,
    pub published: Option<String>,
    pub first_seen: String,
    pub url: Option<String>,
    /// `url` when it is http(s), safe for an `href`.
    pub link: Option<String>,
    /// The text, cut to 300 characters.
    pub excerpt: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DigestCase {
    pub mention: DigestMention,
    pub case: CaseView,
    /// Open cases: time since the current round opened, to the period's end.
    /// Resolved cases: time from opening to resolution.
    pub age_secs: i64,
    pub age: String,
    /// "open for 2d 3h" / "resolved after 5h", localized.
    pub age_note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FigureView {
    /// The key as given (`acknowledge`, ...).
    pub key: String,
    /// Translated: "time to acknowledge".
    pub label: String,
    pub count: usize,
    pub median: Option<String>,
    pub p90: Option<String>,
    /// The whole figure as one localized line.
    pub line: String,
}

const EXCERPT_MAX: usize = 300;

fn digest_mention(lang: Language, m: &Mention) -> DigestMention {
    let url = m.url.clone().filter(|u| !u.trim().is_empty());
    let link = url
        .clone()
        .filter(|u| url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")));
    let excerpt = message::truncate(&message::one_line(&m.text), EXCERPT_MAX);
    DigestMention {
        id: m.id.clone(),
        platform: message::one_line(&m.platform),
        source: m.source.clone(),
        rating: message::rating_label(m),
        what: message::what(lang, m),
        has_title: m.title.as_deref().is_some_and(|t| !t.trim().is_empty()),
        author: m
            .author
            .as_deref()
            .map(message::one_line)
            .filter(|a| !a.is_empty()),
        published: m.published_at.map(message::date),
        first_seen: message::date(m.first_seen),
        url,
        link,
        excerpt: if excerpt.is_empty() {
            lang.tr("no_text").to_string()
        } else {
            excerpt
        },
    }
}

fn digest_case(lang: Language, item: &CaseItem, end: DateTime<Utc>, resolved: bool) -> DigestCase {
    let c = &item.case;
    let age_secs = if resolved {
        let at = c
            .history
            .iter()
            .rev()
            .find(|h| h.to == crate::case::CaseState::Resolved)
            .map(|h| h.at)
            .or(c.resolved_at)
            .unwrap_or(end);
        (at - c.round_opened_at).num_seconds().max(0)
    } else {
        (end - c.round_opened_at).num_seconds().max(0)
    };
    let age = lang.duration(age_secs);
    let age_note = lang.fmt(
        if resolved {
            "digest_resolved_after"
        } else {
            "digest_open_age"
        },
        &[("age", &age)],
    );
    DigestCase {
        mention: digest_mention(lang, &item.mention),
        case: message::case_view(lang, c),
        age_secs,
        age,
        age_note,
    }
}

fn figure_view(lang: Language, f: &Figure) -> FigureView {
    let key = format!("figure_{}", f.label);
    let label = if lang.catalog().contains_key(&key) {
        lang.tr(&key).to_string()
    } else {
        message::one_line(&f.label)
    };
    let median = f.median_secs.map(|s| lang.duration(s));
    let p90 = f.p90_secs.map(|s| lang.duration(s));
    let line = match (&median, &p90) {
        (Some(m), Some(p)) if f.count > 0 => lang.fmt(
            "figure_line",
            &[
                ("label", &label),
                ("median", m),
                ("p90", p),
                ("cases", &lang.plural("figure_cases", f.count as i64, &[])),
            ],
        ),
        _ => format!("{label}: {}", lang.tr("digest_figures_none")),
    };
    FigureView {
        key: f.label.clone(),
        label,
        count: f.count,
        median,
        p90,
        line,
    }
}

/// `[reviewradar] digest: 3 new negative, 5 open (2 overdue), 1 resolved`.
pub fn subject(lang: Language, d: &Digest) -> String {
    let mut parts = Vec::new();
    let n = |v: usize| v as i64;
    if !d.new_negatives.is_empty() {
        parts.push(lang.plural("digest_new", n(d.new_negatives.len()), &[]));
    }
    if !d.open_cases.is_empty() {
        let mut open = lang.plural("digest_open", n(d.open_cases.len()), &[]);
        if !d.overdue_cases.is_empty() {
            open.push(' ');
            open.push_str(&lang.plural("digest_overdue", n(d.overdue_cases.len()), &[]));
        }
        parts.push(open);
    }
    if !d.resolved_cases.is_empty() {
        parts.push(lang.plural("digest_resolved", n(d.resolved_cases.len()), &[]));
    }
    let summary = if parts.is_empty() {
        lang.tr("digest_nothing").to_string()
    } else {
        parts.join(", ")
    };
    message::header_text(
        &format!(
            "[reviewradar] {}",
            lang.fmt("digest_subject", &[("summary", &summary)])
        ),
        message::SUBJECT_MAX,
    )
}

/// The template context of `d` in `lang`.
pub fn view(lang: Language, d: &Digest) -> DigestView {
    let start = message::date(d.period_start);
    let end = message::date(d.period_end);
    let cases = |v: &[CaseItem], resolved| {
        v.iter()
            .map(|i| digest_case(lang, i, d.period_end, resolved))
            .collect()
    };
    DigestView {
        language: lang.code(),
        t: lang.catalog(),
        subject: subject(lang, d),
        headline: lang.fmt("digest_headline", &[("start", &start), ("end", &end)]),
        delivery_id: d.delivery_id.clone(),
        period_start: start,
        period_end: end,
        is_empty: d.is_empty(),
        counts: Counts {
            new: d.new_negatives.len(),
            open: d.open_cases.len(),
            overdue: d.overdue_cases.len(),
            resolved: d.resolved_cases.len(),
        },
        new_negatives: d
            .new_negatives
            .iter()
            .map(|m| digest_mention(lang, m))
            .collect(),
        open_cases: cases(&d.open_cases, false),
        overdue_cases: cases(&d.overdue_cases, false),
        resolved_cases: cases(&d.resolved_cases, true),
        figures: d.figures.iter().map(|f| figure_view(lang, f)).collect(),
    }
}

/// Subject, text and HTML of the digest email.
pub fn render(
    lang: Language,
    templates: &super::Templates,
    d: &Digest,
) -> Result<super::email::Rendered, super::TemplateError> {
    let v = view(lang, d);
    let subject = message::header_text(
        &templates.render("digest_subject.txt", &v)?,
        message::SUBJECT_MAX,
    );
    Ok(super::email::Rendered {
        subject,
        text: templates.render("digest.txt", &v)?,
        html: templates.render("digest.html", &v)?,
    })
}

/// Sample digests: test data, and what template overrides are checked against.
pub(crate) mod samples {
    use super::*;
    use crate::alert::message::samples::{case, mention, t};
    use crate::case::Action;

    fn item(id: &str, platform: &str, title: &str, opened: DateTime<Utc>) -> CaseItem {
        let mut m = mention();
        m.id = id.into();
        m.platform = platform.into();
        m.title = Some(title.into());
        m.first_seen = opened;
        let mut c = case();
        c.id = id.into();
        c.platform = platform.into();
        c.opened_at = opened;
        c.round_opened_at = opened;
        c.history.truncate(1);
        c.history[0].at = opened;
        c.acknowledged_at = None;
        c.state = crate::case::CaseState::Open;
        CaseItem {
            case: c,
            mention: m,
        }
    }

    /// A day with two new negatives, three open cases (one overdue), one resolved.
    pub fn digest() -> Digest {
        let mut new2 = mention();
        new2.id = "77aa".into();
        new2.platform = "google_business".into();
        new2.title = None;
        new2.rating = Some(2.0);
        new2.text = "Waited 40 minutes <b>for</b> a table & nobody @everyone cared.".into();
        new2.url = None;
        let old = item("c-old", "trustpilot", "Never again", t(1, 9, 0));
        let mut acked = item("c-acked", "kiyoh", "Slow delivery", t(2, 12, 0));
        acked
            .case
            .apply(Action::Ack, t(2, 13, 0), "anna", None, None)
            .unwrap();
        let fresh = item(
            "5e8a1c0d2b4f6a79",
            "trustpilot",
            "Kettle lid broke",
            t(3, 6, 30),
        );
        let mut resolved = item("c-res", "trustpilot", "Refund took weeks", t(1, 10, 0));
        resolved.mention.rating = Some(4.0);
        resolved
            .case
            .apply(
                Action::Resolve,
                t(3, 7, 15),
                "platform",
                None,
                Some("review.resolved"),
            )
            .unwrap();
        Digest {
            delivery_id: "dg-2026-03-03-ops-mail".into(),
            period_start: t(2, 8, 0),
            period_end: t(3, 8, 0),
            new_negatives: vec![fresh.mention.clone(), new2],
            open_cases: vec![old.clone(), acked, fresh],
            overdue_cases: vec![old],
            resolved_cases: vec![resolved],
            figures: vec![
                Figure {
                    label: "acknowledge".into(),
                    count: 4,
                    median_secs: Some(95 * 60),
                    p90_secs: Some(9 * 3600),
                },
                Figure {
                    label: "reply".into(),
                    count: 1,
                    median_secs: Some(26 * 3600),
                    p90_secs: Some(26 * 3600),
                },
                Figure {
                    label: "resolve".into(),
                    count: 0,
                    median_secs: None,
                    p90_secs: None,
                },
            ],
        }
    }

    pub fn empty() -> Digest {
        Digest {
            delivery_id: "dg-2026-03-04-ops-mail".into(),
            period_start: t(3, 8, 0),
            period_end: t(4, 8, 0),
            new_negatives: vec![],
            open_cases: vec![],
            overdue_cases: vec![],
            resolved_cases: vec![],
            figures: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn berlin() -> Tz {
        "Europe/Berlin".parse().unwrap()
    }

    #[test]
    fn parses_the_schedule_forms() {
        assert_eq!(Schedule::parse("hourly").unwrap(), Schedule::Hourly);
        assert_eq!(Schedule::parse(" Hourly ").unwrap(), Schedule::Hourly);
        assert_eq!(
            Schedule::parse("daily 08:00").unwrap(),
            Schedule::Daily {
                at: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
                tz: Tz::UTC
            }
        );
        let s = Schedule::parse("daily 8:05 Europe/Berlin").unwrap();
        assert_eq!(
            s,
            Schedule::Daily {
                at: NaiveTime::from_hms_opt(8, 5, 0).unwrap(),
                tz: berlin()
            }
        );
        assert_eq!(s.to_string(), "daily 08:05 Europe/Berlin");
        let w = Schedule::parse("weekly Monday 08:00 Europe/Berlin").unwrap();
        assert_eq!(w.to_string(), "weekly mon 08:00 Europe/Berlin");
        assert_eq!(Schedule::parse(&w.to_string()).unwrap(), w);
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            "\"weekly mon 08:00 Europe/Berlin\""
        );
        for (bad, why) in [
            ("", "empty"),
            ("daily", "expected"),
            ("daily 25:00", "not a time of day"),
            ("daily 08:60", "not a time of day"),
            ("daily 0800", "not a time of day"),
            (
                "daily 08:00 Europe/Berln",
                "unknown time zone \"Europe/Berln\"",
            ),
            ("daily 08:00 Europe/Berlin extra", "expected"),
            ("weekly 08:00", "not a day of the week"),
            ("weekly fri", "expected"),
            ("hourly 5", "expected"),
            ("monthly 1 08:00", "expected"),
        ] {
            let e = Schedule::parse(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad:?}: {e}");
            assert!(e.starts_with(&format!("{bad:?}: ")), "{e}");
        }
    }

    #[test]
    fn hourly_is_the_next_full_hour() {
        let s = Schedule::Hourly;
        assert_eq!(s.next_after(utc(2026, 3, 2, 8, 0)), utc(2026, 3, 2, 9, 0));
        assert_eq!(s.next_after(utc(2026, 3, 2, 8, 59)), utc(2026, 3, 2, 9, 0));
        assert_eq!(
            s.next_after(utc(2026, 12, 31, 23, 30)),
            utc(2027, 1, 1, 0, 0)
        );
    }

    #[test]
    fn daily_in_a_zone() {
        let s = Schedule::parse("daily 08:00 Europe/Berlin").unwrap();
        // Winter: CET = UTC+1.
        assert_eq!(s.next_after(utc(2026, 1, 10, 6, 0)), utc(2026, 1, 10, 7, 0));
        // Exactly at the due time: the next day's.
        assert_eq!(s.next_after(utc(2026, 1, 10, 7, 0)), utc(2026, 1, 11, 7, 0));
        // Summer: CEST = UTC+2.
        assert_eq!(
            s.next_after(utc(2026, 7, 10, 5, 59)),
            utc(2026, 7, 10, 6, 0)
        );
        // Late in the UTC day, already the next day in Berlin.
        assert_eq!(
            s.next_after(utc(2026, 7, 10, 22, 30)),
            utc(2026, 7, 11, 6, 0)
        );
        // UTC by default.
        let u = Schedule::parse("daily 08:00").unwrap();
        assert_eq!(u.next_after(utc(2026, 7, 10, 8, 0)), utc(2026, 7, 11, 8, 0));
    }

    /// Berlin springs forward on 2026-03-29: 02:00 CET becomes 03:00 CEST, so 02:30
    /// does not exist that day; the digest goes at 03:00 CEST (01:00 UTC), once.
    #[test]
    fn spring_forward_gap_takes_the_first_instant_after_it() {
        let s = Schedule::parse("daily 02:30 Europe/Berlin").unwrap();
        let before = s.next_after(utc(2026, 3, 28, 12, 0));
        assert_eq!(before, utc(2026, 3, 29, 1, 0));
        assert_eq!(
            before.with_timezone(&berlin()).to_rfc3339(),
            "2026-03-29T03:00:00+02:00"
        );
        // The day before (CET) and the day after (CEST) are normal.
        assert_eq!(
            s.next_after(utc(2026, 3, 27, 12, 0)),
            utc(2026, 3, 28, 1, 30)
        );
        assert_eq!(s.next_after(before), utc(2026, 3, 30, 0, 30));
        // 08:00 on the same day is unaffected: CEST.
        let s8 = Schedule::parse("daily 08:00 Europe/Berlin").unwrap();
        assert_eq!(
            s8.next_after(utc(2026, 3, 29, 0, 0)),
            utc(2026, 3, 29, 6, 0)
        );
        assert_eq!(
            s8.next_after(utc(2026, 3, 28, 7, 0)),
            utc(2026, 3, 29, 6, 0)
        );
    }

    /// Berlin falls back on 2026-10-25: 03:00 CEST becomes 02:00 CET, so 02:30
    /// happens twice; the digest goes at the first (00:30 UTC) and not again.
    #[test]
    fn fall_back_fold_takes_the_first_and_only_once() {
        let s = Schedule::parse("daily 02:30 Europe/Berlin").unwrap();
        let first = s.next_after(utc(2026, 10, 24, 12, 0));
        assert_eq!(first, utc(2026, 10, 25, 0, 30));
        assert_eq!(
            first.with_timezone(&berlin()).to_rfc3339(),
            "2026-10-25T02:30:00+02:00"
        );
        // Not at the second 02:30 (01:30 UTC): the next day's, in CET.
        assert_eq!(s.next_after(first), utc(2026, 10, 26, 1, 30));
        // A day's step across the change is 25 hours for 08:00.
        let s8 = Schedule::parse("daily 08:00 Europe/Berlin").unwrap();
        let sat = s8.next_after(utc(2026, 10, 24, 0, 0));
        let sun = s8.next_after(sat);
        assert_eq!(sat, utc(2026, 10, 24, 6, 0));
        assert_eq!(sun, utc(2026, 10, 25, 7, 0));
        assert_eq!(sun - sat, Duration::hours(25));
    }

    #[test]
    fn weekly_on_a_day() {
        let s = Schedule::parse("weekly mon 08:00 Europe/Berlin").unwrap();
        // 2026-03-04 is a Wednesday; the next Monday is 03-09 (CET).
        assert_eq!(s.next_after(utc(2026, 3, 4, 12, 0)), utc(2026, 3, 9, 7, 0));
        // Monday after 08:00: a week later, now in CEST.
        assert_eq!(s.next_after(utc(2026, 3, 30, 6, 0)), utc(2026, 4, 6, 6, 0));
        assert_eq!(
            s.next_after(utc(2026, 3, 30, 5, 59)),
            utc(2026, 3, 30, 6, 0)
        );
        let sun = Schedule::parse("weekly sun 23:30").unwrap();
        assert_eq!(
            sun.next_after(utc(2026, 3, 8, 23, 30)),
            utc(2026, 3, 15, 23, 30)
        );
    }

    #[test]
    fn empty_means_nothing_new_open_or_resolved() {
        assert!(samples::empty().is_empty());
        assert!(!samples::digest().is_empty());
        let mut d = samples::empty();
        d.figures = samples::digest().figures;
        assert!(d.is_empty(), "figures alone are nothing to say");
        d.resolved_cases = samples::digest().resolved_cases;
        assert!(!d.is_empty());
    }

    #[test]
    fn subjects() {
        let d = samples::digest();
        assert_eq!(
            subject(Language::En, &d),
            "[reviewradar] digest: 2 new negative, 3 open (1 overdue), 1 resolved"
        );
        assert_eq!(
            subject(Language::De, &d),
            "[reviewradar] Zusammenfassung: 2 neue negative, 3 offen (1 überfällig), 1 erledigt"
        );
        assert_eq!(
            subject(Language::Fr, &d),
            "[reviewradar] récapitulatif : 2 nouveaux avis négatifs, 3 ouverts (1 en retard), 1 résolu"
        );
        assert_eq!(
            subject(Language::En, &samples::empty()),
            "[reviewradar] digest: nothing new"
        );
    }

    #[test]
    fn digest_round_trips_through_json() {
        let d = samples::digest();
        let back: Digest = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn webhook_body_shape() {
        let d = samples::digest();
        let v = serde_json::to_value(DigestPayload::new(&d)).unwrap();
        assert_eq!(v["event"], "digest");
        assert_eq!(v["delivery_id"], "dg-2026-03-03-ops-mail");
        let g = &v["digest"];
        assert_eq!(g["period_start"], "2026-03-02T08:00:00Z");
        assert_eq!(g["period_end"], "2026-03-03T08:00:00Z");
        assert_eq!(g["new_negatives"].as_array().unwrap().len(), 2);
        assert_eq!(g["new_negatives"][1]["platform"], "google_business");
        assert_eq!(g["open_cases"][0]["case"]["id"], "c-old");
        assert_eq!(g["open_cases"][0]["case"]["state"], "open");
        assert_eq!(g["open_cases"][0]["mention"]["title"], "Never again");
        assert_eq!(g["overdue_cases"].as_array().unwrap().len(), 1);
        assert_eq!(g["resolved_cases"][0]["case"]["state"], "resolved");
        assert_eq!(
            g["figures"][0],
            serde_json::json!({"label": "acknowledge", "count": 4, "median_secs": 5700, "p90_secs": 32400})
        );
    }
}
