//! `type = "mastodon"`: a hashtag timeline,
//! `GET https://<instance>/api/v1/timelines/tag/<tag>?limit=40`.
//!
//! The mention id is the status `uri`, which is global: the same status seen
//! through two instances (each with its own local `id`) is one mention. The link is
//! the status `url` (the author's instance), the body is the HTML `content` turned
//! into text (an escaped `&lt;script&gt;` stays the literal text `<script>`), a
//! content warning (`spoiler_text`) becomes the title. Older pages are read with
//! `max_id` = the oldest status id of the page. An optional access token goes in
//! `Authorization: Bearer` (for instances that hide tag timelines from anonymous
//! readers).

use async_trait::async_trait;
use reqwest::header::AUTHORIZATION;

use super::api_kit::{extract_json, set_query_param, str_at};
use super::json::{FieldSpec, Fields, JsonMapping};
use super::{Page, PollContext, PollOutcome, Source, SourceError};
use crate::config::{Secret, SourceConfig, SourceOptions};
use crate::fetch::{Body, Request};

const BEARER: &str = "{mastodon_token}";

pub struct MastodonSource {
    id: String,
    url: url::Url,
    platform: String,
    max_pages: u32,
    token: Option<Secret>,
    map: JsonMapping,
}

/// How a list of Mastodon statuses maps to mentions.
pub fn mapping() -> JsonMapping {
    JsonMapping {
        items: String::new(),
        fields: Fields {
            id: Some(FieldSpec::pointer("/uri")),
            url: Some(FieldSpec::pointers(["/url", "/uri"])),
            author: Some(FieldSpec::pointers([
                "/account/display_name",
                "/account/acct",
            ])),
            title: Some(FieldSpec::pointer("/spoiler_text")),
            text: Some(FieldSpec::pointer("/content").with_html(true)),
            date: Some(FieldSpec::pointer("/created_at")),
            updated: Some(FieldSpec::pointer("/edited_at")),
            lang: Some(FieldSpec::pointer("/language")),
            ..Fields::default()
        },
        ..JsonMapping::default()
    }
}

impl MastodonSource {
    /// Reads the access token, if any; fails when it cannot be read.
    pub fn new(id: &str, cfg: &SourceConfig) -> Result<Self, String> {
        let SourceOptions::Mastodon(o) = &cfg.options else {
            return Err("not a mastodon source".into());
        };
        let token = Secret::load(
            o.access_token_file.as_deref(),
            o.access_token_env.as_deref(),
        )
        .map_err(|e| format!("access_token: {e}"))?;
        Ok(Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform: cfg
                .platform
                .clone()
                .unwrap_or_else(|| "mastodon".to_string()),
            max_pages: o.max_pages.get(),
            token,
            map: mapping(),
        })
    }

    fn request(&self, url: &url::Url) -> Request {
        let req = Request::get(url.clone());
        match &self.token {
            Some(t) => req
                .header(AUTHORIZATION, format!("Bearer {BEARER}"))
                .secret(BEARER, t.clone()),
            None => req,
        }
    }
}

/// One page of statuses; the next page goes back from the oldest one.
pub fn parse(body: &Body, map: &JsonMapping) -> Result<Page, SourceError> {
    let (page, root) = extract_json(body, map, |_, _| {})?;
    let next = root
        .as_array()
        .and_then(|items| items.last())
        .and_then(|last| str_at(last, "/id"))
        .map(|oldest| set_query_param(&body.final_url, "max_id", oldest))
        .filter(|next| *next != body.final_url);
    Ok(Page {
        mentions: page.mentions,
        next,
        items_seen: page.items_seen,
        aggregate: None,
    })
}

#[async_trait]
impl Source for MastodonSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        super::poll_pages(
            cx,
            &self.url,
            self.max_pages,
            |u| self.request(u),
            |body| parse(body, &self.map),
        )
        .await
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

    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/synthetic/mastodon-tag-timeline.json"
        ))
        .unwrap()
    }

    const URL: &str = "https://mastodon.example/api/v1/timelines/tag/kettlewerk?limit=40";

    #[test]
    fn statuses_become_mentions_keyed_by_uri() {
        let page = parse(&body(fixture(), URL), &mapping()).unwrap();
        let m = &page.mentions;
        assert_eq!((m.len(), page.items_seen), (6, 6));
        assert_eq!(
            m[0].external_id.as_deref(),
            Some("https://mastodon.example/users/frieda/statuses/116169774071834032")
        );
        assert_eq!(
            m[0].url.as_deref(),
            Some("https://mastodon.example/@frieda/116169774071834032")
        );
        assert_eq!(m[0].author.as_deref(), Some("Frieda 🌿"));
        assert_eq!(
            m[0].text,
            "Mein #Kettlewerk Wasserkocher leckt nach drei Wochen. Support meldet sich seit neun Tagen nicht. 😤 Hat noch jemand das Problem?"
        );
        assert_eq!(m[0].title, None, "no content warning");
        assert_eq!(m[0].lang.as_deref(), Some("de"));
        assert_eq!(
            m[0].published_at.unwrap().to_rfc3339(),
            "2026-03-04T07:41:18+00:00"
        );
        // A remote status: its uri is on its own instance, not the one read.
        assert_eq!(
            m[1].external_id.as_deref(),
            Some("https://norden.example/users/joost/statuses/116166791987222784")
        );
        // The edited one.
        assert_eq!(
            m[2].updated_at.unwrap().to_rfc3339(),
            "2026-03-03T12:20:05+00:00"
        );
        // Escaped markup in a status is literal text.
        assert!(
            m.iter().any(|m| m.text.contains("<script>")),
            "{:#?}",
            m.iter().map(|m| &m.text).collect::<Vec<_>>()
        );
        assert!(
            m.iter()
                .all(|m| !m.text.contains("&lt;") && m.rating.is_none())
        );
        assert_eq!(
            page.next.as_ref().map(url::Url::as_str),
            Some(
                "https://mastodon.example/api/v1/timelines/tag/kettlewerk?limit=40&max_id=116153367199809513"
            )
        );
    }

    #[test]
    fn an_empty_page_ends_the_walk_and_garbage_fails() {
        let page = parse(&body(b"[]".to_vec(), URL), &mapping()).unwrap();
        assert_eq!((page.mentions.len(), page.next), (0, None));
        let whole = fixture();
        let err = parse(&body(whole[..whole.len() - 40].to_vec(), URL), &mapping()).unwrap_err();
        assert_eq!(err.kind(), "parse");
        let err = parse(
            &body(
                br#"{"error":"This method requires an authenticated user"}"#.to_vec(),
                URL,
            ),
            &mapping(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("expected an array"), "{err}");
    }
}
