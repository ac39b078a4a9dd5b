//! `type = "etsy"`: a shop's reviews from the Etsy Open API v3
//! (`GET {api_base}/v3/application/shops/<shop_id>/reviews`).
//!
//! Requests carry the app's key in `x-api-key` and, when configured, an OAuth
//! access token as `Authorization: Bearer` (the reviews endpoint needs only the
//! key). Both are [`Secret`]s, read again at every poll (so a token refreshed by
//! something else is picked up) and never logged.
//!
//! The response is read with the json engine: `results[]` with `shop_id`,
//! `transaction_id` (together the review's key: Etsy has no review id), `rating` (1
//! to 5), `review` (empty on a rating-only review, which is kept), `language` and
//! epoch-second timestamps. Pages go by `limit`/`offset` until a short page or
//! `max_pages`. Etsy shows no seller responses in its API, so there are no replies.

use std::num::NonZeroU32;
use std::path::PathBuf;

use async_trait::async_trait;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderName};
use serde::{Deserialize, Deserializer};
use url::Url;

use super::json::{FieldSpec, Fields, JsonMapping, JsonSource};
use super::{PollContext, PollOutcome, Source, SourceError, api_base};
use crate::config::{Secret, SecretKeys, SourceConfig, SourceOptions};
use crate::fetch::FetchError;

/// The platform label and `type` name.
pub const NAME: &str = "etsy";
/// The Open API host.
pub const DEFAULT_API_BASE: &str = "https://openapi.etsy.com";
/// Etsy's largest `limit`.
pub const MAX_PAGE_SIZE: u32 = 100;
/// The keys of an `etsy` source beyond the common ones.
pub const KEYS: &[&str] = &[
    "shop_id",
    "api_key_file",
    "api_key_env",
    "access_token_file",
    "access_token_env",
    "api_base",
    "max_pages",
    "page_size",
];

const fn three_pages() -> NonZeroU32 {
    NonZeroU32::new(3).expect("3 > 0")
}
const fn full_pages() -> NonZeroU32 {
    NonZeroU32::new(MAX_PAGE_SIZE).expect("100 > 0")
}

/// `type = "etsy"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EtsyOptions {
    /// The shop's numeric id (a number or a string of digits).
    #[serde(deserialize_with = "shop_id")]
    pub shop_id: u64,
    /// The `x-api-key` value, from a file (first line; read at every poll) ...
    pub api_key_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub api_key_env: Option<String>,
    /// An OAuth access token sent as `Authorization: Bearer` (optional), from a file
    /// (read at every poll) ...
    pub access_token_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub access_token_env: Option<String>,
    /// The API host (default `https://openapi.etsy.com`).
    pub api_base: Option<Url>,
    /// Pages read per poll (1 to 50, default 3), newest first.
    #[serde(default = "three_pages")]
    pub max_pages: NonZeroU32,
    /// Reviews per page (`limit`, 1 to 100, default 100).
    #[serde(default = "full_pages")]
    pub page_size: NonZeroU32,
}

/// A number, or a string of digits.
fn shop_id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(u64),
        Text(String),
    }
    match Id::deserialize(d)? {
        Id::Number(n) => Ok(n),
        Id::Text(s) => s.trim().parse().map_err(|_| {
            serde::de::Error::custom(format!(
                "{s:?} is not a shop id (a number such as 38471203)"
            ))
        }),
    }
}

impl EtsyOptions {
    /// `{api_base}/v3/application/shops/<shop_id>/reviews?limit=<page_size>`.
    pub fn default_url(&self) -> Result<Url, String> {
        let base = self
            .api_base
            .clone()
            .unwrap_or_else(|| Url::parse(DEFAULT_API_BASE).expect("a valid URL"));
        let mut url = api_base::endpoint(
            &base,
            &[
                "v3",
                "application",
                "shops",
                &self.shop_id.to_string(),
                "reviews",
            ],
        )?;
        url.query_pairs_mut()
            .append_pair("limit", &self.page_size.to_string());
        Ok(url)
    }

    pub fn resolve_paths(&mut self, base_dir: &std::path::Path) {
        self.api_key_file = crate::config::relative_to(base_dir, self.api_key_file.take());
        self.access_token_file =
            crate::config::relative_to(base_dir, self.access_token_file.take());
    }

    pub fn secret_keys(&self) -> Vec<SecretKeys<'_>> {
        vec![
            SecretKeys {
                name: "api_key",
                file: self.api_key_file.as_deref(),
                env: self.api_key_env.as_deref(),
                required: true,
            },
            SecretKeys {
                name: "access_token",
                file: self.access_token_file.as_deref(),
                env: self.access_token_env.as_deref(),
                required: false,
            },
        ]
    }

    /// Problems with their keys (relative to the source table). No I/O.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut p = Vec::new();
        if self.shop_id == 0 {
            p.push(("shop_id".to_string(), "0 is not a shop id".to_string()));
        }
        if self.page_size.get() > MAX_PAGE_SIZE {
            p.push((
                "page_size".to_string(),
                format!("must be between 1 and {MAX_PAGE_SIZE} (Etsy's largest limit)"),
            ));
        }
        if let Some(base) = &self.api_base {
            p.extend(api_base::check("api_base", base));
        }
        p
    }

    /// Both credentials, read now: (api key, access token).
    fn load_secrets(&self) -> Result<(Secret, Option<Secret>), String> {
        let key = Secret::load(self.api_key_file.as_deref(), self.api_key_env.as_deref())
            .map_err(|e| format!("api_key: {e}"))?
            .ok_or("api_key: set api_key_file or api_key_env")?;
        let token = Secret::load(
            self.access_token_file.as_deref(),
            self.access_token_env.as_deref(),
        )
        .map_err(|e| format!("access_token: {e}"))?;
        Ok((key, token))
    }
}

/// The json mapping of an Etsy `getReviewsByShop` response.
pub fn mapping(page_size: NonZeroU32) -> JsonMapping {
    JsonMapping {
        items: "/results".into(),
        offset_param: Some("offset".into()),
        page_size: Some(page_size),
        rating_min: Some(1.0),
        rating_max: Some(5.0),
        fields: Fields {
            id: Some(FieldSpec::pointers(["/shop_id", "/transaction_id"])),
            text: Some(FieldSpec::pointer("/review")),
            rating: Some(FieldSpec::pointer("/rating")),
            date: Some(FieldSpec::pointers([
                "/created_timestamp",
                "/create_timestamp",
            ])),
            updated: Some(FieldSpec::pointers([
                "/updated_timestamp",
                "/update_timestamp",
            ])),
            lang: Some(FieldSpec::pointer("/language")),
            ..Fields::default()
        },
        ..JsonMapping::default()
    }
}

/// A `type = "etsy"` source: a json source whose credentials are read at each poll.
pub struct EtsySource {
    id: String,
    url: Url,
    platform: String,
    max_pages: u32,
    options: EtsyOptions,
}

impl EtsySource {
    /// The source of a validated config entry; checks that the credentials can be
    /// read.
    pub fn new(id: &str, cfg: &SourceConfig) -> Result<Self, String> {
        let SourceOptions::Etsy(o) = &cfg.options else {
            return Err("not an etsy source".to_string());
        };
        o.load_secrets()?;
        Ok(Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform: cfg.platform.clone().unwrap_or_else(|| NAME.to_string()),
            max_pages: o.max_pages.get(),
            options: o.clone(),
        })
    }

    /// The json source of one poll, with the credentials as they are now.
    fn json_source(&self) -> Result<JsonSource, String> {
        let (key, token) = self.options.load_secrets()?;
        let mut headers = vec![
            (ACCEPT, "application/json".to_string()),
            (
                HeaderName::from_static("x-api-key"),
                "{api_key}".to_string(),
            ),
        ];
        let mut secrets = vec![("{api_key}".to_string(), key)];
        if let Some(token) = token {
            headers.push((AUTHORIZATION, "Bearer {access_token}".to_string()));
            secrets.push(("{access_token}".to_string(), token));
        }
        Ok(JsonSource::preset(
            &self.id,
            self.url.clone(),
            self.platform.clone(),
            self.max_pages,
            headers,
            secrets,
            mapping(self.options.page_size),
        ))
    }
}

#[async_trait]
impl Source for EtsySource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        let source = self.json_source().map_err(|reason| FetchError::Other {
            url: self.url.to_string(),
            reason,
        })?;
        source.poll(cx).await
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::config::{Config, SourceKind};
    use crate::sources::json;

    fn fixture() -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/synthetic/etsy-shop-reviews.json"),
        )
        .unwrap()
    }

    const URL: &str = "https://openapi.etsy.com/v3/application/shops/38471203/reviews?limit=100";

    fn page_size(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[test]
    fn reads_the_shop_reviews_fixture() {
        let url = Url::parse(URL).unwrap();
        let page = json::extract(&fixture(), &url, &mapping(page_size(100))).unwrap();
        assert_eq!(page.items_seen, 7);
        let m = &page.mentions;
        assert_eq!(m.len(), 7, "the rating-only review is kept");
        let first = &m[0];
        assert_eq!(first.external_id.as_deref(), Some("38471203:4412890317"));
        assert_eq!(
            (first.rating, first.rating_min, first.rating_max),
            (Some(1.0), Some(1.0), Some(5.0))
        );
        assert!(
            first
                .text
                .starts_with("Die Teekanne kam in drei Teilen an.")
        );
        assert!(first.text.contains("\"Risiko des Käufers\""));
        assert_eq!(first.lang.as_deref(), Some("de"));
        assert_eq!(
            first.published_at,
            DateTime::from_timestamp(1_772_531_845, 0)
        );
        assert_eq!(first.author, None);
        assert!(m.iter().all(|m| m.reply.is_none()), "no seller responses");
        assert_eq!(
            m[2].updated_at,
            DateTime::from_timestamp(1_772_190_871, 0),
            "the edited review"
        );
        assert_eq!(
            m[4].text,
            "Ordered a gift, received the wrong colour <b>twice</b>. Seller keeps sending the same template reply.",
            "literal markup stays text"
        );
        assert_eq!((m[5].text.as_str(), m[5].rating), ("", Some(5.0)));
        let ratings: Vec<f64> = m.iter().filter_map(|m| m.rating).collect();
        assert_eq!(ratings, [1.0, 5.0, 4.0, 2.0, 1.0, 5.0, 5.0]);
        assert_eq!(page.next, None, "7 of 100: the last page");
    }

    #[test]
    fn offset_pages_and_broken_bodies() {
        let url =
            Url::parse("https://openapi.etsy.com/v3/application/shops/38471203/reviews?limit=7")
                .unwrap();
        let page = json::extract(&fixture(), &url, &mapping(page_size(7))).unwrap();
        assert_eq!(
            page.next.unwrap().as_str(),
            "https://openapi.etsy.com/v3/application/shops/38471203/reviews?limit=7&offset=7"
        );
        let whole = fixture();
        let e =
            json::extract(&whole[..whole.len() - 40], &url, &mapping(page_size(7))).unwrap_err();
        assert!(e.to_string().starts_with("not valid JSON"), "{e}");
        let e = json::extract(
            br#"{"error":"Invalid API key"}"#,
            &url,
            &mapping(page_size(7)),
        )
        .unwrap_err();
        assert!(e.to_string().contains("/results"), "{e}");
    }

    fn load(text: &str) -> Result<Config, String> {
        Config::load_for_test(text)
    }

    const GOOD: &str = "[sources.shop]\ntype = \"etsy\"\nshop_id = 38471203\napi_key_env = \"REVIEWRADAR_TEST_ETSY_KEY\"\n";

    fn set_key() {
        // SAFETY: no test reads this variable concurrently with a write of another value.
        unsafe { std::env::set_var("REVIEWRADAR_TEST_ETSY_KEY", "keystring:shared") };
    }

    #[test]
    fn config_defaults_and_overrides() {
        set_key();
        let c = load(GOOD).unwrap();
        let s = &c.sources["shop"];
        assert_eq!(s.kind, SourceKind::Etsy);
        assert_eq!(s.url.as_str(), URL);
        assert_eq!(s.interval, std::time::Duration::from_secs(3600));
        assert_eq!(s.options.max_pages(), 3);
        assert_eq!(EtsySource::new("shop", s).unwrap().platform(), "etsy");
        let c = load(&GOOD.replace("38471203", "\"38471203\"")).unwrap();
        assert_eq!(c.sources["shop"].url.as_str(), URL);
        let c = load(&format!(
            "{GOOD}api_base = \"http://127.0.0.1:9\"\npage_size = 25\nmax_pages = 8\n"
        ))
        .unwrap();
        assert_eq!(
            c.sources["shop"].url.as_str(),
            "http://127.0.0.1:9/v3/application/shops/38471203/reviews?limit=25"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("etsy-token"), "tok\n").unwrap();
        let c = Config::from_str_at(
            &format!("{GOOD}access_token_file = \"etsy-token\"\n"),
            &dir.path().join("c.toml"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let SourceOptions::Etsy(o) = &c.sources["shop"].options else {
            panic!()
        };
        assert_eq!(
            o.access_token_file.as_deref(),
            Some(dir.path().join("etsy-token").as_path())
        );
    }

    #[test]
    fn config_problems_name_their_keys() {
        set_key();
        let p =
            load(&GOOD.replace("api_key_env = \"REVIEWRADAR_TEST_ETSY_KEY\"\n", "")).unwrap_err();
        assert_eq!(
            p,
            "1: sources.shop.api_key_file: missing: set api_key_file or api_key_env"
        );
        let p = load(&GOOD.replace("shop_id = 38471203\n", "")).unwrap_err();
        assert!(p.contains("missing field `shop_id`"), "{p}");
        let p = load(&GOOD.replace("38471203", "\"kettlewerk\"")).unwrap_err();
        assert!(p.starts_with("3: sources.shop.shop_id:"), "{p}");
        let p = load(&format!("{GOOD}page_size = 250\n")).unwrap_err();
        assert!(
            p.starts_with("5: sources.shop.page_size: must be between 1 and 100"),
            "{p}"
        );
        let p = load(&format!(
            "{GOOD}access_token_file = \"/nonexistent/etsy\"\n"
        ))
        .unwrap_err();
        assert!(
            p.starts_with("5: sources.shop.access_token_file: cannot read /nonexistent/etsy"),
            "{p}"
        );
        let p = load(&format!("{GOOD}apikey = \"inline\"\n")).unwrap_err();
        assert!(p.starts_with("5: sources.shop.apikey: unknown key"), "{p}");
    }
}
