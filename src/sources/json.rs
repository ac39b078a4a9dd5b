//! The generic JSON API source engine (`type = "json"`): a [`JsonMapping`] of JSON
//! pointers says where a response keeps its items, their fields and the next page,
//! and [`extract`] turns one response body into raw mentions.
//!
//! Pure: no network, no config file, no store. The caller fetches (with its own
//! `url`, `headers`, `secret_file` and `max_pages`), follows [`Page::next`] and maps
//! [`ExtractError`] to a source error. [`fill_template`] fills `{secret}` and preset
//! placeholders into the caller's URL and headers.
//!
//! Secrets: a request URL or header may carry an API key. Neither must ever be
//! logged; this module logs hosts only, and its errors carry no URL.
//!
//! Per item, values are read leniently and one bad item never fails the page:
//! strings are trimmed, whitespace is folded, control characters are dropped and
//! lengths are capped; numbers are accepted where strings are expected (`123` →
//! `"123"`); `null`, missing and `""` are all "absent", and so are objects and arrays
//! where a string is expected. Fields marked `html` are converted to plain text
//! (tags dropped, references decoded, so an escaped `&lt;b&gt;` becomes the text
//! `<b>`); other values are taken literally, so a reviewer's `<script>` stays text.
//!
//! * An item counts when it has text, a title or a rating: a rating alone is a
//!   review (Google and Etsy allow rating-only reviews), kept with empty text.
//!   Items without any of the three are skipped but counted in [`Page::items_seen`].
//! * A rating off the `[rating_min, rating_max]` scale is dropped, not clamped.
//! * A reply exists when its text is non-empty, or when only its date is known
//!   (a platform that just says "answered"; the text is then empty).
//! * `external_id`: the id field, else the item's URL (unless it is the request URL
//!   itself), else a SHA-256 fingerprint of author, raw date and text (or title).
//! * Next page: `next_url` must stay on the request's host (the caller's headers may
//!   carry a secret), `next_cursor`, `page_param` and `offset_param` rewrite one query
//!   parameter and keep the others byte for byte; a next URL equal to the request URL
//!   is dropped. With `page_size`, a page with fewer items is the last.

mod mapping;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::HeaderName;
use serde_json::Value;

use super::jsonld::{fingerprint, parse_date, parse_number};
use super::{PollContext, PollOutcome, Source, SourceError};
use crate::config::{SECRET_PLACEHOLDER, Secret, SourceConfig, SourceOptions};
use crate::fetch::{Request, templatize};
use crate::mention::{RawMention, Reply, cut, fold_whitespace, html_to_text};

pub use mapping::{FieldSpec, Fields, JsonMapping, MapValue};

/// Items read from one page at most; the rest are dropped with a warning.
pub const MAX_ITEMS: usize = 1000;
/// Cap for `text` and reply text, in bytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Cap for every other string field (id, author, title, lang), in bytes.
pub const MAX_FIELD_BYTES: usize = 1024;
/// URLs longer than this are dropped rather than cut (a cut URL points elsewhere).
pub const MAX_URL_BYTES: usize = 4096;

/// A `type = "json"` source: `url` and `headers` (with `{secret}` filled in at
/// request time), up to `max_pages` pages read with the mapping.
pub struct JsonSource {
    id: String,
    url: url::Url,
    platform: String,
    max_pages: u32,
    headers: Vec<(HeaderName, String)>,
    /// `("{secret}", value)` when the source has a secret.
    secrets: Vec<(String, Secret)>,
    mapping: JsonMapping,
}

impl JsonSource {
    /// The source of a validated config entry; reads its secret. Fails when the
    /// secret cannot be read (the message names the key, never the value).
    pub fn new(id: &str, cfg: &SourceConfig) -> Result<Self, String> {
        let SourceOptions::Json(o) = &cfg.options else {
            return Err("not a json source".to_string());
        };
        let secret = Secret::load(o.secret_file.as_deref(), o.secret_env.as_deref())
            .map_err(|e| format!("secret: {e}"))?;
        let headers = o
            .headers
            .iter()
            .map(|(name, value)| {
                HeaderName::from_bytes(name.as_bytes())
                    .map(|n| (n, value.clone()))
                    .map_err(|_| format!("headers.{name}: not a valid header name"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform: cfg.platform.clone().unwrap_or_else(|| "json".to_string()),
            max_pages: o.max_pages.get(),
            headers,
            secrets: secret
                .map(|s| (SECRET_PLACEHOLDER.to_string(), s))
                .into_iter()
                .collect(),
            mapping: o.mapping.clone(),
        })
    }

    /// A json source assembled in code, for presets: their endpoint, headers (values
    /// may hold the placeholders of `secrets`) and mapping.
    pub fn preset(
        id: &str,
        url: url::Url,
        platform: String,
        max_pages: u32,
        headers: Vec<(HeaderName, String)>,
        secrets: Vec<(String, Secret)>,
        mapping: JsonMapping,
    ) -> Self {
        Self {
            id: id.to_string(),
            url,
            platform,
            max_pages,
            headers,
            secrets,
            mapping,
        }
    }

    fn request(&self, url: &url::Url) -> Request {
        let mut req = Request::get(url.clone());
        for (name, value) in &self.headers {
            req = req.header(name.clone(), value.clone());
        }
        for (placeholder, secret) in &self.secrets {
            req = req.secret(placeholder.clone(), secret.clone());
        }
        req
    }
}

#[async_trait]
impl Source for JsonSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        super::poll_pages(
            cx,
            &self.url,
            self.max_pages,
            |u| self.request(u),
            |body| {
                // `final_url` keeps `{secret}` unfilled, so it may be shown.
                let page = extract(&body.bytes, &body.final_url, &self.mapping).map_err(|e| {
                    SourceError::Parse {
                        url: body.final_url.to_string(),
                        reason: e.to_string(),
                    }
                })?;
                Ok(super::Page {
                    mentions: page.mentions,
                    // A next link the API sent back may carry the secret itself.
                    next: page.next.map(|u| templatize(&u, &self.secrets)),
                    items_seen: page.items_seen,
                    aggregate: None,
                })
            },
        )
        .await
    }
}

/// Template values are encoded as path segments: everything but unreserved chars.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What one response gave.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// Items that had text, a title or a rating, in document order.
    pub mentions: Vec<RawMention>,
    /// The next page to fetch, if the mapping paginates and this page says so.
    pub next: Option<url::Url>,
    /// Items looked at (at most [`MAX_ITEMS`]), including the skipped ones.
    pub items_seen: usize,
}

/// Why a response could not be read at all. Messages carry no URL (it may hold a
/// secret); the caller adds the source id.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExtractError {
    /// Not JSON (including invalid UTF-8, truncation and nesting deeper than 128).
    #[error("not valid JSON (line {line}, column {column}): {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// The `items` pointer does not lead to an array.
    #[error("expected an array at {}, found {found}", show_pointer(pointer))]
    Shape {
        pointer: String,
        found: &'static str,
    },
}

fn show_pointer(p: &str) -> String {
    if p.is_empty() {
        "the document root (items = \"\")".to_string()
    } else {
        p.to_string()
    }
}

/// Read one response body. `request_url` is the URL the body came from (after
/// redirects): relative links and the next page are resolved against it.
pub fn extract(
    doc: &[u8],
    request_url: &url::Url,
    map: &JsonMapping,
) -> Result<Page, ExtractError> {
    let doc = doc.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(doc);
    // serde_json keeps its recursion limit (128) on: deep nesting is an error, not a
    // stack overflow.
    let root: Value = serde_json::from_slice(doc).map_err(|e| ExtractError::Json {
        line: e.line(),
        column: e.column(),
        message: json_message(&e),
    })?;
    let items = match root.pointer(&map.items) {
        Some(Value::Array(items)) => items,
        other => {
            return Err(ExtractError::Shape {
                pointer: map.items.clone(),
                found: other.map_or("nothing", kind),
            });
        }
    };
    if items.len() > MAX_ITEMS {
        tracing::warn!(
            host = request_url.host_str().unwrap_or(""),
            items = items.len(),
            kept = MAX_ITEMS,
            "JSON page has too many items; reading the first ones only."
        );
    }
    let items = &items[..items.len().min(MAX_ITEMS)];
    let reader = Reader {
        map,
        base: request_url,
    };
    let mentions = items
        .iter()
        .filter_map(|item| reader.mention(item))
        .collect();
    Ok(Page {
        mentions,
        next: next_page(&root, request_url, map, items.len()),
        items_seen: items.len(),
    })
}

/// serde_json's message without its " at line L column C" suffix (kept separately).
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

// ---------------------------------------------------------------------------
// Items

struct Reader<'a> {
    map: &'a JsonMapping,
    base: &'a url::Url,
}

impl Reader<'_> {
    /// One item, or None when it has neither text, title nor rating.
    fn mention(&self, item: &Value) -> Option<RawMention> {
        let f = &self.map.fields;
        let text = self
            .text(item, f.text.as_ref(), MAX_TEXT_BYTES)
            .unwrap_or_default();
        let title = self.text(item, f.title.as_ref(), MAX_FIELD_BYTES);
        let rating = f.rating.as_ref().and_then(|s| self.rating(item, s));
        if text.is_empty() && title.is_none() && rating.is_none() {
            return None;
        }
        let author = self.text(item, f.author.as_ref(), MAX_FIELD_BYTES);
        let date_raw = f.date.as_ref().and_then(|s| raw(item, s));
        let published_at = f.date.as_ref().and_then(|s| date(item, s));
        let url = f.url.as_ref().and_then(|s| self.url(item, s));
        let id = f.id.as_ref().and_then(|s| id(item, s));

        let reply_text = self
            .text(item, f.reply.as_ref(), MAX_TEXT_BYTES)
            .unwrap_or_default();
        let reply_at = f.reply_date.as_ref().and_then(|s| date(item, s));
        let reply = (!reply_text.is_empty() || reply_at.is_some()).then_some(Reply {
            text: reply_text,
            at: reply_at,
        });

        let external_id = id
            .or_else(|| {
                url.as_ref()
                    .filter(|u| !same_page(u, self.base))
                    .map(|u| u.to_string())
            })
            .unwrap_or_else(|| {
                let body = if text.is_empty() {
                    title.as_deref().unwrap_or("")
                } else {
                    &text
                };
                fingerprint(author.as_deref(), date_raw.as_deref().unwrap_or(""), body)
            });
        let (rating_min, rating_max) = match rating {
            Some(_) => (Some(self.rating_min()), Some(self.rating_max())),
            None => (None, None),
        };
        Some(RawMention {
            external_id: Some(external_id),
            url: url.map(String::from),
            author,
            title,
            text,
            rating,
            rating_min,
            rating_max,
            published_at,
            updated_at: f.updated.as_ref().and_then(|s| date(item, s)),
            lang: f
                .lang
                .as_ref()
                .and_then(|s| raw(item, s))
                .map(|l| capped(&l, MAX_FIELD_BYTES))
                .filter(|l| !l.is_empty()),
            reply,
        })
    }

    fn rating_min(&self) -> f64 {
        self.map.rating_min.unwrap_or(1.0)
    }

    fn rating_max(&self) -> f64 {
        self.map.rating_max.unwrap_or(5.0)
    }

    /// A text field: HTML converted when the field is HTML, folded, capped.
    fn text(&self, item: &Value, spec: Option<&FieldSpec>, max: usize) -> Option<String> {
        let spec = spec?;
        let s = raw(item, spec)?;
        // Bound the work on hostile input before converting.
        let s = cut(&s, 8 * max);
        let plain = strip_controls(if spec.html.unwrap_or(self.map.html) {
            html_to_text(s)
        } else {
            fold_whitespace(s)
        });
        Some(cut(&plain, max).to_string()).filter(|t| !t.is_empty())
    }

    /// The rating after `map`, or None when absent, not a number or off the scale.
    fn rating(&self, item: &Value, spec: &FieldSpec) -> Option<f64> {
        let value = spec.pointers.iter().find_map(|p| {
            let v = item.pointer(p)?;
            let s = scalar(v, !spec.map.is_empty())?;
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            match lookup(&spec.map, s) {
                Some(MapValue::Number(n)) => Some(Some(*n)),
                Some(MapValue::Text(t)) => Some(parse_number(t)),
                None => Some(match v {
                    Value::Number(n) => n.as_f64(),
                    _ => parse_number(s),
                }),
            }
        })??;
        (value.is_finite() && value >= self.rating_min() && value <= self.rating_max())
            .then_some(value)
    }

    /// The item's link: pointer first, then template; absolute http(s) only.
    fn url(&self, item: &Value, spec: &FieldSpec) -> Option<url::Url> {
        let from_pointer = raw(item, spec).and_then(|s| self.resolve(&s));
        from_pointer.or_else(|| {
            let t = spec.template.as_deref()?;
            self.resolve(&fill_from_item(t, item)?)
        })
    }

    fn resolve(&self, s: &str) -> Option<url::Url> {
        let s = s.trim();
        if s.is_empty() || s.len() > MAX_URL_BYTES {
            return None;
        }
        self.base
            .join(s)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .filter(|u| u.as_str().len() <= MAX_URL_BYTES)
    }
}

/// `{/pointer}` placeholders of a url template, in order.
pub(crate) fn template_pointers(t: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if after[..close].starts_with('/') && !after[..close].contains('{') => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

/// A url template filled from the item; None when a placeholder has no value.
fn fill_from_item(t: &str, item: &Value) -> Option<String> {
    let mut out = String::with_capacity(t.len() + 32);
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if after[..close].starts_with('/') && !after[..close].contains('{') => {
                let v = item
                    .pointer(&after[..close])
                    .and_then(|v| scalar(v, false))?;
                let v = v.trim();
                if v.is_empty() {
                    return None;
                }
                out.extend(utf8_percent_encode(v, SEGMENT));
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

/// The first non-empty value of the spec's pointers, renamed by its map.
fn raw(item: &Value, spec: &FieldSpec) -> Option<String> {
    spec.pointers.iter().find_map(|p| {
        let s = scalar(item.pointer(p)?, !spec.map.is_empty())?;
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        Some(match lookup(&spec.map, s) {
            Some(v) => v.to_text(),
            None => s.to_string(),
        })
    })
}

/// The id: one pointer, or several joined with `:` (all must be present).
fn id(item: &Value, spec: &FieldSpec) -> Option<String> {
    if spec.pointers.len() <= 1 {
        return raw(item, spec).map(|s| capped(&s, MAX_FIELD_BYTES));
    }
    let parts = spec
        .pointers
        .iter()
        .map(|p| raw(item, &FieldSpec::pointer(p.as_str())))
        .collect::<Option<Vec<_>>>()?;
    Some(capped(&parts.join(":"), MAX_FIELD_BYTES))
}

/// Strings, numbers (and, for map lookups, booleans) as text; other values are absent.
fn scalar(v: &Value, bools: bool) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) if bools => Some(b.to_string()),
        _ => None,
    }
}

fn lookup<'m>(
    map: &'m std::collections::BTreeMap<String, MapValue>,
    key: &str,
) -> Option<&'m MapValue> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn capped(s: &str, max: usize) -> String {
    cut(&strip_controls(fold_whitespace(cut(s, 8 * max))), max).to_string()
}

/// Control characters left after folding whitespace (NUL, ESC, DEL...) are dropped:
/// they have no place in a review and upset terminals and mail.
fn strip_controls(s: String) -> String {
    if s.chars().any(char::is_control) {
        s.chars().filter(|c| !c.is_control()).collect()
    } else {
        s
    }
}

/// Same page when only the fragment differs.
fn same_page(a: &url::Url, b: &url::Url) -> bool {
    a.as_str().split('#').next() == b.as_str().split('#').next()
}

// ---------------------------------------------------------------------------
// Dates

/// A date field: the first pointer with a value that parses (after `map`).
fn date(item: &Value, spec: &FieldSpec) -> Option<DateTime<Utc>> {
    spec.pointers.iter().find_map(|p| {
        let v = item.pointer(p)?;
        let mapped = scalar(v, true)
            .and_then(|s| lookup(&spec.map, s.trim()))
            .map(|m| Value::String(m.to_text()));
        parse_when(mapped.as_ref().unwrap_or(v), spec.format.as_deref())
    })
}

/// RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC), a trailing ` UTC`/` GMT`, a bare date, or
/// epoch seconds or milliseconds as a number or a string. Epoch values of 0 or less
/// are treated as absent (a common "unset" value).
pub(crate) fn parse_when(v: &Value, format: Option<&str>) -> Option<DateTime<Utc>> {
    match v {
        Value::Number(n) => n.as_f64().and_then(epoch),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            if let Some(f) = format
                && let Some(d) = with_format(s, f)
            {
                return Some(d);
            }
            if s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && s.bytes().filter(|&b| b == b'.').count() <= 1
            {
                return s.parse::<f64>().ok().and_then(epoch);
            }
            let s = s
                .strip_suffix(" UTC")
                .or_else(|| s.strip_suffix(" GMT"))
                .unwrap_or(s);
            parse_date(s)
        }
        _ => None,
    }
}

/// Epoch seconds, or milliseconds when the number is too large to be seconds
/// (10^11 seconds is the year 5138).
fn epoch(n: f64) -> Option<DateTime<Utc>> {
    if !n.is_finite() || n <= 0.0 {
        return None;
    }
    if n >= 1e11 {
        DateTime::from_timestamp_millis(n as i64)
    } else {
        let secs = n.trunc() as i64;
        let nanos = ((n - n.trunc()) * 1e9).round() as u32;
        DateTime::from_timestamp(secs, nanos.min(999_999_999))
    }
}

fn with_format(s: &str, f: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_str(s, f) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
        return Some(d.and_utc());
    }
    NaiveDate::parse_from_str(s, f)
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

// ---------------------------------------------------------------------------
// Pagination

fn next_page(
    root: &Value,
    current: &url::Url,
    map: &JsonMapping,
    items: usize,
) -> Option<url::Url> {
    let next = if let Some(ptr) = &map.next_url {
        let link = root.pointer(ptr).and_then(|v| scalar(v, false))?;
        let link = link.trim();
        if link.is_empty() || link.len() > MAX_URL_BYTES {
            return None;
        }
        let next = current.join(link).ok()?;
        if !same_origin_host(&next, current) {
            tracing::warn!(
                host = current.host_str().unwrap_or(""),
                next_host = next.host_str().unwrap_or(""),
                "Ignoring a next-page link to another host or scheme (headers may carry a secret)."
            );
            return None;
        }
        next
    } else if let Some(ptr) = &map.next_cursor {
        let param = map.cursor_param.as_deref()?;
        let cursor = root.pointer(ptr).and_then(|v| scalar(v, false))?;
        if cursor.trim().is_empty() {
            return None;
        }
        set_query_param(current, param, &cursor)
    } else if let Some(param) = &map.page_param {
        if items == 0 || short_page(map, items) {
            return None;
        }
        let page = match current.query_pairs().find(|(k, _)| k == param.as_str()) {
            None => 1,
            Some((_, v)) => v.trim().parse::<u64>().ok()?,
        };
        set_query_param(current, param, &page.checked_add(1)?.to_string())
    } else if let Some(param) = &map.offset_param {
        if items == 0 || short_page(map, items) {
            return None;
        }
        let offset = match current.query_pairs().find(|(k, _)| k == param.as_str()) {
            None => 0,
            Some((_, v)) => v.trim().parse::<u64>().ok()?,
        };
        let next = offset.checked_add(u64::try_from(items).ok()?)?;
        set_query_param(current, param, &next.to_string())
    } else {
        return None;
    };
    (next != *current).then_some(next)
}

/// Fewer items than a full page (`page_size`): this page is the last.
fn short_page(map: &JsonMapping, items: usize) -> bool {
    map.page_size
        .is_some_and(|size| usize::try_from(size.get()).is_ok_and(|size| items < size))
}

/// The next page may only go to the same host (and port), over the same scheme or
/// from http up to https: the caller sends its headers, maybe a secret, there too.
fn same_origin_host(next: &url::Url, current: &url::Url) -> bool {
    let scheme_ok = next.scheme() == current.scheme()
        || (current.scheme() == "http" && next.scheme() == "https");
    scheme_ok
        && next.host_str() == current.host_str()
        && (next.port_or_known_default() == current.port_or_known_default()
            || next.scheme() != current.scheme())
}

/// `url` with `name=value` set: the first occurrence replaced in place, others
/// removed, appended when absent. Other parameters keep their exact bytes.
pub(crate) fn set_query_param(url: &url::Url, name: &str, value: &str) -> url::Url {
    let pair = format!(
        "{}={}",
        utf8_percent_encode(name, SEGMENT),
        utf8_percent_encode(value, SEGMENT)
    );
    let mut parts: Vec<String> = Vec::new();
    let mut placed = false;
    for part in url
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let key = part.split('=').next().unwrap_or("");
        let same = url::form_urlencoded::parse(key.as_bytes())
            .next()
            .is_some_and(|(k, _)| k == name);
        if !same {
            parts.push(part.to_string());
        } else if !placed {
            parts.push(pair.clone());
            placed = true;
        }
    }
    if !placed {
        parts.push(pair);
    }
    let mut next = url.clone();
    next.set_query(Some(&parts.join("&")));
    next
}

// ---------------------------------------------------------------------------
// Helpers for the caller

/// Replace each `{name}` of `template` by its value from `vars`, verbatim (no
/// encoding: the caller encodes what goes into a URL). Unknown placeholders, and
/// `{/pointer}` item placeholders, are left as they are.
///
/// Used for `{secret}` in the caller's URL and headers and for preset ids. The
/// result may then hold a secret: never log it.
pub fn fill_template(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
