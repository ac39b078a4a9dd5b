//! `type = "kiyoh"`: Kiyoh and Klantenvertellen (the same platform under two names),
//! through the publication feed `GET
//! {api_base}/v1/publication/review/external?locationId=...` with the
//! `X-Publication-Api-Token` header.
//!
//! Ratings are on a **10-point scale** (1 to 10); the default negative threshold is 4
//! or less (2 of 5, scaled). The review's words live in `reviewContent[]`, one entry
//! per question: the `...OPINION` answer is the text and the `...ONELINER` answer
//! the title (`reviewComments` is the text when there is no opinion answer). The
//! company's public response is `comment` (absent or `""` when there is none; the
//! feed gives it no date).
//!
//! The response format is known only approximately (no public schema): missing and
//! extra keys are tolerated, the question groups are matched by their suffix, and
//! the total score is read from `rating` or else the `...OVERALL` answer.

use serde_json::{Map, Value};
use url::Url;

use super::json::{FieldSpec, Fields, JsonMapping};
use super::preset_api::{self, ApiSource, Credential};
use super::{Page, Source, SourceError};
use crate::config::{SECRET_PLACEHOLDER, SourceConfig, SourceOptions};

/// Where the derived values are put before the engine reads the review.
const TITLE: &str = "_reviewradar_title";
const TEXT: &str = "_reviewradar_text";
const SCORE: &str = "_reviewradar_score";

pub(crate) fn build(id: &str, cfg: &SourceConfig) -> Result<Box<dyn Source>, String> {
    let SourceOptions::Kiyoh(o) = &cfg.options else {
        return Err("not a kiyoh source".into());
    };
    Ok(Box::new(
        ApiSource::new(
            id,
            cfg,
            Box::new(|body| parse(&body.bytes, &body.final_url)),
        )
        .header("x-publication-api-token", SECRET_PLACEHOLDER)
        .header("accept", "application/json")
        .credential(Credential::fixed(
            o.api_token_file.as_deref(),
            o.api_token_env.as_deref(),
            "api_token_file",
            "api_token_env",
        )?),
    ))
}

/// How a review is read (after its answers are gathered).
pub fn mapping() -> JsonMapping {
    JsonMapping {
        items: "/reviews".into(),
        rating_min: Some(1.0),
        rating_max: Some(10.0),
        fields: Fields {
            id: Some(FieldSpec::pointer("/reviewId")),
            author: Some(FieldSpec::pointer("/reviewAuthor")),
            title: Some(FieldSpec::pointer(format!("/{TITLE}"))),
            text: Some(FieldSpec::pointers([
                format!("/{TEXT}"),
                "/reviewComments".to_string(),
            ])),
            rating: Some(FieldSpec::pointers([
                "/rating".to_string(),
                format!("/{SCORE}"),
            ])),
            date: Some(FieldSpec::pointer("/dateSince")),
            updated: Some(FieldSpec::pointer("/updatedSince")),
            lang: Some(FieldSpec::pointer("/reviewLanguage")),
            reply: Some(FieldSpec::pointer("/comment")),
            ..Fields::default()
        },
        ..JsonMapping::default()
    }
}

/// One feed response, with the location's average (10-point) and review count.
pub fn parse(bytes: &[u8], url: &Url) -> Result<Page, SourceError> {
    let mut root = preset_api::parse_json(bytes, url)?;
    preset_api::default_empty_list(&mut root, "reviews");
    for review in preset_api::items_mut(&mut root, "/reviews") {
        if let Value::Object(r) = review {
            gather_answers(r);
        }
    }
    let mut page = Page::from(preset_api::extract(&root, url, &mapping())?);
    page.aggregate = preset_api::aggregate(
        root.get("averageRating"),
        root.get("numberReviews"),
        10.0,
        1.0,
    );
    Ok(page)
}

/// The answers of `reviewContent[]` as plain keys of the review.
fn gather_answers(r: &mut Map<String, Value>) {
    let Some(Value::Array(content)) = r.get("reviewContent") else {
        return;
    };
    let answer = |suffix: &str| {
        content.iter().find_map(|c| {
            let group = c.get("questionGroup")?.as_str()?;
            group
                .to_ascii_uppercase()
                .ends_with(suffix)
                .then(|| c.get("rating"))
                .flatten()
                .filter(|v| v.is_string() || v.is_number())
                .cloned()
        })
    };
    let found = [
        (TITLE, answer("ONELINER")),
        (TEXT, answer("OPINION")),
        (SCORE, answer("OVERALL")),
    ];
    for (key, value) in found {
        if let Some(v) = value {
            r.insert(key.to_string(), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mention::Reply;

    fn url() -> Url {
        Url::parse("https://www.kiyoh.com/v1/publication/review/external?locationId=1087342&orderBy=CREATE_DATE&sortOrder=DESC&limit=50").unwrap()
    }

    fn fixture() -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/synthetic/kiyoh-reviews.json"),
        )
        .unwrap()
    }

    fn at(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc())
    }

    #[test]
    fn reads_answers_scores_and_responses() {
        let page = parse(&fixture(), &url()).unwrap();
        assert_eq!(page.mentions.len(), 6);
        let m = &page.mentions[0];
        assert_eq!(
            m.external_id.as_deref(),
            Some("0b153a85-ea42-49db-8a75-c7fae0236836")
        );
        assert_eq!(m.author.as_deref(), Some("Marloes"));
        assert_eq!(m.title.as_deref(), Some("Lang wachten en geen reactie"));
        assert!(m.text.starts_with("Na twaalf dagen eindelijk geleverd."));
        assert_eq!(
            (m.rating, m.rating_min, m.rating_max),
            (Some(2.0), Some(1.0), Some(10.0))
        );
        assert_eq!(m.published_at, at("2026-03-03T20:14:52Z"), "+01:00 to UTC");
        assert_eq!(m.lang.as_deref(), Some("nl"));
        assert_eq!(
            m.reply,
            Some(Reply {
                text: "Beste Marloes, excuses voor de lange levertijd en het uitblijven van een reactie. We hebben onze bezetting op de klantenservice uitgebreid.".into(),
                at: None,
            })
        );
        let third = &page.mentions[2];
        assert_eq!(third.title.as_deref(), Some("Kapot geleverd 😡"));
        assert_eq!(third.updated_at, at("2026-03-02T07:22:45Z"));
        assert_eq!(page.mentions[1].reply, None, "no comment key");
        assert_eq!(page.mentions[5].reply, None, "an empty comment");
        let ratings: Vec<_> = page.mentions.iter().map(|m| m.rating.unwrap()).collect();
        assert_eq!(ratings, [2.0, 9.0, 1.0, 10.0, 6.0, 4.0]);
        let agg = page.aggregate.unwrap();
        assert_eq!(
            (agg.rating, agg.best, agg.review_count),
            (7.2, Some(10.0), Some(58))
        );
    }

    #[test]
    fn tolerates_missing_and_renamed_keys() {
        let doc = br#"{"reviews": [
            {"reviewId": "a", "reviewContent": [
                {"questionGroup": "OVERALL", "questionType": "INT", "rating": 3},
                {"questionGroup": "OPINION", "questionType": "TEXT", "rating": "Te laat."}
            ], "extra": {"x": 1}},
            {"reviewId": "b", "rating": 8, "reviewComments": "Prima"},
            {"reviewId": "c"}
        ]}"#;
        let page = parse(doc, &url()).unwrap();
        assert_eq!(page.items_seen, 3);
        assert_eq!(page.mentions.len(), 2, "c has nothing to read");
        assert_eq!(page.mentions[0].rating, Some(3.0));
        assert_eq!(page.mentions[0].text, "Te laat.");
        assert_eq!(page.mentions[0].title, None);
        assert_eq!(page.mentions[1].text, "Prima");
        assert!(
            parse(br#"{"locationId": 1}"#, &url())
                .unwrap()
                .mentions
                .is_empty()
        );
        let err = parse(&fixture()[..300], &url()).unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{err}");
    }
}
