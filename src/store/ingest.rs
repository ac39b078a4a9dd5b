//! Ingest: dedup one poll's items against everything stored, record revisions, and
//! queue the alerts they make due, all in one atomic batch.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::index::{self, Index, Record, Sig};
use super::{AggregatePoint, Revision, SourceState, Store, StoreError, aggregate_key, to_json};
use crate::classify::Verdict;
use crate::fetch::Validators;
use crate::mention::fingerprint;
use crate::mention::{AggregateRating, Mention, Reply, Sighting};

use super::cases::{self, Change, PollView, Router};

/// At most this many sightings are kept per mention.
const MAX_SIGHTINGS: usize = 50;
/// At most this many near-duplicate candidates are verified per item.
const MAX_CANDIDATES: usize = 8;

/// One normalized item from a poll, ready for dedup.
#[derive(Debug, Clone, Default)]
pub struct IngestItem {
    pub platform: String,
    pub external_id: Option<String>,
    /// Canonical URL.
    pub url: Option<String>,
    /// Whether `url` identifies this item alone (not a page holding many items), so it
    /// may serve as a dedup key.
    pub url_is_key: bool,
    pub author: Option<String>,
    pub title: Option<String>,
    pub text: String,
    pub rating: Option<f64>,
    pub rating_min: Option<f64>,
    pub rating_max: Option<f64>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Language declared by the item or hinted by the source (wins over detection).
    pub lang: Option<String>,
    /// The business's public reply, when the platform shows one.
    pub reply: Option<Reply>,
}

/// The context of one successful poll.
pub struct Ingest<'a> {
    pub source: &'a str,
    pub now: DateTime<Utc>,
    /// On a source's first successful poll, only mentions published within this
    /// window alert; older (and undated) ones are stored silently as the baseline.
    pub backfill: Duration,
    /// Where a mention's events go (routes, quiet hours) and how its case is
    /// followed up.
    pub router: &'a Router<'a>,
    /// Successful polls in a row without a review before `review.removed`
    /// (`[triage] removed_after_polls`; 0 turns removal tracking off).
    pub removed_after_polls: u32,
    pub validators: Option<Validators>,
    pub items_in_document: usize,
    /// Alert on negative mentions that already carry the business's public reply
    /// (by default they are stored as answered, without an alert).
    pub alert_answered: bool,
    /// The page's overall rating at this poll, kept as a rating trend.
    pub aggregate: Option<AggregateRating>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct IngestReport {
    pub new: usize,
    pub revised: usize,
    /// Items that were already known (re-polls and cross-source echoes).
    pub known: usize,
    pub alerts_queued: usize,
    /// True when this poll established the source's baseline.
    pub baseline: bool,
    /// Set when this poll made the source look broken (no items where there were).
    pub broken: Option<String>,
}

/// A key and its value.
pub(super) type Entry = (Vec<u8>, Vec<u8>);

/// Pending writes over the tree: reads see them, and they are applied as one batch.
pub(super) struct Tx<'a> {
    tree: &'a sled::Tree,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// What this batch adds to the dedup index, written as one `xl/` entry.
    index_log: Vec<(String, Record)>,
}

impl<'a> Tx<'a> {
    pub(super) fn new(tree: &'a sled::Tree) -> Tx<'a> {
        Tx {
            tree,
            writes: BTreeMap::new(),
            index_log: Vec::new(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.index_log.is_empty()
    }

    pub(super) fn remove(&mut self, key: impl Into<Vec<u8>>) {
        self.writes.insert(key.into(), None);
    }

    /// Keys under `prefix`, as they will be after this batch.
    pub(super) fn scan_keys(&self, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(self.scan(prefix)?.into_iter().map(|(k, _)| k).collect())
    }

    /// Entries under `prefix`, as they will be after this batch.
    pub(super) fn scan(&self, prefix: &[u8]) -> Result<Vec<Entry>, StoreError> {
        let mut entries = BTreeMap::new();
        for kv in self.tree.scan_prefix(prefix) {
            let (k, v) = kv?;
            entries.insert(k.to_vec(), v.to_vec());
        }
        for (k, v) in self.writes.range(prefix.to_vec()..) {
            if !k.starts_with(prefix) {
                break;
            }
            match v {
                Some(v) => entries.insert(k.clone(), v.clone()),
                None => entries.remove(k),
            };
        }
        Ok(entries.into_iter().collect())
    }

    pub(super) fn case(&self, id: &str) -> Result<Option<crate::case::Case>, StoreError> {
        self.get_json(&format!("c/{id}"))
    }

    fn get_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        match self.get(key.as_bytes())? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    key: key.to_string(),
                    reason: e.to_string(),
                }),
        }
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(v) = self.writes.get(key) {
            return Ok(v.clone());
        }
        Ok(self.tree.get(key)?.map(|v| v.to_vec()))
    }

    pub(super) fn contains(&self, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.get(key)?.is_some())
    }

    pub(super) fn insert(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.writes.insert(key.into(), Some(value.into()));
    }

    pub(super) fn mention(&self, id: &str) -> Result<Option<Mention>, StoreError> {
        self.get_json(&format!("m/{id}"))
    }

    pub(super) fn into_batch(self) -> sled::Batch {
        let mut b = sled::Batch::default();
        for (k, v) in self.writes {
            match v {
                Some(v) => b.insert(k, v),
                None => b.remove(k),
            }
        }
        b
    }
}

fn hex_id(input: &str) -> String {
    let digest = Sha256::digest(input.as_bytes());
    hex::encode(&digest[..16])
}

/// A new mention's id: its first-seen time (microseconds since the epoch) then 8
/// bytes of a hash of its first key, as 32 hex digits. Time-ordered ids put every
/// new mention at the end of the store's key space, where appending is cheap, and
/// keep the `m/` records in the order they were first seen.
fn mention_id(now: DateTime<Utc>, seed: &str) -> String {
    let micros = u64::try_from(now.timestamp_micros()).unwrap_or(0);
    let digest = Sha256::digest(format!("v1|mention|{seed}").as_bytes());
    format!("{micros:016x}{}", hex::encode(&digest[..8]))
}

/// One poll's items with everything that needs no lock worked out in advance (see
/// [`Store::prepare`]).
pub struct PreparedBatch {
    source: String,
    now: DateTime<Utc>,
    items: Vec<Prepared>,
}

/// An item with everything that needs no lock worked out in advance: its dedup keys,
/// fingerprints, signature, and the record it is stored as if it turns out new.
struct Prepared {
    item: IngestItem,
    tokens: Vec<String>,
    keys: Vec<u128>,
    fps: Vec<u64>,
    sig: Sig,
    fresh: Fresh,
}

/// The item as a new mention, ready to write.
struct Fresh {
    id: String,
    /// The serialized [`Mention`].
    record: Vec<u8>,
    negative: bool,
    answered: bool,
    published_at: Option<DateTime<Utc>>,
}

impl Prepared {
    fn new(
        source: &str,
        now: DateTime<Utc>,
        item: IngestItem,
        triage: &dyn Fn(&IngestItem) -> Verdict,
    ) -> Prepared {
        let tokens = fingerprint::tokens(&item.text);
        let mut keys = key_hashes(&item_keys(&item, &tokens));
        // Items with no id, no item URL and a short text are keyed by their content.
        let fallback = format!(
            "k/x/{}/{:016x}",
            source,
            fingerprint::hash_tokens(&[
                item.title.clone().unwrap_or_default(),
                item.text.clone(),
                item.author.clone().unwrap_or_default(),
                item.published_at
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default(),
            ])
        );
        if keys.is_empty() {
            keys.push(index::key_hash(&fallback));
        }
        let id = mention_id(now, &format!("{:032x}", keys[0]));
        let v = triage(&item);
        let m = Mention {
            id: id.clone(),
            source: source.to_string(),
            platform: item.platform.clone(),
            external_id: item
                .external_id
                .clone()
                .or_else(|| item.url.clone().filter(|_| item.url_is_key))
                .unwrap_or(fallback),
            url: item.url.clone(),
            author: item.author.clone(),
            title: item.title.clone(),
            text: item.text.clone(),
            rating: item.rating,
            rating_max: item.rating_max,
            rating_min: item.rating_min,
            published_at: item.published_at,
            updated_at: item.updated_at,
            lang: v.lang,
            first_seen: now,
            last_seen: now,
            revision: 1,
            negative: v.negative,
            score: v.score,
            reasons: v.reasons,
            severity: v.severity,
            rules: v.rules,
            sightings: Vec::new(),
            reply: item.reply.clone(),
        };
        Prepared {
            fps: fingerprint::winnow(&tokens),
            sig: Sig::of(&tokens),
            fresh: Fresh {
                id,
                record: to_json(&m),
                negative: m.negative,
                answered: m.reply.is_some(),
                published_at: m.published_at,
            },
            keys,
            tokens,
            item,
        }
    }
}

/// Stable delivery id of one event about one mention to one notifier.
pub fn delivery_id(mention_id: &str, notifier: &str, event: &str) -> String {
    hex_id(&format!("v1|delivery|{mention_id}|{notifier}|{event}"))
}

/// [`delivery_id`] of a repeated event: `tag` names the repeat (a case's round, a
/// reminder step); an empty tag gives the plain id.
pub fn delivery_id_tagged(mention_id: &str, notifier: &str, event: &str, tag: &str) -> String {
    if tag.is_empty() {
        delivery_id(mention_id, notifier, event)
    } else {
        delivery_id(mention_id, notifier, &format!("{event}#{tag}"))
    }
}

/// Point `keys` and `fps` at the mention (with a new text's `sig`): in memory now,
/// and in the batch's index log entry.
fn index_mention(
    tx: &mut Tx<'_>,
    ix: &mut Index,
    id: &str,
    keys: &[u128],
    fps: &[u64],
    sig: Option<Sig>,
) {
    let rec = Record {
        keys: keys.to_vec(),
        fps: fps.to_vec(),
        sig: sig.unwrap_or(Sig::UNKNOWN),
    };
    ix.add(id, &rec);
    tx.index_log.push((id.to_string(), rec));
}

/// Dedup keys of an item, strongest first.
fn item_keys(item: &IngestItem, tokens: &[String]) -> Vec<String> {
    let mut keys = Vec::with_capacity(3);
    if let Some(x) = &item.external_id {
        keys.push(format!("k/e/{}/{}", item.platform, x));
    }
    if item.url_is_key {
        if let Some(u) = &item.url {
            keys.push(format!("k/u/{u}"));
        }
    }
    if tokens.len() >= fingerprint::MIN_MATCH {
        keys.push(format!("k/t/{:016x}", fingerprint::hash_tokens(tokens)));
    }
    keys
}

fn key_hashes(keys: &[String]) -> Vec<u128> {
    keys.iter().map(|k| index::key_hash(k)).collect()
}

fn same_content(m: &Mention, item: &IngestItem) -> bool {
    m.rating == item.rating && m.title == item.title && m.text == item.text
}

impl Store {
    /// Store one poll's items: [`Store::prepare`] then [`Store::ingest_prepared`].
    pub fn ingest(
        &self,
        cx: Ingest<'_>,
        items: Vec<IngestItem>,
        triage: &dyn Fn(&IngestItem) -> Verdict,
    ) -> Result<IngestReport, StoreError> {
        let batch = Store::prepare(cx.source, cx.now, items, triage);
        self.ingest_prepared(cx, batch, triage)
    }

    /// The part of an ingest that needs no lock, so that polls do it in parallel:
    /// tokens, dedup keys, fingerprints, `triage`'s verdict on every item, and its
    /// record as a new mention first seen `now` by `source` (the same `source` and
    /// `now` must be passed to [`Store::ingest_prepared`]).
    pub fn prepare(
        source: &str,
        now: DateTime<Utc>,
        items: Vec<IngestItem>,
        triage: &dyn Fn(&IngestItem) -> Verdict,
    ) -> PreparedBatch {
        PreparedBatch {
            source: source.to_string(),
            now,
            items: items
                .into_iter()
                .map(|item| Prepared::new(source, now, item, triage))
                .collect(),
        }
    }

    /// Dedup and store prepared items in one atomic batch. Writers take turns;
    /// `triage` is called again only for a known mention whose content changed.
    pub fn ingest_prepared(
        &self,
        cx: Ingest<'_>,
        mut batch: PreparedBatch,
        triage: &dyn Fn(&IngestItem) -> Verdict,
    ) -> Result<IngestReport, StoreError> {
        debug_assert!(batch.source == cx.source && batch.now == cx.now);
        let result = {
            let mut guard = self.write.lock().unwrap_or_else(|e| e.into_inner());
            if guard.is_none() {
                *guard = Some(Index::load(&self.tree)?);
            }
            let ix = guard.as_mut().expect("index loaded");
            let result = self.ingest_locked(ix, cx, &mut batch.items, triage);
            if result.is_err() {
                // The batch was not applied; the index may point at what was not written.
                *guard = None;
            }
            result
        };
        // The items are freed after the lock is released.
        drop(batch);
        result
    }

    fn ingest_locked(
        &self,
        ix: &mut Index,
        cx: Ingest<'_>,
        items: &mut [Prepared],
        triage: &dyn Fn(&IngestItem) -> Verdict,
    ) -> Result<IngestReport, StoreError> {
        let mut tx = Tx::new(&self.tree);
        let mut seen = std::collections::HashSet::new();
        let oldest_published = items.iter().filter_map(|p| p.item.published_at).min();
        let src_key = format!("src/{}", cx.source);
        let mut state: SourceState = match tx.get(src_key.as_bytes())? {
            Some(v) => serde_json::from_slice(&v).unwrap_or_default(),
            None => SourceState::default(),
        };
        let mut report = IngestReport {
            baseline: !state.baseline_done,
            ..Default::default()
        };
        let window_start =
            cx.now - chrono::Duration::from_std(cx.backfill).unwrap_or(chrono::Duration::MAX);
        let alert_allowed = |published: Option<DateTime<Utc>>| {
            state.baseline_done || published.is_some_and(|p| p >= window_start)
        };

        for p in items.iter_mut() {
            let Prepared {
                item,
                tokens,
                keys,
                fps,
                sig,
                fresh,
            } = p;
            let mut found: Option<(String, bool)> = None; // (id, matched by own platform id)
            for (i, k) in keys.iter().enumerate() {
                if let Some(id) = ix.lookup(*k) {
                    let own = i == 0 && item.external_id.is_some();
                    found = Some((id, own));
                    break;
                }
            }
            if found.is_none() {
                found = near_duplicate(&tx, ix, tokens, fps, sig)?.map(|id| (id, false));
            }

            // A key whose mention is missing counts as no match (the insert repairs it).
            let existing = match found {
                Some((id, own)) => tx.mention(&id)?.map(|m| (id, own, m)),
                None => None,
            };
            match existing {
                Some((id, own, mut m)) => {
                    let was_negative = m.negative;
                    let old_rating = m.rating;
                    let had_reply = m.reply.is_some();
                    let mut changed = false;
                    // The item the mention was first stored from (a re-poll) may rewrite
                    // it; any other sighting only adds what it knows better.
                    let same_origin = m.source == cx.source
                        && (own || item.external_id.is_none())
                        && item
                            .external_id
                            .as_deref()
                            .is_none_or(|x| x == m.external_id);
                    if same_origin {
                        if !same_content(&m, item) {
                            push_revision(&mut tx, &m, cx.now);
                            m.rating = item.rating;
                            m.rating_min = item.rating_min.or(m.rating_min);
                            m.rating_max = item.rating_max.or(m.rating_max);
                            m.title = item.title.clone();
                            m.text = item.text.clone();
                            changed = true;
                        }
                    } else {
                        // Another sighting of a known mention.
                        let url = item.url.clone();
                        let already = (m.source == cx.source && m.url == url)
                            || m.sightings
                                .iter()
                                .any(|s| s.source == cx.source && s.url == url);
                        if !already && m.sightings.len() < MAX_SIGHTINGS {
                            m.sightings.push(Sighting {
                                source: cx.source.to_string(),
                                url,
                                seen_at: cx.now,
                            });
                        }
                        let old_tokens = fingerprint::tokens(&m.text);
                        let fuller = tokens.len() > old_tokens.len()
                            && fingerprint::contains(tokens, &old_tokens);
                        let gains_rating = m.rating.is_none() && item.rating.is_some();
                        if fuller || gains_rating {
                            push_revision(&mut tx, &m, cx.now);
                            if fuller {
                                // The fuller version is the review itself (the first
                                // sighting was a snippet): take its title and author.
                                m.text = item.text.clone();
                                if item.title.is_some() {
                                    m.title = item.title.clone();
                                }
                                if m.author.is_none() {
                                    m.author = item.author.clone();
                                }
                            }
                            if gains_rating {
                                m.rating = item.rating;
                                m.rating_min = item.rating_min;
                                m.rating_max = item.rating_max;
                            }
                            changed = true;
                        }
                    }
                    // Point every key of this sighting at the mention.
                    let unknown: Vec<u128> = keys
                        .iter()
                        .copied()
                        .filter(|k| ix.lookup(*k).is_none())
                        .collect();
                    if !unknown.is_empty() {
                        index_mention(&mut tx, ix, &id, &unknown, &[], None);
                    }
                    // A reply the platform now shows is recorded (one it stops
                    // showing is kept: the shop did answer).
                    if item.reply.is_some() && item.reply != m.reply {
                        m.reply = item.reply.clone();
                    }
                    m.last_seen = cx.now;
                    if item.updated_at.is_some() {
                        m.updated_at = item.updated_at;
                    }
                    if changed {
                        m.revision += 1;
                        let v = triage(&IngestItem {
                            rating: m.rating,
                            rating_min: m.rating_min,
                            rating_max: m.rating_max,
                            title: m.title.clone(),
                            text: m.text.clone(),
                            ..item.clone()
                        });
                        m.negative = v.negative;
                        m.score = v.score;
                        m.reasons = v.reasons;
                        m.severity = v.severity;
                        m.rules = v.rules;
                        if m.lang.is_none() {
                            m.lang = v.lang;
                        }
                        let new_tokens = fingerprint::tokens(&m.text);
                        let new_fps = fingerprint::winnow(&new_tokens);
                        let new_sig = Some(Sig::of(&new_tokens));
                        index_mention(&mut tx, ix, &id, &[], &new_fps, new_sig);
                        report.revised += 1;
                    } else {
                        report.known += 1;
                    }
                    if m.negative || was_negative {
                        let may_alert = alert_allowed(m.published_at.or(Some(m.first_seen)))
                            && (m.reply.is_none() || cx.alert_answered);
                        let change = Change {
                            mention: &m,
                            was_negative,
                            old_rating,
                            reply_appeared: !had_reply && m.reply.is_some(),
                            may_alert,
                        };
                        report.alerts_queued +=
                            cases::on_change(&mut tx, change, cx.router, cx.now)?;
                    }
                    tx.insert(format!("m/{id}").into_bytes(), to_json(&m));
                    seen.insert(id);
                }
                None => {
                    let id = std::mem::take(&mut fresh.id);
                    if fresh.negative
                        && alert_allowed(fresh.published_at)
                        && (!fresh.answered || cx.alert_answered)
                    {
                        let m: Mention = serde_json::from_slice(&fresh.record).map_err(|e| {
                            StoreError::Corrupt {
                                key: format!("m/{id}"),
                                reason: e.to_string(),
                            }
                        })?;
                        let routing = (cx.router)(&m, cx.now);
                        report.alerts_queued += cases::open_case(&mut tx, &m, &routing, cx.now)?;
                    }
                    tx.insert(
                        format!("m/{id}").into_bytes(),
                        std::mem::take(&mut fresh.record),
                    );
                    index_mention(&mut tx, ix, &id, keys, fps, Some(*sig));
                    report.new += 1;
                    seen.insert(id);
                }
            }
        }

        report.alerts_queued += cases::track_misses(
            &mut tx,
            &PollView {
                source: cx.source,
                seen: &seen,
                items: cx.items_in_document,
                oldest_published,
                removed_after_polls: cx.removed_after_polls,
            },
            cx.router,
            cx.now,
        )?;

        state.validators = cx.validators.clone();
        state.baseline_done = true;
        state.polls += 1;
        state.last_poll = Some(cx.now);
        state.last_success = Some(cx.now);
        state.consecutive_failures = 0;
        state.items_last = cx.items_in_document as u64;
        let was_broken = state.broken_reason().is_some();
        state.record_items(cx.items_in_document as u64);
        if !was_broken {
            report.broken = state.broken_reason();
        }
        state.new_last = report.new as u64;
        state.items_total += cx.items_in_document as u64;
        state.new_total += report.new as u64;
        if let Some(a) = &cx.aggregate {
            let point = AggregatePoint {
                at: cx.now,
                rating: a.clone(),
            };
            state.aggregate_last = Some(point.clone());
            tx.insert(
                aggregate_key(cx.source, cx.now).into_bytes(),
                to_json(&point),
            );
        }
        tx.insert(src_key.into_bytes(), to_json(&state));
        if !tx.index_log.is_empty() {
            let seq = self.db.generate_id()?;
            let log = index::encode_log(&tx.index_log);
            tx.insert(format!("{}{seq:016x}", index::LOG_PREFIX).into_bytes(), log);
        }
        self.tree.apply_batch(tx.into_batch())?;
        Ok(report)
    }
}

fn push_revision(tx: &mut Tx<'_>, m: &Mention, now: DateTime<Utc>) {
    let rev = Revision {
        revision: m.revision,
        rating: m.rating,
        title: m.title.clone(),
        text: m.text.clone(),
        updated_at: m.updated_at,
        negative: m.negative,
        replaced_at: now,
    };
    tx.insert(
        format!("r/{}/{:08x}", m.id, m.revision).into_bytes(),
        to_json(&rev),
    );
}

/// Find a stored mention whose text contains this one's, or is contained in it.
fn near_duplicate(
    tx: &Tx<'_>,
    ix: &Index,
    tokens: &[String],
    fps: &[u64],
    sig: &Sig,
) -> Result<Option<String>, StoreError> {
    if fps.is_empty() {
        return Ok(None);
    }
    for id in ix.candidates(fps, sig, MAX_CANDIDATES) {
        if let Some(m) = tx.mention(&id)? {
            let other = fingerprint::tokens(&m.text);
            if fingerprint::contains(&other, tokens) || fingerprint::contains(tokens, &other) {
                return Ok(Some(id));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EVENT_NEGATIVE;

    fn verdict(item: &IngestItem) -> Verdict {
        let negative = match item.rating {
            Some(r) => r <= 2.0,
            None => item.text.contains("broken") || item.text.contains("refund"),
        };
        Verdict {
            negative,
            score: if negative { -0.8 } else { 0.5 },
            lang: Some("en".into()),
            reasons: vec!["test".into()],
            severity: Default::default(),
            rules: Vec::new(),
        }
    }

    fn item(id: &str, text: &str, rating: Option<f64>, age_days: i64) -> IngestItem {
        IngestItem {
            platform: "feed".into(),
            external_id: Some(id.into()),
            url: Some(format!("https://forum.example/t/{id}")),
            url_is_key: true,
            title: Some(format!("title {id}")),
            text: text.into(),
            rating,
            rating_max: rating.map(|_| 5.0),
            published_at: Some(Utc::now() - chrono::Duration::days(age_days)),
            ..Default::default()
        }
    }

    struct T {
        _dir: tempfile::TempDir,
        store: Store,
        notifiers: Vec<String>,
    }

    impl T {
        fn new() -> T {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            T {
                _dir: dir,
                store,
                notifiers: vec!["hook".into(), "mail".into()],
            }
        }
        fn router(&self) -> impl Fn(&Mention, DateTime<Utc>) -> super::cases::Routing + Sync {
            let ids = self.notifiers.clone();
            move |_, _| super::cases::Routing {
                targets: ids.iter().map(|n| super::cases::Target::now(n)).collect(),
                ..Default::default()
            }
        }

        fn ingest(&self, source: &str, items: Vec<IngestItem>) -> IngestReport {
            self.ingest_with(source, items, false)
        }

        fn ingest_rated(&self, source: &str, rating: f64) -> IngestReport {
            self.store
                .ingest(
                    Ingest {
                        source,
                        now: Utc::now(),
                        backfill: Duration::from_secs(86400),
                        router: &self.router(),
                        removed_after_polls: 3,
                        validators: None,
                        items_in_document: 0,
                        alert_answered: false,
                        aggregate: Some(AggregateRating {
                            rating,
                            best: Some(5.0),
                            worst: None,
                            rating_count: Some(42),
                            review_count: None,
                        }),
                    },
                    vec![],
                    &verdict,
                )
                .unwrap()
        }

        fn ingest_with(
            &self,
            source: &str,
            items: Vec<IngestItem>,
            alert_answered: bool,
        ) -> IngestReport {
            let n = items.len();
            self.store
                .ingest(
                    Ingest {
                        source,
                        now: Utc::now(),
                        backfill: Duration::from_secs(7 * 86400),
                        router: &self.router(),
                        removed_after_polls: 3,
                        validators: None,
                        items_in_document: n,
                        alert_answered,
                        aggregate: None,
                    },
                    items,
                    &verdict,
                )
                .unwrap()
        }
    }

    const LONG: &str = "The kettle arrived broken and the lid does not close, support has not answered any of my three emails so far";

    #[test]
    fn baseline_alerts_only_recent_negatives_then_everything_new() {
        let t = T::new();
        let r = t.ingest(
            "s",
            vec![
                item("old", LONG, None, 30),
                item("new", "broken on arrival, refund please", None, 1),
                item("ok", "lovely", None, 1),
            ],
        );
        assert!(r.baseline);
        assert_eq!(
            (r.new, r.alerts_queued),
            (3, 2),
            "one recent negative, two notifiers"
        );
        let r = t.ingest(
            "s",
            vec![
                item("old", LONG, None, 30),
                item("older", "broken again", None, 90),
            ],
        );
        assert!(!r.baseline);
        assert_eq!(
            (r.new, r.known, r.alerts_queued),
            (1, 1, 2),
            "after the baseline, new means alert"
        );
        assert_eq!(t.store.pending_deliveries().unwrap().len(), 4);
    }

    #[test]
    fn aggregate_ratings_make_a_trend() {
        let t = T::new();
        t.ingest_rated("p", 4.2);
        std::thread::sleep(std::time::Duration::from_millis(2));
        t.ingest_rated("p", 3.9);
        t.ingest("p", vec![]);
        let trend = t.store.rating_trend("p").unwrap();
        let values: Vec<f64> = trend.iter().map(|p| p.rating.rating).collect();
        assert_eq!(
            values,
            [4.2, 3.9],
            "oldest first, one point per poll that showed one"
        );
        let st = t.store.source_state("p").unwrap();
        assert_eq!(st.aggregate_last.unwrap().rating.rating, 3.9);
        assert!(t.store.rating_trend("q").unwrap().is_empty());
    }

    #[test]
    fn answered_reviews_are_stored_as_answered_without_an_alert() {
        let t = T::new();
        let replied = |id: &str, text: &str| IngestItem {
            reply: Some(Reply {
                text: "Sorry! We have sent a replacement.".into(),
                at: Some(Utc::now()),
            }),
            ..item(id, text, Some(1.0), 1)
        };
        t.ingest("s", vec![]);
        let r = t.ingest(
            "s",
            vec![
                replied("a", "arrived broken, nobody answers"),
                item("b", "broken on day one", Some(1.0), 1),
            ],
        );
        assert_eq!(
            (r.new, r.alerts_queued),
            (2, 2),
            "only b alerts (two notifiers)"
        );
        let a = t
            .store
            .mentions(false)
            .unwrap()
            .into_iter()
            .find(|m| m.external_id == "a")
            .unwrap();
        assert!(a.negative);
        assert_eq!(a.reply.unwrap().text, "Sorry! We have sent a replacement.");

        // A reply that appears later is recorded and moves the case to `replied`:
        // one review.replied per notifier, no second review.negative.
        let r = t.ingest("s", vec![replied("b", "broken on day one")]);
        assert_eq!((r.known, r.alerts_queued), (1, 2));
        let events: Vec<String> = t
            .store
            .pending_deliveries()
            .unwrap()
            .into_iter()
            .map(|d| d.event)
            .collect();
        assert_eq!(
            events.iter().filter(|e| *e == "review.replied").count(),
            2,
            "{events:?}"
        );
        let b = t
            .store
            .mentions(false)
            .unwrap()
            .into_iter()
            .find(|m| m.external_id == "b")
            .unwrap();
        assert!(b.reply.is_some());

        // Configurable: alert on answered ones too.
        let r = t.ingest_with("s2", vec![], true);
        assert_eq!(r.alerts_queued, 0);
        let r = t.ingest_with("s2", vec![replied("c", "lid cracked")], true);
        assert_eq!(r.alerts_queued, 2);
    }

    #[test]
    fn repoll_is_known_and_edits_are_revisions() {
        let t = T::new();
        t.ingest("s", vec![item("a", "great kettle", Some(5.0), 1)]);
        let r = t.ingest("s", vec![item("a", "great kettle", Some(5.0), 1)]);
        assert_eq!((r.new, r.known, r.revised, r.alerts_queued), (0, 1, 0, 0));
        let r = t.ingest("s", vec![item("a", "stopped working", Some(1.0), 1)]);
        assert_eq!(
            (r.revised, r.alerts_queued),
            (1, 2),
            "turning negative alerts"
        );
        let r = t.ingest("s", vec![item("a", "replaced, fine now", Some(5.0), 1)]);
        assert_eq!(
            (r.revised, r.alerts_queued),
            (1, 2),
            "the raised rating resolves the case: review.resolved"
        );
        let r = t.ingest("s", vec![item("a", "broke again", Some(1.0), 1)]);
        assert_eq!(
            (r.revised, r.alerts_queued),
            (1, 2),
            "negative again: the case reopens with a second review.negative"
        );
        let r = t.ingest("s", vec![item("a", "broke again", Some(1.0), 1)]);
        assert_eq!((r.known, r.alerts_queued), (1, 0), "a re-poll adds nothing");
        let ms = t.store.mentions(false).unwrap();
        assert_eq!(ms.len(), 1);
        assert_eq!(ms[0].revision, 4);
        let revs = t.store.revisions(&ms[0].id).unwrap();
        assert_eq!(
            revs.iter().map(|r| r.rating).collect::<Vec<_>>(),
            [Some(5.0), Some(1.0), Some(5.0)]
        );
    }

    #[test]
    fn echoes_by_url_or_snippet_are_sightings() {
        let t = T::new();
        t.ingest("shop", vec![item("r1", LONG, Some(1.0), 1)]);
        // Same canonical URL, another source and id.
        let mut echo = item("ga-1", "Kettle arrived broken", None, 1);
        echo.url = Some("https://forum.example/t/r1".into());
        // A snippet of the text from a third source, different URL.
        let mut snippet = item(
            "ga-2",
            "... and the lid does not close, support has not answered any of my thr...",
            None,
            1,
        );
        snippet.url = Some("https://blog.example/post".into());
        let r = t.ingest("alerts", vec![echo, snippet]);
        assert_eq!((r.new, r.known, r.alerts_queued), (0, 2, 0), "{r:?}");
        let ms = t.store.mentions(false).unwrap();
        assert_eq!(ms.len(), 1);
        assert_eq!(ms[0].sightings.len(), 2);
        assert_eq!(ms[0].text, LONG, "a snippet never replaces the full text");
    }

    #[test]
    fn full_text_after_a_snippet_upgrades_the_mention() {
        let t = T::new();
        let mut snippet = item(
            "ga-1",
            "the lid does not close, support has not answered any of my three emails so far ...",
            None,
            1,
        );
        snippet.url = Some("https://blog.example/post".into());
        let r = t.ingest("alerts", vec![snippet]);
        assert_eq!(r.new, 1);
        let r = t.ingest("shop", vec![item("r1", LONG, Some(1.0), 1)]);
        assert_eq!((r.new, r.revised), (0, 1), "{r:?}");
        let ms = t.store.mentions(false).unwrap();
        assert_eq!(ms.len(), 1);
        assert_eq!(ms[0].text, LONG);
        assert_eq!(ms[0].rating, Some(1.0));
    }

    #[test]
    fn short_or_different_texts_and_page_urls_do_not_merge() {
        let t = T::new();
        let mut a = item("a", "Great!", None, 1);
        let mut b = item("b", "Great!", None, 1);
        a.url = Some("https://shop.example/p".into());
        b.url = a.url.clone();
        a.url_is_key = false;
        b.url_is_key = false;
        let r = t.ingest("s", vec![a, b, item("c", LONG, None, 1), item("d", "The kettle arrived broken and the lid does not close, but support answered within an hour and replaced it", None, 1)]);
        assert_eq!(r.new, 4, "{r:?}");
    }

    #[test]
    fn delivery_ids_are_stable() {
        assert_eq!(
            delivery_id("m", "hook", EVENT_NEGATIVE),
            delivery_id("m", "hook", EVENT_NEGATIVE)
        );
        assert_ne!(
            delivery_id("m", "hook", EVENT_NEGATIVE),
            delivery_id("m", "mail", EVENT_NEGATIVE)
        );
        assert_eq!(delivery_id("m", "hook", EVENT_NEGATIVE).len(), 32);
    }

    #[test]
    fn state_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            let router = |_: &Mention, _| super::cases::Routing {
                targets: vec![super::cases::Target::now("hook")],
                ..Default::default()
            };
            store
                .ingest(
                    Ingest {
                        source: "s",
                        now: Utc::now(),
                        backfill: Duration::from_secs(86400),
                        router: &router,
                        removed_after_polls: 3,
                        validators: Some(Validators {
                            etag: Some("\"x\"".into()),
                            last_modified: None,
                        }),
                        items_in_document: 1,
                        alert_answered: false,
                        aggregate: None,
                    },
                    vec![item("a", "broken", None, 0)],
                    &verdict,
                )
                .unwrap();
            store.flush_blocking().unwrap();
        }
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(store.mentions(false).unwrap().len(), 1);
        assert_eq!(store.pending_deliveries().unwrap().len(), 1);
        let st = store.source_state("s").unwrap();
        assert!(st.baseline_done);
        assert_eq!(st.validators.unwrap().etag.as_deref(), Some("\"x\""));
    }
}
