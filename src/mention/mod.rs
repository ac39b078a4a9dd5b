//! The normalized mention record, plus the helpers every source uses to build one:
//! HTML to plain text, canonical URLs and text fingerprints for near-duplicate matching.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a source parser produces for one item, before normalization and dedup.
///
/// Sources fill what the platform offers; `text` and `title` are already plain text
/// (use [`html_to_text`] for HTML fields).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawMention {
    /// The platform's own id for the item (review id, feed entry id/guid), if any.
    pub external_id: Option<String>,
    /// Link to the item as the source gave it (may be a redirect wrapper; the pipeline
    /// canonicalizes it).
    pub url: Option<String>,
    pub author: Option<String>,
    pub title: Option<String>,
    pub text: String,
    /// Rating on the platform's scale, with its bounds when known.
    pub rating: Option<f64>,
    pub rating_min: Option<f64>,
    pub rating_max: Option<f64>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Language the platform declares for the item (e.g. `inLanguage`), if any.
    pub lang: Option<String>,
    /// The business's public reply, when the platform shows one.
    pub reply: Option<Reply>,
}

/// A business's public answer to a review, as the platform shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// Plain text of the reply (may be empty when a platform only says "answered").
    pub text: String,
    /// When the reply was published (or last updated), if the platform says.
    pub at: Option<DateTime<Utc>>,
}

/// A page's overall rating (schema.org `AggregateRating`), as the platform shows it
/// at the time of one poll. Not a mention: the pipeline keeps it per poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateRating {
    /// `ratingValue`, on the platform's scale.
    pub rating: f64,
    /// `bestRating`, when given (schema.org's default is 5).
    pub best: Option<f64>,
    /// `worstRating`, when given (schema.org's default is 1).
    pub worst: Option<f64>,
    /// `ratingCount`: ratings the value is computed from.
    pub rating_count: Option<u64>,
    /// `reviewCount`: reviews with a text.
    pub review_count: Option<u64>,
}

/// A stored mention: one record per real-world review or post, whatever number of
/// sources and URLs it was reached through.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Mention {
    /// Stable id (hex), derived from the first key the mention was stored under.
    pub id: String,
    /// Source id that first saw it.
    pub source: String,
    pub platform: String,
    /// The platform's id, or the canonical URL, or a text fingerprint: whichever the
    /// first sighting offered, in that order of preference.
    pub external_id: String,
    /// Canonical URL.
    pub url: Option<String>,
    pub author: Option<String>,
    pub title: Option<String>,
    pub text: String,
    pub rating: Option<f64>,
    pub rating_max: Option<f64>,
    pub rating_min: Option<f64>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Detected (or declared) language, ISO 639-1.
    pub lang: Option<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// 1 for the first version; incremented whenever rating, title or text change.
    pub revision: u32,
    pub negative: bool,
    pub score: f64,
    pub reasons: Vec<String>,
    /// Alert severity: normal unless an operator rule raised it.
    #[serde(default)]
    pub severity: crate::classify::Severity,
    /// Ids of the operator rules (`[rules.<id>]`) that matched.
    #[serde(default)]
    pub rules: Vec<String>,
    /// Other (source, url) pairs this mention was also reached through.
    #[serde(default)]
    pub sightings: Vec<Sighting>,
    /// The business's public reply, once a platform shows one: the mention is
    /// answered.
    #[serde(default)]
    pub reply: Option<Reply>,
}

/// One more place a known mention was seen (a Google Alert echo, a repost).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sighting {
    pub source: String,
    pub url: Option<String>,
    pub seen_at: DateTime<Utc>,
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
pub fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Fold whitespace runs (including NBSP) to one space and trim.
pub fn fold_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c == '\u{a0}') {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

pub mod fingerprint;
mod html;
mod url;

pub use html::html_to_text;
pub use url::canonical_url;
