//! The in-memory dedup index: dedup keys (platform id, canonical URL, exact text)
//! and winnowed text fingerprints, each pointing at a mention.
//!
//! The durable form is one compact `x/<mention id>` record per mention (its key
//! hashes and fingerprints), written in the same batch as the mention. The index is
//! rebuilt from those records the first time a process ingests anything, so polls
//! that bring nothing new (304s) never pay for it, and a new mention costs two
//! store writes instead of one per key and fingerprint.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::StoreError;

/// A fingerprint shared by more mentions than this is a stock phrase and ignored.
pub const MAX_POSTINGS: usize = 24;

/// Stable 128-bit hash of a dedup key string (persisted).
pub fn key_hash(key: &str) -> u128 {
    let d = Sha256::digest(key.as_bytes());
    u128::from_be_bytes(d[..16].try_into().expect("16 bytes"))
}

/// What the index knows about one mention; persisted under `x/<id>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub keys: Vec<u128>,
    pub fps: Vec<u64>,
}

impl Record {
    const VERSION: u8 = 1;

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5 + self.keys.len() * 16 + self.fps.len() * 8);
        out.push(Self::VERSION);
        out.extend_from_slice(&(self.keys.len() as u16).to_be_bytes());
        for k in &self.keys {
            out.extend_from_slice(&k.to_be_bytes());
        }
        out.extend_from_slice(&(self.fps.len() as u16).to_be_bytes());
        for f in &self.fps {
            out.extend_from_slice(&f.to_be_bytes());
        }
        out
    }

    pub fn decode(b: &[u8]) -> Option<Record> {
        let (&v, mut rest) = b.split_first()?;
        if v != Self::VERSION {
            return None;
        }
        let mut take = |n: usize| -> Option<&[u8]> {
            if rest.len() < n {
                return None;
            }
            let (a, r) = rest.split_at(n);
            rest = r;
            Some(a)
        };
        let nk = u16::from_be_bytes(take(2)?.try_into().ok()?) as usize;
        let mut keys = Vec::with_capacity(nk);
        for _ in 0..nk {
            keys.push(u128::from_be_bytes(take(16)?.try_into().ok()?));
        }
        let nf = u16::from_be_bytes(take(2)?.try_into().ok()?) as usize;
        let mut fps = Vec::with_capacity(nf);
        for _ in 0..nf {
            fps.push(u64::from_be_bytes(take(8)?.try_into().ok()?));
        }
        Some(Record { keys, fps })
    }

    /// Add keys and fingerprints not yet present; true when something was added.
    pub fn merge(&mut self, keys: &[u128], fps: &[u64]) -> bool {
        let before = (self.keys.len(), self.fps.len());
        for k in keys {
            if !self.keys.contains(k) && self.keys.len() < u16::MAX as usize {
                self.keys.push(*k);
            }
        }
        for f in fps {
            if !self.fps.contains(f) && self.fps.len() < u16::MAX as usize {
                self.fps.push(*f);
            }
        }
        before != (self.keys.len(), self.fps.len())
    }
}

/// Mention ids are 16 bytes, written as 32 hex digits.
type RawId = [u8; 16];

fn raw_id(id: &str) -> Option<RawId> {
    let mut out = [0u8; 16];
    hex::decode_to_slice(id, &mut out).ok()?;
    Some(out)
}

/// 64 bits of a 128-bit key hash are plenty in memory (a false match needs two of
/// billions of keys to collide); the durable records keep all 128.
fn fold(key: u128) -> u64 {
    (key >> 64) as u64 ^ key as u64
}

/// Compact by design: it holds every mention, so each costs about 200 bytes.
#[derive(Debug, Default)]
pub struct Index {
    ids: Vec<RawId>,
    by_id: HashMap<RawId, u32>,
    fp_count: Vec<u32>,
    keys: HashMap<u64, u32>,
    /// Fingerprints seen in exactly one mention (most of them).
    single: HashMap<u64, u32>,
    /// Fingerprints seen in several; past [`MAX_POSTINGS`] a stock phrase.
    many: HashMap<u64, Vec<u32>>,
}

impl Index {
    /// Rebuild from the `x/` records.
    pub fn load(tree: &sled::Tree) -> Result<Index, StoreError> {
        let mut index = Index::default();
        for kv in tree.scan_prefix(b"x/") {
            let (k, v) = kv?;
            let id = String::from_utf8_lossy(&k[2..]).into_owned();
            match Record::decode(&v) {
                Some(r) => index.add(&id, &r),
                None => tracing::warn!(mention = %id, "Skipping an unreadable index record."),
            }
        }
        tracing::debug!(
            mentions = index.ids.len(),
            keys = index.keys.len(),
            fingerprints = index.single.len() + index.many.len(),
            "Dedup index loaded."
        );
        Ok(index)
    }

    fn slot(&mut self, id: &str) -> Option<u32> {
        let raw = raw_id(id)?;
        if let Some(&i) = self.by_id.get(&raw) {
            return Some(i);
        }
        let i = self.ids.len() as u32;
        self.ids.push(raw);
        self.by_id.insert(raw, i);
        self.fp_count.push(0);
        Some(i)
    }

    fn id(&self, i: u32) -> String {
        hex::encode(self.ids[i as usize])
    }

    /// Point the record's keys and fingerprints at `id` (first writer wins a key).
    pub fn add(&mut self, id: &str, r: &Record) {
        let Some(i) = self.slot(id) else {
            tracing::warn!(mention = %id, "Not indexing a mention with a malformed id.");
            return;
        };
        self.fp_count[i as usize] = self.fp_count[i as usize].max(r.fps.len() as u32);
        for k in &r.keys {
            self.keys.entry(fold(*k)).or_insert(i);
        }
        for f in &r.fps {
            if let Some(v) = self.many.get_mut(f) {
                // Past the cap the phrase is a stock phrase; stop growing.
                if v.len() <= MAX_POSTINGS && !v.contains(&i) {
                    v.push(i);
                }
            } else {
                match self.single.get(f) {
                    None => {
                        self.single.insert(*f, i);
                    }
                    Some(&j) if j != i => {
                        self.single.remove(f);
                        self.many.insert(*f, vec![j, i]);
                    }
                    Some(_) => {}
                }
            }
        }
    }

    pub fn lookup(&self, key: u128) -> Option<String> {
        self.keys.get(&fold(key)).map(|&i| self.id(i))
    }

    /// Mentions worth verifying as near-duplicates of a text with fingerprints
    /// `fps`, best first.
    ///
    /// A text contained in another has every one of its fingerprints in the other's
    /// set (its shingle windows are windows of the longer text, with the same
    /// minima). So a candidate either shares every non-stock fingerprint of the
    /// query (the query is inside it), or shares all of its own fingerprints except
    /// at most the stock ones the query skipped (it is inside the query). Anything
    /// less is a shared phrase, not a copy, and is never loaded.
    pub fn candidates(&self, fps: &[u64], limit: usize) -> Vec<String> {
        let mut hits: HashMap<u32, usize> = HashMap::new();
        let mut considered = 0;
        for f in fps {
            if let Some(&i) = self.single.get(f) {
                considered += 1;
                *hits.entry(i).or_default() += 1;
            } else if let Some(v) = self.many.get(f) {
                // A stock phrase many texts share says nothing about which mention.
                if v.len() <= MAX_POSTINGS {
                    considered += 1;
                    for i in v {
                        *hits.entry(*i).or_default() += 1;
                    }
                }
            } else {
                considered += 1;
            }
        }
        let skipped = fps.len() - considered;
        let mut c: Vec<(u32, usize)> = hits
            .into_iter()
            .filter(|&(i, shared)| {
                let own = self.fp_count[i as usize] as usize;
                // Inside the query: all its fingerprints, at most the skipped stock
                // ones missing, and at least half of them distinctive.
                shared >= considered || (shared + skipped >= own && shared * 2 >= own)
            })
            .collect();
        c.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        c.into_iter().take(limit).map(|(i, _)| self.id(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_rejects_garbage() {
        let r = Record {
            keys: vec![1, u128::MAX],
            fps: vec![7, 8, 9],
        };
        assert_eq!(Record::decode(&r.encode()), Some(r));
        assert_eq!(Record::decode(&[]), None);
        assert_eq!(Record::decode(&[1, 0, 5, 1, 2]), None);
        assert_eq!(Record::decode(&[9]), None);
    }

    #[test]
    fn stock_phrases_are_ignored() {
        let mut ix = Index::default();
        for n in 0..(MAX_POSTINGS as u64 + 5) {
            ix.add(
                &format!("{n:032x}"),
                &Record {
                    keys: vec![],
                    fps: vec![42, 1000 + n],
                },
            );
        }
        assert!(ix.candidates(&[42], 10).is_empty(), "shared by too many");
        assert_eq!(
            ix.candidates(&[42, 1003], 10),
            [format!("{:032x}", 3)],
            "m3 lies inside the query"
        );
        assert!(
            ix.candidates(&[1003, 5, 6], 10).is_empty(),
            "one shared phrase is not a copy"
        );
    }

    #[test]
    fn key_hashes_are_stable() {
        // Persisted: must never change.
        assert_eq!(key_hash("k/e/feed/x"), key_hash("k/e/feed/x"));
        assert_eq!(
            format!("{:032x}", key_hash("")),
            "e3b0c44298fc1c149afbf4c8996fb924"
        );
    }
}
