//! The in-memory dedup index: dedup keys (platform id, canonical URL, exact text)
//! and winnowed text fingerprints, each pointing at a mention.
//!
//! The durable form is a log: each ingest batch that adds to the index writes one
//! `xl/<sequence>` entry holding a compact [`Record`] per mention it touched (key
//! hashes, fingerprints, text signature), in the same atomic batch as the mentions.
//! The index is rebuilt from the log (and from the per-mention `x/<id>` records of
//! older stores) the first time a process ingests anything, so polls that bring
//! nothing new (304s) never pay for it, and a poll of fifty new mentions costs one
//! index write, not fifty or one per key and fingerprint.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::StoreError;
use super::postings::Postings;
use crate::mention::fingerprint;

/// A fingerprint shared by more mentions than this is a stock phrase and ignored.
pub const MAX_POSTINGS: usize = 24;

/// Stable 128-bit hash of a dedup key string (persisted).
pub fn key_hash(key: &str) -> u128 {
    let d = Sha256::digest(key.as_bytes());
    u128::from_be_bytes(d[..16].try_into().expect("16 bytes"))
}

/// A compact summary of a mention's current text: its token count and a 256-bit set
/// of the hashes of its words and word pairs. A run of tokens can only lie inside
/// another text if it is no longer and its bits are a subset, so most false
/// candidates are ruled out in memory, without loading them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sig {
    bits: [u64; SIG_WORDS],
    len: u32,
}

const SIG_WORDS: usize = 4;
const SIG_BITS: u64 = SIG_WORDS as u64 * 64;

impl Sig {
    /// For records written before signatures existed: rules nothing out.
    pub const UNKNOWN: Sig = Sig {
        bits: [u64::MAX; SIG_WORDS],
        len: u32::MAX,
    };

    pub fn of(tokens: &[String]) -> Sig {
        let mut bits = [0u64; SIG_WORDS];
        let mut set = |h: u64| {
            let b = (h % SIG_BITS) as usize;
            bits[b / 64] |= 1 << (b % 64);
        };
        for t in tokens {
            set(fingerprint::hash_tokens(std::slice::from_ref(t)));
        }
        for pair in tokens.windows(2) {
            set(fingerprint::hash_tokens(pair).rotate_left(17));
        }
        Sig {
            bits,
            len: u32::try_from(tokens.len()).unwrap_or(u32::MAX - 1),
        }
    }

    /// Whether a text with this signature may occur as a run inside `other`'s.
    pub fn may_be_inside(&self, other: &Sig) -> bool {
        if *self == Sig::UNKNOWN || *other == Sig::UNKNOWN {
            return true;
        }
        self.len <= other.len && self.bits.iter().zip(other.bits).all(|(a, b)| a & !b == 0)
    }
}

impl Default for Sig {
    fn default() -> Sig {
        Sig::UNKNOWN
    }
}

/// What the index knows about one mention; persisted under `x/<id>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub keys: Vec<u128>,
    pub fps: Vec<u64>,
    /// Signature of the mention's current text.
    pub sig: Sig,
}

impl Record {
    /// Version 1 had no signature; version 2 appends it.
    const VERSION: u8 = 2;

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(41 + self.keys.len() * 16 + self.fps.len() * 8);
        out.push(Self::VERSION);
        out.extend_from_slice(&(self.keys.len() as u16).to_be_bytes());
        for k in &self.keys {
            out.extend_from_slice(&k.to_be_bytes());
        }
        out.extend_from_slice(&(self.fps.len() as u16).to_be_bytes());
        for f in &self.fps {
            out.extend_from_slice(&f.to_be_bytes());
        }
        for b in self.sig.bits {
            out.extend_from_slice(&b.to_be_bytes());
        }
        out.extend_from_slice(&self.sig.len.to_be_bytes());
        out
    }

    pub fn decode(b: &[u8]) -> Option<Record> {
        let (&v, mut rest) = b.split_first()?;
        if v != 1 && v != Self::VERSION {
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
        let sig = if v == 1 {
            Sig::UNKNOWN
        } else {
            let mut bits = [0u64; SIG_WORDS];
            for b in &mut bits {
                *b = u64::from_be_bytes(take(8)?.try_into().ok()?);
            }
            let len = u32::from_be_bytes(take(4)?.try_into().ok()?);
            Sig { bits, len }
        };
        Some(Record { keys, fps, sig })
    }
}

/// Key prefix of the index log entries.
pub const LOG_PREFIX: &str = "xl/";
const LOG_VERSION: u8 = 1;

/// One log entry: `(mention id, record)` pairs. Ids are 32 hex digits.
pub fn encode_log(entries: &[(String, Record)]) -> Vec<u8> {
    let mut out = vec![LOG_VERSION];
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    for (id, r) in entries {
        out.extend_from_slice(&raw_id(id).unwrap_or_default());
        let rec = r.encode();
        out.extend_from_slice(&(rec.len() as u32).to_be_bytes());
        out.extend_from_slice(&rec);
    }
    out
}

/// The pairs of a log entry, or None when it is not one.
pub fn decode_log(b: &[u8]) -> Option<Vec<(String, Record)>> {
    let (&v, mut rest) = b.split_first()?;
    if v != LOG_VERSION {
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
    let n = u32::from_be_bytes(take(4)?.try_into().ok()?) as usize;
    let mut out = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        let id = hex::encode(take(16)?);
        let len = u32::from_be_bytes(take(4)?.try_into().ok()?) as usize;
        out.push((id, Record::decode(take(len)?)?));
    }
    Some(out)
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

/// Fingerprints are kept as 32 bits in memory: a collision only adds a candidate,
/// which the signature and the exact check then rule out.
fn short(fp: u64) -> u32 {
    (fp >> 32) as u32 ^ fp as u32
}

/// Compact by design: it holds every mention, so each costs about 200 bytes
/// (id, signature, three keys and ten fingerprints).
#[derive(Default)]
pub struct Index {
    ids: Vec<RawId>,
    /// Slot of each id, by the id's 64-bit fold.
    by_id: Postings<u64>,
    fp_count: Vec<u32>,
    sigs: Vec<Sig>,
    /// Each key points at one mention: the first that had it.
    keys: Postings<u64>,
    /// Fingerprints and the mentions that have them; past [`MAX_POSTINGS`] a
    /// fingerprint is a stock phrase and takes no more.
    fps: Postings<u32>,
}

impl Index {
    /// Rebuild from the per-mention `x/` records of older stores, then the log.
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
        for kv in tree.scan_prefix(LOG_PREFIX.as_bytes()) {
            let (k, v) = kv?;
            match decode_log(&v) {
                Some(entries) => {
                    for (id, r) in entries {
                        index.add(&id, &r);
                    }
                }
                None => tracing::warn!(
                    key = %String::from_utf8_lossy(&k),
                    "Skipping an unreadable index log entry."
                ),
            }
        }
        index.by_id.shrink_to_fit();
        index.keys.shrink_to_fit();
        index.fps.shrink_to_fit();
        index.ids.shrink_to_fit();
        index.fp_count.shrink_to_fit();
        index.sigs.shrink_to_fit();
        tracing::debug!(
            mentions = index.ids.len(),
            keys = index.keys.len(),
            fingerprints = index.fps.len(),
            "Dedup index loaded."
        );
        Ok(index)
    }

    fn slot(&mut self, id: &str) -> Option<u32> {
        let raw = raw_id(id)?;
        let folded = fold(u128::from_be_bytes(raw));
        if let Some(i) = self.by_id.first(folded) {
            return Some(i);
        }
        let i = self.ids.len() as u32;
        self.ids.push(raw);
        self.by_id.insert(folded, i);
        self.fp_count.push(0);
        self.sigs.push(Sig::UNKNOWN);
        Some(i)
    }

    fn id(&self, i: u32) -> String {
        hex::encode(self.ids[i as usize])
    }

    /// Point the record's keys and fingerprints at `id` (first writer wins a key).
    /// A record with a signature describes the mention's current text: its
    /// fingerprint count and signature replace the earlier ones.
    pub fn add(&mut self, id: &str, r: &Record) {
        let Some(i) = self.slot(id) else {
            tracing::warn!(mention = %id, "Not indexing a mention with a malformed id.");
            return;
        };
        let n = u32::try_from(r.fps.len()).unwrap_or(u32::MAX);
        if r.sig == Sig::UNKNOWN {
            self.fp_count[i as usize] = self.fp_count[i as usize].max(n);
        } else {
            self.fp_count[i as usize] = n;
            self.sigs[i as usize] = r.sig;
        }
        for k in &r.keys {
            let k = fold(*k);
            if self.keys.count(k) == 0 {
                self.keys.insert(k, i);
            }
        }
        for f in r.fps.iter().map(|f| short(*f)) {
            // Past the cap the phrase is a stock phrase; stop growing.
            if self.fps.count(f) <= MAX_POSTINGS {
                self.fps.insert(f, i);
            }
        }
    }

    pub fn lookup(&self, key: u128) -> Option<String> {
        self.keys.first(fold(key)).map(|i| self.id(i))
    }

    /// Mentions worth verifying as near-duplicates of a text with fingerprints
    /// `fps` and signature `sig`, best first.
    ///
    /// A text contained in another has every one of its fingerprints in the other's
    /// set (its shingle windows are windows of the longer text, with the same
    /// minima). So a candidate either shares every non-stock fingerprint of the
    /// query (the query is inside it), or shares all of its own fingerprints except
    /// at most the stock ones the query skipped (it is inside the query). Anything
    /// less is a shared phrase, not a copy. The signatures must agree too. Only
    /// what passes both is loaded and checked word by word.
    pub fn candidates(&self, fps: &[u64], sig: &Sig, limit: usize) -> Vec<String> {
        let mut hits: HashMap<u32, usize> = HashMap::new();
        let mut considered = 0;
        for f in fps.iter().map(|f| short(*f)) {
            // A stock phrase many texts share says nothing about which mention.
            if self.fps.count(f) <= MAX_POSTINGS {
                considered += 1;
                for i in self.fps.get(f) {
                    *hits.entry(i).or_default() += 1;
                }
            }
        }
        let skipped = fps.len() - considered;
        let mut c: Vec<(u32, usize)> = hits
            .into_iter()
            .filter(|&(i, shared)| {
                let own = self.fp_count[i as usize] as usize;
                let theirs = &self.sigs[i as usize];
                // The query inside the candidate: every fingerprint it considered.
                let query_inside = shared >= considered && sig.may_be_inside(theirs);
                // The candidate inside the query: all its fingerprints, at most the
                // skipped stock ones missing, and at least half of them distinctive.
                let candidate_inside =
                    shared + skipped >= own && shared * 2 >= own && theirs.may_be_inside(sig);
                query_inside || candidate_inside
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
            sig: Sig::of(&["a".to_string(), "b".to_string()]),
        };
        assert_eq!(Record::decode(&r.encode()), Some(r));
        // Version 1 records (no signature) still load, ruling nothing out.
        let v1 = [
            1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0,
        ];
        let old = Record::decode(&v1).expect("v1 decodes");
        assert_eq!(
            (old.keys, old.fps, old.sig),
            (vec![5], vec![], Sig::UNKNOWN)
        );
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
                    sig: Sig::UNKNOWN,
                },
            );
        }
        let any = Sig::UNKNOWN;
        assert!(
            ix.candidates(&[42], &any, 10).is_empty(),
            "shared by too many"
        );
        assert_eq!(
            ix.candidates(&[42, 1003], &any, 10),
            [format!("{:032x}", 3)],
            "m3 lies inside the query"
        );
        assert!(
            ix.candidates(&[1003, 5, 6], &any, 10).is_empty(),
            "one shared phrase is not a copy"
        );
    }

    #[test]
    fn signatures_rule_out_texts_with_other_words() {
        let t = |s: &str| crate::mention::fingerprint::tokens(s);
        let full = Sig::of(&t("the kettle leaks after two weeks and support is silent"));
        let part = Sig::of(&t("leaks after two weeks"));
        let other = Sig::of(&t("the toaster burns after two weeks"));
        assert!(part.may_be_inside(&full));
        assert!(
            !full.may_be_inside(&part),
            "longer cannot be inside shorter"
        );
        assert!(!other.may_be_inside(&full));
        assert!(Sig::UNKNOWN.may_be_inside(&part) && part.may_be_inside(&Sig::UNKNOWN));

        let mut ix = Index::default();
        let id = format!("{:032x}", 7);
        ix.add(
            &id,
            &Record {
                keys: vec![],
                fps: vec![1, 2],
                sig: full,
            },
        );
        assert_eq!(ix.candidates(&[1, 2], &part, 10), [id]);
        assert!(ix.candidates(&[1, 2], &other, 10).is_empty());
    }

    #[test]
    fn log_entries_round_trip() {
        let entries = vec![
            (
                format!("{:032x}", 1),
                Record {
                    keys: vec![3],
                    fps: vec![4, 5],
                    sig: Sig::of(&["x".to_string()]),
                },
            ),
            (format!("{:032x}", 2), Record::default()),
        ];
        assert_eq!(decode_log(&encode_log(&entries)), Some(entries));
        assert_eq!(decode_log(&[1, 0, 0, 0, 9]), None, "truncated");
        assert_eq!(decode_log(&[7]), None);
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
