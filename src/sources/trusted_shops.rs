//! `type = "trusted_shops"`: the reviews of one Trusted Shops channel, read from the
//! eTrusted API (`GET {api_base}/reviews?channels=<channel_id>`).
//!
//! Authentication is OAuth 2 client credentials: a `POST` of `client_id`,
//! `client_secret` and the API's audience to the token URL gives a bearer token,
//! kept in memory until shortly before it expires. A 401 from the API drops the
//! token and the poll is tried once more with a fresh one. The client secret and
//! the token are [`Secret`]s: never logged, and the token is sent as a sensitive
//! header.
//!
//! The response is read with the json engine ([`json::extract`]): `items[]` with
//! `id`, `title`, `comment`, `rating` (1 to 5), `submittedAt` and the shop's
//! `reply{comment, createdAt}` (the reply's shape is not documented; a review
//! without it has no reply). Pages follow `paging.cursor.after` as `after`. The
//! reviewer's e-mail address, which the API returns, is not read.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use super::json::{self, FieldSpec, Fields, JsonMapping};
use super::{Page, PollContext, PollOutcome, Source, SourceError, api_base};
use crate::config::{Secret, SecretKeys, SourceConfig, SourceOptions};
use crate::fetch::{FetchError, FetchOutcome, Request};

/// The platform label and `type` name.
pub const NAME: &str = "trusted_shops";
/// The eTrusted API.
pub const DEFAULT_API_BASE: &str = "https://api.etrusted.com";
/// Where client credentials are exchanged for a token.
pub const DEFAULT_TOKEN_URL: &str = "https://login.etrusted.com/oauth/token";
/// The `audience` of the token request: the API the token is for.
pub const AUDIENCE: &str = "https://api.etrusted.com";
/// Reviews asked for per page (`count`).
pub const PAGE_SIZE: u32 = 50;
/// A token is used until this long before it expires (or half its lifetime, when
/// that is shorter).
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// The keys of a `trusted_shops` source beyond the common ones.
pub const KEYS: &[&str] = &[
    "channel_id",
    "client_id",
    "client_secret_file",
    "client_secret_env",
    "api_base",
    "token_url",
    "max_pages",
];

const fn three_pages() -> NonZeroU32 {
    NonZeroU32::new(3).expect("3 > 0")
}

/// `type = "trusted_shops"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedShopsOptions {
    /// The channel whose reviews are read (`chl-…`; one per shop and country, listed
    /// in the eTrusted Control Centre).
    pub channel_id: String,
    /// Client id of the API credentials (Control Centre: API credentials).
    pub client_id: String,
    /// The client secret, from a file (first line) ...
    pub client_secret_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub client_secret_env: Option<String>,
    /// The API host (default `https://api.etrusted.com`), for proxies and tests.
    pub api_base: Option<Url>,
    /// The token endpoint (default `https://login.etrusted.com/oauth/token`).
    pub token_url: Option<Url>,
    /// Pages of 50 reviews read per poll (1 to 50, default 3), newest first.
    #[serde(default = "three_pages")]
    pub max_pages: NonZeroU32,
}

impl TrustedShopsOptions {
    /// `{api_base}/reviews?channels=<channel_id>&count=50`.
    pub fn default_url(&self) -> Result<Url, String> {
        let base = self.api_base.clone().unwrap_or_else(default_api_base);
        let mut url = api_base::endpoint(&base, &["reviews"])?;
        url.query_pairs_mut()
            .append_pair("channels", self.channel_id.trim())
            .append_pair("count", &PAGE_SIZE.to_string());
        Ok(url)
    }

    pub fn token_url(&self) -> Url {
        self.token_url
            .clone()
            .unwrap_or_else(|| Url::parse(DEFAULT_TOKEN_URL).expect("a valid URL"))
    }

    /// Relative secret paths are relative to the config file's directory.
    pub fn resolve_paths(&mut self, base_dir: &std::path::Path) {
        self.client_secret_file =
            crate::config::relative_to(base_dir, self.client_secret_file.take());
    }

    pub fn secret_keys(&self) -> Vec<SecretKeys<'_>> {
        vec![SecretKeys {
            name: "client_secret",
            file: self.client_secret_file.as_deref(),
            env: self.client_secret_env.as_deref(),
            required: true,
        }]
    }

    /// Problems with their keys (relative to the source table). No I/O.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut p = Vec::new();
        let id = self.channel_id.trim();
        if !(id.starts_with("chl-")
            && id.len() > 4
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            p.push((
                "channel_id".to_string(),
                format!("{id:?} is not a channel id like \"chl-…\" (eTrusted Control Centre)"),
            ));
        }
        if self.client_id.trim().is_empty() {
            p.push(("client_id".to_string(), "must not be empty".to_string()));
        }
        if let Some(base) = &self.api_base {
            p.extend(api_base::check("api_base", base));
        }
        if let Some(t) = &self.token_url
            && !matches!(t.scheme(), "http" | "https")
        {
            p.push((
                "token_url".to_string(),
                format!("scheme {:?} is not supported; use https", t.scheme()),
            ));
        }
        p
    }
}

fn default_api_base() -> Url {
    Url::parse(DEFAULT_API_BASE).expect("a valid URL")
}

/// The json mapping of an eTrusted `/reviews` response.
pub fn mapping() -> JsonMapping {
    JsonMapping {
        items: "/items".into(),
        next_cursor: Some("/paging/cursor/after".into()),
        cursor_param: Some("after".into()),
        rating_min: Some(1.0),
        rating_max: Some(5.0),
        fields: Fields {
            id: Some(FieldSpec::pointer("/id")),
            title: Some(FieldSpec::pointer("/title")),
            text: Some(FieldSpec::pointer("/comment")),
            rating: Some(FieldSpec::pointer("/rating")),
            date: Some(FieldSpec::pointer("/submittedAt")),
            // Best-known names of an edit time; absent ones are simply not read.
            updated: Some(FieldSpec::pointers(["/editedAt", "/lastEditedAt"])),
            reply: Some(FieldSpec::pointer("/reply/comment")),
            reply_date: Some(FieldSpec::pointers([
                "/reply/updatedAt",
                "/reply/editedAt",
                "/reply/createdAt",
            ])),
            ..Fields::default()
        },
        ..JsonMapping::default()
    }
}

/// A bearer token and when to stop using it.
#[derive(Clone)]
struct Token {
    value: Secret,
    until: Instant,
}

/// A `type = "trusted_shops"` source.
pub struct TrustedShopsSource {
    id: String,
    url: Url,
    platform: String,
    max_pages: u32,
    token_url: Url,
    client_id: String,
    client_secret: Secret,
    mapping: JsonMapping,
    token: Mutex<Option<Token>>,
}

impl TrustedShopsSource {
    /// The source of a validated config entry; reads the client secret.
    pub fn new(id: &str, cfg: &SourceConfig) -> Result<Self, String> {
        let SourceOptions::TrustedShops(o) = &cfg.options else {
            return Err("not a trusted_shops source".to_string());
        };
        let client_secret = Secret::load(
            o.client_secret_file.as_deref(),
            o.client_secret_env.as_deref(),
        )
        .map_err(|e| format!("client_secret: {e}"))?
        .ok_or("client_secret: set client_secret_file or client_secret_env")?;
        Ok(Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform: cfg.platform.clone().unwrap_or_else(|| NAME.to_string()),
            max_pages: o.max_pages.get(),
            token_url: o.token_url(),
            client_id: o.client_id.trim().to_string(),
            client_secret,
            mapping: mapping(),
            token: Mutex::new(None),
        })
    }

    fn cached_token(&self) -> Option<Secret> {
        let slot = self.token.lock().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref()
            .filter(|t| t.until > Instant::now())
            .map(|t| t.value.clone())
    }

    fn forget_token(&self) {
        *self.token.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The cached token, or a new one from the token endpoint.
    async fn token(&self, cx: &PollContext<'_>) -> Result<Secret, SourceError> {
        if let Some(t) = self.cached_token() {
            return Ok(t);
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.client_secret.expose())
            .append_pair("audience", AUDIENCE)
            .finish();
        let req = Request::post(
            self.token_url.clone(),
            HeaderValue::from_static("application/x-www-form-urlencoded"),
            body.into_bytes(),
        )
        .header(ACCEPT, "application/json");
        let body = match cx.fetcher.send(&req).await? {
            FetchOutcome::Body(b) => b,
            FetchOutcome::NotModified => {
                return Err(SourceError::Parse {
                    url: self.token_url.to_string(),
                    reason: "unexpected 304 Not Modified from the token endpoint".into(),
                });
            }
        };
        let (value, lifetime) = parse_token(&body.bytes).map_err(|reason| SourceError::Parse {
            url: self.token_url.to_string(),
            reason,
        })?;
        let keep = lifetime.saturating_sub(EXPIRY_MARGIN.min(lifetime / 2));
        *self.token.lock().unwrap_or_else(PoisonError::into_inner) = Some(Token {
            value: value.clone(),
            until: Instant::now() + keep,
        });
        tracing::debug!(source = %self.id, lifetime_s = lifetime.as_secs(), "Got an eTrusted access token.");
        Ok(value)
    }

    async fn poll_with(
        &self,
        cx: &PollContext<'_>,
        token: &Secret,
    ) -> Result<PollOutcome, SourceError> {
        super::poll_pages(
            cx,
            &self.url,
            self.max_pages,
            |u| {
                Request::get(u.clone())
                    .header(ACCEPT, "application/json")
                    .header(AUTHORIZATION, "Bearer {token}")
                    .secret("{token}", token.clone())
            },
            |body| {
                let page =
                    json::extract(&body.bytes, &body.final_url, &self.mapping).map_err(|e| {
                        SourceError::Parse {
                            url: body.final_url.to_string(),
                            reason: e.to_string(),
                        }
                    })?;
                Ok(Page::from(page))
            },
        )
        .await
    }
}

#[async_trait]
impl Source for TrustedShopsSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        let token = self.token(cx).await?;
        match self.poll_with(cx, &token).await {
            Err(SourceError::Fetch(FetchError::Status { status: 401, .. })) => {
                tracing::debug!(source = %self.id, "The API refused the token (401); getting a new one.");
                self.forget_token();
                let token = self.token(cx).await?;
                self.poll_with(cx, &token).await
            }
            other => other,
        }
    }
}

/// `access_token` and its lifetime from a token response. A response without
/// `expires_in` gives a token for this poll only. Errors never quote the body.
pub fn parse_token(body: &[u8]) -> Result<(Secret, Duration), String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        format!(
            "token response is not JSON (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let token = v
        .get("access_token")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or("token response has no access_token")?;
    if let Some(kind) = v.get("token_type").and_then(Value::as_str)
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(format!(
            "token response has token_type {:?}, expected \"Bearer\"",
            kind.chars().take(40).collect::<String>()
        ));
    }
    if token.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
        return Err("access_token is not a valid header value".to_string());
    }
    let secs = match v.get("expires_in") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|s| s.is_finite() && *s > 0.0)
    .map_or(0, |s| s.min(86_400.0) as u64);
    Ok((Secret::new(token), Duration::from_secs(secs)))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::config::{Config, SourceKind};

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name),
        )
        .unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    const URL: &str = "https://api.etrusted.com/reviews?channels=chl-ec49f390-3edb-4a95-987c-63cf93d56de2&count=50";

    #[test]
    fn reads_the_etrusted_reviews_fixture() {
        let url = Url::parse(URL).unwrap();
        let page = json::extract(
            &fixture("synthetic/etrusted-reviews.json"),
            &url,
            &mapping(),
        )
        .unwrap();
        assert_eq!(page.items_seen, 6);
        let m = &page.mentions;
        assert_eq!(m.len(), 6);
        let first = &m[0];
        assert_eq!(
            first.external_id.as_deref(),
            Some("rev-6a6b59c9-c9c0-4490-ae39-d9aa3a387e52")
        );
        assert_eq!(first.title.as_deref(), Some("Lieferung kam nie an"));
        assert!(first.text.starts_with("Seit 16 Tagen warte ich"));
        assert_eq!(
            (first.rating, first.rating_min, first.rating_max),
            (Some(1.0), Some(1.0), Some(5.0))
        );
        assert_eq!(first.published_at, Some(utc("2026-03-03T20:41:09Z")));
        assert_eq!(first.author, None, "the e-mail address is not read");
        let reply = first.reply.as_ref().unwrap();
        assert!(reply.text.starts_with("Hallo Herr Becker"));
        assert_eq!(reply.at, Some(utc("2026-03-04T08:12:55Z")));
        assert_eq!(m[1].reply, None, "no reply object, no reply");
        assert_eq!(m[3].title, None, "title null");
        let ratings: Vec<f64> = m.iter().filter_map(|m| m.rating).collect();
        assert_eq!(ratings, [1.0, 5.0, 2.0, 3.0, 5.0, 1.0]);
        assert_eq!(m.iter().filter(|m| m.reply.is_some()).count(), 2);
        let next = page.next.unwrap();
        assert!(next.as_str().starts_with(&format!("{URL}&after=c3VibWl0")));
        assert!(!m.iter().any(|m| m.text.contains("@")), "no e-mail in text");
    }

    #[test]
    fn the_last_page_has_no_cursor_and_a_truncated_page_is_an_error() {
        let url = Url::parse(URL).unwrap();
        let page = json::extract(
            &fixture("presets/etrusted-reviews-page2.json"),
            &url,
            &mapping(),
        )
        .unwrap();
        assert_eq!(page.next, None);
        assert_eq!(page.mentions.len(), 2);
        assert_eq!(
            page.mentions[0].external_id.as_deref(),
            Some("rev-0b5e0c1a-1111-4222-8333-944455556666")
        );
        let whole = fixture("synthetic/etrusted-reviews.json");
        let mut v: Value = serde_json::from_slice(&whole).unwrap();
        v["paging"] = serde_json::json!({ "cursor": { "after": null } });
        let page = json::extract(v.to_string().as_bytes(), &url, &mapping()).unwrap();
        assert_eq!(page.next, None);
        let err = json::extract(&whole[..whole.len() / 2], &url, &mapping()).unwrap_err();
        assert!(err.to_string().starts_with("not valid JSON"), "{err}");
        let err = json::extract(b"{\"error\":\"unauthorized\"}", &url, &mapping()).unwrap_err();
        assert!(
            err.to_string().contains("expected an array at /items"),
            "{err}"
        );
    }

    #[test]
    fn token_responses() {
        let (t, life) = parse_token(&fixture("synthetic/etrusted-oauth-token.json")).unwrap();
        assert!(t.expose().starts_with("eyJhbGciOiJSUzI1NiIs"));
        assert_eq!(life, Duration::from_secs(600));
        let (_, life) = parse_token(br#"{"access_token":"abc"}"#).unwrap();
        assert_eq!(life, Duration::ZERO, "no expires_in: this poll only");
        let e = parse_token(br#"{"access_token":"abc","token_type":"mac"}"#).unwrap_err();
        assert!(e.contains("token_type"), "{e}");
        let e = parse_token(br#"{"error":"invalid_client"}"#).unwrap_err();
        assert_eq!(e, "token response has no access_token");
        let e = parse_token(br#"{"access_token":"sec ret"}"#).unwrap_err();
        assert!(!e.contains("sec ret"), "the token is never quoted: {e}");
        let e = parse_token(b"{\"access_token\":\"abc").unwrap_err();
        assert!(!e.contains("abc"), "{e}");
    }

    fn load(text: &str) -> Result<Config, String> {
        Config::load_for_test(text)
    }

    const GOOD: &str = r#"[sources.ts]
type = "trusted_shops"
channel_id = "chl-ec49f390-3edb-4a95-987c-63cf93d56de2"
client_id = "kettlewerk-radar"
client_secret_env = "REVIEWRADAR_TEST_ETRUSTED_SECRET"
"#;

    fn set_secret() {
        // SAFETY: no test reads this variable concurrently with a write of another value.
        unsafe { std::env::set_var("REVIEWRADAR_TEST_ETRUSTED_SECRET", "s3cret") };
    }

    #[test]
    fn config_builds_the_endpoint_and_defaults() {
        set_secret();
        let c = load(GOOD).unwrap();
        let s = &c.sources["ts"];
        assert_eq!(s.kind, SourceKind::TrustedShops);
        assert_eq!(s.url.as_str(), URL);
        assert_eq!(s.interval, Duration::from_secs(30 * 60));
        assert_eq!(s.options.max_pages(), 3);
        let SourceOptions::TrustedShops(o) = &s.options else {
            panic!()
        };
        assert_eq!(o.token_url().as_str(), DEFAULT_TOKEN_URL);
        let built = TrustedShopsSource::new("ts", s).unwrap();
        assert_eq!(built.platform(), "trusted_shops");

        let c = load(&format!(
            "{GOOD}api_base = \"http://127.0.0.1:9/et/\"\ntoken_url = \"http://127.0.0.1:9/oauth/token\"\nmax_pages = 7\n"
        ))
        .unwrap();
        assert!(
            c.sources["ts"]
                .url
                .as_str()
                .starts_with("http://127.0.0.1:9/et/reviews?channels=chl-")
        );
        assert_eq!(c.sources["ts"].options.max_pages(), 7);
        // An explicit url wins.
        let c = load(&format!("{GOOD}url = \"https://proxy.example/r\"\n")).unwrap();
        assert_eq!(c.sources["ts"].url.as_str(), "https://proxy.example/r");
    }

    #[test]
    fn config_problems_name_their_keys() {
        set_secret();
        let p = load(&GOOD.replace(
            "channel_id = \"chl-ec49f390-3edb-4a95-987c-63cf93d56de2\"\n",
            "",
        ))
        .unwrap_err();
        assert!(p.contains("sources.ts"), "{p}");
        assert!(p.contains("missing field `channel_id`"), "{p}");
        let p = load(&GOOD.replace("chl-ec49f390", "ec49f390")).unwrap_err();
        assert!(p.starts_with("3: sources.ts.channel_id: "), "{p}");
        let p = load(&GOOD.replace(
            "client_secret_env = \"REVIEWRADAR_TEST_ETRUSTED_SECRET\"\n",
            "",
        ))
        .unwrap_err();
        assert!(
            p.contains("sources.ts.client_secret_file: missing: set client_secret_file or client_secret_env"),
            "{p}"
        );
        let p = load(&GOOD.replace(
            "client_secret_env = \"REVIEWRADAR_TEST_ETRUSTED_SECRET\"",
            "client_secret_file = \"/nonexistent/etrusted\"",
        ))
        .unwrap_err();
        assert!(
            p.contains("5: sources.ts.client_secret_file: cannot read /nonexistent/etrusted"),
            "{p}"
        );
        let p = load(&format!("{GOOD}client_secret = \"inline\"\n")).unwrap_err();
        assert!(
            p.starts_with("6: sources.ts.client_secret: unknown key"),
            "{p}"
        );
        let p = load(&format!(
            "{GOOD}api_base = \"ftp://x.example\"\nmax_pages = 51\n"
        ))
        .unwrap_err();
        assert!(p.contains("6: sources.ts.api_base: scheme \"ftp\""), "{p}");
        assert!(
            p.contains("7: sources.ts.max_pages: must be between 1 and 50"),
            "{p}"
        );
        let p = load(&format!("{GOOD}item = \"div\"\n")).unwrap_err();
        assert!(
            p.contains(
                "6: sources.ts.item: not a key of a trusted_shops source (it belongs to html)"
            ),
            "{p}"
        );
    }
}
