//! Ingest: dedup one poll's items against everything stored, record revisions, and
//! queue the alerts they make due, all in one atomic batch.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{Delivery, Revision, SourceState, Store, StoreError, to_json};
use crate::classify::Verdict;
use crate::fetch::Validators;
use crate::mention::fingerprint;
use crate::mention::{Mention, Sighting};

/// Event name of the first alert about a negative mention.
pub const EVENT_NEGATIVE: &str = "review.negative";

/// At most this many sightings are kept per mention.
const MAX_SIGHTINGS: usize = 50;
/// At most this many near-duplicate candidates are verified per item.
const MAX_CANDIDATES: usize = 16;

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
}

/// The context of one successful poll.
pub struct Ingest<'a> {
    pub source: &'a str,
    pub now: DateTime<Utc>,
    /// On a source's first successful poll, only mentions published within this
    /// window alert; older (and undated) ones are stored silently as the baseline.
    pub backfill: Duration,
    /// Enabled notifier ids: one delivery each per alert.
    pub notifiers: &'a [String],
    pub validators: Option<Validators>,
    pub items_in_document: usize,
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
    /// Ids of mentions that are new or changed, in item order.
    pub touched: Vec<String>,
}

/// Pending writes over the tree: reads see them, and they are applied as one batch.
struct Tx<'a> {
    tree: &'a sled::Tree,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a> Tx<'a> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(v) = self.writes.get(key) {
            return Ok(v.clone());
        }
        Ok(self.tree.get(key)?.map(|v| v.to_vec()))
    }

    fn contains(&self, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.get(key)?.is_some())
    }

    fn insert(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.writes.insert(key.into(), Some(value.into()));
    }

    /// Keys with `prefix`, from the tree and the pending writes.
    fn keys_with_prefix(&self, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for k in self.tree.scan_prefix(prefix).keys() {
            keys.push(k?.to_vec());
        }
        for (k, v) in self.writes.range(prefix.to_vec()..) {
            if !k.starts_with(prefix) {
                break;
            }
            if v.is_some() {
                keys.push(k.clone());
            }
        }
        Ok(keys)
    }

    fn mention(&self, id: &str) -> Result<Option<Mention>, StoreError> {
        let key = format!("m/{id}");
        match self.get(key.as_bytes())? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    key,
                    reason: e.to_string(),
                }),
        }
    }

    fn into_batch(self) -> sled::Batch {
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

/// Stable delivery id of one event about one mention to one notifier.
pub fn delivery_id(mention_id: &str, notifier: &str, event: &str) -> String {
    hex_id(&format!("v1|delivery|{mention_id}|{notifier}|{event}"))
}

fn shingle_key(hash: u64, id: &str) -> Vec<u8> {
    let mut k = b"s/".to_vec();
    k.extend_from_slice(&hash.to_be_bytes());
    k.extend_from_slice(id.as_bytes());
    k
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

fn same_content(m: &Mention, item: &IngestItem) -> bool {
    m.rating == item.rating && m.title == item.title && m.text == item.text
}

impl Store {
    /// Store one poll's items. `triage` is called for new and changed items only.
    pub fn ingest(
        &self,
        cx: Ingest<'_>,
        items: Vec<IngestItem>,
        triage: &dyn Fn(&IngestItem) -> Verdict,
    ) -> Result<IngestReport, StoreError> {
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut tx = Tx {
            tree: &self.tree,
            writes: BTreeMap::new(),
        };
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

        for item in items {
            let tokens = fingerprint::tokens(&item.text);
            let keys = item_keys(&item, &tokens);
            let mut found: Option<(String, bool)> = None; // (id, matched by own platform id)
            for (i, k) in keys.iter().enumerate() {
                if let Some(id) = tx.get(k.as_bytes())? {
                    let own = i == 0 && item.external_id.is_some();
                    found = Some((String::from_utf8_lossy(&id).into_owned(), own));
                    break;
                }
            }
            if found.is_none() {
                found = near_duplicate(&tx, &tokens)?.map(|id| (id, false));
            }

            match found {
                Some((id, own)) => {
                    let Some(mut m) = tx.mention(&id)? else {
                        // A key without its mention: treat as new (repairs the key).
                        let mid = self.insert_new(
                            &mut tx,
                            &cx,
                            &item,
                            &tokens,
                            &keys,
                            triage,
                            &alert_allowed,
                            &mut report,
                        )?;
                        report.touched.push(mid);
                        continue;
                    };
                    let was_negative = m.negative;
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
                        if !same_content(&m, &item) {
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
                            && fingerprint::contains(&tokens, &old_tokens);
                        let gains_rating = m.rating.is_none() && item.rating.is_some();
                        if fuller || gains_rating {
                            push_revision(&mut tx, &m, cx.now);
                            if fuller {
                                m.text = item.text.clone();
                                if m.title.is_none() {
                                    m.title = item.title.clone();
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
                    for k in &keys {
                        if !tx.contains(k.as_bytes())? {
                            tx.insert(k.as_bytes(), id.as_bytes());
                        }
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
                        if m.lang.is_none() {
                            m.lang = v.lang;
                        }
                        for h in fingerprint::winnow(&fingerprint::tokens(&m.text)) {
                            tx.insert(shingle_key(h, &id), Vec::new());
                        }
                        report.revised += 1;
                        report.touched.push(id.clone());
                        if m.negative
                            && !was_negative
                            && alert_allowed(m.published_at.or(Some(m.first_seen)))
                        {
                            report.alerts_queued +=
                                queue_alerts(&mut tx, &id, cx.notifiers, EVENT_NEGATIVE, cx.now)?;
                        }
                    } else {
                        report.known += 1;
                    }
                    tx.insert(format!("m/{id}").into_bytes(), to_json(&m));
                }
                None => {
                    let id = self.insert_new(
                        &mut tx,
                        &cx,
                        &item,
                        &tokens,
                        &keys,
                        triage,
                        &alert_allowed,
                        &mut report,
                    )?;
                    report.touched.push(id);
                }
            }
        }

        state.validators = cx.validators.clone();
        state.baseline_done = true;
        state.polls += 1;
        state.last_poll = Some(cx.now);
        state.last_success = Some(cx.now);
        state.consecutive_failures = 0;
        state.items_last = cx.items_in_document as u64;
        state.new_last = report.new as u64;
        state.items_total += cx.items_in_document as u64;
        state.new_total += report.new as u64;
        tx.insert(src_key.into_bytes(), to_json(&state));
        self.tree.apply_batch(tx.into_batch())?;
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_new(
        &self,
        tx: &mut Tx<'_>,
        cx: &Ingest<'_>,
        item: &IngestItem,
        tokens: &[String],
        keys: &[String],
        triage: &dyn Fn(&IngestItem) -> Verdict,
        alert_allowed: &dyn Fn(Option<DateTime<Utc>>) -> bool,
        report: &mut IngestReport,
    ) -> Result<String, StoreError> {
        let seed = match keys.first() {
            Some(k) => k.clone(),
            None => format!(
                "k/x/{}/{:016x}",
                cx.source,
                fingerprint::hash_tokens(&[
                    item.title.clone().unwrap_or_default(),
                    item.text.clone(),
                    item.author.clone().unwrap_or_default(),
                    item.published_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default(),
                ])
            ),
        };
        let id = hex_id(&format!("v1|mention|{seed}"));
        let external_id = item
            .external_id
            .clone()
            .or_else(|| item.url.clone().filter(|_| item.url_is_key))
            .unwrap_or_else(|| seed.clone());
        let v = triage(item);
        let m = Mention {
            id: id.clone(),
            source: cx.source.to_string(),
            platform: item.platform.clone(),
            external_id,
            url: item.url.clone(),
            author: item.author.clone(),
            title: item.title.clone(),
            text: item.text.clone(),
            rating: item.rating,
            rating_max: item.rating_max,
            rating_min: item.rating_min,
            published_at: item.published_at,
            updated_at: item.updated_at,
            lang: v.lang.clone(),
            first_seen: cx.now,
            last_seen: cx.now,
            revision: 1,
            negative: v.negative,
            score: v.score,
            reasons: v.reasons,
            sightings: Vec::new(),
        };
        tx.insert(format!("m/{id}").into_bytes(), to_json(&m));
        for k in keys {
            tx.insert(k.as_bytes(), id.as_bytes());
        }
        if keys.is_empty() {
            tx.insert(seed.as_bytes(), id.as_bytes());
        }
        for h in fingerprint::winnow(tokens) {
            tx.insert(shingle_key(h, &id), Vec::new());
        }
        report.new += 1;
        if m.negative && alert_allowed(m.published_at) {
            report.alerts_queued += queue_alerts(tx, &id, cx.notifiers, EVENT_NEGATIVE, cx.now)?;
        }
        Ok(id)
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
fn near_duplicate(tx: &Tx<'_>, tokens: &[String]) -> Result<Option<String>, StoreError> {
    let fps = fingerprint::winnow(tokens);
    if fps.is_empty() {
        return Ok(None);
    }
    let mut hits: HashMap<String, usize> = HashMap::new();
    for h in &fps {
        let mut prefix = b"s/".to_vec();
        prefix.extend_from_slice(&h.to_be_bytes());
        for k in tx.keys_with_prefix(&prefix)? {
            let id = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            *hits.entry(id).or_default() += 1;
        }
    }
    let mut candidates: Vec<(String, usize)> = hits.into_iter().collect();
    candidates.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for (id, _) in candidates.into_iter().take(MAX_CANDIDATES) {
        if let Some(m) = tx.mention(&id)? {
            let other = fingerprint::tokens(&m.text);
            if fingerprint::contains(&other, tokens) || fingerprint::contains(tokens, &other) {
                return Ok(Some(id));
            }
        }
    }
    Ok(None)
}

/// Queue `event` for every notifier that has not had it for this mention.
fn queue_alerts(
    tx: &mut Tx<'_>,
    mention_id: &str,
    notifiers: &[String],
    event: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut n = 0;
    for notifier in notifiers {
        let akey = format!("a/{mention_id}/{notifier}/{event}");
        if tx.contains(akey.as_bytes())? {
            continue;
        }
        let id = delivery_id(mention_id, notifier, event);
        let d = Delivery {
            id: id.clone(),
            notifier: notifier.clone(),
            event: event.to_string(),
            mention_id: mention_id.to_string(),
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            finished_at: None,
        };
        tx.insert(akey.into_bytes(), id.as_bytes());
        tx.insert(format!("o/{id}").into_bytes(), to_json(&d));
        n += 1;
    }
    Ok(n)
}
