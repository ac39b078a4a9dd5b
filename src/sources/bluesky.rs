//! `type = "bluesky"`: Bluesky post search,
//! `GET {service}/xrpc/app.bsky.feed.searchPosts?q=..&sort=latest`.
//!
//! Post search needs an authenticated session (Bluesky closed it to anonymous
//! readers in 2025). The session comes from `POST {service}/xrpc/
//! com.atproto.server.createSession` with the account's handle and an **app
//! password**; its `accessJwt` is cached until shortly before its `exp`, renewed
//! with `com.atproto.server.refreshSession` (the `refreshJwt`), and created again
//! when that fails. A search refused with 400 (`ExpiredToken`) or 401 renews the
//! session once and tries again. Tokens and the password never reach a log line.
//!
//! The post's `at://` uri is the id; the link is `https://bsky.app/profile/<handle>/
//! post/<rkey>`; `record.text` is plain text (a typed `<script>` stays text);
//! `cursor` leads to the next page.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::api_kit::{
    extract_json, is_auth_failure, jwt_lifetime, parse_error, str_at, token_json,
};
use super::json::{FieldSpec, Fields, JsonMapping};
use super::{Page, PollContext, PollOutcome, Source, SourceError};
use crate::config::{Secret, SourceConfig, SourceOptions};
use crate::fetch::{FetchOutcome, Request};
use crate::mention::RawMention;

const BEARER: &str = "{bluesky_token}";
/// Renew an access token this long before it expires.
const EARLY: Duration = Duration::from_secs(120);
/// Assumed lifetime when a token's `exp` cannot be read.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(30 * 60);

pub struct BlueskySource {
    id: String,
    url: url::Url,
    platform: String,
    max_pages: u32,
    identifier: String,
    password: Secret,
    create_url: url::Url,
    refresh_url: url::Url,
    session: Mutex<Option<Session>>,
    map: JsonMapping,
}

struct Session {
    access: Secret,
    refresh: Secret,
    access_until: Instant,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionResponse {
    access_jwt: String,
    refresh_jwt: String,
}

/// How a searchPosts response maps to mentions.
pub fn mapping() -> JsonMapping {
    JsonMapping {
        items: "/posts".into(),
        next_cursor: Some("/cursor".into()),
        cursor_param: Some("cursor".into()),
        fields: Fields {
            id: Some(FieldSpec::pointer("/uri")),
            author: Some(FieldSpec::pointers([
                "/author/displayName",
                "/author/handle",
            ])),
            text: Some(FieldSpec::pointer("/record/text")),
            date: Some(FieldSpec::pointers(["/record/createdAt", "/indexedAt"])),
            lang: Some(FieldSpec::pointer("/record/langs/0")),
            ..Fields::default()
        },
        ..JsonMapping::default()
    }
}

/// `https://bsky.app/profile/<handle or did>/post/<rkey>` of a post view.
pub fn post_link(item: &Value) -> Option<String> {
    let uri = str_at(item, "/uri")?;
    let (repo, rkey) = uri
        .strip_prefix("at://")?
        .split_once("/app.bsky.feed.post/")?;
    let handle = str_at(item, "/author/handle")
        .filter(|h| *h != "handle.invalid")
        .unwrap_or(repo);
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._:~".contains(&b))
    };
    (ok(handle) && ok(rkey)).then(|| format!("https://bsky.app/profile/{handle}/post/{rkey}"))
}

fn fix(item: &Value, m: &mut RawMention) {
    m.url = post_link(item);
}

impl BlueskySource {
    /// Reads the app password; fails when it cannot be read.
    pub fn new(id: &str, cfg: &SourceConfig) -> Result<Self, String> {
        let SourceOptions::Bluesky(o) = &cfg.options else {
            return Err("not a bluesky source".into());
        };
        let password = Secret::load(
            o.app_password_file.as_deref(),
            o.app_password_env.as_deref(),
        )
        .map_err(|e| format!("app_password: {e}"))?
        .ok_or("app_password_file: missing")?;
        Ok(Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform: cfg
                .platform
                .clone()
                .unwrap_or_else(|| "bluesky".to_string()),
            max_pages: o.max_pages.get(),
            identifier: o.identifier.clone().unwrap_or_default().trim().to_string(),
            password,
            create_url: o.xrpc("com.atproto.server.createSession")?,
            refresh_url: o.xrpc("com.atproto.server.refreshSession")?,
            session: Mutex::new(None),
            map: mapping(),
        })
    }

    fn store(&self, answer: SessionResponse) -> Session {
        let lifetime = jwt_lifetime(&answer.access_jwt).unwrap_or(FALLBACK_LIFETIME);
        Session {
            access: Secret::new(answer.access_jwt),
            refresh: Secret::new(answer.refresh_jwt),
            access_until: Instant::now() + lifetime.saturating_sub(EARLY),
        }
    }

    async fn create(&self, cx: &PollContext<'_>) -> Result<Session, SourceError> {
        let body = serde_json::to_vec(&serde_json::json!({
            "identifier": self.identifier,
            "password": self.password.expose(),
        }))
        .expect("a JSON object serializes");
        let req = Request::post(
            self.create_url.clone(),
            HeaderValue::from_static("application/json"),
            body,
        );
        let FetchOutcome::Body(body) = cx.fetcher.send(&req).await? else {
            return Err(parse_error(&self.create_url, "unexpected 304"));
        };
        Ok(self.store(token_json(&body)?))
    }

    async fn refresh(
        &self,
        cx: &PollContext<'_>,
        refresh: &Secret,
    ) -> Result<Session, SourceError> {
        let req = Request::post_empty(self.refresh_url.clone())
            .header(AUTHORIZATION, format!("Bearer {BEARER}"))
            .secret(BEARER, refresh.clone());
        let FetchOutcome::Body(body) = cx.fetcher.send(&req).await? else {
            return Err(parse_error(&self.refresh_url, "unexpected 304"));
        };
        Ok(self.store(token_json(&body)?))
    }

    /// A usable access token: the cached one, a refreshed one, or a new session
    /// (`renew`: the cached one was refused).
    async fn access(&self, cx: &PollContext<'_>, renew: bool) -> Result<Secret, SourceError> {
        let mut session = self.session.lock().await;
        if let Some(s) = session.as_ref()
            && !renew
            && Instant::now() < s.access_until
        {
            return Ok(s.access.clone());
        }
        let refreshed = match session.take() {
            Some(s) => match self.refresh(cx, &s.refresh).await {
                Ok(new) => Some(new),
                Err(e) => {
                    tracing::debug!(
                        kind = e.kind(),
                        "Bluesky session refresh failed; logging in again."
                    );
                    None
                }
            },
            None => None,
        };
        let new = match refreshed {
            Some(s) => s,
            None => self.create(cx).await?,
        };
        let token = new.access.clone();
        *session = Some(new);
        Ok(token)
    }

    async fn search(
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
                    .header(AUTHORIZATION, format!("Bearer {BEARER}"))
                    .secret(BEARER, token.clone())
            },
            |body| {
                let (page, _) = extract_json(body, &self.map, fix)?;
                Ok(Page::from(page))
            },
        )
        .await
    }
}

#[async_trait]
impl Source for BlueskySource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        let token = self.access(cx, false).await?;
        match self.search(cx, &token).await {
            Err(e) if is_auth_failure(&e) => {
                tracing::debug!(kind = e.kind(), "Bluesky refused the session; renewing it.");
                let token = self.access(cx, true).await?;
                self.search(cx, &token).await
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::{Body, Validators};

    fn body(bytes: Vec<u8>) -> Body {
        Body {
            bytes,
            content_type: Some("application/json".into()),
            final_url: url::Url::parse(
                "https://bsky.social/xrpc/app.bsky.feed.searchPosts?q=kettlewerk&sort=latest&limit=25",
            )
            .unwrap(),
            validators: Validators::default(),
        }
    }

    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/synthetic/bluesky-searchPosts.json"
        ))
        .unwrap()
    }

    #[test]
    fn posts_become_mentions_with_app_links() {
        let (page, _) = extract_json(&body(fixture()), &mapping(), fix).unwrap();
        let m = &page.mentions;
        assert_eq!((m.len(), page.items_seen), (5, 5));
        assert_eq!(
            m[0].external_id.as_deref(),
            Some("at://did:plc:oidg36j6oh56qzt6z3msracj/app.bsky.feed.post/3mg6qa7qfusxx")
        );
        assert_eq!(
            m[0].url.as_deref(),
            Some("https://bsky.app/profile/hannelore-k.bsky.social/post/3mg6qa7qfusxx")
        );
        assert_eq!(m[0].author.as_deref(), Some("Hannelore K."));
        assert_eq!(m[0].lang.as_deref(), Some("de"));
        assert_eq!(
            m[0].published_at.unwrap().to_rfc3339(),
            "2026-03-03T21:40:12.551+00:00"
        );
        assert!(
            m[0].text
                .starts_with("Drei Wochen auf die Erstattung von @kettlewerk.example")
        );
        assert!(
            m[3].text.contains("👨\u{200d}👩\u{200d}👧"),
            "{}",
            m[3].text
        );
        assert!(
            m[4].text.contains("Typed <script>alert(1)</script>"),
            "{}",
            m[4].text
        );
        assert_eq!(
            page.next.as_ref().map(url::Url::as_str),
            Some(
                "https://bsky.social/xrpc/app.bsky.feed.searchPosts?q=kettlewerk&sort=latest&limit=25&cursor=5"
            )
        );
    }

    #[test]
    fn links_fall_back_to_the_did() {
        let item = serde_json::json!({
            "uri": "at://did:plc:abc/app.bsky.feed.post/3k",
            "author": {"handle": "handle.invalid"}
        });
        assert_eq!(
            post_link(&item).as_deref(),
            Some("https://bsky.app/profile/did:plc:abc/post/3k")
        );
        assert_eq!(post_link(&serde_json::json!({"uri": "https://x"})), None);
    }

    #[test]
    fn truncated_is_a_parse_error() {
        let whole = fixture();
        let err =
            extract_json(&body(whole[..whole.len() / 2].to_vec()), &mapping(), fix).unwrap_err();
        assert_eq!(err.kind(), "parse");
    }
}
