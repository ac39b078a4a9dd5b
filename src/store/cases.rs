//! Cases in the store: `c/<id>` holds a mention's case, `co/<source>/<id>` lists the
//! cases that are not closed (the ones reminders, escalation and removal watch).
//!
//! Everything that queues an event about a case goes through [`queue_event`], whose
//! `a/<mention>/<notifier>/<event>[#tag]` marker makes each step fire once per
//! notifier however often it is computed (after a crash, a restart, a second tick).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ingest::{Tx, delivery_id_tagged};
use super::{Delivery, EventDetail, Store, StoreError, to_json};
use crate::case::{ACTOR_PLATFORM, Action, Case, CaseError, CaseState, Transition};
use crate::mention::Mention;

pub const EVENT_NEGATIVE: &str = "review.negative";
pub const EVENT_REPLIED: &str = "review.replied";
pub const EVENT_RESOLVED: &str = "review.resolved";
pub const EVENT_REMOVED: &str = "review.removed";
pub const EVENT_REMINDER: &str = "review.reminder";
pub const EVENT_ESCALATED: &str = "review.escalated";

/// Shortest prefix of a case id the CLI accepts.
pub const MIN_ID_PREFIX: usize = 6;

/// One notifier an event goes to, and until when quiet hours hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub notifier: String,
    pub hold_until: Option<DateTime<Utc>>,
}

impl Target {
    pub fn now(notifier: &str) -> Target {
        Target {
            notifier: notifier.to_string(),
            hold_until: None,
        }
    }
}

/// Where a mention's events go and how its case is followed up: the routing
/// decision for one mention at one instant (quiet hours depend on the time).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Routing {
    /// Route ids that matched (empty without routes).
    pub routes: Vec<String>,
    /// Alerts, replies, resolutions, removals and reminders go here.
    pub targets: Vec<Target>,
    /// Reminder step k falls due at `round_opened_at + k * remind_after`.
    pub remind_after: Option<Duration>,
    /// At most this many reminders per round (0: no limit).
    pub max_reminders: u32,
    pub escalate_after: Option<Duration>,
    /// Escalations go here (in addition to nothing else).
    pub escalate_to: Vec<Target>,
}

/// Decides a mention's [`Routing`] at a given time (config routes, quiet hours).
pub type Router<'a> = dyn Fn(&Mention, DateTime<Utc>) -> Routing + Sync + 'a;

/// A case operation that failed: the store, or the transition itself.
#[derive(Debug, thiserror::Error)]
pub enum CaseOpError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Case(#[from] CaseError),
}

/// What one pass of reminders and escalations queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub reminders: usize,
    pub escalations: usize,
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn open_key(source: &str, id: &str) -> String {
    format!("co/{source}/{id}")
}

/// The value of an open-case entry (`co/<source>/<id>`): what removal tracking
/// needs, so that polls read neither the case nor its mention unless it misses.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Watch {
    #[serde(default)]
    misses: u32,
    #[serde(default)]
    removed: bool,
    #[serde(default)]
    published_at: Option<DateTime<Utc>>,
}

impl Watch {
    /// An entry written before it held anything reads as "unknown": load the case.
    fn read(v: &[u8]) -> Option<Watch> {
        serde_json::from_slice(v).ok()
    }
}

/// Write a case and keep the open-case list in step with its state.
pub(super) fn save_case(tx: &mut Tx<'_>, case: &Case) {
    tx.insert(format!("c/{}", case.id).into_bytes(), to_json(case));
    let key = open_key(&case.source, &case.id).into_bytes();
    if case.state.is_closed() {
        tx.remove(key);
    } else {
        let watch = Watch {
            misses: case.misses,
            removed: case.removed_at.is_some(),
            published_at: case.published_at,
        };
        tx.insert(key, to_json(&watch));
    }
}

/// Queue `event` (with `tag` telling apart its repeats: a round, a reminder step) for
/// every target that has not had it yet. Returns how many deliveries were queued.
pub(super) fn queue_event(
    tx: &mut Tx<'_>,
    mention_id: &str,
    targets: &[Target],
    event: &str,
    tag: &str,
    detail: &EventDetail,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut n = 0;
    for t in targets {
        let akey = if tag.is_empty() {
            format!("a/{mention_id}/{}/{event}", t.notifier)
        } else {
            format!("a/{mention_id}/{}/{event}#{tag}", t.notifier)
        };
        if tx.contains(akey.as_bytes())? {
            continue;
        }
        let id = delivery_id_tagged(mention_id, &t.notifier, event, tag);
        let d = Delivery {
            id: id.clone(),
            notifier: t.notifier.clone(),
            event: event.to_string(),
            mention_id: mention_id.to_string(),
            created_at: now,
            attempts: 0,
            next_attempt_at: t.hold_until.filter(|h| *h > now).unwrap_or(now),
            last_error: None,
            finished_at: None,
            detail: detail.clone(),
        };
        tx.insert(akey.into_bytes(), id.as_bytes());
        tx.insert(format!("o/{id}").into_bytes(), to_json(&d));
        n += 1;
    }
    Ok(n)
}

/// The tag of an event in a case's round: empty for round 1, so the first alert's
/// delivery id stays what it always was.
pub(super) fn round_tag(round: u32) -> String {
    if round <= 1 {
        String::new()
    } else {
        format!("r{round}")
    }
}

/// Open a case for a negative mention and queue its first alert.
pub(super) fn open_case(
    tx: &mut Tx<'_>,
    m: &Mention,
    routing: &Routing,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut case = Case::open(
        &m.id,
        &m.source,
        &m.platform,
        now,
        routing.routes.clone(),
        routing.targets.iter().map(|t| t.notifier.clone()).collect(),
    );
    case.published_at = m.published_at;
    save_case(tx, &case);
    queue_event(
        tx,
        &m.id,
        &routing.targets,
        EVENT_NEGATIVE,
        "",
        &EventDetail::default(),
        now,
    )
}

/// A known mention changed (or was seen again): move its case as the platform
/// shows, and queue the events that causes. `was_negative`/`old_rating` are the
/// mention's state before this sighting, `reply_appeared` whether a public reply
/// shows for the first time.
pub(super) struct Change<'a> {
    pub mention: &'a Mention,
    pub was_negative: bool,
    pub old_rating: Option<f64>,
    pub reply_appeared: bool,
    /// A new negative may alert (the baseline and `alert_answered` rules allow it).
    pub may_alert: bool,
}

pub(super) fn on_change(
    tx: &mut Tx<'_>,
    ch: Change<'_>,
    router: &Router<'_>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let m = ch.mention;
    let existing = tx.case(&m.id)?;
    let mut queued = 0;
    let Some(mut case) = existing else {
        if m.negative && !ch.was_negative && ch.may_alert {
            let routing = router(m, now);
            queued += open_case(tx, m, &routing, now)?;
        }
        return Ok(queued);
    };
    let mut dirty = false;
    let ratings = EventDetail {
        old_rating: ch.old_rating,
        new_rating: m.rating,
        ..Default::default()
    };
    // What the platform shows moves the case: (step, note, event, its details).
    let mut steps: Vec<(Action, Option<String>, &str, EventDetail)> = Vec::new();
    if ch.reply_appeared && case.state.is_unanswered() {
        steps.push((Action::Reply, None, EVENT_REPLIED, EventDetail::default()));
    }
    if ch.was_negative && !m.negative && !case.state.is_closed() {
        let note = match (ch.old_rating, m.rating) {
            (Some(a), Some(b)) if a != b => format!(
                "rating {} → {}",
                crate::classify::rating::num(a),
                crate::classify::rating::num(b)
            ),
            _ => "the review no longer reads negative".to_string(),
        };
        steps.push((Action::Resolve, Some(note), EVENT_RESOLVED, ratings));
    } else if !ch.was_negative && m.negative && case.state.is_closed() {
        // Resolved (or ignored) and negative again: a new round.
        let detail = EventDetail {
            reopened: true,
            ..ratings
        };
        let note = "the review turned negative again".to_string();
        steps.push((Action::Reopen, Some(note), EVENT_NEGATIVE, detail));
    }
    for (action, note, event, detail) in steps {
        if case
            .apply(action, now, ACTOR_PLATFORM, note.as_deref(), Some(event))
            .is_ok()
        {
            dirty = true;
            let routing = router(m, now);
            let tag = round_tag(case.round);
            queued += queue_event(tx, &m.id, &routing.targets, event, &tag, &detail, now)?;
        }
    }
    if case.misses > 0 || case.removed_at.is_some() {
        if case.removed_at.is_some() {
            case.history.push(Transition {
                at: now,
                from: Some(case.state),
                to: case.state,
                actor: ACTOR_PLATFORM.to_string(),
                note: Some("the review is shown again".to_string()),
                event: None,
            });
        }
        case.misses = 0;
        case.removed_at = None;
        dirty = true;
    }
    if dirty {
        save_case(tx, &case);
    }
    Ok(queued)
}

/// What one successful poll showed, for removal tracking.
pub(super) struct PollView<'a> {
    pub source: &'a str,
    /// Ids of the mentions this poll matched or created.
    pub seen: &'a std::collections::HashSet<String>,
    pub items: usize,
    /// The oldest publication time among the poll's items (None when none had one).
    pub oldest_published: Option<DateTime<Utc>>,
    pub removed_after_polls: u32,
}

/// Count a miss for every open case of the source its poll did not show, and report
/// the review removed after `removed_after_polls` misses in a row. A miss counts only
/// when the poll reached back far enough to have shown the review: it had items and,
/// when both have dates, its oldest item is not newer than the review (a review that
/// merely slid to page 2 is not "removed").
pub(super) fn track_misses(
    tx: &mut Tx<'_>,
    poll: &PollView<'_>,
    router: &Router<'_>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if poll.items == 0 || poll.removed_after_polls == 0 {
        return Ok(0);
    }
    let prefix = format!("co/{}/", poll.source);
    let mut queued = 0;
    for (k, v) in tx.scan(prefix.as_bytes())? {
        let id = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
        if poll.seen.contains(&id) {
            continue;
        }
        if let Some(w) = Watch::read(&v) {
            let reached = match (poll.oldest_published, w.published_at) {
                (Some(oldest), Some(published)) => oldest <= published,
                _ => true,
            };
            if w.removed || !reached {
                continue;
            }
        }
        let (Some(mut case), Some(m)) = (tx.case(&id)?, tx.mention(&id)?) else {
            continue;
        };
        if case.removed_at.is_some() {
            continue;
        }
        let reached = match (poll.oldest_published, m.published_at) {
            (Some(oldest), Some(published)) => oldest <= published,
            _ => true,
        };
        if !reached {
            continue;
        }
        queued += count_miss(tx, &mut case, &m, poll.removed_after_polls, router, now)?;
    }
    Ok(queued)
}

/// One more poll without the review: record it, and report the review removed when
/// `removed_after_polls` is reached.
fn count_miss(
    tx: &mut Tx<'_>,
    case: &mut Case,
    m: &Mention,
    removed_after_polls: u32,
    router: &Router<'_>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let id = m.id.as_str();
    let mut queued = 0;
    {
        case.misses += 1;
        if case.misses >= removed_after_polls {
            case.removed_at = Some(now);
            case.history.push(Transition {
                at: now,
                from: Some(case.state),
                to: case.state,
                actor: ACTOR_PLATFORM.to_string(),
                note: Some(format!(
                    "not shown by {} polls in a row: removed from the source?",
                    case.misses
                )),
                event: Some(EVENT_REMOVED.to_string()),
            });
            let routing = router(m, now);
            let detail = EventDetail {
                missed_polls: Some(case.misses),
                ..Default::default()
            };
            queued += queue_event(
                tx,
                id,
                &routing.targets,
                EVENT_REMOVED,
                &round_tag(case.round),
                &detail,
                now,
            )?;
        }
        save_case(tx, case);
    }
    Ok(queued)
}

/// The open cases that may still get reminders or escalations (no public answer
/// yet, not removed), with their mentions.
fn followed_cases(tx: &Tx<'_>) -> Result<Vec<(Case, Mention)>, StoreError> {
    let mut out = Vec::new();
    for k in tx.scan_keys(b"co/")? {
        let k = String::from_utf8_lossy(&k).into_owned();
        let Some(id) = k.rsplit('/').next() else {
            continue;
        };
        if let (Some(case), Some(m)) = (tx.case(id)?, tx.mention(id)?)
            && case.state.is_unanswered()
            && case.removed_at.is_none()
        {
            out.push((case, m));
        }
    }
    Ok(out)
}

/// Where one case stands against its follow-up policy at an instant.
struct Followup {
    /// The reminder step due now (0: none yet), capped at `max_reminders`.
    step: u32,
    /// The escalation is due.
    escalate: bool,
    /// When the next reminder or the escalation falls due, if any is left.
    next: Option<DateTime<Utc>>,
}

impl Followup {
    fn of(case: &Case, routing: &Routing, now: DateTime<Utc>) -> Followup {
        let opened = case.round_opened_at;
        let open_for = (now - opened).max(chrono::Duration::zero());
        let mut f = Followup {
            step: 0,
            escalate: false,
            next: None,
        };
        let mut consider = |t: DateTime<Utc>| {
            if f.next.is_none_or(|n| t < n) {
                f.next = Some(t);
            }
        };
        if let Some(every) = routing.remind_after.filter(|d| !d.is_zero()) {
            let every = to_chrono(every);
            let done = open_for.num_milliseconds() / every.num_milliseconds().max(1);
            let cap = i64::from(routing.max_reminders);
            if cap == 0 || done < cap {
                consider(opened + every * i32::try_from(done + 1).unwrap_or(i32::MAX));
            }
            let due = if cap > 0 { done.min(cap) } else { done };
            f.step = u32::try_from(due).unwrap_or(u32::MAX);
        }
        if let Some(after) = routing.escalate_after
            && !routing.escalate_to.is_empty()
        {
            let at = opened + to_chrono(after);
            if now >= at && now > opened {
                f.escalate = true;
            } else {
                consider(at);
            }
        }
        if now <= opened {
            // Nothing is due at (or before) the opening itself.
            f.step = 0;
        }
        f
    }
}

impl Store {
    /// A poll answered "not modified": the document is the one of the last full
    /// poll, so every open case of the source already missing from it misses once
    /// more (a review is not kept alive by a 304).
    pub fn unchanged_poll(
        &self,
        source: &str,
        now: DateTime<Utc>,
        removed_after_polls: u32,
        router: &Router<'_>,
    ) -> Result<usize, StoreError> {
        if removed_after_polls == 0 {
            return Ok(0);
        }
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut tx = Tx::new(&self.tree);
        let prefix = format!("co/{source}/");
        let mut queued = 0;
        for (k, v) in tx.scan(prefix.as_bytes())? {
            if Watch::read(&v).is_some_and(|w| w.misses == 0 || w.removed) {
                continue;
            }
            let id = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            let (Some(mut case), Some(m)) = (tx.case(&id)?, tx.mention(&id)?) else {
                continue;
            };
            if case.misses == 0 || case.removed_at.is_some() {
                continue;
            }
            queued += count_miss(&mut tx, &mut case, &m, removed_after_polls, router, now)?;
        }
        if !tx.is_empty() {
            self.tree.apply_batch(tx.into_batch())?;
        }
        Ok(queued)
    }

    /// Every case, oldest first.
    pub fn cases(&self) -> Result<Vec<Case>, StoreError> {
        let mut v: Vec<Case> = self.scan_json(b"c/")?;
        v.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then_with(|| a.id.cmp(&b.id)));
        Ok(v)
    }

    /// The case whose id is `query`, or the one case whose id contains it (at least
    /// [`MIN_ID_PREFIX`] hex digits: ids begin with their first-seen time, so cases
    /// of one poll share a prefix, and the CLI shows the ids' last digits).
    pub fn find_case(&self, query: &str) -> Result<Case, CaseOpError> {
        let q = query.trim().to_ascii_lowercase();
        if let Some(c) = self.case(&q)? {
            return Ok(c);
        }
        if q.len() < MIN_ID_PREFIX || !q.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(CaseError::NotFound(query.to_string()).into());
        }
        let mut ids = Vec::new();
        for kv in self.tree.scan_prefix(b"c/") {
            let (k, _) = kv.map_err(StoreError::from)?;
            let id = String::from_utf8_lossy(&k[2..]).into_owned();
            if id.contains(&q) {
                ids.push(id);
            }
        }
        match ids.as_slice() {
            [] => Err(CaseError::NotFound(query.to_string()).into()),
            [one] => self
                .case(one)?
                .ok_or_else(|| CaseError::NotFound(query.to_string()).into()),
            many => Err(CaseError::Ambiguous(
                query.to_string(),
                many.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            )
            .into()),
        }
    }

    /// A person moves a case: `ack`, `contact`, `reply`, `resolve` or `ignore`.
    /// Stored at once with time, actor and note; the updated case is returned.
    pub fn case_action(
        &self,
        query: &str,
        action: Action,
        actor: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Case, CaseOpError> {
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut case = self.find_case(query)?;
        case.apply(action, now, actor, note, None)?;
        let mut tx = Tx::new(&self.tree);
        save_case(&mut tx, &case);
        self.tree
            .apply_batch(tx.into_batch())
            .map_err(StoreError::from)?;
        self.db.flush().map_err(StoreError::from)?;
        Ok(case)
    }

    /// Queue the reminders and escalations that are due at `now` for every case
    /// that is not closed. Each step is queued once per notifier: reminder k of
    /// round r under the tag `r<r>s<k>`, the escalation under `r<r>`. After a long
    /// outage only the current reminder step is sent, not every one that was missed.
    pub fn case_tick(
        &self,
        now: DateTime<Utc>,
        router: &Router<'_>,
    ) -> Result<TickReport, StoreError> {
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut tx = Tx::new(&self.tree);
        let mut report = TickReport::default();
        for (case, m) in followed_cases(&tx)? {
            let routing = router(&m, now);
            let f = Followup::of(&case, &routing, now);
            let open_for_secs = Some((now - case.round_opened_at).num_seconds());
            if f.step >= 1 {
                let kind = if case.state == CaseState::Open {
                    "unseen"
                } else {
                    "unanswered"
                };
                let detail = EventDetail {
                    step: Some(f.step),
                    reminder: Some(kind.to_string()),
                    open_for_secs,
                    ..Default::default()
                };
                let tag = format!("r{}s{}", case.round, f.step);
                report.reminders += queue_event(
                    &mut tx,
                    &m.id,
                    &routing.targets,
                    EVENT_REMINDER,
                    &tag,
                    &detail,
                    now,
                )?;
            }
            if f.escalate {
                let detail = EventDetail {
                    open_for_secs,
                    ..Default::default()
                };
                let tag = format!("r{}", case.round);
                report.escalations += queue_event(
                    &mut tx,
                    &m.id,
                    &routing.escalate_to,
                    EVENT_ESCALATED,
                    &tag,
                    &detail,
                    now,
                )?;
            }
        }
        if !tx.is_empty() {
            self.tree.apply_batch(tx.into_batch())?;
            self.db.flush()?;
        }
        Ok(report)
    }

    /// When the next reminder or escalation falls due, for the daemon's timer.
    pub fn next_case_step(
        &self,
        now: DateTime<Utc>,
        router: &Router<'_>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let tx = Tx::new(&self.tree);
        Ok(followed_cases(&tx)?
            .into_iter()
            .filter_map(|(case, m)| Followup::of(&case, &router(&m, now), now).next)
            .min())
    }
}

/// Event name of a digest delivery (its content is stored under `dgd/<delivery id>`).
pub const EVENT_DIGEST: &str = "digest";

impl Store {
    /// The end of the last period a digest notifier was sent (or, before its first
    /// digest, when the daemon first saw it).
    pub fn digest_mark(&self, notifier: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.get_json(format!("dg/{notifier}").as_bytes())
    }

    /// Start counting a new digest notifier's first period at `at` (once).
    pub fn init_digest_mark(&self, notifier: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let key = format!("dg/{notifier}");
        if self.tree.get(key.as_bytes())?.is_none() {
            self.tree.insert(key.as_bytes(), to_json(&at))?;
        }
        Ok(())
    }

    /// Close a digest period: queue `payload` (the serialized digest) for `notifier`
    /// when given, and move its mark to `period_end`, in one batch. Returns whether a
    /// delivery was queued (not when one for this period already was, or when
    /// `payload` is None because there was nothing to say).
    pub fn close_digest_period(
        &self,
        notifier: &str,
        period_end: DateTime<Utc>,
        payload: Option<(String, Vec<u8>)>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut tx = Tx::new(&self.tree);
        let mut queued = false;
        if let Some((id, body)) = payload {
            let okey = format!("o/{id}");
            let done = ["done/", "d/"].iter().any(|p| {
                self.tree
                    .contains_key(format!("{p}{id}").as_bytes())
                    .unwrap_or(false)
            });
            if !tx.contains(okey.as_bytes())? && !done {
                let d = Delivery {
                    id: id.clone(),
                    notifier: notifier.to_string(),
                    event: EVENT_DIGEST.to_string(),
                    mention_id: String::new(),
                    created_at: now,
                    attempts: 0,
                    next_attempt_at: now,
                    last_error: None,
                    finished_at: None,
                    detail: EventDetail::default(),
                };
                tx.insert(format!("dgd/{id}").into_bytes(), body);
                tx.insert(okey.into_bytes(), to_json(&d));
                queued = true;
            }
        }
        tx.insert(format!("dg/{notifier}").into_bytes(), to_json(&period_end));
        self.tree.apply_batch(tx.into_batch())?;
        self.db.flush()?;
        Ok(queued)
    }

    /// The stored content of a queued digest delivery.
    pub fn digest_payload(&self, delivery_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tree
            .get(format!("dgd/{delivery_id}").as_bytes())?
            .map(|v| v.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::classify::Verdict;
    use crate::store::{Ingest, IngestItem, IngestReport};

    fn verdict(item: &IngestItem) -> Verdict {
        let negative = match item.rating {
            Some(r) => r <= 2.0,
            None => item.text.contains("broken"),
        };
        Verdict {
            negative,
            score: if negative { -0.8 } else { 0.5 },
            lang: Some("en".into()),
            reasons: vec!["test".into()],
            severity: Default::default(),
            rules: vec![],
        }
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap()
    }

    fn hours(h: i64) -> DateTime<Utc> {
        t0() + chrono::Duration::hours(h)
    }

    fn review(id: &str, rating: f64, age_h: i64) -> IngestItem {
        IngestItem {
            platform: "trustpilot".into(),
            external_id: Some(id.into()),
            url: Some(format!("https://reviews.example/r/{id}")),
            url_is_key: true,
            text: format!("review {id}: the parcel took a while and then there was this"),
            rating: Some(rating),
            rating_max: Some(5.0),
            published_at: Some(t0() - chrono::Duration::hours(age_h)),
            ..Default::default()
        }
    }

    struct H {
        _dir: tempfile::TempDir,
        store: Store,
        routing: Routing,
    }

    impl H {
        fn new() -> H {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            H {
                _dir: dir,
                store,
                routing: Routing {
                    routes: vec!["all".into()],
                    targets: vec![Target::now("hook"), Target::now("mail")],
                    remind_after: Some(Duration::from_secs(4 * 3600)),
                    max_reminders: 3,
                    escalate_after: Some(Duration::from_secs(24 * 3600)),
                    escalate_to: vec![Target::now("boss")],
                },
            }
        }

        fn poll(&self, at: DateTime<Utc>, items: Vec<IngestItem>) -> IngestReport {
            let routing = self.routing.clone();
            let router = move |_: &Mention, _| routing.clone();
            let n = items.len();
            self.store
                .ingest(
                    Ingest {
                        source: "tp",
                        now: at,
                        backfill: Duration::from_secs(7 * 86400),
                        router: &router,
                        removed_after_polls: 3,
                        validators: None,
                        items_in_document: n,
                        alert_answered: false,
                        aggregate: None,
                    },
                    items,
                    &verdict,
                )
                .unwrap()
        }

        fn tick(&self, at: DateTime<Utc>) -> TickReport {
            let routing = self.routing.clone();
            self.store
                .case_tick(at, &move |_: &Mention, _| routing.clone())
                .unwrap()
        }

        /// Pending deliveries as (notifier, event, detail).
        fn queued(&self) -> Vec<(String, String, EventDetail)> {
            self.store
                .pending_deliveries()
                .unwrap()
                .into_iter()
                .map(|d| (d.notifier, d.event, d.detail))
                .collect()
        }

        fn count(&self, event: &str) -> usize {
            self.queued().iter().filter(|q| q.1 == event).count()
        }

        fn only_case(&self) -> Case {
            let mut cs = self.store.cases().unwrap();
            assert_eq!(cs.len(), 1, "{cs:?}");
            cs.remove(0)
        }
    }

    #[test]
    fn negative_review_opens_a_case_and_alerts_each_target() {
        let h = H::new();
        h.poll(hours(0), vec![]);
        let r = h.poll(hours(0), vec![review("a", 1.0, 1), review("b", 5.0, 1)]);
        assert_eq!(r.alerts_queued, 2);
        let c = h.only_case();
        assert_eq!(c.state, CaseState::Open);
        assert_eq!(c.routes, ["all"]);
        assert_eq!(c.notifiers, ["hook", "mail"]);
        assert_eq!(c.opened_at, hours(0));
        assert_eq!(h.count(EVENT_NEGATIVE), 2);
    }

    #[test]
    fn reminders_and_escalation_fire_once_each_on_time_and_survive_restart() {
        let mut h = H::new();
        h.poll(hours(0), vec![]);
        h.poll(hours(0), vec![review("a", 1.0, 1)]);
        let id = h.only_case().id;

        assert_eq!(h.tick(hours(3)), TickReport::default(), "not yet due");
        assert_eq!(
            h.store
                .next_case_step(hours(3), &|_: &Mention, _| h.routing.clone())
                .unwrap(),
            Some(hours(4))
        );
        assert_eq!(h.tick(hours(4)).reminders, 2, "step 1 to both targets");
        assert_eq!(h.tick(hours(4)).reminders, 0, "once per step");
        assert_eq!(h.tick(hours(5)).reminders, 0);
        let first: Vec<_> = h
            .queued()
            .into_iter()
            .filter(|q| q.1 == EVENT_REMINDER)
            .collect();
        assert_eq!(first[0].2.step, Some(1));
        assert_eq!(first[0].2.reminder.as_deref(), Some("unseen"));
        assert_eq!(first[0].2.open_for_secs, Some(4 * 3600));

        // Acknowledged: the "unseen" reminder stops, the "unanswered" one goes on.
        h.store
            .case_action(&id[..8], Action::Ack, "anna", Some("on it"), hours(6))
            .unwrap();
        assert_eq!(h.tick(hours(8)).reminders, 2);
        let kinds: Vec<_> = h
            .queued()
            .into_iter()
            .filter(|q| q.2.step == Some(2))
            .map(|q| q.2.reminder.unwrap())
            .collect();
        assert_eq!(kinds, ["unanswered", "unanswered"]);

        // A restart loses nothing and repeats nothing.
        let dir = h._dir;
        drop(h.store);
        h = H {
            store: Store::open(dir.path(), 1 << 20).unwrap(),
            _dir: dir,
            routing: h.routing,
        };
        assert_eq!(h.tick(hours(8)), TickReport::default());

        // Past 24 h: the escalation, once, to escalate_to only. Steps are capped at
        // max_reminders (3), and a long outage sends the current step only.
        let r = h.tick(hours(30));
        assert_eq!((r.reminders, r.escalations), (2, 1));
        assert_eq!(h.count(EVENT_ESCALATED), 1);
        assert!(
            h.queued()
                .iter()
                .any(|q| q.0 == "boss" && q.1 == EVENT_ESCALATED)
        );
        assert_eq!(h.tick(hours(40)), TickReport::default());
        assert_eq!(
            h.count(EVENT_REMINDER),
            6,
            "steps 1, 2 and 3 to two targets"
        );

        // The public reply stops everything.
        let mut replied = review("a", 1.0, 1);
        replied.reply = Some(crate::mention::Reply {
            text: "Sorry, we refunded you.".into(),
            at: Some(hours(41)),
        });
        assert_eq!(h.poll(hours(41), vec![replied]).alerts_queued, 2);
        let c = h.only_case();
        assert_eq!(c.state, CaseState::Replied);
        assert_eq!(c.replied_at, Some(hours(41)));
        assert_eq!(c.acknowledged_at, Some(hours(6)));
        assert_eq!(h.count(EVENT_REPLIED), 2);
        assert_eq!(h.tick(hours(100)), TickReport::default());
        assert_eq!(
            h.store
                .next_case_step(hours(100), &|_: &Mention, _| h.routing.clone())
                .unwrap(),
            None
        );
    }

    #[test]
    fn raised_rating_resolves_and_a_new_drop_reopens() {
        let h = H::new();
        h.poll(hours(0), vec![]);
        h.poll(hours(0), vec![review("a", 1.0, 1)]);
        h.poll(hours(2), vec![review("a", 4.0, 1)]);
        let c = h.only_case();
        assert_eq!(c.state, CaseState::Resolved);
        assert_eq!(c.resolved_at, Some(hours(2)));
        assert_eq!(
            c.history.last().unwrap().note.as_deref(),
            Some("rating 1 → 4")
        );
        let resolved: Vec<_> = h
            .queued()
            .into_iter()
            .filter(|q| q.1 == EVENT_RESOLVED)
            .collect();
        assert_eq!(resolved.len(), 2);
        assert_eq!(
            (resolved[0].2.old_rating, resolved[0].2.new_rating),
            (Some(1.0), Some(4.0))
        );

        h.poll(hours(5), vec![review("a", 2.0, 1)]);
        let c = h.only_case();
        assert_eq!(
            (c.state, c.round, c.round_opened_at),
            (CaseState::Open, 2, hours(5))
        );
        let again: Vec<_> = h
            .queued()
            .into_iter()
            .filter(|q| q.1 == EVENT_NEGATIVE && q.2.reopened)
            .collect();
        assert_eq!(again.len(), 2);
        assert_eq!(
            (again[0].2.old_rating, again[0].2.new_rating),
            (Some(4.0), Some(2.0))
        );
        // Reminders of round 2 count from its reopening.
        assert_eq!(h.tick(hours(8)).reminders, 0);
        assert_eq!(h.tick(hours(9)).reminders, 2);
    }

    #[test]
    fn a_review_gone_for_three_polls_is_reported_removed_once() {
        let h = H::new();
        h.poll(hours(0), vec![]);
        h.poll(hours(0), vec![review("a", 1.0, 5), review("b", 4.0, 10)]);
        // Failed or empty polls do not count; nor do polls whose page no longer
        // reaches back to the review (it slid to page 2).
        h.poll(hours(1), vec![]);
        h.poll(hours(1), vec![review("new1", 5.0, 1)]);
        assert_eq!(h.only_case().misses, 0);
        h.poll(hours(2), vec![review("b", 4.0, 10)]);
        h.poll(hours(3), vec![review("b", 4.0, 10)]);
        assert_eq!(h.only_case().misses, 2);
        assert_eq!(h.count(EVENT_REMOVED), 0, "not on the first misses");
        let r = h.poll(hours(4), vec![review("b", 4.0, 10)]);
        assert_eq!(r.alerts_queued, 2);
        let c = h.only_case();
        assert_eq!(c.removed_at, Some(hours(4)));
        let removed: Vec<_> = h
            .queued()
            .into_iter()
            .filter(|q| q.1 == EVENT_REMOVED)
            .collect();
        assert_eq!(removed[0].2.missed_polls, Some(3));
        h.poll(hours(5), vec![review("b", 4.0, 10)]);
        assert_eq!(h.count(EVENT_REMOVED), 2, "once");
        assert_eq!(
            h.tick(hours(30)),
            TickReport::default(),
            "no follow-ups for a removed review"
        );
        // It comes back: the count starts over.
        h.poll(hours(6), vec![review("a", 1.0, 5)]);
        let c = h.only_case();
        assert_eq!((c.misses, c.removed_at), (0, None));
        assert_eq!(
            c.history.last().unwrap().note.as_deref(),
            Some("the review is shown again")
        );
    }

    #[test]
    fn cases_of_one_poll_are_told_apart_by_their_last_digits() {
        let h = H::new();
        h.poll(hours(0), vec![]);
        h.poll(hours(0), vec![review("a", 1.0, 1), review("b", 1.0, 1)]);
        let ids: Vec<String> = h.store.cases().unwrap().into_iter().map(|c| c.id).collect();
        assert_eq!(ids[0][..16], ids[1][..16], "same first-seen time");
        assert!(matches!(
            h.store.find_case(&ids[0][..12]),
            Err(CaseOpError::Case(CaseError::Ambiguous(..)))
        ));
        for id in &ids {
            assert_eq!(&h.store.find_case(&id[id.len() - 12..]).unwrap().id, id);
        }
    }

    #[test]
    fn case_actions_by_prefix_with_actor_note_and_errors() {
        let h = H::new();
        h.poll(hours(0), vec![]);
        h.poll(hours(0), vec![review("a", 1.0, 1)]);
        let id = h.only_case().id;
        assert!(matches!(
            h.store.find_case(&id[..3]),
            Err(CaseOpError::Case(CaseError::NotFound(_)))
        ));
        h.store
            .case_action(
                &id[..10].to_uppercase(),
                Action::Contact,
                "bob",
                Some("called"),
                hours(1),
            )
            .unwrap();
        let err = h
            .store
            .case_action(&id, Action::Ack, "bob", None, hours(2))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("case {id} is contacted; it cannot go back to acknowledged")
        );
        h.store
            .case_action(
                &id,
                Action::Ignore,
                "bob",
                Some("competitor spam"),
                hours(3),
            )
            .unwrap();
        let c = h.only_case();
        let steps: Vec<_> = c
            .history
            .iter()
            .map(|t| (t.to.as_str(), t.actor.as_str(), t.note.as_deref()))
            .collect();
        assert_eq!(
            steps,
            [
                ("open", "platform", None),
                ("contacted", "bob", Some("called")),
                ("ignored", "bob", Some("competitor spam"))
            ]
        );
        // Closed cases leave the open list: no follow-ups.
        assert_eq!(h.tick(hours(50)), TickReport::default());
    }

    #[test]
    fn quiet_hours_hold_a_delivery_until_the_window_ends() {
        let mut h = H::new();
        h.routing.targets = vec![
            Target {
                notifier: "hook".into(),
                hold_until: Some(hours(7)),
            },
            Target::now("pager"),
        ];
        h.poll(hours(0), vec![]);
        h.poll(hours(0), vec![review("a", 1.0, 1)]);
        let mut due: Vec<(String, DateTime<Utc>)> = h
            .store
            .pending_deliveries()
            .unwrap()
            .into_iter()
            .map(|d| (d.notifier, d.next_attempt_at))
            .collect();
        due.sort();
        assert_eq!(
            due,
            [
                ("hook".to_string(), hours(7)),
                ("pager".to_string(), hours(0))
            ]
        );
    }
}
