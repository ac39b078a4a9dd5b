//! schema.org Reviews in microdata (`itemscope`/`itemtype`/`itemprop`) and in RDFa
//! Lite (`vocab`/`typeof`/`property`), mapped to the same raw mentions as JSON-LD,
//! plus the page's `AggregateRating`. The two syntaxes differ only in their
//! attribute names and in RDFa's `content` attribute, which wins on any element.
//! Text comes from the DOM, so it is already decoded: it is only folded and capped
//! here, never decoded a second time.

use scraper::{ElementRef, Html, Selector};

use super::{MAX_ENTRIES, MAX_FIELD_BYTES, fingerprint, parse_date, parse_number, same_page};
use crate::mention::cut;
use crate::mention::{AggregateRating, RawMention, fold_whitespace};

/// Which attribute syntax to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// HTML microdata: `itemscope itemtype="https://schema.org/Review"`, `itemprop`.
    Microdata,
    /// RDFa Lite: `vocab="https://schema.org/" typeof="Review"`, `property`.
    Rdfa,
}

impl Dialect {
    fn items(self) -> &'static str {
        match self {
            Dialect::Microdata => "[itemscope][itemtype]",
            Dialect::Rdfa => "[typeof]",
        }
    }

    fn prop_attr(self) -> &'static str {
        match self {
            Dialect::Microdata => "itemprop",
            Dialect::Rdfa => "property",
        }
    }

    fn id_attr(self) -> &'static str {
        match self {
            Dialect::Microdata => "itemid",
            Dialect::Rdfa => "resource",
        }
    }

    /// Whether `el` starts an item of its own.
    fn is_item(self, el: ElementRef<'_>) -> bool {
        match self {
            Dialect::Microdata => el.value().attr("itemscope").is_some(),
            Dialect::Rdfa => el.value().attr("typeof").is_some(),
        }
    }

    /// Whether `el` is typed as a schema.org type whose name passes `name_ok`.
    fn has_type(self, el: ElementRef<'_>, name_ok: fn(&str) -> bool) -> bool {
        match self {
            Dialect::Microdata => el
                .value()
                .attr("itemtype")
                .is_some_and(|t| t.split_ascii_whitespace().any(|t| schema_iri(t, name_ok))),
            Dialect::Rdfa => el.value().attr("typeof").is_some_and(|types| {
                types.split_ascii_whitespace().any(|t| {
                    if t.contains("://") {
                        schema_iri(t, name_ok)
                    } else if let Some(name) = t.strip_prefix("schema:") {
                        name_ok(name)
                    } else {
                        !t.contains(':') && name_ok(t) && schema_vocab(el)
                    }
                })
            }),
        }
    }
}

/// `https://schema.org/Review` (http or https, trailing slash tolerated).
fn schema_iri(t: &str, name_ok: fn(&str) -> bool) -> bool {
    let t = t.trim_end_matches('/');
    let (host_path, name) = t.rsplit_once('/').unwrap_or(("", t));
    host_path.ends_with("schema.org") && name_ok(name)
}

/// The nearest `vocab` on `el` or an ancestor is schema.org.
fn schema_vocab(el: ElementRef<'_>) -> bool {
    std::iter::once(el)
        .chain(el.ancestors().filter_map(ElementRef::wrap))
        .find_map(|e| e.value().attr("vocab"))
        .is_some_and(|v| v.contains("schema.org"))
}

fn is_review_name(name: &str) -> bool {
    name.ends_with("Review")
}

fn is_aggregate_name(name: &str) -> bool {
    name == "AggregateRating"
}

/// Every item typed schema.org `Review`, in document order.
pub(super) fn reviews(doc: &Html, base: &url::Url, dialect: Dialect) -> Vec<RawMention> {
    let Ok(sel) = Selector::parse(dialect.items()) else {
        return vec![];
    };
    doc.select(&sel)
        .filter(|el| dialect.has_type(*el, is_review_name))
        .take(MAX_ENTRIES)
        .map(|el| review_to_mention(el, base, dialect))
        .collect()
}

/// The page's first `AggregateRating` item with a rating value.
pub(super) fn aggregate(doc: &Html, dialect: Dialect) -> Option<AggregateRating> {
    let sel = Selector::parse(dialect.items()).ok()?;
    doc.select(&sel)
        .filter(|el| dialect.has_type(*el, is_aggregate_name))
        .take(MAX_ENTRIES)
        .find_map(|el| {
            let p = props(el, dialect);
            let num = |name: &str| prop(&p, name).and_then(|e| parse_number(&value(e, dialect)));
            let count = |name: &str| num(name).filter(|n| *n >= 0.0).map(|n| n as u64);
            Some(AggregateRating {
                rating: num("ratingValue")?,
                best: num("bestRating"),
                worst: num("worstRating"),
                rating_count: count("ratingCount"),
                review_count: count("reviewCount"),
            })
        })
}

/// The property name without a vocabulary (`schema:reviewBody`,
/// `https://schema.org/reviewBody` and `reviewBody` are all `reviewBody`).
fn bare_name(name: &str) -> &str {
    name.rsplit(['/', ':', '#']).next().unwrap_or(name)
}

/// The properties of the item `scope`: descendants with a property attribute, not
/// looking into nested items (a nested item is itself a property value, not a source
/// of them).
fn props<'a>(scope: ElementRef<'a>, dialect: Dialect) -> Vec<(&'a str, ElementRef<'a>)> {
    let mut out = Vec::new();
    let mut stack: Vec<ElementRef<'a>> = scope.children().filter_map(ElementRef::wrap).collect();
    stack.reverse();
    while let Some(el) = stack.pop() {
        if let Some(names) = el.value().attr(dialect.prop_attr()) {
            for name in names.split_ascii_whitespace() {
                out.push((bare_name(name), el));
            }
        }
        if !dialect.is_item(el) {
            let mut children: Vec<ElementRef<'a>> =
                el.children().filter_map(ElementRef::wrap).collect();
            children.reverse();
            stack.extend(children);
        }
    }
    out
}

fn prop<'a>(props: &[(&str, ElementRef<'a>)], name: &str) -> Option<ElementRef<'a>> {
    props.iter().find(|(n, _)| *n == name).map(|(_, el)| *el)
}

/// The value of a property element (HTML spec "property value"; in RDFa a `content`
/// attribute wins on any element).
fn value(el: ElementRef<'_>, dialect: Dialect) -> String {
    let e = el.value();
    let attr = |name: &str| e.attr(name).map(str::to_owned);
    if dialect == Dialect::Rdfa
        && let Some(content) = attr("content")
    {
        return content;
    }
    let v = match e.name() {
        "meta" => attr("content"),
        "a" | "area" | "link" => attr("href"),
        "img" | "audio" | "video" | "source" | "iframe" | "embed" | "track" => attr("src"),
        "object" => attr("data"),
        "data" | "meter" => attr("value"),
        "time" => attr("datetime"),
        _ => None,
    };
    v.unwrap_or_else(|| el.text().collect())
}

fn text_value(el: ElementRef<'_>, max: usize, dialect: Dialect) -> String {
    let folded = fold_whitespace(cut(&value(el, dialect), 8 * max));
    cut(&folded, max).to_string()
}

fn review_to_mention(review: ElementRef<'_>, base: &url::Url, dialect: Dialect) -> RawMention {
    let p = props(review, dialect);
    let get = |name: &str| prop(&p, name).map(|el| text_value(el, MAX_FIELD_BYTES, dialect));

    let (rating, rating_min, rating_max) = match prop(&p, "reviewRating") {
        Some(el) if dialect.is_item(el) => {
            let rp = props(el, dialect);
            let num = |name: &str| prop(&rp, name).and_then(|e| parse_number(&value(e, dialect)));
            match num("ratingValue") {
                Some(r) => (
                    Some(r),
                    Some(num("worstRating").unwrap_or(1.0)),
                    Some(num("bestRating").unwrap_or(5.0)),
                ),
                None => (None, None, None),
            }
        }
        Some(el) => match parse_number(&value(el, dialect)) {
            Some(r) => (Some(r), Some(1.0), Some(5.0)),
            None => (None, None, None),
        },
        None => (None, None, None),
    };
    let author = prop(&p, "author")
        .map(|el| {
            if dialect.is_item(el) {
                let ap = props(el, dialect);
                prop(&ap, "name")
                    .map(|n| text_value(n, 1024, dialect))
                    .unwrap_or_default()
            } else {
                text_value(el, 1024, dialect)
            }
        })
        .filter(|a| !a.is_empty());
    let title = get("name")
        .or_else(|| get("headline"))
        .filter(|t| !t.is_empty());
    let body = get("reviewBody")
        .or_else(|| get("description"))
        .unwrap_or_default();
    let published_raw = get("datePublished");
    let lang = get("inLanguage")
        .or_else(|| review.value().attr("lang").map(str::to_owned))
        .map(|l| cut(l.trim(), 35).to_string())
        .filter(|l| !l.is_empty());
    let url = prop(&p, "url")
        .and_then(|el| base.join(value(el, dialect).trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let external_id = review
        .value()
        .attr(dialect.id_attr())
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            base.join(id)
                .map(String::from)
                .unwrap_or_else(|_| id.to_string())
        })
        .or_else(|| {
            url.as_ref()
                .filter(|u| !same_page(u, base))
                .map(|u| u.to_string())
        })
        .unwrap_or_else(|| {
            fingerprint(
                author.as_deref(),
                published_raw.as_deref().unwrap_or(""),
                &body,
            )
        });
    RawMention {
        external_id: Some(external_id),
        url: Some(url.unwrap_or_else(|| base.clone()).to_string()),
        author,
        title,
        text: body,
        rating,
        rating_min,
        rating_max,
        published_at: published_raw.as_deref().and_then(parse_date),
        updated_at: get("dateModified").as_deref().and_then(parse_date),
        lang,
        reply: None,
    }
}
