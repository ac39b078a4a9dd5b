//! `type = "trustpilot"`: the reviews of one business unit.
//!
//! * `mode = "api"` (default): the official API, `GET
//!   {api_base}/v1/business-units/{id}/reviews?orderBy=createdat.desc&perPage=N` with
//!   the key in the `apikey` header; `stars` 1 to 5, `companyReply` is the reply. A
//!   further page is read (`&page=2`, ...) while the response links a `next-page`.
//! * `mode = "page"` (opt-in, for a shop's own profile): the public page
//!   `https://www.trustpilot.com/review/{domain}`. Its reviews come from the page's
//!   embedded Next.js data (`script#__NEXT_DATA__` → `props.pageProps.reviews[]`);
//!   further pages are `?page=N` while `filters.pagination` says there are more.
//!   When that data is missing or broken (a truncated page, a redesign), the page's
//!   schema.org JSON-LD is read instead, with the replies taken from the review
//!   cards, and failing that the review cards alone.
//!
//! Both forms give a review the same `external_id` (Trustpilot's review id) and the
//! same link (`https://www.trustpilot.com/reviews/{id}`), so a review read through
//! the page and through the API is one mention.

use chrono::Utc;
use serde_json::Value;
use url::Url;

use super::html::{self, HtmlMapping};
use super::json::{FieldSpec, Fields, JsonMapping};
use super::preset_api::{self, ApiSource, Credential};
use super::{Page, Source, SourceError, jsonld};
use crate::config::{SourceConfig, SourceOptions, TRUSTPILOT_SITE_BASE, TrustpilotMode};
use crate::mention::{AggregateRating, RawMention};

/// Where the page keeps its reviews.
const NEXT_DATA_REVIEWS: &str = "/props/pageProps/reviews";

pub(crate) fn build(id: &str, cfg: &SourceConfig) -> Result<Box<dyn Source>, String> {
    let SourceOptions::Trustpilot(o) = &cfg.options else {
        return Err("not a trustpilot source".into());
    };
    Ok(Box::new(match o.mode {
        TrustpilotMode::Api => ApiSource::new(
            id,
            cfg,
            Box::new(|body| parse_api(&body.bytes, &body.final_url)),
        )
        .header("apikey", crate::config::SECRET_PLACEHOLDER)
        .header("accept", "application/json")
        .credential(Credential::fixed(
            o.api_key_file.as_deref(),
            o.api_key_env.as_deref(),
            "api_key_file",
            "api_key_env",
        )?),
        TrustpilotMode::Page => ApiSource::new(
            id,
            cfg,
            Box::new(|body| {
                let html = jsonld::decode_page(&body.bytes, body.content_type.as_deref());
                parse_page(&html, &body.final_url)
            }),
        ),
    }))
}

/// The link of a review on Trustpilot's site, whichever form it was read from.
fn review_link() -> FieldSpec {
    FieldSpec::template(format!("{TRUSTPILOT_SITE_BASE}/reviews/{{/id}}"))
}

/// How the API's review list is read.
pub fn api_mapping() -> JsonMapping {
    JsonMapping {
        items: "/reviews".into(),
        rating_min: Some(1.0),
        rating_max: Some(5.0),
        fields: Fields {
            id: Some(FieldSpec::pointer("/id")),
            url: Some(review_link()),
            author: Some(FieldSpec::pointer("/consumer/displayName")),
            title: Some(FieldSpec::pointer("/title")),
            text: Some(FieldSpec::pointer("/text")),
            rating: Some(FieldSpec::pointer("/stars")),
            date: Some(FieldSpec::pointer("/createdAt")),
            updated: Some(FieldSpec::pointer("/updatedAt")),
            lang: Some(FieldSpec::pointer("/language")),
            reply: Some(FieldSpec::pointer("/companyReply/text")),
            reply_date: Some(FieldSpec::pointers([
                "/companyReply/updatedAt",
                "/companyReply/createdAt",
            ])),
        },
        ..JsonMapping::default()
    }
}

/// How the page's `__NEXT_DATA__` reviews are read.
pub fn page_mapping() -> JsonMapping {
    JsonMapping {
        items: NEXT_DATA_REVIEWS.into(),
        rating_min: Some(1.0),
        rating_max: Some(5.0),
        fields: Fields {
            id: Some(FieldSpec::pointer("/id")),
            url: Some(review_link()),
            author: Some(FieldSpec::pointer("/consumer/displayName")),
            title: Some(FieldSpec::pointer("/title")),
            text: Some(FieldSpec::pointer("/text")),
            rating: Some(FieldSpec::pointer("/rating")),
            date: Some(FieldSpec::pointer("/dates/publishedDate")),
            updated: Some(FieldSpec::pointer("/dates/updatedDate")),
            lang: Some(FieldSpec::pointer("/language")),
            reply: Some(FieldSpec::pointer("/reply/message")),
            reply_date: Some(FieldSpec::pointers([
                "/reply/updatedDate",
                "/reply/publishedDate",
            ])),
        },
        ..JsonMapping::default()
    }
}

/// How the review cards of the page are read (the last fallback). The data
/// attributes are what the page's own tests hook into; the class names are not
/// used, they change with every build.
pub fn cards_mapping() -> HtmlMapping {
    use html::FieldSpec as F;
    let permalink = r#"a[href*="/reviews/"]"#;
    HtmlMapping::new(
        "article[data-service-review-card-paper]",
        html::Fields {
            id: Some(F::attr(permalink, "href")),
            url: Some(F::attr(permalink, "href")),
            author: Some(F::css("[data-consumer-name-typography]")),
            title: Some(F::css("[data-service-review-title-typography]")),
            text: Some(F::css("[data-service-review-text-typography]")),
            rating: Some(
                F::attr("[data-service-review-rating]", "data-service-review-rating")
                    .with_max(5.0)
                    .with_min(1.0),
            ),
            date: Some(F::attr(
                "time[data-service-review-date-time-ago]",
                "datetime",
            )),
            reply: Some(F::css(
                "[data-service-review-business-reply-text-typography]",
            )),
            reply_date: Some(F::attr(
                "time[data-service-review-business-reply-date-time-ago]",
                "datetime",
            )),
            ..html::Fields::default()
        },
    )
}

/// One API response. The next page is this URL with `page` counted up, read only
/// while the response links a `next-page` (the link itself points at
/// api.trustpilot.com, which `api_base` may replace).
pub fn parse_api(bytes: &[u8], url: &Url) -> Result<Page, SourceError> {
    let root = preset_api::parse_json(bytes, url)?;
    let more = root
        .get("links")
        .and_then(Value::as_array)
        .is_some_and(|links| {
            links
                .iter()
                .any(|l| l.get("rel").and_then(Value::as_str) == Some("next-page"))
        });
    let mut page = Page::from(preset_api::extract(&root, url, &api_mapping())?);
    page.next = (more && page.items_seen > 0)
        .then(|| html::bump_query_param(url, "page"))
        .flatten();
    Ok(page)
}

/// One public profile page (already decoded to text).
pub fn parse_page(html: &str, url: &Url) -> Result<Page, SourceError> {
    match next_data(html) {
        Ok(root) => from_next_data(&root, url),
        Err(reason) => {
            tracing::warn!(url = %url, reason = %reason, "Trustpilot page without usable __NEXT_DATA__; reading its JSON-LD and review cards instead.");
            fallback(html, url, &reason)
        }
    }
}

/// The page's Next.js data, or why it cannot be used.
fn next_data(html: &str) -> Result<Value, String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("script#__NEXT_DATA__")
        .unwrap_or_else(|_| unreachable!("a valid selector"));
    let script = doc
        .select(&sel)
        .next()
        .ok_or("the page has no script#__NEXT_DATA__")?;
    let text: String = script.text().collect();
    let root: Value = serde_json::from_str(&text).map_err(|e| {
        format!(
            "__NEXT_DATA__ is not valid JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        )
    })?;
    if !root.pointer(NEXT_DATA_REVIEWS).is_some_and(Value::is_array) {
        return Err(format!(
            "__NEXT_DATA__ has no review list at {NEXT_DATA_REVIEWS}"
        ));
    }
    Ok(root)
}

fn from_next_data(root: &Value, url: &Url) -> Result<Page, SourceError> {
    let mut page = Page::from(preset_api::extract(root, url, &page_mapping())?);
    let pagination = root.pointer("/props/pageProps/filters/pagination");
    let number = |k: &str| pagination.and_then(|p| p.get(k)).and_then(Value::as_u64);
    page.next = match (number("currentPage"), number("totalPages")) {
        (Some(current), Some(total)) if current < total && page.items_seen > 0 => {
            html::bump_query_param(url, "page")
        }
        _ => None,
    };
    let unit = root.pointer("/props/pageProps/businessUnit");
    page.aggregate = preset_api::aggregate(
        unit.and_then(|u| u.get("trustScore")),
        unit.and_then(|u| u.get("numberOfReviews")),
        5.0,
        1.0,
    );
    Ok(page)
}

/// Without `__NEXT_DATA__`: the JSON-LD reviews (with the cards' replies), else the
/// cards alone. A page with neither is a parse error naming the broken data.
fn fallback(html: &str, url: &Url, reason: &str) -> Result<Page, SourceError> {
    let cards = match html::extract(html, url, &cards_mapping(), Utc::now()) {
        Ok(p) => p.mentions,
        Err(e) => return Err(e.into_source_error(url)),
    };
    let cards: Vec<RawMention> = cards.into_iter().map(with_review_id).collect();
    let ld = jsonld::parse_page(html, url, None)?;
    let more = ld.next.is_some();
    let aggregate: Option<AggregateRating> = ld.aggregate;
    let mut mentions: Vec<RawMention> = ld.mentions.into_iter().map(with_review_id).collect();
    for m in &mut mentions {
        if m.reply.is_none()
            && let Some(card) = cards.iter().find(|c| c.external_id == m.external_id)
        {
            m.reply = card.reply.clone();
        }
    }
    if mentions.is_empty() {
        mentions = cards;
    }
    if mentions.is_empty() {
        return Err(preset_api::parse_error(
            url,
            format!("{reason}; and the page has no JSON-LD reviews or review cards"),
        ));
    }
    Ok(Page {
        items_seen: mentions.len(),
        next: more.then(|| html::bump_query_param(url, "page")).flatten(),
        mentions,
        aggregate,
    })
}

/// The review id of a JSON-LD `@id` (`.../schema/Review/<domain>/<id>`) or a card's
/// link (`/reviews/<id>`), and the review's link (as the other forms give it).
fn with_review_id(mut m: RawMention) -> RawMention {
    let id = m
        .external_id
        .as_deref()
        .and_then(|x| x.split('?').next())
        .and_then(|x| x.trim_end_matches('/').rsplit('/').next())
        .filter(|x| !x.is_empty())
        .map(str::to_string);
    if let Some(id) = id {
        m.url = Some(format!("{TRUSTPILOT_SITE_BASE}/reviews/{id}"));
        m.external_id = Some(id);
    }
    m
}

#[cfg(test)]
mod tests;
