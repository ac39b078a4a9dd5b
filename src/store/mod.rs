//! The only module that names sled.
//!
//! Everything lives in one sled tree under key prefixes, so that storing a mention,
//! its dedup keys, its revision history, the source's state and the alerts it makes
//! due is a single atomic `apply_batch` (the outbox pattern): after a crash either
//! all of it is there or none of it is, and a re-poll redoes the missing part.
//!
//! | prefix | key | value |
//! |---|---|---|
//! | `meta/` | `schema` | key-scheme version |
//! | `m/` | mention id | [`Mention`] (JSON, current revision) |
//! | `r/` | mention id, `/`, revision (8 hex) | [`Revision`] (JSON, the replaced version) |
//! | `x/` | mention id | its dedup keys and text fingerprints (`index.rs`, binary) |
//! | `src/` | source id | [`SourceState`] (JSON) |
//! | `a/` | mention id, `/`, notifier, `/`, event | delivery id (an alert was queued) |
//! | `o/` | delivery id | [`Delivery`] (JSON, pending) |
//! | `d/` | delivery id | [`Delivery`] (JSON, dead-lettered) |
//! | `done/` | delivery id | [`Delivery`] (JSON, delivered) |
//!
//! Dedup keys are hashes of `e/<platform>/<external id>`, `u/<canonical url>` and
//! `t/<normalized text>`; they and the text fingerprints live in an in-memory
//! index (`index.rs`) rebuilt from the `x/` records. Writers are serialized by one mutex:
//! ingest reads, decides and writes as one step.

mod cases;
mod index;
mod ingest;
mod postings;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::case::Case;
use crate::fetch::Validators;
use crate::mention::Mention;

pub use cases::{
    CaseOpError, EVENT_DIGEST, EVENT_ESCALATED, EVENT_NEGATIVE, EVENT_REMINDER, EVENT_REMOVED,
    EVENT_REPLIED, EVENT_RESOLVED, MIN_ID_PREFIX, Router, Routing, Target, TickReport,
};
pub use ingest::{
    Ingest, IngestItem, IngestReport, PreparedBatch, delivery_id, delivery_id_tagged,
};

/// Version of the key scheme; bump and migrate when keys change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {path}: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("store I/O error: {0}")]
    Sled(#[from] sled::Error),
    #[error("corrupt record under {key}: {reason}")]
    Corrupt { key: String, reason: String },
    #[error(
        "the store at {path} uses key scheme {found}, this build knows {SCHEMA_VERSION}; upgrade reviewradar"
    )]
    Schema { path: PathBuf, found: u32 },
    #[error("no such {what}: {id}")]
    NotFound { what: &'static str, id: String },
}

/// A replaced version of a mention (kept when rating, title or text change).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Revision {
    pub revision: u32,
    pub rating: Option<f64>,
    pub title: Option<String>,
    pub text: String,
    pub updated_at: Option<DateTime<Utc>>,
    pub negative: bool,
    /// When this version stopped being current.
    pub replaced_at: DateTime<Utc>,
}

/// What the store remembers about each source between polls.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SourceState {
    pub validators: Option<Validators>,
    /// True once a poll succeeded: later polls alert on everything new.
    pub baseline_done: bool,
    pub polls: u64,
    pub last_poll: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_kind: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    /// Items in the last fetched document.
    pub items_last: u64,
    /// New mentions stored by the last poll.
    pub new_last: u64,
    pub items_total: u64,
    pub new_total: u64,
    /// Items seen by the last few polls that fetched something, oldest first.
    #[serde(default)]
    pub items_recent: Vec<u64>,
    /// The page's overall rating at the last poll that showed one.
    #[serde(default)]
    pub aggregate_last: Option<AggregatePoint>,
}

/// A page's overall rating at one poll: one point of its rating trend, stored
/// under `ag/<source>/<time>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregatePoint {
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub rating: crate::mention::AggregateRating,
}

/// Key of one rating-trend point: the source, then the time, so that a source's
/// points sort oldest first.
pub(crate) fn aggregate_key(source: &str, at: DateTime<Utc>) -> String {
    format!("ag/{source}/{:016x}", at.timestamp_micros().max(0))
}

/// How many fetched polls [`SourceState::items_recent`] remembers.
pub const ITEMS_RECENT: usize = 10;

/// A poll that used to see at least this many items and now sees none is suspect.
const BROKEN_AFTER_ITEMS: u64 = 3;

/// A source's health, from its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Never polled yet.
    Pending,
    Ok,
    /// The last poll failed (network, HTTP status, parse).
    Failing,
    /// A login, consent or bot-check page came back instead of content.
    Blocked,
    /// The source answers, but with no items where it used to have some: its
    /// markup or API most likely changed.
    Broken,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Pending => "pending",
            Health::Ok => "ok",
            Health::Failing => "failing",
            Health::Blocked => "blocked",
            Health::Broken => "broken",
        }
    }
}

impl SourceState {
    pub fn health(&self) -> Health {
        if self.polls == 0 {
            Health::Pending
        } else if self.consecutive_failures > 0 {
            if self.last_error_kind.as_deref() == Some("blocked") {
                Health::Blocked
            } else {
                Health::Failing
            }
        } else if self.broken_reason().is_some() {
            Health::Broken
        } else {
            Health::Ok
        }
    }

    /// Why the source counts as broken, if it does.
    pub fn broken_reason(&self) -> Option<String> {
        let (last, before) = self.items_recent.split_last()?;
        let most = before.iter().copied().max().unwrap_or(0);
        (*last == 0 && most >= BROKEN_AFTER_ITEMS)
            .then(|| format!("the last poll found no items; earlier polls found up to {most}"))
    }

    /// Record the items seen by a poll that fetched something.
    pub fn record_items(&mut self, items: u64) {
        self.items_recent.push(items);
        if self.items_recent.len() > ITEMS_RECENT {
            let extra = self.items_recent.len() - ITEMS_RECENT;
            self.items_recent.drain(..extra);
        }
    }
}

/// One queued delivery of one event about one mention to one notifier.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    pub id: String,
    pub notifier: String,
    pub event: String,
    pub mention_id: String,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// Set when delivered or dead-lettered.
    pub finished_at: Option<DateTime<Utc>>,
    /// Event-specific facts, fixed when the delivery is queued.
    #[serde(default)]
    pub detail: EventDetail,
}

/// What an event says beyond the mention and its case. Every field is optional; each
/// event fills its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventDetail {
    /// `review.resolved` and `review.negative` after a rating change: the rating before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_rating: Option<f64>,
    /// The rating after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_rating: Option<f64>,
    /// `review.reminder`: 1 for the first reminder of this round, 2 for the next, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u32>,
    /// `review.reminder`: "unseen" (nobody acknowledged it yet) or "unanswered"
    /// (acknowledged, but no public reply yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder: Option<String>,
    /// `review.reminder` / `review.escalated`: how long the case has been open, in
    /// seconds, when the step fell due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_for_secs: Option<i64>,
    /// `review.removed`: successful polls in a row that no longer showed the review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed_polls: Option<u32>,
    /// `review.negative` for a case the platform reopened.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reopened: bool,
}

pub struct Store {
    db: sled::Db,
    tree: sled::Tree,
    path: PathBuf,
    /// Serializes writers; holds the dedup index once an ingest has loaded it.
    write: Mutex<Option<index::Index>>,
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("store records serialize")
}

impl Store {
    /// Open (or create) the store under `dir`. `cache_bytes` bounds sled's page cache.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        let path = dir.join("db");
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(sled::Error::Io(e)))?;
        let db = sled::Config::new()
            .path(&path)
            .cache_capacity(cache_bytes)
            .flush_every_ms(Some(200))
            .open()
            .map_err(open_err)?;
        let tree = db.open_tree("reviewradar").map_err(open_err)?;
        let store = Store {
            db,
            tree,
            path,
            write: Mutex::new(None),
        };
        match store.tree.get(b"meta/schema")? {
            None => {
                store
                    .tree
                    .insert(b"meta/schema", SCHEMA_VERSION.to_string().as_bytes())?;
            }
            Some(v) => {
                let found = std::str::from_utf8(&v)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                if found != SCHEMA_VERSION {
                    return Err(StoreError::Schema {
                        path: store.path.clone(),
                        found,
                    });
                }
            }
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Make everything written so far durable.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_async().await?;
        Ok(())
    }

    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    fn get_json<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.tree.get(key)? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    key: String::from_utf8_lossy(key).into_owned(),
                    reason: e.to_string(),
                }),
        }
    }

    fn scan_json<T: DeserializeOwned>(&self, prefix: &[u8]) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(prefix) {
            let (k, v) = kv?;
            match serde_json::from_slice(&v) {
                Ok(t) => out.push(t),
                Err(e) => tracing::warn!(
                    key = %String::from_utf8_lossy(&k),
                    error = %e,
                    "Skipping a corrupt record."
                ),
            }
        }
        Ok(out)
    }

    pub fn mention(&self, id: &str) -> Result<Option<Mention>, StoreError> {
        self.get_json(format!("m/{id}").as_bytes())
    }

    /// The case of a mention, if it has one.
    pub fn case(&self, id: &str) -> Result<Option<Case>, StoreError> {
        self.get_json(format!("c/{id}").as_bytes())
    }

    /// All stored mentions, newest first (by publication time, else first-seen time).
    pub fn mentions(&self, negative_only: bool) -> Result<Vec<Mention>, StoreError> {
        let mut all: Vec<Mention> = self.scan_json(b"m/")?;
        if negative_only {
            all.retain(|m| m.negative);
        }
        all.sort_by(|a, b| {
            let ka = a.published_at.unwrap_or(a.first_seen);
            let kb = b.published_at.unwrap_or(b.first_seen);
            kb.cmp(&ka)
                .then_with(|| b.first_seen.cmp(&a.first_seen))
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(all)
    }

    /// Replaced versions of a mention, oldest first.
    pub fn revisions(&self, id: &str) -> Result<Vec<Revision>, StoreError> {
        self.scan_json(format!("r/{id}/").as_bytes())
    }

    pub fn source_state(&self, id: &str) -> Result<SourceState, StoreError> {
        Ok(self
            .get_json(format!("src/{id}").as_bytes())?
            .unwrap_or_default())
    }

    /// All source states by id.
    pub fn source_states(&self) -> Result<Vec<(String, SourceState)>, StoreError> {
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(b"src/") {
            let (k, v) = kv?;
            let id = String::from_utf8_lossy(&k[4..]).into_owned();
            if let Ok(s) = serde_json::from_slice(&v) {
                out.push((id, s));
            }
        }
        Ok(out)
    }

    /// A source's rating trend: the overall rating of every poll that showed one,
    /// oldest first.
    pub fn rating_trend(&self, source: &str) -> Result<Vec<AggregatePoint>, StoreError> {
        self.scan_json(format!("ag/{source}/").as_bytes())
    }

    /// Update a source's state outside an ingest (failures, 304s).
    pub fn update_source(
        &self,
        id: &str,
        f: impl FnOnce(&mut SourceState),
    ) -> Result<SourceState, StoreError> {
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = self.source_state(id)?;
        f(&mut st);
        self.tree
            .insert(format!("src/{id}").as_bytes(), to_json(&st))?;
        Ok(st)
    }

    /// Pending deliveries (all notifiers), oldest first.
    pub fn pending_deliveries(&self) -> Result<Vec<Delivery>, StoreError> {
        let mut v: Vec<Delivery> = self.scan_json(b"o/")?;
        v.sort_by_key(|d| (d.next_attempt_at, d.created_at));
        Ok(v)
    }

    /// Dead-lettered deliveries, newest first.
    pub fn dead_deliveries(&self) -> Result<Vec<Delivery>, StoreError> {
        let mut v: Vec<Delivery> = self.scan_json(b"d/")?;
        v.sort_by_key(|d| std::cmp::Reverse(d.finished_at));
        Ok(v)
    }

    /// The receiver accepted it: move from pending to delivered, durably.
    pub async fn mark_delivered(&self, d: &Delivery, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.finish(d, "done/", now, None)?;
        self.flush().await
    }

    /// Give up: move from pending to the dead letters, durably.
    pub async fn dead_letter(
        &self,
        d: &Delivery,
        now: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.finish(d, "d/", now, Some(reason))?;
        self.flush().await
    }

    fn finish(
        &self,
        d: &Delivery,
        to: &str,
        now: DateTime<Utc>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut d = d.clone();
        d.finished_at = Some(now);
        if let Some(r) = reason {
            d.last_error = Some(r.to_string());
        }
        let mut b = sled::Batch::default();
        b.remove(format!("o/{}", d.id).as_bytes());
        if d.event == EVENT_DIGEST {
            b.remove(format!("dgd/{}", d.id).as_bytes());
        }
        b.insert(format!("{to}{}", d.id).as_bytes(), to_json(&d));
        self.tree.apply_batch(b)?;
        Ok(())
    }

    /// A failed attempt: record it and schedule the next one.
    pub fn reschedule(
        &self,
        d: &Delivery,
        next: DateTime<Utc>,
        error: &str,
    ) -> Result<Delivery, StoreError> {
        let _w = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let key = format!("o/{}", d.id);
        // Only if still pending (it may have been finished concurrently).
        let Some(mut cur) = self.get_json::<Delivery>(key.as_bytes())? else {
            return Ok(d.clone());
        };
        cur.attempts += 1;
        cur.next_attempt_at = next;
        cur.last_error = Some(error.to_string());
        self.tree.insert(key.as_bytes(), to_json(&cur))?;
        Ok(cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_says_pending_ok_failing_blocked_and_broken() {
        let mut st = SourceState::default();
        assert_eq!(st.health(), Health::Pending);
        st.polls = 1;
        st.record_items(0);
        assert_eq!(
            st.health(),
            Health::Ok,
            "empty from the start is not broken"
        );
        st.record_items(7);
        st.record_items(0);
        assert_eq!(st.health(), Health::Broken);
        assert!(st.broken_reason().unwrap().contains("up to 7"));
        st.record_items(2);
        assert_eq!(st.health(), Health::Ok);
        st.consecutive_failures = 1;
        st.last_error_kind = Some("blocked".into());
        assert_eq!(st.health(), Health::Blocked);
        st.last_error_kind = Some("status".into());
        assert_eq!(st.health(), Health::Failing);
        for n in 0..30 {
            st.record_items(n);
        }
        assert_eq!(st.items_recent.len(), ITEMS_RECENT);
        assert_eq!(st.items_recent.last(), Some(&29));
    }
}
