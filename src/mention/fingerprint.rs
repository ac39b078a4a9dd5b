//! Text fingerprints for near-duplicate matching: the same review reached as a
//! truncated snippet ("..."), a Google Alert excerpt or a repost.
//!
//! Text is reduced to lowercase word tokens. Containment is tested exactly on
//! tokens; candidates are found through *winnowed* shingle hashes: of every window of
//! [`WINDOW`] consecutive [`SHINGLE`]-token shingles, the minimum hash is kept. Two
//! texts sharing a run of at least `WINDOW + SHINGLE - 1` tokens are guaranteed to
//! share a kept hash (Schleimer, Wilkerson, Aiken 2003), while only about
//! `2 / (WINDOW + 1)` of all shingles are stored.
//!
//! Hashes are FNV-1a 64 over the token bytes: stable across Rust releases and
//! platforms, because they are persisted.

/// Tokens per shingle.
pub const SHINGLE: usize = 4;
/// Shingles per winnowing window.
pub const WINDOW: usize = 6;
/// Shortest token run that is guaranteed to be found.
pub const MIN_MATCH: usize = WINDOW + SHINGLE - 1;

/// Words of `text` for matching: lowercase alphanumeric runs. A leading or trailing
/// ellipsis marks a cut, so the word beside it may be partial and is dropped.
pub fn tokens(text: &str) -> Vec<String> {
    let t = text.trim();
    let cut_end = t.ends_with("...") || t.ends_with('…');
    let cut_start = t.starts_with("...") || t.starts_with('…');
    let mut out: Vec<String> = t
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if cut_end && out.len() > 1 {
        out.pop();
    }
    if cut_start && out.len() > 1 {
        out.remove(0);
    }
    out
}

fn fnv1a(bytes: impl IntoIterator<Item = u8>, mut h: u64) -> u64 {
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Stable hash of a token sequence.
pub fn hash_tokens(tokens: &[String]) -> u64 {
    let mut h = FNV_OFFSET;
    for t in tokens {
        h = fnv1a(t.bytes(), h);
        h = fnv1a([0xff], h);
    }
    h
}

/// Winnowed shingle hashes of `tokens` (deduplicated, sorted). Empty when the text is
/// shorter than [`MIN_MATCH`] tokens: short texts are too common to match on.
pub fn winnow(tokens: &[String]) -> Vec<u64> {
    if tokens.len() < MIN_MATCH {
        return Vec::new();
    }
    let shingles: Vec<u64> = tokens.windows(SHINGLE).map(hash_tokens).collect();
    let mut kept: Vec<u64> = shingles
        .windows(WINDOW)
        .map(|w| *w.iter().min().expect("window is non-empty"))
        .collect();
    kept.sort_unstable();
    kept.dedup();
    kept
}

/// True when `needle` occurs as a contiguous run inside `haystack`.
pub fn contains(haystack: &[String], needle: &[String]) -> bool {
    if needle.is_empty() || needle.len() > haystack.len() {
        return false;
    }
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipsis_drops_partial_word() {
        assert_eq!(
            tokens("Kettle leaks after two wee..."),
            ["kettle", "leaks", "after", "two"]
        );
        assert_eq!(tokens("… and it LEAKS"), ["it", "leaks"]);
    }

    #[test]
    fn snippet_of_longer_text_shares_a_fingerprint() {
        let full = tokens(
            "We ordered the kettle three weeks ago and it still has not arrived, \
             four emails to support went unanswered and nobody calls back. Avoid this shop.",
        );
        let snippet = tokens(
            "... it still has not arrived, four emails to support went unanswered and nob...",
        );
        assert!(contains(&full, &snippet));
        let a = winnow(&full);
        let b = winnow(&snippet);
        assert!(b.iter().any(|h| a.binary_search(h).is_ok()));
    }

    #[test]
    fn hashes_are_stable() {
        // Persisted: this value must never change.
        // FNV-1a 64 of b"kettle\xff", computed independently.
        assert_eq!(
            hash_tokens(&["kettle".to_string()]),
            763_239_704_589_569_863
        );
    }
}
