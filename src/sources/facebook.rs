//! `type = "facebook"`: what people write on a Facebook page, via the Graph API.
//!
//! Page ratings ("recommendations") are no longer readable through the Graph API
//! (retired with v22), so this preset reads what is: the page's feed
//! (`/{page_id}/feed`: the page's own posts and posts by others) and its visitor
//! posts (`/{page_id}/visitor_posts`), each post with its newest comments and, per
//! comment, its replies. With a page access token in `access_token=`.
//!
//! * A post by someone else is a mention; so is every comment by someone else.
//!   The page's own posts are not mentions, but their comments are.
//! * A comment by the page itself on such a post, or a reply by the page to such a
//!   comment, is the business's public reply (the earliest one).
//! * Posts and comments without text (a photo alone) are skipped.
//! * Paging follows `paging.next`. Graph's next URLs carry the access token: the
//!   token is taken out and put back as a placeholder, so it is never shown or
//!   logged, and a next URL to another host is ignored (a `graph.facebook.com` link
//!   read through `api_base` is moved onto `api_base`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::api_kit::{
    clean_text, parse_error, poll_endpoints, remove_query_param, same_origin, str_at,
};
use super::json::{MAX_FIELD_BYTES, MAX_ITEMS, MAX_TEXT_BYTES, MAX_URL_BYTES};
use super::{Page, PollContext, PollOutcome, Source, SourceError};
use crate::config::mention_presets::{PAGE_TOKEN, uses_default_url};
use crate::config::{Secret, SourceConfig, SourceOptions};
use crate::fetch::{Body, Request};
use crate::mention::{RawMention, Reply};

/// The Graph API's own host: next links to it are followed through `api_base`.
pub const GRAPH_HOST: &str = "graph.facebook.com";

pub struct FacebookSource {
    id: String,
    platform: String,
    page_id: String,
    endpoints: Vec<url::Url>,
    max_pages: u32,
    token: Option<Secret>,
}

impl FacebookSource {
    /// Reads the page access token; fails when it cannot be read.
    pub fn new(id: &str, cfg: &SourceConfig) -> Result<Self, String> {
        let SourceOptions::Facebook(o) = &cfg.options else {
            return Err("not a facebook source".into());
        };
        let token = Secret::load(
            o.page_access_token_file.as_deref(),
            o.page_access_token_env.as_deref(),
        )
        .map_err(|e| format!("page_access_token: {e}"))?;
        // The built feed URL means both edges; a `url` of its own is read alone.
        let endpoints = if uses_default_url(cfg) {
            vec![cfg.url.clone(), o.edge_url("visitor_posts")?]
        } else {
            vec![cfg.url.clone()]
        };
        Ok(Self {
            id: id.to_string(),
            platform: cfg
                .platform
                .clone()
                .unwrap_or_else(|| "facebook".to_string()),
            page_id: o.page_id.clone().unwrap_or_default().trim().to_string(),
            endpoints,
            max_pages: o.max_pages.get(),
            token,
        })
    }

    fn request(&self, url: &url::Url) -> Request {
        let req = Request::get(url.clone());
        match &self.token {
            Some(t) => req.secret(PAGE_TOKEN, t.clone()),
            None => req,
        }
    }
}

#[async_trait]
impl Source for FacebookSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        poll_endpoints(
            cx,
            &self.endpoints,
            self.max_pages,
            |u| self.request(u),
            |body| extract(body, &self.page_id),
        )
        .await
    }
}

fn from_id(v: &Value) -> Option<&str> {
    str_at(v, "/from/id")
}

fn created(v: &Value) -> Option<DateTime<Utc>> {
    super::jsonld::parse_date(str_at(v, "/created_time")?)
}

fn data<'v>(v: &'v Value, pointer: &str) -> &'v [Value] {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The page's earliest answer among `comments`.
fn page_answer(comments: &[Value], page_id: &str) -> Option<Reply> {
    comments
        .iter()
        .filter(|c| from_id(c) == Some(page_id))
        .min_by_key(|c| created(c))
        .map(|c| Reply {
            text: str_at(c, "/message")
                .map(|t| clean_text(t, MAX_TEXT_BYTES))
                .unwrap_or_default(),
            at: created(c),
        })
}

/// A post or comment as a mention; None without id or text.
fn mention(v: &Value, reply: Option<Reply>) -> Option<RawMention> {
    let id = str_at(v, "/id")?;
    let text = clean_text(str_at(v, "/message")?, MAX_TEXT_BYTES);
    if text.is_empty() {
        return None;
    }
    let url = str_at(v, "/permalink_url")
        .filter(|u| u.len() <= MAX_URL_BYTES)
        .and_then(|u| url::Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(String::from)
        .or_else(|| Some(format!("https://www.facebook.com/{id}")));
    Some(RawMention {
        external_id: Some(clean_text(id, MAX_FIELD_BYTES)),
        url,
        author: str_at(v, "/from/name").map(|n| clean_text(n, MAX_FIELD_BYTES)),
        text,
        published_at: created(v),
        reply,
        ..RawMention::default()
    })
}

/// One page of a feed or visitor_posts edge.
pub fn extract(body: &Body, page_id: &str) -> Result<Page, SourceError> {
    let url = &body.final_url;
    let root: Value = serde_json::from_slice(&body.bytes).map_err(|e| {
        parse_error(
            url,
            format!("not valid JSON (line {}, column {})", e.line(), e.column()),
        )
    })?;
    let Some(posts) = root.get("data").and_then(Value::as_array) else {
        let what = if root.get("error").is_some() {
            "a Graph API error object"
        } else {
            "no `data` array"
        };
        return Err(parse_error(
            url,
            format!("expected an array at /data, found {what}"),
        ));
    };
    let mut mentions = Vec::new();
    let mut items_seen = 0;
    for post in posts.iter().take(MAX_ITEMS) {
        let comments = data(post, "/comments/data");
        if from_id(post) != Some(page_id) {
            items_seen += 1;
            mentions.extend(mention(post, page_answer(comments, page_id)));
        }
        for c in comments {
            if from_id(c) == Some(page_id) {
                continue;
            }
            items_seen += 1;
            let replies = data(c, "/comments/data");
            mentions.extend(mention(c, page_answer(replies, page_id)));
        }
    }
    Ok(Page {
        mentions,
        next: str_at(&root, "/paging/next").and_then(|n| next_page(n, url)),
        items_seen,
        aggregate: None,
    })
}

/// Graph's next link, with its access token replaced by the placeholder; None
/// when it leads elsewhere.
pub fn next_page(link: &str, current: &url::Url) -> Option<url::Url> {
    let mut next = current.join(link.trim()).ok()?;
    if next.host_str() == Some(GRAPH_HOST) && current.host_str() != Some(GRAPH_HOST) {
        // Read through a proxy or test server: stay on it.
        let mut moved = current.clone();
        moved.set_path(next.path());
        moved.set_query(next.query());
        next = moved;
    }
    if !same_origin(&next, current) {
        tracing::warn!(
            host = current.host_str().unwrap_or(""),
            next_host = next.host_str().unwrap_or(""),
            "Ignoring a next-page link to another host."
        );
        return None;
    }
    // The placeholder goes in as written in the built URL.
    let mut next = remove_query_param(&next, "access_token");
    let query = match next.query() {
        Some(q) => format!("{q}&access_token={PAGE_TOKEN}"),
        None => format!("access_token={PAGE_TOKEN}"),
    };
    next.set_query(Some(&query));
    (next != *current).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::Validators;

    const PAGE: &str = "104958162837491";

    fn body(bytes: Vec<u8>) -> Body {
        Body {
            bytes,
            content_type: Some("application/json".into()),
            final_url: url::Url::parse(&format!(
                "https://graph.facebook.com/v22.0/{PAGE}/feed?fields=id&limit=25&access_token={{page_access_token}}"
            ))
            .unwrap(),
            validators: Validators::default(),
        }
    }

    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/presets/facebook-page-feed.json"
        ))
        .unwrap()
    }

    #[test]
    fn visitor_posts_and_comments_with_page_replies() {
        let page = extract(&body(fixture()), PAGE).unwrap();
        let m = &page.mentions;
        let ids: Vec<_> = m
            .iter()
            .map(|m| m.external_id.as_deref().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                // Comments on the page's own post (the page's answer is not one).
                "811244503918265_1187733516021489",
                "811244503918265_1549028311647320",
                "811244503918265_902117834565211",
                // A visitor post, then a comment on it.
                "104958162837491_811302777245519",
                "811302777245519_1922416958247733",
            ]
        );
        assert_eq!(page.items_seen, 6, "one comment without text is counted");
        let c = &m[0];
        assert_eq!(c.author.as_deref(), Some("Jana Meier"));
        assert_eq!(
            c.text,
            "Mein Wasserkocher leckt seit einer Woche, Ticket 48213 ist seit 9 Tagen offen. Wann meldet sich jemand?"
        );
        assert_eq!(
            c.published_at.unwrap().to_rfc3339(),
            "2026-03-03T18:22:41+00:00"
        );
        assert_eq!(
            c.url.as_deref(),
            Some(
                "https://www.facebook.com/104958162837491/posts/811244503918265/?comment_id=1187733516021489"
            )
        );
        // The page's reply to that comment (its earliest).
        let r = c.reply.as_ref().unwrap();
        assert!(
            r.text.starts_with("Hallo Jana, das tut uns leid"),
            "{}",
            r.text
        );
        assert_eq!(r.at.unwrap().to_rfc3339(), "2026-03-03T19:05:10+00:00");
        assert_eq!(m[1].reply, None);
        // A hostile comment stays literal text.
        assert_eq!(m[2].text, "<script>alert(1)</script> test");
        // The visitor post: the page's comment on it is the reply.
        let v = &m[3];
        assert_eq!(v.author.as_deref(), Some("Pieter de Vries"));
        assert_eq!(
            v.reply.as_ref().map(|r| r.text.as_str()),
            Some("Dag Pieter, we sturen vandaag een nieuw deksel op.")
        );
        assert!(m.iter().all(|m| m.rating.is_none()));
    }

    #[test]
    fn next_link_never_carries_the_token() {
        let page = extract(&body(fixture()), PAGE).unwrap();
        let next = page.next.unwrap();
        assert_eq!(next.host_str(), Some("graph.facebook.com"));
        assert!(
            next.as_str().contains("access_token={page_access_token}"),
            "{next}"
        );
        assert!(!next.as_str().contains("EAAG"), "{next}");
        assert!(next.as_str().contains("after=QVFIUm"), "{next}");
        // Read through a local server: the next page stays on it.
        let local =
            url::Url::parse("http://127.0.0.1:8080/v22.0/1/feed?access_token={page_access_token}")
                .unwrap();
        let moved = next_page(
            "https://graph.facebook.com/v22.0/1/feed?access_token=EAAGsecret&after=x",
            &local,
        )
        .unwrap();
        assert_eq!(
            moved.as_str(),
            "http://127.0.0.1:8080/v22.0/1/feed?after=x&access_token={page_access_token}"
        );
        assert_eq!(
            next_page("https://evil.example/v22.0/1/feed?after=x", &local),
            None
        );
    }

    #[test]
    fn errors_and_truncation_are_parse_errors() {
        let whole = fixture();
        let err = extract(&body(whole[..whole.len() / 2].to_vec()), PAGE).unwrap_err();
        assert_eq!(err.kind(), "parse");
        assert!(!err.to_string().contains("EAAG"), "{err}");
        let err = extract(
            &body(br#"{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}"#.to_vec()),
            PAGE,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("a Graph API error object"),
            "{err}"
        );
    }
}
