//! What an alert says, in a notifier's language: the headline, subject, next step,
//! case state and history of each event type, as one serializable [`AlertView`]
//! that the email templates render and the chat formats pick from.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

use super::{Alert, EventDetail, Language};
use crate::case::{Case, CaseState};
use crate::classify::Severity;
use crate::mention::Mention;

/// The event names (the store queues them; defined once, in [`crate::store`]).
pub use crate::store::{
    EVENT_DIGEST, EVENT_ESCALATED, EVENT_NEGATIVE, EVENT_REMINDER, EVENT_REMOVED, EVENT_REPLIED,
    EVENT_RESOLVED,
};

/// Every alert event type, in lifecycle order.
pub const EVENTS: [&str; 6] = [
    EVENT_NEGATIVE,
    EVENT_REPLIED,
    EVENT_RESOLVED,
    EVENT_REMOVED,
    EVENT_REMINDER,
    EVENT_ESCALATED,
];

/// Longest subject, in characters.
pub const SUBJECT_MAX: usize = 140;
/// Longest excerpt of the review text used when a mention has no title.
pub const SUBJECT_EXCERPT_MAX: usize = 80;

/// Everything an alert template can use (documented in the README under
/// `templates_dir`). Optional values are present as `none`.
#[derive(Debug, Clone, Serialize)]
pub struct AlertView<'a> {
    /// The notifier's language code (`en`, `de`, ...).
    pub language: &'static str,
    /// Every message of the language's catalog: `{{ t.label_rating }}`.
    pub t: &'static BTreeMap<String, String>,
    pub subject: String,
    /// One sentence saying what happened.
    pub headline: String,
    /// What the reader should do next (none for events that need nothing).
    pub action: Option<String>,
    pub event: &'a str,
    pub delivery_id: &'a str,
    pub mention_id: &'a str,
    pub revision: u32,
    pub platform: &'a str,
    pub source: &'a str,
    pub rating: Option<String>,
    /// Title and author are one-line fields: line breaks in them are folded.
    pub title: Option<String>,
    pub author: Option<String>,
    pub published: Option<String>,
    pub lang: Option<&'a str>,
    pub url: Option<&'a str>,
    /// `url` when it is http(s) and so safe to put in an `href`.
    pub link: Option<&'a str>,
    pub text: &'a str,
    pub text_lines: Vec<&'a str>,
    pub score: String,
    pub reasons: &'a [String],
    /// "high" or "critical"; absent for normal alerts.
    pub severity: Option<&'static str>,
    /// Ids of the operator rules that matched.
    pub rules: &'a [String],
    /// The business's public reply, when the platform already shows one.
    pub reply: Option<&'a str>,
    pub reply_at: Option<String>,
    /// The event's facts (every field present, `none` when unset).
    pub detail: DetailView,
    /// "bad" (needs action), "good" (replied, resolved) or "neutral" (removed,
    /// other): for colours.
    pub tone: &'static str,
    /// `detail.open_for_secs`, humanized ("8h 5m").
    pub open_for: Option<String>,
    pub case: Option<CaseView>,
    /// Width that aligns the `Label:` column of the plain-text field block.
    pub label_width: usize,
}

/// [`EventDetail`] with every field present, as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct DetailView {
    pub old_rating: Option<f64>,
    pub new_rating: Option<f64>,
    pub step: Option<u32>,
    /// "unseen" or "unanswered".
    pub reminder: Option<String>,
    pub open_for_secs: Option<i64>,
    pub missed_polls: Option<u32>,
    pub reopened: bool,
}

impl From<&EventDetail> for DetailView {
    fn from(d: &EventDetail) -> Self {
        DetailView {
            old_rating: d.old_rating,
            new_rating: d.new_rating,
            step: d.step,
            reminder: d.reminder.clone(),
            open_for_secs: d.open_for_secs,
            missed_polls: d.missed_polls,
            reopened: d.reopened,
        }
    }
}

/// A case as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub id: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub round: u32,
    pub opened: String,
    pub acknowledged: Option<String>,
    pub contacted: Option<String>,
    pub replied: Option<String>,
    pub resolved: Option<String>,
    pub history: Vec<HistoryView>,
}

/// One step of a case's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryView {
    pub at: String,
    /// None for the opening step.
    pub from: Option<&'static str>,
    pub from_label: Option<&'static str>,
    pub to: &'static str,
    pub to_label: &'static str,
    pub actor: String,
    /// "by anna", localized.
    pub by: String,
    pub note: Option<String>,
    pub event: Option<String>,
    /// The whole step as one localized line: `open → acknowledged, by anna: note`.
    pub line: String,
}

/// Dates in messages: UTC, ISO order.
pub fn date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn state_label(lang: Language, s: CaseState) -> &'static str {
    lang.tr(&format!("state_{}", s.as_str()))
}

pub fn case_view(lang: Language, c: &Case) -> CaseView {
    CaseView {
        id: c.id.clone(),
        state: c.state.as_str(),
        state_label: state_label(lang, c.state),
        round: c.round,
        opened: date(c.opened_at),
        acknowledged: c.acknowledged_at.map(date),
        contacted: c.contacted_at.map(date),
        replied: c.replied_at.map(date),
        resolved: c.resolved_at.map(date),
        history: c
            .history
            .iter()
            .map(|h| {
                let by = lang.fmt("history_by", &[("actor", &one_line(&h.actor))]);
                let note = h.note.as_deref().map(one_line).filter(|n| !n.is_empty());
                let step = match h.from {
                    None => lang.tr("history_opened").to_string(),
                    Some(f) => format!("{} → {}", state_label(lang, f), state_label(lang, h.to)),
                };
                let mut line = format!("{step}, {by}");
                if let Some(n) = &note {
                    line.push_str(lang.tr("colon"));
                    line.push(' ');
                    line.push_str(n);
                }
                HistoryView {
                    at: date(h.at),
                    from: h.from.map(CaseState::as_str),
                    from_label: h.from.map(|f| state_label(lang, f)),
                    to: h.to.as_str(),
                    to_label: state_label(lang, h.to),
                    actor: one_line(&h.actor),
                    by,
                    note,
                    event: h.event.clone(),
                    line,
                }
            })
            .collect(),
    }
}

fn nonblank(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

/// "1/5", "2.5/10", or "1" when the scale is unknown.
pub fn rating_label(m: &Mention) -> Option<String> {
    let r = m.rating.filter(|r| r.is_finite())?;
    Some(match m.rating_max.filter(|x| x.is_finite()) {
        Some(max) => format!("{r}/{max}"),
        None => format!("{r}"),
    })
}

/// Control characters to spaces, whitespace folded: for one-line fields.
pub fn one_line(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    crate::mention::fold_whitespace(&cleaned)
}

/// Safe for a header: control characters (CR, LF, tabs, ...) become spaces,
/// whitespace is folded, and the result is cut to `max` characters.
pub fn header_text(s: &str, max: usize) -> String {
    truncate(&one_line(s), max)
}

/// Cut to at most `max` characters, at a word boundary when one is near, adding `…`.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if cut[..i].chars().count() >= max * 2 / 3 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

/// How long the case has been open when the event fell due: the event's own
/// figure, else the case's current round up to now.
fn open_for_secs(alert: &Alert) -> Option<i64> {
    alert.detail.open_for_secs.or_else(|| {
        matches!(alert.event.as_str(), EVENT_REMINDER | EVENT_ESCALATED)
            .then(|| {
                alert
                    .case
                    .as_ref()
                    .map(|c| (Utc::now() - c.round_opened_at).num_seconds())
            })
            .flatten()
    })
}

fn fmt_rating(r: f64) -> String {
    format!("{r}")
}

/// The event's one-sentence headline.
pub fn headline(lang: Language, alert: &Alert) -> String {
    let m = &alert.mention;
    let d = &alert.detail;
    let platform = one_line(&m.platform);
    let p = ("platform", platform.as_str());
    let age = lang.duration(open_for_secs(alert).unwrap_or(0));
    let step = d.step.unwrap_or(1).to_string();
    match alert.event.as_str() {
        EVENT_NEGATIVE if d.reopened => lang.fmt("headline_reopened", &[p]),
        EVENT_NEGATIVE => lang.fmt("headline_negative", &[p]),
        EVENT_REPLIED => lang.fmt("headline_replied", &[p]),
        EVENT_RESOLVED => match (d.old_rating, d.new_rating) {
            (Some(o), Some(n)) => lang.fmt(
                "headline_resolved",
                &[p, ("old", &fmt_rating(o)), ("new", &fmt_rating(n))],
            ),
            _ => lang.fmt("headline_resolved_plain", &[p]),
        },
        EVENT_REMOVED => lang.fmt("headline_removed", &[p]),
        EVENT_REMINDER => {
            let key = if d.reminder.as_deref() == Some("unseen") {
                "headline_reminder_unseen"
            } else {
                "headline_reminder_unanswered"
            };
            lang.fmt(key, &[p, ("step", &step), ("age", &age)])
        }
        EVENT_ESCALATED => lang.fmt("headline_escalated", &[p, ("age", &age)]),
        other => lang.fmt("headline_other", &[p, ("event", &one_line(other))]),
    }
}

/// What to do next, if the event asks for anything.
pub fn action(lang: Language, alert: &Alert) -> Option<String> {
    let key = match alert.event.as_str() {
        EVENT_NEGATIVE => "action_negative",
        EVENT_REPLIED => "action_replied",
        EVENT_REMOVED => "action_removed",
        EVENT_REMINDER if alert.detail.reminder.as_deref() == Some("unseen") => {
            "action_reminder_unseen"
        }
        EVENT_REMINDER => "action_reminder_unanswered",
        EVENT_ESCALATED => "action_escalated",
        _ => return None,
    };
    Some(lang.tr(key).to_string())
}

/// The event part of the subject, before `: <title>`: `1/5 ★ trustpilot`,
/// `Reminder 2: unanswered negative review on trustpilot (open 8h)`, ...
pub fn subject_head(lang: Language, alert: &Alert) -> String {
    let m = &alert.mention;
    let d = &alert.detail;
    let platform = header_text(&m.platform, 40);
    let p = ("platform", platform.as_str());
    let age = lang.duration(open_for_secs(alert).unwrap_or(0));
    let step = d.step.unwrap_or(1).to_string();
    let rated = || match rating_label(m) {
        Some(r) => format!("{r} ★ {platform}"),
        None => lang.fmt("subject_unrated", &[p]),
    };
    match alert.event.as_str() {
        EVENT_NEGATIVE if d.reopened => lang.fmt("subject_reopened", &[("head", &rated())]),
        EVENT_NEGATIVE => rated(),
        EVENT_REPLIED => lang.fmt("subject_replied", &[p]),
        EVENT_RESOLVED => match (d.old_rating, d.new_rating) {
            (Some(o), Some(n)) => lang.fmt(
                "subject_resolved",
                &[p, ("old", &fmt_rating(o)), ("new", &fmt_rating(n))],
            ),
            _ => lang.fmt("subject_resolved_plain", &[p]),
        },
        EVENT_REMOVED => lang.fmt("subject_removed", &[p]),
        EVENT_REMINDER => {
            let key = if d.reminder.as_deref() == Some("unseen") {
                "subject_reminder_unseen"
            } else {
                "subject_reminder_unanswered"
            };
            lang.fmt(key, &[p, ("step", &step), ("age", &age)])
        }
        EVENT_ESCALATED => lang.fmt("subject_escalated", &[p, ("age", &age)]),
        other => lang.fmt("subject_other", &[p, ("event", &header_text(other, 40))]),
    }
}

/// The mention's title, else the first words of its text, as one capped line.
pub fn what(lang: Language, m: &Mention) -> String {
    let what = m
        .title
        .as_deref()
        .map(|t| header_text(t, SUBJECT_MAX))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| header_text(&m.text, SUBJECT_EXCERPT_MAX));
    if what.is_empty() {
        lang.tr("no_text").to_string()
    } else {
        what
    }
}

/// `[reviewradar] <event head>: <title or first words>`. One line, no control
/// characters, at most [`SUBJECT_MAX`] characters.
pub fn subject(lang: Language, alert: &Alert) -> String {
    truncate(
        &format!(
            "[reviewradar]{} {}{} {}",
            match alert.mention.severity {
                Severity::Normal => String::new(),
                s => format!(" [{}]", s.as_str().to_uppercase()),
            },
            subject_head(lang, alert),
            lang.tr("colon"),
            what(lang, &alert.mention)
        ),
        SUBJECT_MAX,
    )
}

/// The whole view of `alert` in `lang`.
pub fn alert_view(lang: Language, alert: &Alert) -> AlertView<'_> {
    let m = &alert.mention;
    let url = nonblank(m.url.as_deref());
    let link = url.filter(|u| Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")));
    let text = m.text.trim_end();
    let open_for = open_for_secs(alert).map(|s| lang.duration(s));
    let case = alert.case.as_ref().map(|c| case_view(lang, c));
    let mut labels = vec![
        "label_rating",
        "label_title",
        "label_author",
        "label_published",
        "label_platform",
        "label_language",
        "label_link",
    ];
    if m.severity != Severity::Normal {
        labels.push("label_severity");
    }
    if open_for.is_some() {
        labels.push("label_open_for");
    }
    if alert.detail.missed_polls.is_some() {
        labels.push("label_missed_polls");
    }
    if case.is_some() {
        labels.extend(["label_case", "label_state", "label_opened", "label_history"]);
    }
    let label_width = labels
        .iter()
        .map(|k| lang.tr(k).chars().count() + lang.tr("colon").chars().count() + 1)
        .max()
        .unwrap_or(0)
        .max(12);
    AlertView {
        language: lang.code(),
        t: lang.catalog(),
        subject: subject(lang, alert),
        headline: headline(lang, alert),
        action: action(lang, alert),
        event: &alert.event,
        delivery_id: &alert.delivery_id,
        mention_id: &m.id,
        revision: m.revision,
        platform: &m.platform,
        source: &m.source,
        rating: rating_label(m),
        title: nonblank(m.title.as_deref()).map(one_line),
        author: nonblank(m.author.as_deref()).map(one_line),
        published: m.published_at.map(date),
        lang: nonblank(m.lang.as_deref()),
        url,
        link,
        text: if text.trim().is_empty() {
            lang.tr("no_text")
        } else {
            text
        },
        text_lines: text.lines().collect(),
        score: format!("{:.2}", m.score),
        reasons: &m.reasons,
        severity: (m.severity != Severity::Normal).then(|| m.severity.as_str()),
        rules: &m.rules,
        reply: m.reply.as_ref().map(|r| r.text.trim()),
        reply_at: m.reply.as_ref().and_then(|r| r.at).map(date),
        detail: DetailView::from(&alert.detail),
        tone: match alert.event.as_str() {
            EVENT_REPLIED | EVENT_RESOLVED => "good",
            EVENT_NEGATIVE | EVENT_REMINDER | EVENT_ESCALATED => "bad",
            _ => "neutral",
        },
        open_for,
        case,
        label_width,
    }
}

/// Sample alerts, one of each event with a case and its history: the test data of
/// the built-in templates, and what a template override is rendered against when
/// it loads, so a mistake shows at startup.
pub(crate) mod samples {
    use chrono::TimeZone;

    use super::*;
    use crate::case::Action;

    pub fn t(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap()
    }

    pub fn mention() -> Mention {
        Mention {
            id: "5e8a1c0d2b4f6a79".into(),
            source: "kettle-trustpilot".into(),
            platform: "trustpilot".into(),
            external_id: "663a1f".into(),
            url: Some("https://www.trustpilot.com/reviews/663a1f".into()),
            author: Some("Jo Example".into()),
            title: Some("Kettle lid broke".into()),
            text: "The lid broke after two days & support never answered.".into(),
            rating: Some(1.0),
            rating_max: Some(5.0),
            rating_min: Some(1.0),
            published_at: Some(t(2, 7, 45)),
            updated_at: None,
            lang: Some("en".into()),
            first_seen: t(2, 8, 0),
            last_seen: t(2, 8, 0),
            revision: 1,
            negative: true,
            score: 0.93,
            reasons: vec!["rating 1/5 at or below 2".into()],
            severity: Default::default(),
            rules: vec![],
            sightings: vec![],
            reply: None,
        }
    }

    /// A case opened at 08:00, acknowledged by anna at 09:30.
    pub fn case() -> Case {
        let mut c = Case::open(
            "5e8a1c0d2b4f6a79",
            "kettle-trustpilot",
            "trustpilot",
            t(2, 8, 0),
            vec![],
            vec!["ops-mail".into()],
        );
        c.apply(
            Action::Ack,
            t(2, 9, 30),
            "anna",
            Some("calling her today"),
            None,
        )
        .unwrap();
        c
    }

    /// The alert of `event` with plausible details.
    pub fn alert(event: &str) -> Alert {
        let mut a = Alert {
            delivery_id: format!("d-{}", event.trim_start_matches("review.")),
            event: event.to_string(),
            mention: mention(),
            case: Some(case()),
            detail: EventDetail::default(),
        };
        match event {
            EVENT_NEGATIVE => {
                a.case = Some(Case::open(
                    "5e8a1c0d2b4f6a79",
                    "kettle-trustpilot",
                    "trustpilot",
                    t(2, 8, 0),
                    vec![],
                    vec![],
                ))
            }
            EVENT_REPLIED => {
                a.mention.reply = Some(crate::mention::Reply {
                    text: "Sorry! We sent a new lid today.".into(),
                    at: Some(t(2, 15, 0)),
                });
                let c = a.case.as_mut().unwrap();
                c.apply(
                    Action::Reply,
                    t(2, 15, 5),
                    crate::case::ACTOR_PLATFORM,
                    None,
                    Some(EVENT_REPLIED),
                )
                .unwrap();
            }
            EVENT_RESOLVED => {
                a.mention.rating = Some(4.0);
                a.detail.old_rating = Some(1.0);
                a.detail.new_rating = Some(4.0);
                let c = a.case.as_mut().unwrap();
                c.apply(
                    Action::Resolve,
                    t(3, 10, 0),
                    crate::case::ACTOR_PLATFORM,
                    None,
                    Some(EVENT_RESOLVED),
                )
                .unwrap();
            }
            EVENT_REMOVED => a.detail.missed_polls = Some(3),
            EVENT_REMINDER => {
                a.detail.step = Some(2);
                a.detail.reminder = Some("unanswered".into());
                a.detail.open_for_secs = Some(8 * 3600 + 5 * 60);
            }
            EVENT_ESCALATED => a.detail.open_for_secs = Some(2 * 86_400 + 3 * 3600),
            _ => {}
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::samples::alert;
    use super::*;

    #[test]
    fn subjects_per_event() {
        let en = Language::En;
        let s = |e: &str| subject(en, &alert(e));
        assert_eq!(
            s(EVENT_NEGATIVE),
            "[reviewradar] 1/5 ★ trustpilot: Kettle lid broke"
        );
        assert_eq!(
            s(EVENT_REMINDER),
            "[reviewradar] Reminder 2: unanswered negative review on trustpilot (open 8h 5m): Kettle lid broke"
        );
        assert_eq!(
            s(EVENT_ESCALATED),
            "[reviewradar] Escalated: unanswered negative review on trustpilot (open 2d 3h): Kettle lid broke"
        );
        assert_eq!(
            s(EVENT_RESOLVED),
            "[reviewradar] Resolved: rating 1 → 4 on trustpilot: Kettle lid broke"
        );
        assert_eq!(
            s(EVENT_REPLIED),
            "[reviewradar] Replied: review on trustpilot: Kettle lid broke"
        );
        assert_eq!(
            s(EVENT_REMOVED),
            "[reviewradar] Removed: review on trustpilot: Kettle lid broke"
        );
        let mut a = alert(EVENT_NEGATIVE);
        a.detail.reopened = true;
        assert_eq!(
            subject(en, &a),
            "[reviewradar] Negative again: 1/5 ★ trustpilot: Kettle lid broke"
        );
        assert_eq!(
            subject(Language::De, &alert(EVENT_REMINDER)),
            "[reviewradar] Erinnerung 2: unbeantwortete negative Bewertung auf trustpilot (seit 8 Std. 5 Min. offen): Kettle lid broke"
        );
    }

    #[test]
    fn history_lines_are_localized() {
        let v = case_view(Language::De, &samples::case());
        assert_eq!(v.state_label, "übernommen");
        assert_eq!(v.history[0].line, "eröffnet, von platform");
        assert_eq!(
            v.history[1].line,
            "offen → übernommen, von anna: calling her today"
        );
    }
}
