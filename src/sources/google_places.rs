//! `type = "google_places"`: the reviews Google Maps shows for a place, through the
//! Places API. **At most five reviews, and no owner replies**: the API gives no more.
//! For your own location the Business Profile API (`google_business`) reads them all.
//!
//! * `mode = "legacy"` (default): `GET
//!   {api_base}/maps/api/place/details/json?place_id=...&fields=reviews&reviews_sort=newest&reviews_no_translations=true&key=...`.
//!   A review has no id: one is derived from the author (the number of the
//!   `author_url` `/maps/contrib/<n>`, else the URL, else the name) and the review's
//!   `time`, which stays the same from poll to poll. A `status` other than `OK` is a
//!   poll error naming it (`REQUEST_DENIED`, `NOT_FOUND`, ...).
//! * `mode = "new"`: `GET {api_base}/v1/places/{place_id}` with `X-Goog-Api-Key` and
//!   `X-Goog-FieldMask: reviews`; the review's `name`
//!   (`places/<place>/reviews/<id>`) is its id, and `originalText` (the reviewer's
//!   own words) is read before `text` (which Google may have translated).

use serde_json::Value;
use url::Url;

use super::json::{FieldSpec, Fields, JsonMapping};
use super::preset_api::{self, ApiSource, Credential};
use super::{Page, Source, SourceError};
use crate::config::{
    PlacesMode, SECRET_PLACEHOLDER, SourceConfig, SourceOptions, url_has_placeholder,
};

/// Where the legacy form keeps its derived review id.
const DERIVED_ID: &str = "_reviewradar_id";

pub(crate) fn build(id: &str, cfg: &SourceConfig) -> Result<Box<dyn Source>, String> {
    let SourceOptions::GooglePlaces(o) = &cfg.options else {
        return Err("not a google_places source".into());
    };
    let credential = Credential::fixed(
        o.api_key_file.as_deref(),
        o.api_key_env.as_deref(),
        "api_key_file",
        "api_key_env",
    )?;
    let source = match o.mode {
        PlacesMode::Legacy => {
            // An explicit `url` without the key gets it added.
            let mut url = cfg.url.clone();
            if !url_has_placeholder(&url, SECRET_PLACEHOLDER) {
                let query = match url.query() {
                    Some(q) if !q.is_empty() => format!("{q}&key={SECRET_PLACEHOLDER}"),
                    _ => format!("key={SECRET_PLACEHOLDER}"),
                };
                url.set_query(Some(&query));
            }
            ApiSource::new(
                id,
                cfg,
                Box::new(|body| parse_legacy(&body.bytes, &body.final_url)),
            )
            .url(url)
        }
        PlacesMode::New => ApiSource::new(
            id,
            cfg,
            Box::new(|body| parse_new(&body.bytes, &body.final_url)),
        )
        .header("x-goog-api-key", SECRET_PLACEHOLDER)
        .header("x-goog-fieldmask", "reviews"),
    };
    Ok(Box::new(
        source
            .header("accept", "application/json")
            .credential(credential),
    ))
}

/// How the legacy place details are read (after the ids are derived).
pub fn legacy_mapping() -> JsonMapping {
    JsonMapping {
        items: "/result/reviews".into(),
        rating_min: Some(1.0),
        rating_max: Some(5.0),
        fields: Fields {
            id: Some(FieldSpec::pointer(format!("/{DERIVED_ID}"))),
            author: Some(FieldSpec::pointer("/author_name")),
            text: Some(FieldSpec::pointer("/text")),
            rating: Some(FieldSpec::pointer("/rating")),
            date: Some(FieldSpec::pointer("/time")),
            lang: Some(FieldSpec::pointers(["/original_language", "/language"])),
            ..Fields::default()
        },
        ..JsonMapping::default()
    }
}

/// How a Places API (New) place is read.
pub fn new_mapping() -> JsonMapping {
    JsonMapping {
        items: "/reviews".into(),
        rating_min: Some(1.0),
        rating_max: Some(5.0),
        fields: Fields {
            id: Some(FieldSpec::pointer("/name")),
            url: Some(FieldSpec::pointer("/googleMapsUri")),
            author: Some(FieldSpec::pointer("/authorAttribution/displayName")),
            text: Some(FieldSpec::pointers(["/originalText/text", "/text/text"])),
            rating: Some(FieldSpec::pointer("/rating")),
            date: Some(FieldSpec::pointer("/publishTime")),
            lang: Some(FieldSpec::pointers([
                "/originalText/languageCode",
                "/text/languageCode",
            ])),
            ..Fields::default()
        },
        ..JsonMapping::default()
    }
}

/// A legacy place details response.
pub fn parse_legacy(bytes: &[u8], url: &Url) -> Result<Page, SourceError> {
    let mut root = preset_api::parse_json(bytes, url)?;
    match root.get("status").and_then(Value::as_str) {
        Some("OK") => {}
        status => {
            let status = status.unwrap_or("missing");
            let detail = root
                .get("error_message")
                .and_then(Value::as_str)
                .map(|m| format!(": {}", crate::mention::cut(m, 300)))
                .unwrap_or_default();
            return Err(SourceError::Api {
                url: url.to_string(),
                reason: format!("Places API status {status}{detail}"),
            });
        }
    }
    if let Some(result) = root.get_mut("result") {
        preset_api::default_empty_list(result, "reviews");
    }
    for review in preset_api::items_mut(&mut root, "/result/reviews") {
        if let Some(id) = derived_id(review) {
            review[DERIVED_ID] = Value::String(id);
        }
    }
    let mut page = Page::from(preset_api::extract(&root, url, &legacy_mapping())?);
    page.aggregate = preset_api::aggregate(
        root.pointer("/result/rating"),
        root.pointer("/result/user_ratings_total"),
        5.0,
        1.0,
    );
    Ok(page)
}

/// A stable id for a legacy review: who wrote it, and when (`time`, epoch seconds).
pub fn derived_id(review: &Value) -> Option<String> {
    let time = review.get("time").and_then(Value::as_i64)?;
    let text = |k: &str| {
        review
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let who = match text("author_url") {
        Some(u) => match u.split("/maps/contrib/").nth(1) {
            Some(rest) => {
                let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
                if n.is_empty() {
                    u.to_string()
                } else {
                    format!("contrib/{n}")
                }
            }
            None => u.to_string(),
        },
        None => format!("name/{}", text("author_name")?),
    };
    Some(format!("{who}@{time}"))
}

/// A Places API (New) place.
pub fn parse_new(bytes: &[u8], url: &Url) -> Result<Page, SourceError> {
    let mut root = preset_api::parse_json(bytes, url)?;
    // A place without reviews answers `{}`.
    preset_api::default_empty_list(&mut root, "reviews");
    Ok(Page::from(preset_api::extract(&root, url, &new_mapping())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel);
        std::fs::read(p).unwrap()
    }

    fn legacy_url() -> Url {
        Url::parse("https://maps.googleapis.com/maps/api/place/details/json?place_id=ChIJN1t_tDeuEmsRUsoyG83frY4&fields=reviews&reviews_sort=newest&reviews_no_translations=true&key={secret}").unwrap()
    }

    fn at(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc())
    }

    #[test]
    fn legacy_real_response_with_five_reviews() {
        let page = parse_legacy(
            &fixture("real/google-places-details-sydney.json"),
            &legacy_url(),
        )
        .unwrap();
        assert_eq!(page.mentions.len(), 5);
        let m = &page.mentions[0];
        assert_eq!(
            m.external_id.as_deref(),
            Some("contrib/100341567599258416785@1496880715")
        );
        assert_eq!(m.author.as_deref(), Some("Mark Sales"));
        assert_eq!((m.rating, m.rating_max), (Some(1.0), Some(5.0)));
        assert_eq!(m.published_at, at("2017-06-08T00:11:55Z"));
        assert_eq!(m.lang.as_deref(), Some("en"));
        assert!(
            m.text
                .starts_with("You have to FIX your Google MY BUSINESS page")
        );
        assert!(
            page.mentions
                .iter()
                .all(|m| m.reply.is_none() && m.url.is_none())
        );
        assert_eq!(page.next, None, "Places has no more pages");
        let agg = page.aggregate.as_ref().unwrap();
        assert_eq!((agg.rating, agg.review_count), (4.4, Some(458)));
        // Stable: the same response gives the same ids.
        let again = parse_legacy(
            &fixture("real/google-places-details-sydney.json"),
            &legacy_url(),
        )
        .unwrap();
        let ids = |p: &Page| {
            p.mentions
                .iter()
                .map(|m| m.external_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&page), ids(&again));
        let unique: std::collections::HashSet<_> = ids(&page).into_iter().collect();
        assert_eq!(unique.len(), 5);
    }

    #[test]
    fn legacy_french_and_redacted_responses() {
        let fr = parse_legacy(
            &fixture("real/google-places-details-fr.json"),
            &legacy_url(),
        )
        .unwrap();
        assert_eq!(fr.mentions.len(), 5);
        assert!(fr.mentions.iter().all(|m| m.lang.as_deref() == Some("fr")));
        assert_eq!(
            fr.mentions.iter().filter(|m| m.rating == Some(1.0)).count(),
            1
        );
        let one = parse_legacy(&fixture("real/google-places-details.json"), &legacy_url()).unwrap();
        assert_eq!(
            one.mentions[0].external_id.as_deref(),
            Some("http://google.com/@1675722932"),
            "no contrib number: the whole author_url"
        );
    }

    #[test]
    fn derived_ids_fall_back_to_the_name() {
        let r = serde_json::json!({"author_name": "Ann", "time": 17});
        assert_eq!(derived_id(&r).as_deref(), Some("name/Ann@17"));
        assert_eq!(derived_id(&serde_json::json!({"author_name": "Ann"})), None);
    }

    #[test]
    fn legacy_status_errors_and_empty_places() {
        let err = parse_legacy(
            br#"{"html_attributions": [], "status": "REQUEST_DENIED", "error_message": "The provided API key is invalid."}"#,
            &legacy_url(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), "api");
        assert!(
            err.to_string()
                .contains("Places API status REQUEST_DENIED: The provided API key is invalid."),
            "{err}"
        );
        assert!(
            err.to_string().contains("key={secret}"),
            "the URL shows the placeholder: {err}"
        );
        let empty = parse_legacy(br#"{"result": {}, "status": "OK"}"#, &legacy_url()).unwrap();
        assert!(empty.mentions.is_empty());
        let truncated = fixture("real/google-places-details-sydney.json");
        let err = parse_legacy(&truncated[..truncated.len() / 3], &legacy_url()).unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{err}");
    }

    #[test]
    fn new_api_reads_names_original_texts_and_rating_only_reviews() {
        let url = Url::parse("https://places.googleapis.com/v1/places/ChIJ2b7Qx9T4pkcR5Wkq0mVd4Ao")
            .unwrap();
        let page = parse_new(&fixture("synthetic/google-places-new.json"), &url).unwrap();
        assert_eq!(page.mentions.len(), 5);
        let m = &page.mentions[0];
        assert_eq!(
            m.external_id.as_deref(),
            Some(
                "places/ChIJ2b7Qx9T4pkcR5Wkq0mVd4Ao/reviews/Q0FJUUFDb2RDaHR5Y0prQ-OzET3sVaZdrWXShOeDFLQDEAE"
            )
        );
        assert_eq!(m.author.as_deref(), Some("Lennart Vogt"));
        assert_eq!(m.published_at, at("2026-02-25T08:41:17.203951Z"));
        assert!(
            m.url
                .as_deref()
                .unwrap()
                .starts_with("https://www.google.com/maps/reviews/")
        );
        // The original words, not Google's German translation.
        let ruth = &page.mentions[1];
        assert_eq!(
            ruth.text,
            "Great little showroom. The staff let me try three kettles before I bought one."
        );
        assert_eq!(ruth.lang.as_deref(), Some("en"));
        // Rating only.
        let sofia = &page.mentions[3];
        assert_eq!((sofia.rating, sofia.text.as_str()), (Some(4.0), ""));
        assert_eq!(sofia.published_at, at("2026-01-30T19:37:55.260013873Z"));
        // Literal markup stays text.
        let marta = &page.mentions[4];
        assert_eq!(
            marta.text,
            "Producto roto al llegar. <b>Nadie</b> contesta al teléfono & el correo rebota."
        );
        assert_eq!(marta.lang.as_deref(), Some("es"));
        let negative = page
            .mentions
            .iter()
            .filter(|m| m.rating.is_some_and(|r| r <= 2.0))
            .count();
        assert_eq!(negative, 3);
        assert!(page.mentions.iter().all(|m| m.reply.is_none()));
        let empty = parse_new(b"{}", &url).unwrap();
        assert!(empty.mentions.is_empty());
        let err = parse_new(b"{\"reviews\": [", &url).unwrap_err();
        assert_eq!(err.kind(), "parse");
    }
}
