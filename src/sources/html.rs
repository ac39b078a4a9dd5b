//! The generic CSS-selector source (`type = "html"`): a mapping of selectors turns any
//! review page into raw mentions.
//!
//! [`HtmlMapping`] is the configuration (`item`, `next`, `page_param`, `fields`);
//! [`extract`] is pure: one page's HTML in, its mentions and the next page's URL out.
//! Fetching, `max_pages` and source health belong to the caller.
//!
//! ```toml
//! [sources.my-shop]
//! type = "html"
//! url = "https://shop.example/reviews"
//! item = "div.review"
//! next = "a.next"
//! [sources.my-shop.fields]
//! id = { attr = "data-review-id" }
//! url = { selector = "a.permalink", attr = "href" }
//! author = ".author"
//! title = "h3"
//! text = ".body"
//! rating = { selector = ".stars", attr = "aria-label" }
//! date = { selector = "span.date", format = "%d. %B %Y", language = "de" }
//! reply = ".shop-reply .text"
//! reply_date = ".shop-reply time"
//! ```
//!
//! [`HtmlSource`] is the source of a `type = "html"` entry: it reads up to `max_pages`
//! pages with the mapping, through `sources::poll_pages`.
//!
//! Values are plain text: the text content of the element (entities decoded by the
//! HTML parser, `script`/`style`/`noscript`/`template` content left out, block
//! boundaries and `<br>` as spaces, whitespace folded), or an attribute's value. A
//! reviewer's literal `<script>` therefore stays text; whoever renders it escapes it.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use scraper::{ElementRef, Html, Node, Selector};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use async_trait::async_trait;

use super::feed::wall;
use super::jsonld::fingerprint;
use super::localize::{parse_date, rating_from_text};
use super::{PollContext, PollOutcome, Source, SourceError};
use crate::config::{SourceConfig, SourceOptions};
use crate::fetch::Request;
use crate::mention::{RawMention, Reply, cut, fold_whitespace, html_to_text};

/// Items read from one page; the rest are ignored (and logged).
pub const MAX_ITEMS: usize = 1000;
/// Cap on `text` and `reply`, in bytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Cap on every other field, in bytes.
pub const MAX_FIELD_BYTES: usize = 1024;
/// Cap on `url`: a cut URL would be a wrong one, so it gets more room.
const MAX_URL_BYTES: usize = 4 * 1024;
/// Cap on `lang` (a BCP 47 tag is short).
const MAX_LANG_BYTES: usize = 35;
/// Star icons counted at most for a `count = true` rating.
const MAX_COUNT: usize = 100;
/// Next-page candidates looked at.
const MAX_NEXT_CANDIDATES: usize = 100;
/// The next-page links used when neither `next` nor `page_param` is set.
pub const DEFAULT_NEXT: &str = "link[rel~=next], a[rel~=next]";

// ---------------------------------------------------------------------------------
// The source
// ---------------------------------------------------------------------------------

/// A `type = "html"` source.
pub struct HtmlSource {
    id: String,
    url: url::Url,
    platform: String,
    max_pages: u32,
    mapping: HtmlMapping,
}

impl HtmlSource {
    /// The source of a validated config entry (its options must be `Html`; any other
    /// type gets an empty mapping that extracts nothing).
    pub fn new(id: &str, cfg: &SourceConfig) -> Self {
        let (max_pages, mapping) = match &cfg.options {
            SourceOptions::Html(o) => (o.max_pages.get(), o.mapping.clone()),
            _ => (1, HtmlMapping::new("", Fields::default())),
        };
        Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform: cfg.platform.clone().unwrap_or_else(|| "html".to_string()),
            max_pages,
            mapping,
        }
    }
}

#[async_trait]
impl Source for HtmlSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        let now = Utc::now();
        super::poll_pages(
            cx,
            &self.url,
            self.max_pages,
            |u| Request::get(u.clone()),
            |body| {
                let html = super::jsonld::decode_page(&body.bytes, body.content_type.as_deref());
                let page = extract(&html, &body.final_url, &self.mapping, now)
                    .map_err(|e| e.into_source_error(&body.final_url))?;
                Ok(super::Page::from(page))
            },
        )
        .await
    }
}

// ---------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------

/// How to read reviews from a page: the `item`, `next`, `page_param` and `fields`
/// keys of a `type = "html"` source.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HtmlMapping {
    /// CSS selector; each match is one review. Required.
    pub item: String,
    /// CSS selector of the link (its `href`) to the next page. When neither `next`
    /// nor `page_param` is set, `link[rel~=next], a[rel~=next]` is used.
    #[serde(default)]
    pub next: Option<String>,
    /// Query parameter holding the page number: the next page is the current URL with
    /// this parameter incremented (absent = page 1). An alternative to `next`.
    #[serde(default)]
    pub page_param: Option<String>,
    /// Where each value of a review is found, relative to its item.
    pub fields: Fields,
}

/// The `fields` table: one [`FieldSpec`] per value of a review. `text` or `title`
/// is required.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    /// The platform's id for the review (e.g. `{ attr = "data-review-id" }`). Without
    /// one, the review's own URL is the id, else a hash of author, date and text.
    pub id: Option<FieldSpec>,
    /// Link to the review, resolved against the page URL (`{ selector = "a", attr =
    /// "href" }`). Without one, the page URL.
    pub url: Option<FieldSpec>,
    /// The reviewer's display name.
    pub author: Option<FieldSpec>,
    /// The review's headline; empty counts as none.
    pub title: Option<FieldSpec>,
    /// The review body (capped at 64 KiB).
    pub text: Option<FieldSpec>,
    /// Read with the localized rating parser ("1,0 von 5 Sternen", "4/5", "★★☆☆☆"),
    /// or counted (`{ selector = ".star.full", count = true }`). The scale is what the
    /// text states ("von 5"), else `max`, else 5; its bottom is `min`, else 1 (0 for a
    /// rating below 1).
    pub rating: Option<FieldSpec>,
    /// Publication date: machine formats, `format` (strftime) with localized month
    /// names, a date in prose, or a relative date in `language`.
    pub date: Option<FieldSpec>,
    /// Last edit date (as `date`).
    pub updated: Option<FieldSpec>,
    /// Language of the review as the page declares it (e.g. `{ attr = "lang" }`).
    pub lang: Option<FieldSpec>,
    /// The business's public reply (capped at 64 KiB).
    pub reply: Option<FieldSpec>,
    /// When the reply was published (as `date`).
    pub reply_date: Option<FieldSpec>,
}

/// Where one value is found: a CSS selector string (its element's text), or a table
/// with the keys below.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSpec {
    /// CSS selector relative to the item; the first match is read. `None`: the item
    /// itself.
    pub selector: Option<String>,
    /// Read this attribute instead of the text.
    pub attr: Option<String>,
    /// `rating` only: the number of elements matching `selector` (star icons).
    pub count: bool,
    /// Date fields only: chrono strftime format, e.g. `"%d. %B %Y"`.
    pub format: Option<String>,
    /// Date fields only: language of month names and relative dates (`"de"`,
    /// `"en-US"`).
    pub language: Option<String>,
    /// The value is markup: the element's inner HTML (or the attribute's value) is
    /// converted to text.
    pub html: bool,
    /// `rating` only: top of the scale when the text does not state it.
    pub max: Option<f64>,
    /// `rating` only: bottom of the scale.
    pub min: Option<f64>,
}

impl HtmlMapping {
    pub fn new(item: impl Into<String>, fields: Fields) -> Self {
        Self {
            item: item.into(),
            next: None,
            page_param: None,
            fields,
        }
    }

    /// Next page from the `href` of the first element matching `selector`.
    pub fn with_next(mut self, selector: impl Into<String>) -> Self {
        self.next = Some(selector.into());
        self
    }

    /// Next page by incrementing the query parameter `name`.
    pub fn with_page_param(mut self, name: impl Into<String>) -> Self {
        self.page_param = Some(name.into());
        self
    }

    /// Every problem of the mapping, each with its key path relative to the source
    /// table (`"fields.rating.selector"`) and a message. Empty when valid. No I/O.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let mut problem = |key: &str, message: String| problems.push((key.to_string(), message));
        if let Err(e) = selector("item", &self.item) {
            problem("item", e);
        }
        if let Some(next) = &self.next
            && let Err(e) = selector("next", next)
        {
            problem("next", e);
        }
        if let Some(param) = &self.page_param {
            if param.trim().is_empty() {
                problem("page_param", "must not be empty".into());
            }
            if self.next.is_some() {
                problem(
                    "page_param",
                    "set either `next` or `page_param`, not both".into(),
                );
            }
        }
        if self.fields.text.is_none() && self.fields.title.is_none() {
            problem(
                "fields",
                "set `fields.text` or `fields.title` (or both)".into(),
            );
        }
        for (name, spec) in self.fields.entries() {
            if let Some(spec) = spec {
                spec.check(name, &mut problem);
            }
        }
        problems
    }
}

impl Fields {
    /// Each field by its config key.
    pub fn entries(&self) -> [(&'static str, Option<&FieldSpec>); 11] {
        [
            ("id", self.id.as_ref()),
            ("url", self.url.as_ref()),
            ("author", self.author.as_ref()),
            ("title", self.title.as_ref()),
            ("text", self.text.as_ref()),
            ("rating", self.rating.as_ref()),
            ("date", self.date.as_ref()),
            ("updated", self.updated.as_ref()),
            ("lang", self.lang.as_ref()),
            ("reply", self.reply.as_ref()),
            ("reply_date", self.reply_date.as_ref()),
        ]
    }
}

const DATE_FIELDS: &[&str] = &["date", "updated", "reply_date"];

impl FieldSpec {
    /// The text of the first element matching `selector`.
    pub fn css(selector: impl Into<String>) -> Self {
        Self {
            selector: Some(selector.into()),
            ..Self::default()
        }
    }

    /// Attribute `attr` of the first element matching `selector`.
    pub fn attr(selector: impl Into<String>, attr: impl Into<String>) -> Self {
        Self {
            selector: Some(selector.into()),
            attr: Some(attr.into()),
            ..Self::default()
        }
    }

    /// Attribute `attr` of the item itself.
    pub fn item_attr(attr: impl Into<String>) -> Self {
        Self {
            attr: Some(attr.into()),
            ..Self::default()
        }
    }

    /// The number of elements matching `selector` (a rating from star icons).
    pub fn counted(selector: impl Into<String>) -> Self {
        Self {
            selector: Some(selector.into()),
            count: true,
            ..Self::default()
        }
    }

    pub fn with_format(mut self, format: impl Into<String>) -> Self {
        self.format = Some(format.into());
        self
    }

    pub fn with_language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    pub fn with_max(mut self, max: f64) -> Self {
        self.max = Some(max);
        self
    }

    pub fn with_min(mut self, min: f64) -> Self {
        self.min = Some(min);
        self
    }

    /// Read the value as markup.
    pub fn with_html(mut self) -> Self {
        self.html = true;
        self
    }

    /// Written as a bare selector string (so its key path has no `.selector`).
    fn is_bare(&self) -> bool {
        self.selector.is_some() && *self == Self::css(self.selector.clone().unwrap_or_default())
    }

    fn selector_key(&self, name: &str) -> String {
        if self.is_bare() {
            format!("fields.{name}")
        } else {
            format!("fields.{name}.selector")
        }
    }

    fn check(&self, name: &str, problem: &mut impl FnMut(&str, String)) {
        let key = |k: &str| format!("fields.{name}.{k}");
        if let Some(sel) = &self.selector
            && let Err(e) = selector(name, sel)
        {
            problem(&self.selector_key(name), e);
        }
        if self.attr.as_deref().is_some_and(|a| a.trim().is_empty()) {
            problem(&key("attr"), "must not be empty".into());
        }
        if self.count {
            if name != "rating" {
                problem(&key("count"), "only `rating` can be counted".into());
            } else if self.selector.is_none() {
                problem(
                    &key("count"),
                    "needs a `selector` (the star icons to count; the item itself is always one)"
                        .into(),
                );
            }
            if self.attr.is_some() {
                problem(&key("attr"), "`attr` and `count` exclude each other".into());
            }
            if self.html {
                problem(&key("html"), "`html` and `count` exclude each other".into());
            }
        }
        let date_field = DATE_FIELDS.contains(&name);
        if let Some(format) = &self.format {
            if !date_field {
                problem(
                    &key("format"),
                    "only date fields (date, updated, reply_date) have a format".into(),
                );
            } else if let Err(e) = check_format(format) {
                problem(&key("format"), e);
            }
        }
        if let Some(language) = &self.language {
            if !date_field {
                problem(
                    &key("language"),
                    "only date fields (date, updated, reply_date) have a language".into(),
                );
            } else if !is_language_tag(language) {
                problem(
                    &key("language"),
                    format!("{language:?} is not a language tag like \"de\" or \"en-US\""),
                );
            }
        }
        for (k, v) in [("max", self.max), ("min", self.min)] {
            let Some(v) = v else { continue };
            if name != "rating" {
                problem(&key(k), "only `rating` has a scale".into());
            } else if !v.is_finite() || v < 0.0 {
                problem(&key(k), format!("{v} is not a usable scale bound"));
            }
        }
        if let (Some(min), Some(max)) = (self.min, self.max)
            && min >= max
        {
            problem(
                &key("max"),
                format!("max ({max}) must be above min ({min})"),
            );
        }
        if self.max.is_some_and(|m| m == 0.0) {
            problem(&key("max"), "must be above 0".into());
        }
    }
}

fn selector(key: &str, css: &str) -> Result<Selector, String> {
    if css.trim().is_empty() {
        return Err(format!("the `{key}` selector is empty"));
    }
    Selector::parse(css).map_err(|e| format!("invalid CSS selector {css:?}: {e}"))
}

fn check_format(format: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(format).any(|i| matches!(i, Item::Error)) {
        return Err(format!("{format:?} is not a valid strftime format"));
    }
    if !format.contains('%') {
        return Err(format!("{format:?} has no date fields (like %d, %B, %Y)"));
    }
    Ok(())
}

fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split(['-', '_']);
    let primary = parts.next().unwrap_or("");
    (2..=8).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

const SPEC_KEYS: &[&str] = &[
    "selector", "attr", "count", "format", "language", "html", "max", "min",
];

impl<'de> Deserialize<'de> for FieldSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SpecVisitor)
    }
}

/// A string (the selector) or a table whose unknown keys are reported by name.
struct SpecVisitor;

impl<'de> Visitor<'de> for SpecVisitor {
    type Value = FieldSpec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a CSS selector string, or a table with keys selector, attr, count, format, \
             language, html, max, min",
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldSpec, E> {
        Ok(FieldSpec::css(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FieldSpec, A::Error> {
        let mut spec = FieldSpec::default();
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let Some(&known) = SPEC_KEYS.iter().find(|k| **k == key) else {
                return Err(de::Error::unknown_field(&key, SPEC_KEYS));
            };
            if !seen.insert(known) {
                return Err(de::Error::duplicate_field(known));
            }
            match known {
                "selector" => spec.selector = Some(map.next_value()?),
                "attr" => spec.attr = Some(map.next_value()?),
                "count" => spec.count = map.next_value()?,
                "format" => spec.format = Some(map.next_value()?),
                "language" => spec.language = Some(map.next_value()?),
                "html" => spec.html = map.next_value()?,
                "max" => spec.max = Some(map.next_value()?),
                _ => spec.min = Some(map.next_value()?),
            }
        }
        Ok(spec)
    }
}

// ---------------------------------------------------------------------------------
// Extraction
// ---------------------------------------------------------------------------------

/// What one page gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub mentions: Vec<RawMention>,
    /// The next page to fetch, if the page links one (or `page_param` says so).
    pub next: Option<url::Url>,
    /// Items the `item` selector matched (at most [`MAX_ITEMS`]), including those
    /// skipped for having neither text nor title: a page whose items all come out
    /// empty has changed its markup, which is not the same as a page with no reviews.
    pub items_seen: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// A consent, login or bot-check page came back instead of the reviews.
    #[error("blocked: {0}")]
    Blocked(String),
    /// A selector of the mapping does not parse (`validate` reports it at load time).
    #[error("{key}: {message}")]
    Selector { key: String, message: String },
    /// The mapping cannot produce mentions (neither `text` nor `title`).
    #[error("{key}: {message}")]
    Mapping { key: String, message: String },
}

impl ExtractError {
    /// The poll error for the page at `url`.
    pub fn into_source_error(self, url: &url::Url) -> SourceError {
        match self {
            ExtractError::Blocked(reason) => SourceError::Blocked {
                url: url.to_string(),
                reason,
            },
            other => SourceError::Parse {
                url: url.to_string(),
                reason: other.to_string(),
            },
        }
    }
}

/// Read the reviews of one page with `map`. `page_url` is the page's final URL (links
/// are resolved against it); `now` anchors relative dates ("vor 2 Tagen").
///
/// * Each of the first [`MAX_ITEMS`] matches of `item` is one review; one with neither
///   text nor title is skipped (but counted in `items_seen`).
/// * No item at all: a consent, login or bot-check page is
///   [`ExtractError::Blocked`]; any other page is `Ok` with no mentions, and the
///   caller's source health decides what an empty page means.
/// * The id is the `id` field; else the review's URL when it is not the page's; else
///   a SHA-256 of author, date text and body (the date text left out when it is
///   relative, since "vor 2 Tagen" reads differently tomorrow).
/// * The next page is the first `next` (or default) link that resolves to an
///   http(s) URL other than this page (file URLs only from a file page); with
///   `page_param`, this URL with the parameter incremented, when the page had items.
pub fn extract(
    html: &str,
    page_url: &url::Url,
    map: &HtmlMapping,
    now: DateTime<Utc>,
) -> Result<Page, ExtractError> {
    let plan = Plan::compile(map)?;
    let doc = Html::parse_document(html);
    let mut items = doc.select(&plan.item);
    let mut page = Page::default();
    for item in items.by_ref().take(MAX_ITEMS) {
        page.items_seen += 1;
        match plan.mention(item, page_url, now) {
            Some(m) => page.mentions.push(m),
            None => {
                tracing::debug!(url = %page_url, item = page.items_seen, "Skipping an item with neither text nor title.")
            }
        }
    }
    if items.next().is_some() {
        tracing::warn!(url = %page_url, kept = MAX_ITEMS, "Page has too many items; reading the first ones only.");
    }
    if page.items_seen == 0
        && let Some(reason) = wall::wall_reason(html)
    {
        return Err(ExtractError::Blocked(reason.to_string()));
    }
    page.next = plan.next_page(&doc, page_url, page.items_seen);
    Ok(page)
}

/// A mapping with its selectors parsed.
struct Plan<'m> {
    item: Selector,
    next: Next<'m>,
    id: Option<Field<'m>>,
    url: Option<Field<'m>>,
    author: Option<Field<'m>>,
    title: Option<Field<'m>>,
    text: Option<Field<'m>>,
    rating: Option<Field<'m>>,
    date: Option<Field<'m>>,
    updated: Option<Field<'m>>,
    lang: Option<Field<'m>>,
    reply: Option<Field<'m>>,
    reply_date: Option<Field<'m>>,
}

enum Next<'m> {
    Link(Selector),
    Param(&'m str),
}

struct Field<'m> {
    spec: &'m FieldSpec,
    selector: Option<Selector>,
}

impl<'m> Plan<'m> {
    fn compile(map: &'m HtmlMapping) -> Result<Self, ExtractError> {
        let parse = |key: &str, css: &str| {
            selector(key, css).map_err(|message| ExtractError::Selector {
                key: key.to_string(),
                message,
            })
        };
        let field = |name: &str, spec: &'m Option<FieldSpec>| -> Result<_, ExtractError> {
            let Some(spec) = spec else { return Ok(None) };
            let selector = match &spec.selector {
                Some(css) => Some(parse(&spec.selector_key(name), css)?),
                None => None,
            };
            Ok(Some(Field { spec, selector }))
        };
        let f = &map.fields;
        let item = parse("item", &map.item)?;
        let next = match (&map.next, &map.page_param) {
            (Some(css), _) => Next::Link(parse("next", css)?),
            (None, Some(param)) => Next::Param(param),
            (None, None) => Next::Link(parse("next", DEFAULT_NEXT)?),
        };
        let plan = Plan {
            item,
            next,
            id: field("id", &f.id)?,
            url: field("url", &f.url)?,
            author: field("author", &f.author)?,
            title: field("title", &f.title)?,
            text: field("text", &f.text)?,
            rating: field("rating", &f.rating)?,
            date: field("date", &f.date)?,
            updated: field("updated", &f.updated)?,
            lang: field("lang", &f.lang)?,
            reply: field("reply", &f.reply)?,
            reply_date: field("reply_date", &f.reply_date)?,
        };
        if plan.text.is_none() && plan.title.is_none() {
            return Err(ExtractError::Mapping {
                key: "fields".into(),
                message: "set `fields.text` or `fields.title` (or both)".into(),
            });
        }
        Ok(plan)
    }

    fn mention(
        &self,
        item: ElementRef<'_>,
        page_url: &url::Url,
        now: DateTime<Utc>,
    ) -> Option<RawMention> {
        let get = |f: &Option<Field<'_>>, cap: usize| f.as_ref().and_then(|f| f.value(item, cap));
        let text = get(&self.text, MAX_TEXT_BYTES).unwrap_or_default();
        let title = get(&self.title, MAX_FIELD_BYTES);
        if text.is_empty() && title.is_none() {
            return None;
        }
        let author = get(&self.author, MAX_FIELD_BYTES);
        let own_url = get(&self.url, MAX_URL_BYTES)
            .and_then(|u| page_url.join(&u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let (date_text, published_at) = self.date(&self.date, item, now);
        let (_, updated_at) = self.date(&self.updated, item, now);
        let reply = get(&self.reply, MAX_TEXT_BYTES).map(|text| Reply {
            text,
            at: self.date(&self.reply_date, item, now).1,
        });
        let (rating, rating_min, rating_max) = self.rating(item);

        let external_id = get(&self.id, MAX_FIELD_BYTES)
            .or_else(|| {
                own_url
                    .as_ref()
                    .filter(|u| !same_page(u, page_url))
                    .map(|u| u.to_string())
            })
            .unwrap_or_else(|| {
                let date = date_text
                    .as_deref()
                    .filter(|d| self.date_is_absolute(d, now))
                    .unwrap_or("");
                let body = if text.is_empty() {
                    title.as_deref().unwrap_or("")
                } else {
                    &text
                };
                fingerprint(author.as_deref(), date, body)
            });
        Some(RawMention {
            external_id: Some(external_id),
            url: Some(own_url.unwrap_or_else(|| page_url.clone()).to_string()),
            author,
            title,
            text,
            rating,
            rating_min,
            rating_max,
            published_at,
            updated_at,
            lang: get(&self.lang, MAX_LANG_BYTES),
            reply,
        })
    }

    /// The raw date text and its parse.
    fn date(
        &self,
        field: &Option<Field<'_>>,
        item: ElementRef<'_>,
        now: DateTime<Utc>,
    ) -> (Option<String>, Option<DateTime<Utc>>) {
        let Some(f) = field else { return (None, None) };
        let Some(text) = f.value(item, MAX_FIELD_BYTES) else {
            return (None, None);
        };
        let at = parse_date(
            &text,
            f.spec.format.as_deref(),
            f.spec.language.as_deref(),
            now,
        );
        (Some(text), at)
    }

    /// True when `text` means the same date whatever day it is read ("3. März 2026",
    /// or nothing we can read), false for "vor 2 Tagen", "heute".
    fn date_is_absolute(&self, text: &str, now: DateTime<Utc>) -> bool {
        let Some(f) = &self.date else { return true };
        let Some(later) = now.checked_add_signed(TimeDelta::days(1)) else {
            return true;
        };
        let (format, language) = (f.spec.format.as_deref(), f.spec.language.as_deref());
        parse_date(text, format, language, now) == parse_date(text, format, language, later)
    }

    /// Rating with its scale: (rating, min, max).
    fn rating(&self, item: ElementRef<'_>) -> (Option<f64>, Option<f64>, Option<f64>) {
        let Some(f) = &self.rating else {
            return (None, None, None);
        };
        let found = if f.spec.count {
            f.selector.as_ref().and_then(|sel| {
                let n = item.select(sel).take(MAX_COUNT + 1).count();
                // No icon at all is more likely changed markup than a zero rating.
                (1..=MAX_COUNT).contains(&n).then_some((n as f64, None))
            })
        } else {
            f.value(item, MAX_FIELD_BYTES)
                .and_then(|text| rating_from_text(&text))
        };
        let Some((value, stated_max)) = found else {
            return (None, None, None);
        };
        let max = stated_max.or(f.spec.max).unwrap_or(5.0);
        let min = f.spec.min.unwrap_or(if value < 1.0 { 0.0 } else { 1.0 });
        if value > max {
            tracing::debug!(value, max, "Ignoring a rating above its scale.");
            return (None, None, None);
        }
        (Some(value), Some(min), Some(max))
    }

    fn next_page(&self, doc: &Html, page_url: &url::Url, items_seen: usize) -> Option<url::Url> {
        match &self.next {
            Next::Link(sel) => doc
                .select(sel)
                .take(MAX_NEXT_CANDIDATES)
                .filter_map(|el| el.value().attr("href"))
                .filter_map(|href| page_url.join(href.trim()).ok())
                .find(|u| followable(u, page_url) && !same_page(u, page_url))
                .map(|mut u| {
                    u.set_fragment(None);
                    u
                }),
            Next::Param(param) => (items_seen > 0)
                .then(|| bump_query_param(page_url, param))
                .flatten(),
        }
    }
}

impl Field<'_> {
    /// The value of this field in `item`: non-empty plain text of at most `cap` bytes.
    fn value(&self, item: ElementRef<'_>, cap: usize) -> Option<String> {
        let el = match &self.selector {
            Some(sel) => item.select(sel).next()?,
            None => item,
        };
        // Markup is read up to 8× the cap: enough for tags and entities, and bounded.
        let text = match (&self.spec.attr, self.spec.html) {
            (Some(attr), false) => fold_whitespace(cut(el.value().attr(attr)?, 8 * cap)),
            (Some(attr), true) => html_to_text(cut(el.value().attr(attr)?, 8 * cap)),
            (None, true) => html_to_text(cut(&el.inner_html(), 8 * cap)),
            (None, false) => text_content(el, 8 * cap),
        };
        let text = cut(&text, cap);
        (!text.is_empty()).then(|| text.to_string())
    }
}

/// Elements whose content is not text a reader sees.
const HIDDEN: &[&str] = &["script", "style", "noscript", "template"];

/// Elements that separate words: "a<br>b" and "<p>a</p><p>b</p>" read "a b".
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// Visible text of `el`, whitespace folded; stops collecting after about `budget`
/// bytes.
fn text_content(el: ElementRef<'_>, budget: usize) -> String {
    enum Step<N> {
        Visit(N),
        Space,
    }
    let mut out = String::new();
    let mut stack = vec![Step::Visit(*el)];
    while let Some(step) = stack.pop() {
        if out.len() >= budget {
            break;
        }
        let node = match step {
            Step::Space => {
                out.push(' ');
                continue;
            }
            Step::Visit(node) => node,
        };
        match node.value() {
            Node::Text(t) => out.push_str(cut(t, budget.saturating_sub(out.len()))),
            Node::Element(e) => {
                let name = e.name();
                if HIDDEN.contains(&name) {
                    continue;
                }
                if BLOCKS.contains(&name) {
                    out.push(' ');
                    stack.push(Step::Space);
                }
                stack.extend(node.children().rev().map(Step::Visit));
            }
            _ => {}
        }
    }
    fold_whitespace(&out)
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

/// http(s) links; file links only from a file page (fixtures, local mirrors).
fn followable(next: &url::Url, page: &url::Url) -> bool {
    match next.scheme() {
        "http" | "https" => true,
        "file" => page.scheme() == "file",
        _ => false,
    }
}

/// The page's next page by the default links (`link[rel~=next], a[rel~=next]`): the
/// first that resolves to a followable URL other than the page itself.
pub(crate) fn next_link(doc: &Html, page_url: &url::Url) -> Option<url::Url> {
    let sel = Selector::parse(DEFAULT_NEXT).ok()?;
    doc.select(&sel)
        .take(MAX_NEXT_CANDIDATES)
        .filter_map(|el| el.value().attr("href"))
        .filter_map(|href| page_url.join(href.trim()).ok())
        .find(|u| followable(u, page_url) && !same_page(u, page_url))
        .map(|mut u| {
            u.set_fragment(None);
            u
        })
}

/// `url` with query parameter `name` set to its value + 1 (absent = page 1, so 2).
/// `None` when the current value is not a number.
pub(crate) fn bump_query_param(url: &url::Url, name: &str) -> Option<url::Url> {
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let current = match pairs.iter().find(|(k, _)| k == name) {
        Some((_, v)) => v.trim().parse::<u64>().ok()?,
        None => 1,
    };
    let next = current.checked_add(1)?.to_string();
    let mut out = url.clone();
    out.set_fragment(None);
    {
        let mut query = out.query_pairs_mut();
        query.clear();
        let mut done = false;
        for (k, v) in &pairs {
            if k != name {
                query.append_pair(k, v);
            } else if !done {
                query.append_pair(k, &next);
                done = true;
            }
        }
        if !done {
            query.append_pair(name, &next);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests;
