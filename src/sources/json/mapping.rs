//! The mapping of a `type = "json"` source: where the items of an API response are,
//! which JSON pointers (RFC 6901) hold each field, and how to reach the next page.
//!
//! The caller owns `url`, `headers`, `secret_file` and `max_pages`; every other key
//! of the source table belongs to [`JsonMapping`]. Presets build a mapping in code
//! (all fields are public, and [`FieldSpec::pointer`] and friends keep it short).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// How to read one JSON API response.
///
/// ```toml
/// items = "/reviews"
/// next_cursor = "/nextPageToken"
/// cursor_param = "pageToken"
/// [sources.my-api.fields]
/// id = "/reviewId"
/// text = "/comment"
/// rating = { pointer = "/starRating", map = { ONE = 1, TWO = 2, THREE = 3, FOUR = 4, FIVE = 5 } }
/// ```
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonMapping {
    /// JSON pointer to the array of items; `""` when the document itself is the array.
    pub items: String,
    /// Pointer to the next page's URL, absolute or relative to the request URL. A link
    /// to another host, or back to the same URL, is ignored.
    pub next_url: Option<String>,
    /// Pointer to an opaque cursor for the next page, sent as `cursor_param`. No next
    /// page when the cursor is missing, `null` or `""`.
    pub next_cursor: Option<String>,
    /// Query parameter that carries the cursor of `next_cursor` (required with it).
    pub cursor_param: Option<String>,
    /// Query parameter holding a page number, incremented while pages bring items. A
    /// URL without it is page 1; put `page=0` in the URL for APIs that count from 0.
    pub page_param: Option<String>,
    /// Query parameter holding the offset of the first item (`offset=0`): the next
    /// page's offset is this one plus the items this page brought (absent = 0), while
    /// pages bring items. For APIs that page by `limit`/`offset` (Etsy).
    #[serde(default)]
    pub offset_param: Option<String>,
    /// Items a full page holds, with `page_param` or `offset_param`: a page with fewer
    /// is the last one, so no request is spent on an empty page after it.
    #[serde(default)]
    pub page_size: Option<std::num::NonZeroU32>,
    /// Whether text values are HTML (converted to plain text) by default; each field
    /// may override it with `html = true|false`.
    #[serde(default)]
    pub html: bool,
    /// Lowest value of the rating scale (default 1 when a rating exists).
    pub rating_min: Option<f64>,
    /// Highest value of the rating scale (default 5 when a rating exists).
    pub rating_max: Option<f64>,
    /// Where each field of an item is, relative to the item.
    pub fields: Fields,
}

/// `[sources.<id>.fields]`: each value is a pointer string, an array of pointers, or
/// a table (see [`FieldSpec`]). Only `text` or `title` (or `rating`) is required.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    /// The platform's id for the item. An array of pointers is joined with `:`
    /// (a composite key such as Etsy's shop and transaction ids); all parts must exist.
    pub id: Option<FieldSpec>,
    /// Link to the item, resolved against the request URL; may be a `template`.
    pub url: Option<FieldSpec>,
    /// Name of the reviewer or poster.
    pub author: Option<FieldSpec>,
    /// Headline of the review or post.
    pub title: Option<FieldSpec>,
    /// The body of the review or post.
    pub text: Option<FieldSpec>,
    /// A number, a numeric string (`"4"`, `"4,5"`), or a value looked up in `map`.
    pub rating: Option<FieldSpec>,
    /// When published: RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC), epoch seconds or
    /// milliseconds (number or string), or the table's `format`.
    pub date: Option<FieldSpec>,
    /// When last edited; same formats as `date`.
    pub updated: Option<FieldSpec>,
    /// Language the platform declares for the item.
    pub lang: Option<FieldSpec>,
    /// Text of the business's public reply.
    pub reply: Option<FieldSpec>,
    /// When the reply was published or last updated.
    pub reply_date: Option<FieldSpec>,
}

/// Where one field's value is and how to read it.
///
/// In TOML: `"/pointer"`, `["/a", "/b"]` (same as `pointers`), or a table with the
/// keys `pointer` or `pointers`, `template`, `map`, `html` and `format`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldSpec {
    /// Pointers relative to the item. For `id` the values are joined with `:`; for
    /// every other field the first pointer that gives a non-empty value wins.
    pub pointers: Vec<String>,
    /// `url` only: a URL built from item values, e.g. `https://site/r/{/id}`. Each
    /// `{/pointer}` is replaced by that value, percent-encoded as a path segment; the
    /// template gives nothing when a value is missing. Used when the pointers give
    /// nothing (or there are none).
    pub template: Option<String>,
    /// Value renames: the value (as a string) is looked up, exactly and then ignoring
    /// ASCII case; unmatched values pass through unchanged. For `rating` the targets
    /// are numbers (`ONE = 1`).
    pub map: BTreeMap<String, MapValue>,
    /// Overrides the mapping-wide `html` for this field (author, title, text, reply).
    pub html: Option<bool>,
    /// chrono `strftime` format for dates, tried before the built-in ones
    /// (`"%d.%m.%Y"`, `"%d.%m.%Y %H:%M"`; without an offset the time is UTC).
    pub format: Option<String>,
}

/// A target value of a [`FieldSpec::map`].
#[derive(Debug, Clone, PartialEq)]
pub enum MapValue {
    /// `FIVE = 5`: a rating, or a number used as text.
    Number(f64),
    /// `de_DE = "de"`: a renamed value.
    Text(String),
}

impl MapValue {
    /// The value as a string (numbers without a needless `.0`).
    pub fn to_text(&self) -> String {
        match self {
            MapValue::Text(s) => s.clone(),
            MapValue::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            MapValue::Number(n) => n.to_string(),
        }
    }
}

impl FieldSpec {
    /// A field read from one pointer.
    pub fn pointer(p: impl Into<String>) -> Self {
        Self {
            pointers: vec![p.into()],
            ..Self::default()
        }
    }

    /// A field read from several pointers (joined for `id`, fallbacks otherwise).
    pub fn pointers<S: Into<String>>(ps: impl IntoIterator<Item = S>) -> Self {
        Self {
            pointers: ps.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// A `url` built from item values.
    pub fn template(t: impl Into<String>) -> Self {
        Self {
            template: Some(t.into()),
            ..Self::default()
        }
    }

    /// Adds value renames (for ratings: `("FIVE", MapValue::Number(5.0))`).
    pub fn with_map<K: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, MapValue)>,
    ) -> Self {
        self.map
            .extend(pairs.into_iter().map(|(k, v)| (k.into(), v)));
        self
    }

    /// Overrides the mapping-wide `html` setting for this field.
    pub fn with_html(mut self, html: bool) -> Self {
        self.html = Some(html);
        self
    }

    /// A date format tried before the built-in ones.
    pub fn with_format(mut self, format: impl Into<String>) -> Self {
        self.format = Some(format.into());
        self
    }
}

impl JsonMapping {
    /// Parse the mapping keys of a source table from TOML (tests, presets written as
    /// text). The caller's keys (`type`, `url`, ...) must not be in `s`.
    pub fn from_toml_str(s: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(s)
    }

    /// Every problem serde cannot express, each with its key path relative to the
    /// source table (`fields.rating.pointer`). Empty when the mapping is usable.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = Vec::new();
        let mut push = |key: &str, msg: String| p.push((key.to_string(), msg));

        check_pointer(&mut push, "items", &self.items);
        for (key, ptr) in [
            ("next_url", &self.next_url),
            ("next_cursor", &self.next_cursor),
        ] {
            if let Some(ptr) = ptr {
                check_pointer(&mut push, key, ptr);
            }
        }
        let paging: Vec<&str> = [
            ("next_url", self.next_url.is_some()),
            ("next_cursor", self.next_cursor.is_some()),
            ("page_param", self.page_param.is_some()),
            ("offset_param", self.offset_param.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect();
        if paging.len() > 1 {
            push(
                paging[1],
                format!(
                    "use only one of next_url, next_cursor, page_param and offset_param (found {})",
                    paging.join(", ")
                ),
            );
        }
        match (&self.next_cursor, &self.cursor_param) {
            (Some(_), None) => push(
                "cursor_param",
                "is required with next_cursor: name the query parameter that carries the cursor"
                    .into(),
            ),
            (None, Some(_)) => push("cursor_param", "has no effect without next_cursor".into()),
            _ => {}
        }
        if self.page_size.is_some() && self.page_param.is_none() && self.offset_param.is_none() {
            push(
                "page_size",
                "has no effect without page_param or offset_param".into(),
            );
        }
        for (key, param) in [
            ("cursor_param", &self.cursor_param),
            ("page_param", &self.page_param),
            ("offset_param", &self.offset_param),
        ] {
            if let Some(param) = param
                && (param.trim().is_empty() || param != param.trim())
            {
                push(
                    key,
                    "must be a query parameter name without surrounding spaces".into(),
                );
            }
        }
        for (key, v) in [
            ("rating_min", self.rating_min),
            ("rating_max", self.rating_max),
        ] {
            if v.is_some_and(|v| !v.is_finite()) {
                push(key, "must be a finite number".into());
            }
        }
        let (min, max) = (
            self.rating_min.unwrap_or(1.0),
            self.rating_max.unwrap_or(5.0),
        );
        if min >= max {
            push(
                "rating_max",
                format!("must be greater than rating_min ({max} <= {min})"),
            );
        }

        let f = &self.fields;
        if f.text.is_none() && f.title.is_none() && f.rating.is_none() {
            push(
                "fields",
                "map fields.text or fields.title (or fields.rating: ratings alone are kept)".into(),
            );
        }
        for (name, spec) in f.named() {
            if let Some(spec) = spec {
                spec.check(name, &mut push);
            }
        }
        p
    }
}

impl Fields {
    /// Every field with its key, in documentation order.
    pub(crate) fn named(&self) -> [(&'static str, Option<&FieldSpec>); 11] {
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

const TEXT_FIELDS: [&str; 4] = ["author", "title", "text", "reply"];
const DATE_FIELDS: [&str; 3] = ["date", "updated", "reply_date"];

impl FieldSpec {
    fn check(&self, name: &str, push: &mut impl FnMut(&str, String)) {
        let key = |k: &str| format!("fields.{name}.{k}");
        if self.pointers.is_empty() && self.template.is_none() {
            let what = if name == "url" {
                "pointer or template"
            } else {
                "pointer"
            };
            push(&format!("fields.{name}"), format!("needs a {what}"));
        }
        let pkey = key(if self.pointers.len() > 1 {
            "pointers"
        } else {
            "pointer"
        });
        for ptr in &self.pointers {
            check_pointer(push, &pkey, ptr);
        }
        if let Some(t) = &self.template {
            if name != "url" {
                push(&key("template"), "is only supported for fields.url".into());
            } else {
                check_template(t, &key("template"), push);
            }
        }
        if self.html.is_some() && !TEXT_FIELDS.contains(&name) {
            push(
                &key("html"),
                format!("applies only to {}", TEXT_FIELDS.join(", ")),
            );
        }
        if let Some(fmt) = &self.format {
            if !DATE_FIELDS.contains(&name) {
                push(
                    &key("format"),
                    format!("applies only to {}", DATE_FIELDS.join(", ")),
                );
            } else if fmt.trim().is_empty()
                || chrono::format::StrftimeItems::new(fmt)
                    .any(|i| matches!(i, chrono::format::Item::Error))
            {
                push(
                    &key("format"),
                    format!("{fmt:?} is not a valid strftime format"),
                );
            }
        }
        for (k, v) in &self.map {
            if name == "rating" && !matches!(v, MapValue::Number(n) if n.is_finite()) {
                push(&key("map"), format!("{k:?} must map to a number"));
            }
            if k.trim().is_empty() {
                push(&key("map"), "keys must not be empty".into());
            }
        }
    }
}

fn check_pointer(push: &mut impl FnMut(&str, String), key: &str, ptr: &str) {
    if !(ptr.is_empty() || ptr.starts_with('/')) {
        push(
            key,
            format!(
                "{ptr:?} is not a JSON pointer: use \"\" for the whole value or start with \"/\" (\"/{ptr}\")"
            ),
        );
    } else if let Some(bad) = bad_escape(ptr) {
        push(
            key,
            format!("{ptr:?}: \"~\" must be followed by 0 or 1 (found {bad:?})"),
        );
    }
}

/// RFC 6901 allows `~` only as `~0` (`~`) and `~1` (`/`).
fn bad_escape(ptr: &str) -> Option<String> {
    let b = ptr.as_bytes();
    b.iter().enumerate().find_map(|(i, &c)| {
        (c == b'~' && !matches!(b.get(i + 1), Some(b'0' | b'1')))
            .then(|| ptr[i..].chars().take(2).collect())
    })
}

fn check_template(t: &str, key: &str, push: &mut impl FnMut(&str, String)) {
    let placeholders = super::template_pointers(t);
    if placeholders.is_empty() {
        push(
            key,
            "has no {/pointer} placeholder, so every item would get the same URL".into(),
        );
    }
    for ptr in placeholders {
        check_pointer(push, key, ptr);
    }
}

// ---------------------------------------------------------------------------
// Deserialize for FieldSpec and MapValue, by hand so errors name the bad key.

const SPEC_KEYS: &[&str] = &["pointer", "pointers", "template", "map", "html", "format"];

impl<'de> Deserialize<'de> for FieldSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SpecVisitor)
    }
}

struct SpecVisitor;

impl<'de> Visitor<'de> for SpecVisitor {
    type Value = FieldSpec;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "a JSON pointer string (\"/id\"), an array of pointers, or a table with pointer, pointers, template, map, html or format",
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldSpec, E> {
        Ok(FieldSpec::pointer(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FieldSpec, A::Error> {
        let mut pointers = Vec::new();
        while let Some(p) = seq.next_element::<String>()? {
            pointers.push(p);
        }
        if pointers.is_empty() {
            return Err(de::Error::invalid_length(0, &"at least one pointer"));
        }
        Ok(FieldSpec::pointers(pointers))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FieldSpec, A::Error> {
        let mut spec = FieldSpec::default();
        let mut pointer: Option<String> = None;
        let mut pointers: Option<Vec<String>> = None;
        let mut seen: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            match key.as_str() {
                "pointer" => pointer = Some(map.next_value()?),
                "pointers" => {
                    let ps: Vec<String> = map.next_value()?;
                    if ps.is_empty() {
                        return Err(de::Error::invalid_length(0, &"at least one pointer"));
                    }
                    pointers = Some(ps);
                }
                "template" => spec.template = Some(map.next_value()?),
                "map" => spec.map = map.next_value()?,
                "html" => spec.html = Some(map.next_value()?),
                "format" => spec.format = Some(map.next_value()?),
                other => return Err(de::Error::unknown_field(other, SPEC_KEYS)),
            }
            seen.push(key);
        }
        spec.pointers = match (pointer, pointers) {
            (Some(_), Some(_)) => {
                return Err(de::Error::custom(
                    "use either `pointer` or `pointers`, not both",
                ));
            }
            (Some(p), None) => vec![p],
            (None, Some(ps)) => ps,
            (None, None) => vec![],
        };
        if spec.pointers.is_empty() && spec.template.is_none() {
            return Err(de::Error::custom(
                "missing `pointer` (or `pointers`, or `template` for url)",
            ));
        }
        Ok(spec)
    }
}

impl<'de> Deserialize<'de> for MapValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MapValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MapValue, E> {
                Ok(MapValue::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MapValue, E> {
                Ok(MapValue::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MapValue, E> {
                Ok(MapValue::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MapValue, E> {
                Ok(MapValue::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}
