//! `type = "google_business"`: the reviews of your own location through the Business
//! Profile API, `GET {api_base}/v4/accounts/{account}/locations/{location}/reviews`.
//!
//! The OAuth access token is read from `access_token_file` at **every poll**: access
//! tokens live an hour, and a helper outside reviewradar (a systemd timer, a sidecar)
//! refreshes the file. It is sent as `Authorization: Bearer`.
//!
//! `starRating` is a word (`ONE` ... `FIVE`), `reviewReply{comment, updateTime}` is
//! the reply, and `nextPageToken` is sent back as `pageToken`. A comment Google
//! translated carries both versions (`"<original>\n\n(Translated by Google)\n<...>"`,
//! or `"(Translated by Google) <...>\n\n(Original)\n<original>"`): only the
//! reviewer's own words are kept.

use serde_json::Value;
use url::Url;

use super::json::{FieldSpec, Fields, JsonMapping, MapValue};
use super::preset_api::{self, ApiSource, Credential};
use super::{Page, Source, SourceError};
use crate::config::{SECRET_PLACEHOLDER, SourceConfig, SourceOptions};

const TRANSLATED: &str = "(Translated by Google)";
const ORIGINAL: &str = "(Original)";

pub(crate) fn build(id: &str, cfg: &SourceConfig) -> Result<Box<dyn Source>, String> {
    let SourceOptions::GoogleBusiness(o) = &cfg.options else {
        return Err("not a google_business source".into());
    };
    Ok(Box::new(
        ApiSource::new(
            id,
            cfg,
            Box::new(|body| parse(&body.bytes, &body.final_url)),
        )
        .header("authorization", format!("Bearer {SECRET_PLACEHOLDER}"))
        .header("accept", "application/json")
        .credential(Credential::Fresh {
            file: o.access_token_file.clone(),
            env: o.access_token_env.clone(),
            file_key: "access_token_file",
            env_key: "access_token_env",
        }),
    ))
}

/// How a review list is read.
pub fn mapping() -> JsonMapping {
    let stars = ["ONE", "TWO", "THREE", "FOUR", "FIVE"]
        .into_iter()
        .zip(1..)
        .map(|(word, n)| (word, MapValue::Number(f64::from(n))));
    JsonMapping {
        items: "/reviews".into(),
        next_cursor: Some("/nextPageToken".into()),
        cursor_param: Some("pageToken".into()),
        rating_min: Some(1.0),
        rating_max: Some(5.0),
        fields: Fields {
            id: Some(FieldSpec::pointer("/reviewId")),
            author: Some(FieldSpec::pointer("/reviewer/displayName")),
            text: Some(FieldSpec::pointer("/comment")),
            rating: Some(FieldSpec::pointer("/starRating").with_map(stars)),
            date: Some(FieldSpec::pointer("/createTime")),
            updated: Some(FieldSpec::pointer("/updateTime")),
            reply: Some(FieldSpec::pointer("/reviewReply/comment")),
            reply_date: Some(FieldSpec::pointer("/reviewReply/updateTime")),
            ..Fields::default()
        },
        ..JsonMapping::default()
    }
}

/// One response: its reviews, the next page (by `nextPageToken`) and the location's
/// `averageRating` / `totalReviewCount`.
pub fn parse(bytes: &[u8], url: &Url) -> Result<Page, SourceError> {
    let mut root = preset_api::parse_json(bytes, url)?;
    // A location without reviews answers `{}`.
    preset_api::default_empty_list(&mut root, "reviews");
    for review in preset_api::items_mut(&mut root, "/reviews") {
        if let Some(Value::String(comment)) = review.get_mut("comment") {
            *comment = original_words(comment).to_string();
        }
    }
    let mut page = Page::from(preset_api::extract(&root, url, &mapping())?);
    page.aggregate = preset_api::aggregate(
        root.get("averageRating"),
        root.get("totalReviewCount"),
        5.0,
        1.0,
    );
    Ok(page)
}

/// The reviewer's own words of a comment Google may have translated.
pub fn original_words(comment: &str) -> &str {
    let trimmed = comment.trim_start();
    if trimmed.starts_with(TRANSLATED)
        && let Some(i) = trimmed.find(ORIGINAL)
    {
        return trimmed[i + ORIGINAL.len()..].trim();
    }
    match comment.find(TRANSLATED) {
        Some(i) if i > 0 => comment[..i].trim_end(),
        _ => comment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mention::Reply;

    fn fixture(name: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/synthetic")
            .join(name);
        std::fs::read(p).unwrap()
    }

    fn url() -> Url {
        Url::parse("https://mybusiness.googleapis.com/v4/accounts/107462918350274619382/locations/4417093382615098271/reviews?pageSize=50").unwrap()
    }

    fn at(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc())
    }

    #[test]
    fn reads_every_field_of_page_one() {
        let page = parse(&fixture("google-business-reviews.json"), &url()).unwrap();
        assert_eq!(page.items_seen, 6);
        assert_eq!(page.mentions.len(), 6, "the rating-only review is kept");
        let m = &page.mentions[0];
        assert_eq!(
            m.external_id.as_deref(),
            Some("AbFvOqR-DtrGmC2mqnXUEvX3NdjCRQMAAfPT8Pj82QPeMQcdoMtpah")
        );
        assert_eq!(m.author.as_deref(), Some("Lennart Vogt"));
        assert_eq!(
            (m.rating, m.rating_min, m.rating_max),
            (Some(1.0), Some(1.0), Some(5.0))
        );
        assert!(m.text.starts_with("Bestellung vor drei Wochen im Laden"));
        assert_eq!(m.published_at, at("2026-03-03T17:44:08.512Z"));
        assert_eq!(m.reply, None);
        assert_eq!(m.url, None, "the API gives no review link");

        let ruth = &page.mentions[1];
        assert_eq!(ruth.rating, Some(5.0));
        assert_eq!(
            ruth.reply,
            Some(Reply {
                text: "Thank you Ruth, glad you found your favourite! See you next time – Kettlewerk Showroom Team".into(),
                at: at("2026-03-02T08:15:49.731Z"),
            })
        );

        // The Google translation appended to a Dutch comment is dropped.
        let noor = &page.mentions[2];
        assert_eq!(noor.rating, Some(2.0));
        assert_eq!(
            noor.text,
            "Aardige mensen in de winkel, maar de waterkoker die ik kocht was al na een maand kapot. Omruilen kon alleen via de webshop."
        );
        assert_eq!(noor.updated_at, at("2026-02-27T07:51:30.118Z"));

        // Anonymous and rating-only.
        let anon = &page.mentions[3];
        assert_eq!((anon.rating, anon.text.as_str()), (Some(4.0), ""));
        assert_eq!(anon.author.as_deref(), Some("A Google User"));

        // Hostile markup stays literal text.
        let marta = &page.mentions[4];
        assert!(
            marta.text.contains("<img src=x onerror=alert('kw')>"),
            "{}",
            marta.text
        );
        assert!(marta.reply.as_ref().unwrap().text.starts_with("Hola Marta"));

        let negative = page
            .mentions
            .iter()
            .filter(|m| m.rating.is_some_and(|r| r <= 2.0))
            .count();
        assert_eq!(negative, 3);
        assert_eq!(
            page.next.as_ref().map(Url::as_str),
            Some(
                "https://mybusiness.googleapis.com/v4/accounts/107462918350274619382/locations/4417093382615098271/reviews?pageSize=50&pageToken=ACYDBNjTgoDItiiFEcdaY3rVz8uiYOKWMl20w1roNlK5NOzqRqRJJV44s5mKzmoON9U1hPfawxwTY%3D%3D"
            )
        );
        let agg = page.aggregate.unwrap();
        assert_eq!(
            (agg.rating, agg.review_count, agg.best),
            (2.9, Some(10), Some(5.0))
        );
    }

    #[test]
    fn the_last_page_has_no_next_and_an_empty_location_is_empty() {
        let page = parse(&fixture("google-business-reviews-page2.json"), &url()).unwrap();
        assert_eq!(page.mentions.len(), 4);
        assert_eq!(page.next, None);
        let strobel = &page.mentions[1];
        assert_eq!(strobel.rating, Some(1.0));
        assert_eq!(
            strobel.reply.as_ref().unwrap().at,
            at("2026-01-31T10:26:58.870Z")
        );
        let empty = parse(b"{}", &url()).unwrap();
        assert!(empty.mentions.is_empty() && empty.next.is_none());
    }

    #[test]
    fn broken_responses_are_clear_parse_errors() {
        let whole = fixture("google-business-reviews.json");
        let err = parse(&whole[..whole.len() / 2], &url()).unwrap_err();
        assert_eq!(err.kind(), "parse");
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        let err = parse(br#"{"reviews": {"oops": 1}}"#, &url()).unwrap_err();
        assert!(
            err.to_string().contains("expected an array at /reviews"),
            "{err}"
        );
        let err = parse(&fixture("broken/deeply-nested.json"), &url()).unwrap_err();
        assert_eq!(err.kind(), "parse");
    }

    #[test]
    fn translations_are_dropped_either_way() {
        assert_eq!(
            original_words("Sehr gut.\n\n(Translated by Google)\nVery good."),
            "Sehr gut."
        );
        assert_eq!(
            original_words("(Translated by Google) Very good.\n\n(Original)\nSehr gut."),
            "Sehr gut."
        );
        assert_eq!(
            original_words("(Translated by Google) only"),
            "(Translated by Google) only"
        );
        assert_eq!(original_words("Plain."), "Plain.");
    }
}
