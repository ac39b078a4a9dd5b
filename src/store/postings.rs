//! A compact multimap from hash keys to mention slots, for the dedup index.
//!
//! The index holds every mention's keys and fingerprints, so its size is what a
//! store of many mentions costs in memory. A `HashMap` spends about twice the
//! entries' size on slack; this keeps almost everything in one sorted vector of
//! packed `(key, slot)` pairs, found by binary search, and only the latest additions
//! in a small hash map, merged into the vector in bulk.

use std::collections::HashMap;
use std::hash::Hash;

/// A key and the slot it points at, without padding (12 bytes for a `u64` key).
#[derive(Clone, Copy)]
#[repr(C, packed(4))]
struct Entry<K: Copy> {
    key: K,
    slot: u32,
}

impl<K: Copy + Ord> Entry<K> {
    fn sort_key(self) -> (K, u32) {
        (self.key, self.slot)
    }
}

/// The additions since the last merge are kept in a hash map; past this many (or
/// a sixty-fourth of the vector, if more) they are merged into the vector.
const MIN_DELTA: usize = 4096;

pub struct Postings<K: Copy> {
    base: Vec<Entry<K>>,
    delta: HashMap<K, Vec<u32>>,
    delta_len: usize,
}

impl<K: Copy> Default for Postings<K> {
    fn default() -> Self {
        Postings {
            base: Vec::new(),
            delta: HashMap::new(),
            delta_len: 0,
        }
    }
}

impl<K: Copy + Ord + Hash> Postings<K> {
    /// Number of `(key, slot)` pairs.
    pub fn len(&self) -> usize {
        self.base.len() + self.delta_len
    }

    /// The range of `key`'s entries in the sorted vector.
    fn range(&self, key: K) -> &[Entry<K>] {
        let start = self.base.partition_point(|e| e.sort_key() < (key, 0));
        let len = self.base[start..].partition_point(|e| {
            let k = e.key;
            k == key
        });
        &self.base[start..start + len]
    }

    /// The slots `key` points at.
    pub fn get(&self, key: K) -> impl Iterator<Item = u32> + '_ {
        self.range(key)
            .iter()
            .map(|e| e.slot)
            .chain(self.delta.get(&key).into_iter().flatten().copied())
    }

    /// How many slots `key` points at.
    pub fn count(&self, key: K) -> usize {
        self.range(key).len() + self.delta.get(&key).map_or(0, Vec::len)
    }

    /// The first slot `key` points at, if any.
    pub fn first(&self, key: K) -> Option<u32> {
        self.get(key).next()
    }

    /// Point `key` at `slot` too (a pair already present is not added twice).
    pub fn insert(&mut self, key: K, slot: u32) {
        if self.get(key).any(|s| s == slot) {
            return;
        }
        self.delta.entry(key).or_default().push(slot);
        self.delta_len += 1;
        if self.delta_len > MIN_DELTA.max(self.base.len() / 64) {
            self.merge();
        }
    }

    /// Move the additions into the sorted vector: sorted among themselves, then
    /// merged from the back in place, so the vector grows without a second copy.
    fn merge(&mut self) {
        let mut add: Vec<Entry<K>> = Vec::with_capacity(self.delta_len);
        for (key, slots) in self.delta.drain() {
            add.extend(slots.into_iter().map(|slot| Entry { key, slot }));
        }
        self.delta_len = 0;
        add.sort_unstable_by_key(|e| e.sort_key());
        let old = self.base.len();
        self.base.reserve_exact(add.len());
        self.base.extend_from_slice(&add);
        // Merge `base[..old]` and `add` into `base[..old + add.len()]`, from the back.
        let (mut i, mut j, mut w) = (old, add.len(), old + add.len());
        while j > 0 {
            w -= 1;
            if i > 0 && self.base[i - 1].sort_key() > add[j - 1].sort_key() {
                self.base[w] = self.base[i - 1];
                i -= 1;
            } else {
                self.base[w] = add[j - 1];
                j -= 1;
            }
        }
    }

    /// Give back spare capacity (after a bulk load).
    pub fn shrink_to_fit(&mut self) {
        self.merge();
        self.base.shrink_to_fit();
        self.delta.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_slot_before_and_after_merges() {
        let mut p: Postings<u64> = Postings::default();
        // Enough to merge several times; key k points at slots k and k + 1 for even k.
        for k in 0..20_000u64 {
            p.insert(k * 7, k as u32);
            if k % 2 == 0 {
                p.insert(k * 7, k as u32 + 1);
            }
        }
        for k in (0..20_000u64).step_by(997) {
            let mut got: Vec<u32> = p.get(k * 7).collect();
            got.sort();
            let want: Vec<u32> = if k % 2 == 0 {
                vec![k as u32, k as u32 + 1]
            } else {
                vec![k as u32]
            };
            assert_eq!(got, want, "key {k}");
            assert_eq!(p.count(k * 7), want.len());
        }
        assert_eq!(p.get(3).count(), 0);
        assert_eq!(p.len(), 30_000);
        p.insert(0, 0);
        assert_eq!(p.len(), 30_000, "a pair is stored once");
        p.shrink_to_fit();
        assert_eq!(p.first(7), Some(1));
        assert_eq!(std::mem::size_of::<Entry<u64>>(), 12);
        assert_eq!(std::mem::size_of::<Entry<u32>>(), 8);
    }
}
