//! `type = "yelp"`: Yelp Fusion `GET {api_base}/v3/businesses/{id}/reviews` with
//! `Authorization: Bearer <api key>`.
//!
//! Fusion gives **excerpts** (the start of a review, ending "..."), not whole reviews,
//! and no owner replies: a mention links to the review on Yelp (`url`, `hrid=`) for
//! the full text. `time_created` (`"YYYY-MM-DD HH:MM:SS"`, no zone) is in Pacific
//! time as Yelp documents it ("PST"); it is read as US Pacific time (PST, or PDT in
//! summer) and stored in UTC.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, Weekday};
use serde_json::Value;
use url::Url;

use super::json::{FieldSpec, Fields, JsonMapping};
use super::preset_api::{self, ApiSource, Credential};
use super::{Page, Source, SourceError};
use crate::config::{SECRET_PLACEHOLDER, SourceConfig, SourceOptions};

pub(crate) fn build(id: &str, cfg: &SourceConfig) -> Result<Box<dyn Source>, String> {
    let SourceOptions::Yelp(o) = &cfg.options else {
        return Err("not a yelp source".into());
    };
    Ok(Box::new(
        ApiSource::new(
            id,
            cfg,
            Box::new(|body| parse(&body.bytes, &body.final_url)),
        )
        .header("authorization", format!("Bearer {SECRET_PLACEHOLDER}"))
        .header("accept", "application/json")
        .credential(Credential::fixed(
            o.api_key_file.as_deref(),
            o.api_key_env.as_deref(),
            "api_key_file",
            "api_key_env",
        )?),
    ))
}

/// How a review list is read (after `time_created` is converted to UTC).
pub fn mapping() -> JsonMapping {
    JsonMapping {
        items: "/reviews".into(),
        rating_min: Some(1.0),
        rating_max: Some(5.0),
        fields: Fields {
            id: Some(FieldSpec::pointer("/id")),
            url: Some(FieldSpec::pointer("/url")),
            author: Some(FieldSpec::pointer("/user/name")),
            text: Some(FieldSpec::pointer("/text")),
            rating: Some(FieldSpec::pointer("/rating")),
            date: Some(FieldSpec::pointer("/time_created")),
            ..Fields::default()
        },
        ..JsonMapping::default()
    }
}

/// One response.
pub fn parse(bytes: &[u8], url: &Url) -> Result<Page, SourceError> {
    let mut root = preset_api::parse_json(bytes, url)?;
    preset_api::default_empty_list(&mut root, "reviews");
    for review in preset_api::items_mut(&mut root, "/reviews") {
        if let Some(Value::String(t)) = review.get_mut("time_created")
            && let Some(utc) = pacific_to_utc(t)
        {
            *t = utc;
        }
    }
    Ok(Page::from(preset_api::extract(&root, url, &mapping())?))
}

/// `"2026-03-02 09:14:51"` in US Pacific time as RFC 3339 UTC; `None` when it is not
/// that format (the engine then reads it as it is).
pub fn pacific_to_utc(s: &str) -> Option<String> {
    let local = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    let offset_hours = if pacific_summer_time(local) { 7 } else { 8 };
    let utc = local.checked_add_signed(TimeDelta::hours(offset_hours))?;
    Some(
        utc.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// US daylight saving time (since 2007): from the second Sunday of March, 02:00
/// local, to the first Sunday of November, 02:00 local. The repeated hour in
/// November is read as daylight time.
fn pacific_summer_time(local: NaiveDateTime) -> bool {
    let year = local.year();
    let sunday =
        |month: u32, nth: u8| NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, nth);
    let (Some(start), Some(end)) = (sunday(3, 2), sunday(11, 1)) else {
        return false;
    };
    let two = |d: NaiveDate| d.and_hms_opt(2, 0, 0);
    match (two(start), two(end)) {
        (Some(start), Some(end)) => local >= start && local < end,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://api.yelp.com/v3/businesses/kettlewerk-amsterdam/reviews").unwrap()
    }

    fn at(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc())
    }

    fn fixture() -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/synthetic/yelp-reviews.json"),
        )
        .unwrap()
    }

    #[test]
    fn reads_excerpts_ids_links_and_pacific_times() {
        let page = parse(&fixture(), &url()).unwrap();
        assert_eq!(page.mentions.len(), 3);
        let m = &page.mentions[0];
        assert_eq!(m.external_id.as_deref(), Some("uVqxunyauN2zIszznCtP6f"));
        assert!(
            m.url
                .as_deref()
                .unwrap()
                .contains("hrid=uVqxunyauN2zIszznCtP6f")
        );
        assert_eq!(m.author.as_deref(), Some("Femke V."));
        assert_eq!((m.rating, m.rating_max), (Some(1.0), Some(5.0)));
        assert!(m.text.ends_with("Na..."), "an excerpt: {}", m.text);
        // 09:14:51 PST (UTC-8) is 17:14:51 UTC.
        assert_eq!(m.published_at, at("2026-03-02T17:14:51Z"));
        assert_eq!(page.mentions[1].published_at, at("2026-02-24T22:37:06Z"));
        assert_eq!(page.mentions[1].author.as_deref(), Some("Daniel O."));
        assert!(page.mentions.iter().all(|m| m.reply.is_none()));
        let negative = page
            .mentions
            .iter()
            .filter(|m| m.rating.is_some_and(|r| r <= 2.0))
            .count();
        assert_eq!(negative, 2);
        assert_eq!(page.next, None);
    }

    #[test]
    fn summer_time_is_seven_hours() {
        assert_eq!(
            pacific_to_utc("2026-07-01 12:00:00").as_deref(),
            Some("2026-07-01T19:00:00Z")
        );
        // 2026: summer time from 8 March 02:00 to 1 November 02:00.
        assert_eq!(
            pacific_to_utc("2026-03-08 01:59:59").as_deref(),
            Some("2026-03-08T09:59:59Z")
        );
        assert_eq!(
            pacific_to_utc("2026-03-08 03:00:00").as_deref(),
            Some("2026-03-08T10:00:00Z")
        );
        assert_eq!(
            pacific_to_utc("2026-11-01 02:00:00").as_deref(),
            Some("2026-11-01T10:00:00Z")
        );
        assert_eq!(pacific_to_utc("2026-11-01T02:00:00Z"), None);
    }

    #[test]
    fn malformed_responses_fail_clearly() {
        let whole = fixture();
        let err = parse(&whole[..whole.len() - 40], &url()).unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        let err = parse(b"[1, 2]", &url()).unwrap_err();
        assert!(
            err.to_string().contains("expected an array at /reviews"),
            "{err}"
        );
    }
}
