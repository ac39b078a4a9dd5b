//! When digests fall due and what goes in them.
//!
//! A digest notifier's period runs from its mark (`dg/<id>` in the store: the end
//! of the last period, or when the daemon first saw the notifier) to the latest
//! instant of its schedule that has passed. After an outage, one digest covers the
//! whole gap; nothing is sent twice for one period (the delivery id is derived from
//! the notifier and the period's end). A period with nothing to say is closed
//! without a message unless `digest_send_empty = true`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::digest::{CaseItem, Digest, Figure, Schedule};
use crate::case::Case;
use crate::config::Config;
use crate::store::{Router, Store, StoreError};

/// Response-time figures in a digest look back this far.
pub const FIGURES_WINDOW: Duration = Duration::from_secs(30 * 86_400);
/// A case with no public answer is overdue after its route's `escalate_after`,
/// else its `remind_after`, else this long.
pub const DEFAULT_OVERDUE_AFTER: Duration = Duration::from_secs(86_400);

/// The latest instant of `schedule` after `mark` that is not after `now`.
pub fn period_end(
    schedule: &Schedule,
    mark: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut next = schedule.next_after(mark);
    if next > now {
        return None;
    }
    // Bounded: an hourly schedule after a year's outage is 8,760 steps.
    for _ in 0..100_000 {
        let after = schedule.next_after(next);
        if after > now || after <= next {
            break;
        }
        next = after;
    }
    Some(next)
}

/// The digest for (`start`, `end`]: new negatives, cases open at `now` (oldest
/// first) and those overdue, cases resolved in the period, and the response-time
/// figures of the last 30 days.
pub fn assemble(
    store: &Store,
    router: &Router<'_>,
    delivery_id: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Digest, StoreError> {
    let cases = store.cases()?;
    let in_period = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t > start && t <= end);
    let mut new_negatives = Vec::new();
    let mut open_cases = Vec::new();
    let mut overdue_cases = Vec::new();
    let mut resolved_cases = Vec::new();
    for c in &cases {
        let opened_now = in_period(Some(c.opened_at));
        let open = !c.state.is_closed();
        let resolved = c.state == crate::case::CaseState::Resolved && in_period(c.resolved_at);
        if !(opened_now || open || resolved) {
            continue;
        }
        let Some(m) = store.mention(&c.id)? else {
            continue;
        };
        if opened_now {
            new_negatives.push(m.clone());
        }
        if resolved {
            resolved_cases.push(CaseItem {
                case: c.clone(),
                mention: m.clone(),
            });
        }
        if open {
            let routing = router(&m, now);
            let limit = routing
                .escalate_after
                .or(routing.remind_after)
                .unwrap_or(DEFAULT_OVERDUE_AFTER);
            let age = (now - c.round_opened_at).to_std().unwrap_or_default();
            let item = CaseItem {
                case: c.clone(),
                mention: m,
            };
            if c.state.is_unanswered() && c.removed_at.is_none() && age >= limit {
                overdue_cases.push(item.clone());
            }
            open_cases.push(item);
        }
    }
    new_negatives.sort_by_key(|m| m.first_seen);
    Ok(Digest {
        delivery_id,
        period_start: start,
        period_end: end,
        new_negatives,
        open_cases,
        overdue_cases,
        resolved_cases,
        figures: figures(&cases, now),
    })
}

/// Time to acknowledge, contact, reply and resolve over the cases of the last 30 days.
pub fn figures(cases: &[Case], now: DateTime<Utc>) -> Vec<Figure> {
    let since = now - chrono::Duration::from_std(FIGURES_WINDOW).unwrap_or_default();
    let r = crate::report::compute(cases, since, now);
    [
        ("acknowledge", &r.all.acknowledge),
        ("contact", &r.all.contact),
        ("reply", &r.all.reply),
        ("resolve", &r.all.resolve),
    ]
    .into_iter()
    .map(|(label, m)| Figure {
        label: label.to_string(),
        count: usize::try_from(m.reached).unwrap_or(usize::MAX),
        median_secs: m.median_secs,
        p90_secs: m.p90_secs,
    })
    .collect()
}

/// What one pass over the digest notifiers did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DigestReport {
    pub queued: usize,
    /// Periods closed with nothing to say.
    pub skipped: usize,
}

/// Close every digest period that has ended by `now`: queue its digest, or skip
/// it when there is nothing to say.
pub fn tick(
    cfg: &Config,
    store: &Store,
    router: &Router<'_>,
    now: DateTime<Utc>,
) -> Result<DigestReport, StoreError> {
    let mut report = DigestReport::default();
    for (id, n) in cfg.enabled_notifiers() {
        let Some(schedule) = &n.digest else {
            continue;
        };
        let Some(mark) = store.digest_mark(id)? else {
            store.init_digest_mark(id, now)?;
            continue;
        };
        let Some(end) = period_end(schedule, mark, now) else {
            continue;
        };
        let delivery_id = digest_delivery_id(id, end);
        let digest = assemble(store, router, delivery_id.clone(), mark, end, now)?;
        let payload = if digest.is_empty() && !n.digest_send_empty {
            report.skipped += 1;
            None
        } else {
            let body = serde_json::to_vec(&digest).expect("digests serialize");
            Some((delivery_id, body))
        };
        if store.close_digest_period(id, end, payload, now)? {
            report.queued += 1;
            tracing::info!(notifier = %id, period_end = %end, "Digest queued.");
        }
    }
    Ok(report)
}

/// When the next digest period ends, over every digest notifier.
pub fn next_due(cfg: &Config, store: &Store) -> Option<DateTime<Utc>> {
    cfg.enabled_notifiers()
        .filter_map(|(id, n)| {
            let s = n.digest.as_ref()?;
            let mark = store.digest_mark(id).ok().flatten()?;
            Some(s.next_after(mark))
        })
        .min()
}

/// Stable per notifier and period: a crash between queueing and recording the
/// period cannot send one period twice.
pub fn digest_delivery_id(notifier: &str, end: DateTime<Utc>) -> String {
    crate::store::delivery_id_tagged(
        "digest",
        notifier,
        crate::store::EVENT_DIGEST,
        &end.to_rfc3339(),
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::case::Action;
    use crate::classify::Verdict;
    use crate::store::{Ingest, IngestItem, Routing, Target};

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap()
    }

    #[test]
    fn period_end_is_the_latest_passed_slot() {
        let s = Schedule::parse("daily 08:00").unwrap();
        assert_eq!(period_end(&s, at(2, 9, 0), at(3, 7, 59)), None);
        assert_eq!(period_end(&s, at(2, 9, 0), at(3, 8, 0)), Some(at(3, 8, 0)));
        assert_eq!(period_end(&s, at(2, 9, 0), at(6, 12, 0)), Some(at(6, 8, 0)));
    }

    #[test]
    fn digest_collects_new_open_overdue_resolved_and_figures() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let routing = Routing {
            targets: vec![Target::now("hook")],
            remind_after: Some(Duration::from_secs(4 * 3600)),
            ..Default::default()
        };
        let router = move |_: &crate::mention::Mention, _| routing.clone();
        let verdict = |i: &IngestItem| Verdict {
            negative: i.rating.is_some_and(|r| r <= 2.0),
            score: 0.0,
            lang: None,
            reasons: vec![],
            severity: Default::default(),
            rules: vec![],
        };
        let item = |id: &str, rating: f64| IngestItem {
            platform: "tp".into(),
            external_id: Some(id.into()),
            text: format!("review {id} about the parcel and the order and the box"),
            rating: Some(rating),
            rating_max: Some(5.0),
            published_at: Some(at(1, 0, 0)),
            ..Default::default()
        };
        let poll = |now, items: Vec<IngestItem>| {
            let n = items.len();
            store
                .ingest(
                    Ingest {
                        source: "s",
                        now,
                        backfill: Duration::from_secs(30 * 86400),
                        router: &router,
                        removed_after_polls: 0,
                        validators: None,
                        items_in_document: n,
                        alert_answered: false,
                        aggregate: None,
                    },
                    items,
                    &verdict,
                )
                .unwrap()
        };
        poll(at(1, 9, 0), vec![item("old", 1.0)]);
        poll(
            at(2, 10, 0),
            vec![item("new", 2.0), item("fixed", 1.0), item("fine", 5.0)],
        );
        let id = |x: &str| {
            store
                .mentions(false)
                .unwrap()
                .into_iter()
                .find(|m| m.external_id == x)
                .unwrap()
                .id
        };
        store
            .case_action(&id("fixed"), Action::Ack, "anna", None, at(2, 11, 0))
            .unwrap();
        poll(at(2, 12, 0), vec![item("fixed", 5.0)]);

        let d = assemble(
            &store,
            &router,
            "d1".into(),
            at(2, 8, 0),
            at(3, 8, 0),
            at(3, 8, 0),
        )
        .unwrap();
        let ext = |v: &[CaseItem]| {
            v.iter()
                .map(|c| c.mention.external_id.clone())
                .collect::<Vec<_>>()
        };
        let mut new: Vec<&str> = d
            .new_negatives
            .iter()
            .map(|m| m.external_id.as_str())
            .collect();
        new.sort();
        assert_eq!(
            new,
            ["fixed", "new"],
            "opened in the period, resolved or not"
        );
        assert_eq!(ext(&d.open_cases), ["old", "new"], "oldest first");
        assert_eq!(
            ext(&d.overdue_cases),
            ["old", "new"],
            "both past 4 h unanswered"
        );
        assert_eq!(ext(&d.resolved_cases), ["fixed"]);
        let ack = d.figures.iter().find(|f| f.label == "acknowledge").unwrap();
        assert_eq!((ack.count, ack.median_secs), (1, Some(3600)));
        assert!(!d.is_empty());

        // Nothing happened in a later period, but cases are still open: not empty.
        let d = assemble(
            &store,
            &router,
            "d2".into(),
            at(3, 8, 0),
            at(4, 8, 0),
            at(4, 8, 0),
        )
        .unwrap();
        assert!(d.new_negatives.is_empty() && d.resolved_cases.is_empty());
        assert_eq!(d.open_cases.len(), 2);
    }

    /// A digest notifier's first sight starts its period; the period's end queues
    /// one digest that the outbox delivers (here to a file), once; an empty period
    /// sends nothing.
    #[tokio::test]
    async fn tick_queues_one_digest_per_period_and_the_outbox_delivers_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("digest.jsonl");
        let cfg = Config::load_for_test(&format!(
            "[notifiers.daily]\ntype = \"file\"\npath = {:?}\ndigest = \"hourly\"\n\n[notifiers.quiet]\ntype = \"file\"\npath = {:?}\ndigest = \"hourly\"\n",
            out.display().to_string(),
            dir.path().join("never.jsonl").display().to_string()
        ))
        .unwrap();
        let store = std::sync::Arc::new(Store::open(&dir.path().join("state"), 1 << 20).unwrap());
        let router = |_: &crate::mention::Mention, _| Routing::default();
        let verdict = |_: &IngestItem| Verdict {
            negative: true,
            score: -0.9,
            lang: None,
            reasons: vec![],
            severity: Default::default(),
            rules: vec![],
        };

        // First sight: the period starts; nothing is due.
        assert_eq!(
            tick(&cfg, &store, &router, at(2, 9, 10)).unwrap(),
            DigestReport::default()
        );
        // A complaint arrives (no per-alert notifiers: the case opens silently).
        store
            .ingest(
                Ingest {
                    source: "s",
                    now: at(2, 9, 20),
                    backfill: Duration::from_secs(86400),
                    router: &router,
                    removed_after_polls: 0,
                    validators: None,
                    items_in_document: 1,
                    alert_answered: false,
                    aggregate: None,
                },
                vec![IngestItem {
                    platform: "forum".into(),
                    external_id: Some("x".into()),
                    text: "never arrived and nobody answers".into(),
                    published_at: Some(at(2, 9, 0)),
                    ..Default::default()
                }],
                &verdict,
            )
            .unwrap();
        assert_eq!(tick(&cfg, &store, &router, at(2, 9, 59)).unwrap().queued, 0);
        // 10:00 passed: one digest per notifier, once.
        let r = tick(&cfg, &store, &router, at(2, 10, 0)).unwrap();
        assert_eq!(r.queued, 2);
        assert_eq!(
            tick(&cfg, &store, &router, at(2, 10, 30)).unwrap(),
            DigestReport::default()
        );
        let pending = store.pending_deliveries().unwrap();
        assert_eq!(pending.len(), 2);
        assert!(pending.iter().all(|d| d.event == "digest"));

        let targets = cfg
            .enabled_notifiers()
            .map(|(id, n)| {
                let notifier = crate::alert::build(id, n, "ua").unwrap();
                (
                    id.clone(),
                    crate::alert::outbox::Target {
                        notifier: std::sync::Arc::from(notifier),
                        retry: n.retry.clone(),
                    },
                )
            })
            .collect();
        let outbox = crate::alert::outbox::Outbox::new(store.clone(), targets);
        let pass = outbox.pass(at(2, 10, 30)).await.unwrap();
        assert_eq!(pass.delivered, 2);
        let line = std::fs::read_to_string(&out).unwrap();
        assert_eq!(line.lines().count(), 1);
        let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        assert_eq!(v["event"], "digest");
        assert_eq!(
            v["digest"]["new_negatives"].as_array().unwrap().len(),
            1,
            "{v}"
        );
        assert!(
            store.digest_payload(&pending[0].id).unwrap().is_none(),
            "content dropped once delivered"
        );

        // The case is acknowledged and resolved by 11:00... still open here, so the
        // next hour has something to say; after it is resolved and reported, an
        // empty hour sends nothing.
        let id = store.cases().unwrap()[0].id.clone();
        store
            .case_action(&id, Action::Resolve, "anna", None, at(2, 10, 40))
            .unwrap();
        assert_eq!(
            tick(&cfg, &store, &router, at(2, 11, 0)).unwrap().queued,
            2,
            "the resolution"
        );
        let r = tick(&cfg, &store, &router, at(2, 12, 5)).unwrap();
        assert_eq!((r.queued, r.skipped), (0, 2), "nothing to say");
    }
}
