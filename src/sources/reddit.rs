//! `type = "reddit"`: Reddit search, newest first.
//!
//! * Without OAuth: `GET https://www.reddit.com/search.json?q=..&sort=new&raw_json=1`
//!   (Reddit allows about 10 requests a minute this way).
//! * With `client_id` and its secret: an app-only token from `POST
//!   https://www.reddit.com/api/v1/access_token` (`grant_type=client_credentials`,
//!   HTTP Basic with the client id and secret), cached until shortly before it
//!   expires and fetched again after a 401; the search then goes to
//!   `https://oauth.reddit.com/search` with `Authorization: bearer <token>`.
//!
//! Every request carries the User-Agent Reddit asks for
//! (`<platform>:<app id>:<version> (by /u/<username>)`). Posts are read from the
//! Listing's `data.children[].data`: the `t3_` fullname is the id, the permalink
//! becomes a `https://www.reddit.com/...` link, `after` is the next page's cursor.
//! Without `raw_json=1` Reddit escapes `&`, `<` and `>` in titles and text; those
//! are decoded (once), so `&lt;b&gt;` becomes the literal text `<b>`.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderValue, USER_AGENT};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::api_kit::{
    base64, extract_json, has_query, is_auth_failure, parse_error, str_at, token_json,
};
use super::json::{FieldSpec, Fields, JsonMapping};
use super::{Page, PollContext, PollOutcome, Source, SourceError};
use crate::config::mention_presets::REDDIT_TOKEN_URL;
use crate::config::{Secret, SourceConfig, SourceOptions};
use crate::fetch::{Body, FetchOutcome, Request};
use crate::mention::RawMention;

/// Where links to posts point, whatever host the API was read from.
pub const WEB: &str = "https://www.reddit.com";

const BASIC: &str = "{reddit_basic}";
const BEARER: &str = "{reddit_token}";

/// A token is renewed this long before Reddit says it expires.
const EARLY: Duration = Duration::from_secs(120);

pub struct RedditSource {
    id: String,
    url: url::Url,
    platform: String,
    max_pages: u32,
    user_agent: String,
    oauth: Option<OAuth>,
    /// For responses requested with `raw_json=1` (literal text) ...
    raw: JsonMapping,
    /// ... and without it (escaped text).
    escaped: JsonMapping,
}

struct OAuth {
    token_url: url::Url,
    /// base64 of `client_id:client_secret`.
    basic: Secret,
    token: Mutex<Option<(Secret, Instant)>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    expires_in: Option<u64>,
    error: Option<String>,
}

/// How a Reddit search Listing maps to mentions (`html` is set per response).
pub fn mapping(html: bool) -> JsonMapping {
    JsonMapping {
        items: "/data/children".into(),
        next_cursor: Some("/data/after".into()),
        cursor_param: Some("after".into()),
        html,
        fields: Fields {
            id: Some(FieldSpec::pointer("/data/name")),
            title: Some(FieldSpec::pointer("/data/title")),
            text: Some(FieldSpec::pointer("/data/selftext")),
            author: Some(FieldSpec::pointer("/data/author")),
            date: Some(FieldSpec::pointer("/data/created_utc")),
            updated: None,
            ..Fields::default()
        },
        ..JsonMapping::default()
    }
}

impl RedditSource {
    /// Reads the client secret (with `client_id`); fails when it cannot be read.
    pub fn new(id: &str, cfg: &SourceConfig) -> Result<Self, String> {
        let SourceOptions::Reddit(o) = &cfg.options else {
            return Err("not a reddit source".into());
        };
        let user_agent = o
            .user_agent()
            .ok_or("user_agent: missing (set reddit_username or user_agent)")?;
        let oauth = match &o.client_id {
            None => None,
            Some(client_id) => {
                let secret = Secret::load(
                    o.client_secret_file.as_deref(),
                    o.client_secret_env.as_deref(),
                )
                .map_err(|e| format!("client_secret: {e}"))?
                .ok_or("client_secret_file: missing")?;
                let pair = format!("{}:{}", client_id.trim(), secret.expose());
                Some(OAuth {
                    token_url: o.token_url.clone().unwrap_or_else(|| {
                        url::Url::parse(REDDIT_TOKEN_URL).expect("valid default")
                    }),
                    basic: Secret::new(base64(pair.as_bytes())),
                    token: Mutex::new(None),
                })
            }
        };
        Ok(Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform: cfg.platform.clone().unwrap_or_else(|| "reddit".to_string()),
            max_pages: o.max_pages.get(),
            user_agent,
            oauth,
            raw: mapping(false),
            escaped: mapping(true),
        })
    }

    fn request(&self, url: &url::Url, token: Option<&Secret>) -> Request {
        let req = Request::get(url.clone()).header(USER_AGENT, self.user_agent.clone());
        match token {
            Some(t) => req
                .header(AUTHORIZATION, format!("bearer {BEARER}"))
                .secret(BEARER, t.clone()),
            None => req,
        }
    }

    /// The cached app-only token, or a new one (`renew`: the cached one was refused).
    async fn token(&self, cx: &PollContext<'_>, renew: bool) -> Result<Secret, SourceError> {
        let oauth = self.oauth.as_ref().expect("called with OAuth only");
        let mut cached = oauth.token.lock().await;
        if !renew
            && let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        *cached = None;
        let req = Request::post(
            oauth.token_url.clone(),
            HeaderValue::from_static("application/x-www-form-urlencoded"),
            b"grant_type=client_credentials".to_vec(),
        )
        .header(USER_AGENT, self.user_agent.clone())
        .header(AUTHORIZATION, format!("Basic {BASIC}"))
        .secret(BASIC, oauth.basic.clone());
        let FetchOutcome::Body(body) = cx.fetcher.send(&req).await? else {
            return Err(parse_error(
                &oauth.token_url,
                "unexpected 304 from the token endpoint",
            ));
        };
        let answer: TokenResponse = token_json(&body)?;
        let Some(token) = answer.access_token.filter(|t| !t.is_empty()) else {
            let error: String = answer
                .error
                .unwrap_or_else(|| "none given".into())
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(64)
                .collect();
            return Err(parse_error(
                &oauth.token_url,
                format!("the token response has no access_token (error: {error})"),
            ));
        };
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        let token = Secret::new(token);
        *cached = Some((
            token.clone(),
            Instant::now() + lifetime.saturating_sub(EARLY),
        ));
        Ok(token)
    }

    async fn search(
        &self,
        cx: &PollContext<'_>,
        token: Option<&Secret>,
    ) -> Result<PollOutcome, SourceError> {
        super::poll_pages(
            cx,
            &self.url,
            self.max_pages,
            |u| self.request(u, token),
            |body| self.parse(body),
        )
        .await
    }

    fn parse(&self, body: &Body) -> Result<Page, SourceError> {
        let map = if has_query(&body.final_url, "raw_json", "1") {
            &self.raw
        } else {
            &self.escaped
        };
        let (page, _) = extract_json(body, map, fix)?;
        Ok(Page::from(page))
    }
}

/// The post's link on reddit.com, from its permalink.
fn fix(item: &Value, m: &mut RawMention) {
    if let Some(p) = str_at(item, "/data/permalink").filter(|p| p.starts_with('/')) {
        m.url = Some(format!("{WEB}{p}"));
    }
}

#[async_trait]
impl Source for RedditSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        if self.oauth.is_none() {
            return self.search(cx, None).await;
        }
        let token = self.token(cx, false).await?;
        match self.search(cx, Some(&token)).await {
            Err(e) if is_auth_failure(&e) => {
                tracing::debug!("Reddit refused the token; fetching a new one.");
                let token = self.token(cx, true).await?;
                self.search(cx, Some(&token)).await
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::Validators;

    fn body(bytes: Vec<u8>, url: &str) -> Body {
        Body {
            bytes,
            content_type: Some("application/json".into()),
            final_url: url::Url::parse(url).unwrap(),
            validators: Validators::default(),
        }
    }

    fn source() -> RedditSource {
        RedditSource {
            id: "r".into(),
            url: url::Url::parse("https://www.reddit.com/search.json?q=kettlewerk").unwrap(),
            platform: "reddit".into(),
            max_pages: 1,
            user_agent: "linux:reviewradar:0.1.0 (by /u/someone)".into(),
            oauth: None,
            raw: mapping(false),
            escaped: mapping(true),
        }
    }

    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/synthetic/reddit-search.json"
        ))
        .unwrap()
    }

    const ESCAPED: &str = "https://www.reddit.com/search.json?q=kettlewerk&sort=new";

    #[test]
    fn escaped_listing_is_decoded_once() {
        let page = source().parse(&body(fixture(), ESCAPED)).unwrap();
        let m = &page.mentions;
        assert_eq!((m.len(), page.items_seen), (5, 5));
        assert_eq!(m[0].external_id.as_deref(), Some("t3_1j4kq2m"));
        assert_eq!(
            m[0].url.as_deref(),
            Some(
                "https://www.reddit.com/r/de/comments/1j4kq2m/kettlewerk_wasserkocher_nach_3_wochen_undicht/"
            )
        );
        assert_eq!(m[0].author.as_deref(), Some("Brezelbaron"));
        assert_eq!(
            m[0].published_at.unwrap().to_rfc3339(),
            "2026-03-03T16:43:31+00:00"
        );
        assert!(
            m[0].text
                .contains("raus. > Wir melden uns innerhalb von 48 Stunden ...sagt"),
            "{}",
            m[0].text
        );
        assert!(
            m[0].text.contains("Gewährleistung & Rückbuchung"),
            "{}",
            m[0].text
        );
        // `&lt;b&gt;` is the literal text `<b>`, not markup.
        assert!(m[2].text.contains("my <b>bold</b> text"), "{}", m[2].text);
        // A link post: no selftext, title decoded.
        assert_eq!(
            m[3].title.as_deref(),
            Some("Kettlewerk Gooseneck Pro after 6 months – review & comparison")
        );
        assert_eq!(m[3].text, "");
        assert!(m.iter().all(|m| m.rating.is_none()));
        // `after` is the cursor of the next page.
        assert_eq!(
            page.next.as_ref().map(url::Url::as_str),
            Some("https://www.reddit.com/search.json?q=kettlewerk&sort=new&after=t3_1j1u4ka")
        );
    }

    #[test]
    fn raw_json_is_taken_literally() {
        let raw = String::from_utf8(fixture())
            .unwrap()
            .replace("&amp;", "&")
            .replace(
                "shows my &lt;b&gt;bold&lt;/b&gt;",
                "shows my &lt;b&gt; <script>alert(1)</script>",
            );
        let page = source()
            .parse(&body(
                raw.into_bytes(),
                "https://oauth.reddit.com/search?q=kettlewerk&raw_json=1",
            ))
            .unwrap();
        let m = &page.mentions;
        assert!(
            m[2].text
                .contains("shows my &lt;b&gt; <script>alert(1)</script>"),
            "{}",
            m[2].text
        );
        assert_eq!(
            m[0].url
                .as_deref()
                .map(|u| u.starts_with("https://www.reddit.com/r/de/")),
            Some(true),
            "links go to reddit.com whatever host was read"
        );
    }

    #[test]
    fn truncated_and_wrong_shapes_are_parse_errors() {
        let whole = fixture();
        let err = source()
            .parse(&body(whole[..whole.len() / 2].to_vec(), ESCAPED))
            .unwrap_err();
        assert_eq!(err.kind(), "parse");
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        let err = source()
            .parse(&body(br#"{"kind":"Listing","data":{}}"#.to_vec(), ESCAPED))
            .unwrap_err();
        assert!(err.to_string().contains("/data/children"), "{err}");
    }
}
