//! Pieces the API presets share: JSON extraction with per-item fix-ups on top of
//! the generic engine, query rewriting, polls over several endpoints, token
//! helpers (Basic auth, JWT expiry) and text clean-up.
//!
//! Nothing here logs a URL that may hold a secret: request URLs keep their
//! `{placeholder}`s, and token responses are never shown.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::json::{self, JsonMapping};
use super::{Page, PollContext, PollOutcome, SourceError};
use crate::fetch::{Body, FetchError, Request};
use crate::mention::{RawMention, cut, fold_whitespace};

pub(crate) use super::parse_error;

/// Read one JSON response with the generic engine, then let `fix` amend each
/// mention from its item (links the mapping cannot build, fallbacks, replies). Items
/// are matched to mentions by the mapping's single `id` pointer. Also returns the
/// parsed document, for paging fields the mapping does not cover.
pub(crate) fn extract_json(
    body: &Body,
    map: &JsonMapping,
    fix: impl Fn(&Value, &mut RawMention),
) -> Result<(json::Page, Value), SourceError> {
    let url = &body.final_url;
    let mut page =
        json::extract(&body.bytes, url, map).map_err(|e| parse_error(url, e.to_string()))?;
    let bytes = body
        .bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&body.bytes);
    let root: Value = serde_json::from_slice(bytes).map_err(|e| parse_error(url, e.to_string()))?;
    let id_pointer = map
        .fields
        .id
        .as_ref()
        .and_then(|f| f.pointers.first())
        .map(String::as_str);
    if let (Some(items), Some(id_pointer)) = (
        root.pointer(&map.items).and_then(Value::as_array),
        id_pointer,
    ) {
        let mut by_id: HashMap<String, &Value> = HashMap::new();
        for item in items.iter().take(json::MAX_ITEMS) {
            if let Some(id) = item.pointer(id_pointer).and_then(scalar) {
                by_id.entry(id.trim().to_string()).or_insert(item);
            }
        }
        for m in &mut page.mentions {
            if let Some(item) = m.external_id.as_deref().and_then(|id| by_id.get(id)) {
                fix(item, m);
            }
        }
    }
    Ok((page, root))
}

/// A string or a number, as text.
pub(crate) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The string at `pointer`, trimmed, when non-empty.
pub(crate) fn str_at<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Query values: everything but unreserved characters encoded.
pub(crate) use super::json::set_query_param;

/// `url` without any `name=` parameter.
pub(crate) fn remove_query_param(url: &Url, name: &str) -> Url {
    let kept: Vec<&str> = url
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && query_key(p) != name)
        .collect();
    let mut out = url.clone();
    out.set_query((!kept.is_empty()).then(|| kept.join("&")).as_deref());
    out
}

fn query_key(pair: &str) -> String {
    let raw = pair.split('=').next().unwrap_or("");
    url::form_urlencoded::parse(raw.as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

/// Whether `url`'s query has `name=value`.
pub(crate) fn has_query(url: &Url, name: &str, value: &str) -> bool {
    url.query_pairs().any(|(k, v)| k == name && v == value)
}

pub(crate) use crate::fetch::same_origin;

/// Poll several endpoints (one per video, per edge) with the page driver each, up
/// to `max_pages` pages each. Not conditional: one set of validators cannot stand
/// for several documents. A failing endpoint is logged and skipped; the poll fails
/// only when every endpoint failed (with the first error).
pub(crate) async fn poll_endpoints(
    cx: &PollContext<'_>,
    endpoints: &[Url],
    max_pages: u32,
    request: impl Fn(&Url) -> Request,
    parse: impl Fn(&Body) -> Result<Page, SourceError>,
) -> Result<PollOutcome, SourceError> {
    let plain = PollContext {
        fetcher: cx.fetcher,
        validators: None,
    };
    let mut mentions = Vec::new();
    let mut items_seen = 0;
    let mut first_error = None;
    let mut succeeded = 0;
    for url in endpoints {
        match super::poll_pages(&plain, url, max_pages, &request, &parse).await {
            Ok(PollOutcome::Fetched {
                mentions: m,
                items_seen: n,
                ..
            }) => {
                succeeded += 1;
                mentions.extend(m);
                items_seen += n;
            }
            Ok(PollOutcome::NotModified) => succeeded += 1,
            Err(e) => {
                tracing::warn!(endpoint = %url, kind = e.kind(), error = %e, "An endpoint failed; keeping the others.");
                first_error.get_or_insert(e);
            }
        }
    }
    if succeeded == 0
        && let Some(e) = first_error
    {
        return Err(e);
    }
    Ok(PollOutcome::Fetched {
        mentions,
        validators: Default::default(),
        items_seen,
        aggregate: None,
    })
}

/// Whether a failed poll may be an expired or revoked token: 401, or 400 (Bluesky
/// answers an expired access token with `400 ExpiredToken`).
pub(crate) fn is_auth_failure(e: &SourceError) -> bool {
    matches!(
        e,
        SourceError::Fetch(FetchError::Status {
            status: 400 | 401,
            ..
        })
    )
}

/// A token endpoint's JSON answer. The body is never shown: it may hold a token.
pub(crate) fn token_json<T: DeserializeOwned>(body: &Body) -> Result<T, SourceError> {
    serde_json::from_slice(&body.bytes).map_err(|e| {
        parse_error(
            &body.final_url,
            format!(
                "the token response is not the expected JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })
}

/// Standard base64 with padding (RFC 4648 §4), for HTTP Basic credentials.
pub(crate) fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// base64url without padding (RFC 4648 §5), as in JWT segments; None when invalid.
pub(crate) fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let s = s.trim_end_matches('=').as_bytes();
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    Some(out)
}

/// How long a JWT stays valid from now, by its `exp` claim (not verified: only
/// used to refresh before the server refuses it). None when unreadable.
pub(crate) fn jwt_lifetime(jwt: &str) -> Option<Duration> {
    let payload = jwt.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&base64url_decode(payload)?).ok()?;
    let exp = claims.get("exp")?.as_u64()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(exp.saturating_sub(now)))
}

/// Alert services highlight the search terms with `<b>`: drop those tags (only
/// `<b>` and `</b>`, in any case) from text that is already plain, and fold
/// whitespace. Anything else that looks like markup is the author's text and stays.
pub(crate) fn strip_highlight(s: &str) -> String {
    if !s.contains('<') {
        return fold_whitespace(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let tag_len = ["<b>", "</b>"]
            .iter()
            .find(|t| {
                tail.get(..t.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(t))
            })
            .map(|t| t.len());
        match tag_len {
            Some(n) => rest = &tail[n..],
            None => {
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    fold_whitespace(&out)
}

/// Plain text as a preset stores it: whitespace folded, control characters dropped,
/// at most `max` bytes.
pub(crate) fn clean_text(s: &str, max: usize) -> String {
    let s = fold_whitespace(cut(s, 8 * max));
    let s: String = if s.chars().any(char::is_control) {
        s.chars().filter(|c| !c.is_control()).collect()
    } else {
        s
    };
    cut(&s, max).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
        assert_eq!(
            base64(b"p-jcoLKBynTLew:gko_LXELoV07ZBNUXrvWZfzE3aI"),
            "cC1qY29MS0J5blRMZXc6Z2tvX0xYRUxvVjA3WkJOVVhydldaZnpFM2FJ"
        );
    }

    #[test]
    fn base64url_decodes_jwt_segments() {
        assert_eq!(base64url_decode("Zm9vYmFy").unwrap(), b"foobar");
        assert_eq!(base64url_decode("Zm9vYg").unwrap(), b"foob");
        assert_eq!(base64url_decode("Zm9vYmE").unwrap(), b"fooba");
        assert_eq!(base64url_decode("_-8").unwrap(), [0xff, 0xef]);
        assert_eq!(base64url_decode("a"), None);
        assert_eq!(base64url_decode("a*bc"), None);
        let exp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600;
        let payload = base64(format!("{{\"sub\":\"did:plc:x\",\"exp\":{exp}}}").as_bytes())
            .replace('+', "-")
            .replace('/', "_")
            .replace('=', "");
        let jwt = format!("eyJhbGciOiJFUzI1NksifQ.{payload}.c2ln");
        let left = jwt_lifetime(&jwt).unwrap();
        assert!(left > Duration::from_secs(3590) && left <= Duration::from_secs(3600));
        assert_eq!(jwt_lifetime("not-a-jwt"), None);
    }

    #[test]
    fn highlight_tags_go_and_other_markup_stays() {
        assert_eq!(
            strip_highlight("a <b>Kettlewerk</B>  kettle"),
            "a Kettlewerk kettle"
        );
        assert_eq!(
            strip_highlight("<script>alert(1)</script> <br> x<y"),
            "<script>alert(1)</script> <br> x<y"
        );
        assert_eq!(strip_highlight("ends with <"), "ends with <");
        assert_eq!(strip_highlight("<bold>"), "<bold>");
    }

    #[test]
    fn query_params_are_set_and_removed_keeping_the_rest() {
        let u = Url::parse("https://a.example/x?key={api_key}&pageToken=1&b=%20").unwrap();
        let n = set_query_param(&u, "pageToken", "a b/c");
        assert_eq!(n.query(), Some("key={api_key}&pageToken=a%20b%2Fc&b=%20"));
        let n = set_query_param(&u, "max_id", "7");
        assert_eq!(n.query(), Some("key={api_key}&pageToken=1&b=%20&max_id=7"));
        let n = remove_query_param(&u, "key");
        assert_eq!(n.query(), Some("pageToken=1&b=%20"));
        let only = Url::parse("https://a.example/x?access_token=s").unwrap();
        assert_eq!(
            remove_query_param(&only, "access_token").as_str(),
            "https://a.example/x"
        );
        assert!(has_query(&u, "b", " "));
    }

    #[test]
    fn clean_text_drops_controls_and_caps() {
        assert_eq!(clean_text(" a\u{0}b \n c\u{1b} ", 100), "ab c");
        assert_eq!(clean_text("äääää", 5), "ää");
    }
}
