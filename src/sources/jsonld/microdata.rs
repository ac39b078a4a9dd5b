//! schema.org microdata (`itemscope`/`itemtype`/`itemprop`) Reviews, mapped to the
//! same raw mentions as JSON-LD. Text comes from the DOM, so it is already decoded:
//! it is only folded and capped here, never decoded a second time.

use scraper::{ElementRef, Html, Selector};

use super::{MAX_ENTRIES, MAX_FIELD_BYTES, fingerprint, parse_date, parse_number, same_page};
use crate::mention::cut;
use crate::mention::{RawMention, fold_whitespace};

/// Every microdata item typed schema.org `Review` (http or https), in document order.
pub(super) fn reviews(doc: &Html, base: &url::Url) -> Vec<RawMention> {
    let Ok(sel) = Selector::parse("[itemscope][itemtype]") else {
        return vec![];
    };
    doc.select(&sel)
        .filter(|el| el.value().attr("itemtype").is_some_and(is_review_type))
        .take(MAX_ENTRIES)
        .map(|el| review_to_mention(el, base))
        .collect()
}

fn is_review_type(itemtype: &str) -> bool {
    itemtype.split_ascii_whitespace().any(|t| {
        let t = t.trim_end_matches('/');
        let (host_path, name) = t.rsplit_once('/').unwrap_or(("", t));
        host_path.ends_with("schema.org") && name.ends_with("Review")
    })
}

/// The properties of the item `scope`: descendants with `itemprop`, not looking into
/// nested items (a nested item is itself a property value, not a source of them).
fn props<'a>(scope: ElementRef<'a>) -> Vec<(&'a str, ElementRef<'a>)> {
    let mut out = Vec::new();
    let mut stack: Vec<ElementRef<'a>> = scope.children().filter_map(ElementRef::wrap).collect();
    stack.reverse();
    while let Some(el) = stack.pop() {
        if let Some(names) = el.value().attr("itemprop") {
            for name in names.split_ascii_whitespace() {
                out.push((name, el));
            }
        }
        if el.value().attr("itemscope").is_none() {
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

/// The microdata value of a property element (HTML spec "property value").
fn value(el: ElementRef<'_>) -> String {
    let e = el.value();
    let attr = |name: &str| e.attr(name).map(str::to_owned);
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

fn text_value(el: ElementRef<'_>, max: usize) -> String {
    let folded = fold_whitespace(cut(&value(el), 8 * max));
    cut(&folded, max).to_string()
}

fn review_to_mention(review: ElementRef<'_>, base: &url::Url) -> RawMention {
    let p = props(review);
    let get = |name: &str| prop(&p, name).map(|el| text_value(el, MAX_FIELD_BYTES));

    let (rating, rating_min, rating_max) = match prop(&p, "reviewRating") {
        Some(el) if el.value().attr("itemscope").is_some() => {
            let rp = props(el);
            let num = |name: &str| prop(&rp, name).and_then(|e| parse_number(&value(e)));
            match num("ratingValue") {
                Some(r) => (
                    Some(r),
                    Some(num("worstRating").unwrap_or(1.0)),
                    Some(num("bestRating").unwrap_or(5.0)),
                ),
                None => (None, None, None),
            }
        }
        Some(el) => match parse_number(&value(el)) {
            Some(r) => (Some(r), Some(1.0), Some(5.0)),
            None => (None, None, None),
        },
        None => (None, None, None),
    };
    let author = prop(&p, "author")
        .map(|el| {
            if el.value().attr("itemscope").is_some() {
                let ap = props(el);
                prop(&ap, "name")
                    .map(|n| text_value(n, 1024))
                    .unwrap_or_default()
            } else {
                text_value(el, 1024)
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
        .and_then(|el| base.join(value(el).trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let external_id = review
        .value()
        .attr("itemid")
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
