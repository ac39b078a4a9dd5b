//! schema.org Review markup source: JSON-LD first, microdata as the fallback.
//!
//! [`parse_jsonld`] is pure: it reads every `script[type="application/ld+json"]` of
//! a page, finds `Review` nodes wherever they sit (top level, arrays, `@graph`,
//! `review`/`reviews` lists, `{"@id": ...}` references resolved against the other
//! nodes of the page) and maps them to raw mentions. When the page has no JSON-LD
//! review, schema.org microdata (`itemscope`/`itemprop`) is read instead, and then
//! RDFa Lite (`vocab`/`typeof`/`property`). A page with no review markup is
//! `Ok(vec![])`, unless it is a consent, login or bot-check wall.
//!
//! [`parse_page`] also returns the page's `AggregateRating` (from the same syntaxes,
//! JSON-LD first) and its next page: a `<link rel="next">` / `<a rel="next">`, or,
//! with `page_param`, this URL with the page number incremented.
//!
//! Values are plain text: only character references are decoded, so a reviewer's
//! literal `<script>` stays in the text (and must be escaped by whoever renders it).

mod microdata;
mod text;

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::feed::{MAX_ENTRIES, MAX_FIELD_BYTES, wall};
use super::{Page, PollContext, PollOutcome, Source, SourceError};
use crate::config::{JsonldOptions, SourceConfig, SourceOptions};
use crate::fetch::Request;
use crate::mention::{AggregateRating, RawMention};
use microdata::Dialect;
use text::plain;

pub struct JsonLdSource {
    id: String,
    url: url::Url,
    platform: String,
    options: JsonldOptions,
}

impl JsonLdSource {
    pub fn new(id: &str, cfg: &SourceConfig) -> Self {
        let options = match &cfg.options {
            SourceOptions::Jsonld(o) => o.clone(),
            _ => JsonldOptions::default(),
        };
        Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform: cfg.platform.clone().unwrap_or_else(|| "jsonld".to_string()),
            options,
        }
    }
}

#[async_trait]
impl Source for JsonLdSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        let page_param = self.options.page_param.as_deref();
        super::poll_pages(
            cx,
            &self.url,
            self.options.max_pages.get(),
            |u| Request::get(u.clone()),
            |body| {
                let html = decode_page(&body.bytes, body.content_type.as_deref());
                parse_page(&html, &body.final_url, page_param)
            },
        )
        .await
    }
}

/// Page bytes to text: the charset of the Content-Type, else a `<meta charset>` near
/// the top, else UTF-8 (lossy, so a stray byte never fails the poll).
pub fn decode_page(bytes: &[u8], content_type: Option<&str>) -> String {
    let label = content_type
        .and_then(charset_param)
        .or_else(|| meta_charset(&bytes[..bytes.len().min(2048)]));
    let encoding = label
        .and_then(|l| encoding_rs::Encoding::for_label(l.trim().as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    // A BOM wins over both, as in browsers.
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}

fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

fn meta_charset(head: &[u8]) -> Option<&str> {
    let lower = head.to_ascii_lowercase();
    let at = lower.windows(8).position(|w| w == b"charset=")? + 8;
    let rest = &head[at..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.')))
        .unwrap_or(rest.len());
    std::str::from_utf8(&rest[..end])
        .ok()
        .filter(|s| !s.is_empty())
}

/// Parse the schema.org Review markup of one HTML page. `base` is the page URL.
pub fn parse_jsonld(html: &str, base: &url::Url) -> Result<Vec<RawMention>, SourceError> {
    parse_page(html, base, None).map(|p| p.mentions)
}

/// Parse one page: its reviews (JSON-LD, else microdata, else RDFa Lite), its
/// `AggregateRating` and its next page (`rel="next"` links, or `page_param`).
pub fn parse_page(
    html: &str,
    base: &url::Url,
    page_param: Option<&str>,
) -> Result<Page, SourceError> {
    let doc = scraper::Html::parse_document(html);
    let blocks = json_ld_blocks(&doc, base);
    let mut mentions = reviews_from_jsonld(&blocks, base);
    if mentions.is_empty() {
        mentions = microdata::reviews(&doc, base, Dialect::Microdata);
    }
    if mentions.is_empty() {
        mentions = microdata::reviews(&doc, base, Dialect::Rdfa);
    }
    if mentions.is_empty()
        && blocks.is_empty()
        && let Some(reason) = wall::wall_reason(html)
    {
        return Err(SourceError::Blocked {
            url: base.to_string(),
            reason: reason.to_string(),
        });
    }
    if mentions.len() > MAX_ENTRIES {
        tracing::warn!(url = %base, reviews = mentions.len(), kept = MAX_ENTRIES, "Page has too many reviews; reading the first ones only.");
        mentions.truncate(MAX_ENTRIES);
    }
    let aggregate = aggregate_from_jsonld(&blocks)
        .or_else(|| microdata::aggregate(&doc, Dialect::Microdata))
        .or_else(|| microdata::aggregate(&doc, Dialect::Rdfa));
    let next = match page_param {
        Some(param) => (!mentions.is_empty())
            .then(|| super::html::bump_query_param(base, param))
            .flatten(),
        None => super::html::next_link(&doc, base),
    };
    Ok(Page {
        items_seen: mentions.len(),
        mentions,
        next,
        aggregate,
    })
}

/// The first `AggregateRating` with a rating value, wherever it sits in the JSON-LD
/// (an `aggregateRating` of any node, or a node of that type; references resolved).
fn aggregate_from_jsonld(blocks: &[Value]) -> Option<AggregateRating> {
    let mut index = Index::new();
    blocks.iter().for_each(|b| index_nodes(b, &mut index));
    let mut found = None;
    let mut visited: HashSet<*const Value> = HashSet::new();
    for block in blocks {
        find_aggregate(block, &index, &mut found, &mut visited);
        if found.is_some() {
            break;
        }
    }
    found
}

fn find_aggregate<'a>(
    v: &'a Value,
    index: &Index<'a>,
    found: &mut Option<AggregateRating>,
    visited: &mut HashSet<*const Value>,
) {
    if found.is_some() {
        return;
    }
    match v {
        Value::Object(map) => {
            if !visited.insert(v as *const Value) {
                return;
            }
            if types(v).contains(&"AggregateRating") {
                *found = aggregate_of(v);
                if found.is_some() {
                    return;
                }
            }
            if let Some(a) = map.get("aggregateRating") {
                *found = aggregate_of(resolve(first(a), index));
                if found.is_some() {
                    return;
                }
            }
            for child in map.values() {
                find_aggregate(child, index, found, visited);
            }
        }
        Value::Array(items) => {
            for item in items {
                find_aggregate(item, index, found, visited);
            }
        }
        _ => {}
    }
}

fn aggregate_of(node: &Value) -> Option<AggregateRating> {
    let count = |k: &str| {
        node.get(k)
            .and_then(number)
            .filter(|n| *n >= 0.0)
            .map(|n| n as u64)
    };
    Some(AggregateRating {
        rating: node.get("ratingValue").and_then(number)?,
        best: node.get("bestRating").and_then(number),
        worst: node.get("worstRating").and_then(number),
        rating_count: count("ratingCount"),
        review_count: count("reviewCount"),
    })
}

/// Every JSON-LD block of the page that parses; the others are logged and skipped.
fn json_ld_blocks(doc: &scraper::Html, base: &url::Url) -> Vec<Value> {
    let Ok(sel) = scraper::Selector::parse("script[type]") else {
        return vec![];
    };
    let mut blocks = Vec::new();
    for (i, script) in doc.select(&sel).enumerate() {
        let ty = script.value().attr("type").unwrap_or_default();
        let essence = ty.split(';').next().unwrap_or_default().trim();
        if !essence.eq_ignore_ascii_case("application/ld+json") {
            continue;
        }
        let raw: String = script.text().collect();
        let json = strip_wrappers(&raw);
        match serde_json::from_str::<Value>(json) {
            Ok(v) => blocks.push(v),
            Err(e) => {
                tracing::debug!(url = %base, block = i, error = %e, "Skipping invalid JSON-LD block.")
            }
        }
    }
    blocks
}

/// Some CMSs wrap JSON-LD in `<!-- -->` or `//<![CDATA[ ... //]]>`.
fn strip_wrappers(raw: &str) -> &str {
    let mut s = raw.trim();
    for (open, close) in [
        ("<!--", "-->"),
        ("//<![CDATA[", "//]]>"),
        ("<![CDATA[", "]]>"),
    ] {
        if let Some(inner) = s.strip_prefix(open) {
            s = inner.strip_suffix(close).unwrap_or(inner).trim();
        }
    }
    s
}

/// `@id` → the node defining it (a node with more than its `@id`).
type Index<'a> = HashMap<&'a str, &'a Value>;

fn index_nodes<'a>(v: &'a Value, index: &mut Index<'a>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("@id")
                && map.len() > 1
                && !is_reference(v)
            {
                index.entry(id.as_str()).or_insert(v);
            }
            map.values().for_each(|child| index_nodes(child, index));
        }
        Value::Array(items) => items.iter().for_each(|child| index_nodes(child, index)),
        _ => {}
    }
}

/// `{"@id": "..."}` (optionally with `@type`): a pointer to a node defined elsewhere.
fn is_reference(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|m| m.contains_key("@id") && m.keys().all(|k| k == "@id" || k == "@type"))
}

fn resolve<'a>(v: &'a Value, index: &Index<'a>) -> &'a Value {
    if is_reference(v)
        && let Some(id) = v.get("@id").and_then(Value::as_str)
        && let Some(target) = index.get(id)
    {
        return target;
    }
    v
}

/// `@type` as a list of bare names (`"Review"`, `"schema:Review"`,
/// `"https://schema.org/Review"` all give `Review`).
fn types(v: &Value) -> Vec<&str> {
    fn bare(t: &str) -> Option<&str> {
        t.rsplit(['/', ':', '#']).next()
    }
    match v.get("@type") {
        Some(Value::String(t)) => bare(t).into_iter().collect(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter_map(bare)
            .collect(),
        _ => vec![],
    }
}

fn is_review(v: &Value) -> bool {
    types(v).iter().any(|t| {
        t.eq_ignore_ascii_case("Review")
            || (t.ends_with("Review") && !t.eq_ignore_ascii_case("AggregateReview"))
    })
}

fn reviews_from_jsonld(blocks: &[Value], base: &url::Url) -> Vec<RawMention> {
    let mut index = Index::new();
    blocks.iter().for_each(|b| index_nodes(b, &mut index));
    let mut found: Vec<&Value> = Vec::new();
    let mut visited: HashSet<*const Value> = HashSet::new();
    for block in blocks {
        collect_reviews(block, false, &index, &mut found, &mut visited);
    }
    found
        .into_iter()
        .take(MAX_ENTRIES)
        .map(|r| review_to_mention(r, &index, base))
        .collect()
}

/// Depth-first, document order. serde_json's recursion limit (128) bounds the depth
/// of the tree; `visited` makes reference cycles harmless. References are followed
/// only where reviews are listed (`review`, `reviews`): a `Review` node defined
/// elsewhere in the page is reached by the walk itself.
fn collect_reviews<'a>(
    v: &'a Value,
    follow_refs: bool,
    index: &Index<'a>,
    found: &mut Vec<&'a Value>,
    visited: &mut HashSet<*const Value>,
) {
    if found.len() >= MAX_ENTRIES {
        return;
    }
    let v = if follow_refs { resolve(v, index) } else { v };
    match v {
        Value::Object(map) => {
            if is_reference(v) || !visited.insert(v as *const Value) {
                return;
            }
            if is_review(v) {
                found.push(v);
                return;
            }
            for (key, child) in map {
                let follow = matches!(key.as_str(), "review" | "reviews");
                collect_reviews(child, follow, index, found, visited);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_reviews(item, follow_refs, index, found, visited);
            }
        }
        _ => {}
    }
}

fn review_to_mention(r: &Value, index: &Index<'_>, base: &url::Url) -> RawMention {
    let rating_node = r.get("reviewRating").map(|v| resolve(first(v), index));
    let rating = rating_node
        .and_then(|n| n.get("ratingValue"))
        .and_then(number);
    let (rating_min, rating_max) = match rating {
        Some(_) => (
            Some(
                rating_node
                    .and_then(|n| n.get("worstRating"))
                    .and_then(number)
                    .unwrap_or(1.0),
            ),
            Some(
                rating_node
                    .and_then(|n| n.get("bestRating"))
                    .and_then(number)
                    .unwrap_or(5.0),
            ),
        ),
        None => (None, None),
    };
    let author = r.get("author").and_then(|a| author_name(a, index));
    let title = ["name", "headline"]
        .iter()
        .find_map(|k| r.get(*k).and_then(string))
        .map(|t| plain(t, MAX_FIELD_BYTES))
        .filter(|t| !t.is_empty());
    let body = ["reviewBody", "description"]
        .iter()
        .find_map(|k| r.get(*k).and_then(string))
        .map(|t| plain(t, MAX_FIELD_BYTES))
        .unwrap_or_default();
    let published_raw = r.get("datePublished").and_then(string);
    let url = r
        .get("url")
        .and_then(string)
        .and_then(|u| base.join(u.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let page = url.is_none();
    let url = url.unwrap_or_else(|| base.clone());
    let lang = r
        .get("inLanguage")
        .map(first)
        .and_then(|l| string(l).or_else(|| l.get("alternateName").and_then(string)))
        .map(|l| plain(l, 35))
        .filter(|l| !l.is_empty());

    let external_id = node_id(r, base)
        .or_else(|| (!page && !same_page(&url, base)).then(|| url.to_string()))
        .unwrap_or_else(|| fingerprint(author.as_deref(), published_raw.unwrap_or(""), &body));
    RawMention {
        external_id: Some(external_id),
        url: Some(url.to_string()),
        author,
        title,
        text: body,
        rating,
        rating_min,
        rating_max,
        published_at: published_raw.and_then(parse_date),
        updated_at: r.get("dateModified").and_then(string).and_then(parse_date),
        lang,
        reply: None,
    }
}

/// The node's `@id`, absolute; blank nodes (`_:b0`) are per-document and unstable.
fn node_id(r: &Value, base: &url::Url) -> Option<String> {
    let id = r.get("@id").and_then(Value::as_str)?.trim();
    if id.is_empty() || id.starts_with("_:") {
        return None;
    }
    match url::Url::parse(id) {
        Ok(u) => Some(u.to_string()),
        Err(_) => base
            .join(id)
            .ok()
            .map(String::from)
            .or_else(|| Some(id.to_string())),
    }
}

/// Same page when only the fragment differs.
fn same_page(a: &url::Url, b: &url::Url) -> bool {
    let strip = |u: &url::Url| {
        let mut u = u.clone();
        u.set_fragment(None);
        u
    };
    strip(a) == strip(b)
}

/// Stable id when the markup offers none: SHA-256 of author, date and body.
pub(crate) fn fingerprint(author: Option<&str>, date: &str, body: &str) -> String {
    let mut h = Sha256::new();
    for part in [author.unwrap_or(""), date.trim(), body] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

fn first(v: &Value) -> &Value {
    match v {
        Value::Array(items) => items.first().unwrap_or(v),
        _ => v,
    }
}

fn string(v: &Value) -> Option<&str> {
    match first(v) {
        Value::String(s) => Some(s.as_str()),
        // `{"@value": "...", "@language": "de"}`
        Value::Object(m) => m.get("@value").and_then(Value::as_str),
        _ => None,
    }
}

fn author_name(a: &Value, index: &Index<'_>) -> Option<String> {
    let a = resolve(first(a), index);
    let name = match a {
        Value::String(s) => Some(s.as_str()),
        Value::Object(_) => a.get("name").and_then(string).or_else(|| {
            // Person split into given/family name.
            a.get("givenName").and_then(string)
        }),
        _ => None,
    }?;
    Some(plain(name, 1024)).filter(|n| !n.is_empty())
}

/// A rating as a number: 4, 4.5, "4", "4.5", "4,5", " 4 ".
pub(crate) fn number(v: &Value) -> Option<f64> {
    match first(v) {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_number(s),
        _ => None,
    }
}

pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim().replace(',', ".");
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Dates as schema.org writes them: `2026-02-27`, RFC 3339 with any offset, or a
/// local date-time without zone (taken as UTC).
pub(crate) fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc());
        }
    }
    NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc())
}

#[cfg(test)]
mod tests;
