//! Canonical URLs: one spelling per resource, so the same review reached through a
//! redirect wrapper or a tracking link is recognized.

/// Canonicalize `raw` (resolved against `base` when relative). None when it is not a
/// usable http(s) URL.
pub fn canonical_url(raw: &str, base: Option<&url::Url>) -> Option<String> {
    let u = match base {
        Some(b) => b.join(raw).ok()?,
        None => url::Url::parse(raw).ok()?,
    };
    Some(u.to_string())
}
