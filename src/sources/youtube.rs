//! `type = "youtube"`: comments on YouTube videos, via the Data API's
//! `commentThreads.list` (`part=snippet,replies`, newest first), one endpoint per
//! video, each paged by `nextPageToken` up to `max_pages`.
//!
//! The videos are `video_ids` plus, with `channel_id`, the newest `recent_uploads`
//! of the channel's upload feed (`https://www.youtube.com/feeds/videos.xml?
//! channel_id=UC...`). That feed lists the shop's own uploads: they are not
//! mentions and are not stored; it only says which videos to read comments of.
//!
//! Quota: every `commentThreads.list` call costs 1 unit of the default 10,000 a day
//! (the feed costs none). One poll makes at most (videos × `max_pages`) calls.
//!
//! The top-level comment is the mention: `textOriginal` (the raw text) is preferred,
//! else `textDisplay` (HTML) converted to text; the link is `watch?v=<video>&lc=
//! <comment>`. A reply by the channel itself (`channel_id`) is the business's reply.
//! The API key goes in `key=`, filled in only when the request is sent.

use async_trait::async_trait;
use serde_json::Value;

use super::api_kit::{extract_json, poll_endpoints, str_at};
use super::feed::parse_feed;
use super::json::{FieldSpec, Fields, JsonMapping};
use super::{Page, PollContext, PollOutcome, Source, SourceError};
use crate::config::mention_presets::{API_KEY, youtube_has_feed};
use crate::config::{Secret, SourceConfig, SourceOptions, YoutubeOptions};
use crate::fetch::{Body, Request};
use crate::mention::{RawMention, Reply, html_to_text};

const TOP: &str = "/snippet/topLevelComment/snippet";

pub struct YoutubeSource {
    id: String,
    platform: String,
    /// The channel's upload feed, when read.
    feed: Option<url::Url>,
    recent_uploads: usize,
    video_ids: Vec<String>,
    channel_id: Option<String>,
    options: YoutubeOptions,
    max_pages: u32,
    api_key: Option<Secret>,
    map: JsonMapping,
}

/// How a commentThreads response maps to mentions (text fallback and replies are
/// added by [`fix`]).
pub fn mapping() -> JsonMapping {
    let top = |p: &str| format!("{TOP}{p}");
    JsonMapping {
        items: "/items".into(),
        next_cursor: Some("/nextPageToken".into()),
        cursor_param: Some("pageToken".into()),
        fields: Fields {
            id: Some(FieldSpec::pointer("/id")),
            url: Some(FieldSpec::template(
                "https://www.youtube.com/watch?v={/snippet/videoId}&lc={/id}",
            )),
            author: Some(FieldSpec::pointer(top("/authorDisplayName"))),
            text: Some(FieldSpec::pointers([
                top("/textOriginal"),
                top("/textDisplay"),
            ])),
            date: Some(FieldSpec::pointer(top("/publishedAt"))),
            updated: Some(FieldSpec::pointer(top("/updatedAt"))),
            ..Fields::default()
        },
        ..JsonMapping::default()
    }
}

/// The text of a comment resource's snippet: `textOriginal`, else `textDisplay`
/// (HTML) as text.
fn comment_text(snippet: &Value) -> Option<String> {
    if let Some(t) = str_at(snippet, "/textOriginal") {
        return Some(super::api_kit::clean_text(t, super::json::MAX_TEXT_BYTES));
    }
    str_at(snippet, "/textDisplay")
        .map(|t| html_to_text(crate::mention::cut(t, 8 * super::json::MAX_TEXT_BYTES)))
        .map(|t| super::api_kit::clean_text(&t, super::json::MAX_TEXT_BYTES))
        .filter(|t| !t.is_empty())
}

/// `textDisplay` is HTML when `textOriginal` is missing; the channel's own reply
/// is the business's reply.
pub fn fix(channel_id: Option<&str>, item: &Value, m: &mut RawMention) {
    if str_at(item, &format!("{TOP}/textOriginal")).is_none()
        && let Some(text) = item.pointer(TOP).and_then(comment_text)
    {
        m.text = text;
    }
    let Some(channel) = channel_id else { return };
    let replies = item
        .pointer("/replies/comments")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let answer = replies.iter().find_map(|r| {
        let s = r.get("snippet")?;
        (str_at(s, "/authorChannelId/value") == Some(channel)).then_some(s)
    });
    if let Some(s) = answer {
        let at = |p: &str| super::jsonld::parse_date(str_at(s, p)?);
        m.reply = Some(Reply {
            text: comment_text(s).unwrap_or_default(),
            at: at("/updatedAt").or_else(|| at("/publishedAt")),
        });
    }
}

/// Video ids of a channel's upload feed, newest first.
pub fn upload_ids(doc: &[u8], url: &url::Url) -> Result<Vec<String>, SourceError> {
    let entries = parse_feed(doc, url)?;
    Ok(entries
        .iter()
        .filter_map(|e| {
            let from_id = e.external_id.as_deref()?.strip_prefix("yt:video:");
            let from_link = || {
                let u = url::Url::parse(e.url.as_deref()?).ok()?;
                u.query_pairs()
                    .find(|(k, _)| k == "v")
                    .map(|(_, v)| v.into_owned())
                    .or_else(|| u.path().strip_prefix("/shorts/").map(str::to_string))
            };
            from_id.map(str::to_string).or_else(from_link)
        })
        .filter(|v| {
            v.len() == 11
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .collect())
}

impl YoutubeSource {
    /// Reads the API key; fails when it cannot be read.
    pub fn new(id: &str, cfg: &SourceConfig) -> Result<Self, String> {
        let SourceOptions::Youtube(o) = &cfg.options else {
            return Err("not a youtube source".into());
        };
        let api_key = Secret::load(o.api_key_file.as_deref(), o.api_key_env.as_deref())
            .map_err(|e| format!("api_key: {e}"))?;
        let feed = youtube_has_feed(cfg, o).then(|| cfg.url.clone());
        Ok(Self {
            id: id.to_string(),
            platform: cfg
                .platform
                .clone()
                .unwrap_or_else(|| "youtube".to_string()),
            recent_uploads: if feed.is_some() {
                o.recent_uploads() as usize
            } else {
                0
            },
            feed,
            video_ids: o.video_ids.iter().map(|v| v.trim().to_string()).collect(),
            channel_id: o.channel_id.as_deref().map(|c| c.trim().to_string()),
            options: o.clone(),
            max_pages: o.max_pages.get(),
            api_key,
            map: mapping(),
        })
    }

    fn request(&self, url: &url::Url) -> Request {
        let req = Request::get(url.clone());
        match &self.api_key {
            Some(k) => req.secret(API_KEY, k.clone()),
            None => req,
        }
    }

    fn parse(&self, body: &Body) -> Result<Page, SourceError> {
        let (page, _) = extract_json(body, &self.map, |item, m| {
            fix(self.channel_id.as_deref(), item, m)
        })?;
        Ok(Page::from(page))
    }

    /// The videos to read this poll: `video_ids`, then the newest uploads.
    async fn targets(&self, cx: &PollContext<'_>) -> Result<Vec<String>, SourceError> {
        let mut videos = self.video_ids.clone();
        let Some(feed) = self.feed.as_ref().filter(|_| self.recent_uploads > 0) else {
            return Ok(videos);
        };
        let plain = PollContext {
            fetcher: cx.fetcher,
            validators: None,
        };
        let uploads = super::poll_pages(
            &plain,
            feed,
            1,
            |u| Request::get(u.clone()),
            |body| {
                let ids = upload_ids(&body.bytes, &body.final_url)?;
                Ok(Page::of(
                    ids.into_iter()
                        .map(|v| RawMention {
                            external_id: Some(v),
                            ..RawMention::default()
                        })
                        .collect(),
                ))
            },
        )
        .await;
        match uploads {
            Ok(PollOutcome::Fetched { mentions, .. }) => {
                for v in mentions
                    .into_iter()
                    .filter_map(|m| m.external_id)
                    .take(self.recent_uploads)
                {
                    if !videos.contains(&v) {
                        videos.push(v);
                    }
                }
            }
            Ok(PollOutcome::NotModified) => {}
            Err(e) if !videos.is_empty() => {
                tracing::warn!(kind = e.kind(), error = %e, "The channel feed failed; reading the listed videos only.");
            }
            Err(e) => return Err(e),
        }
        Ok(videos)
    }
}

#[async_trait]
impl Source for YoutubeSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        let videos = self.targets(cx).await?;
        let endpoints = videos
            .iter()
            .filter_map(|v| self.options.comments_url(v).ok())
            .collect::<Vec<_>>();
        tracing::debug!(videos = endpoints.len(), "Reading comment threads.");
        poll_endpoints(
            cx,
            &endpoints,
            self.max_pages,
            |u| self.request(u),
            |body| self.parse(body),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::Validators;

    fn body(bytes: Vec<u8>) -> Body {
        Body {
            bytes,
            content_type: Some("application/json".into()),
            final_url: url::Url::parse("https://www.googleapis.com/youtube/v3/commentThreads?part=snippet,replies&videoId=KL8ozFiA2as&maxResults=100&order=time&key={api_key}").unwrap(),
            validators: Validators::default(),
        }
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/synthetic/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn read(bytes: Vec<u8>, channel: Option<&str>) -> super::super::json::Page {
        extract_json(&body(bytes), &mapping(), |i, m| fix(channel, i, m))
            .unwrap()
            .0
    }

    #[test]
    fn comment_threads_become_mentions() {
        let page = read(fixture("youtube-commentThreads.json"), None);
        let m = &page.mentions;
        assert_eq!((m.len(), page.items_seen), (6, 6));
        assert_eq!(
            m[0].external_id.as_deref(),
            Some("UgzHQT0PMPSlWW0Sao_dg4AaABAg")
        );
        assert_eq!(
            m[0].url.as_deref(),
            Some("https://www.youtube.com/watch?v=KL8ozFiA2as&lc=UgzHQT0PMPSlWW0Sao_dg4AaABAg")
        );
        assert_eq!(m[0].author.as_deref(), Some("@sabine.tee"));
        assert_eq!(
            m[0].published_at.unwrap().to_rfc3339(),
            "2026-03-03T20:14:52+00:00"
        );
        // Edited: updatedAt after publishedAt.
        assert_eq!(
            m[2].updated_at.unwrap().to_rfc3339(),
            "2026-03-03T09:51:40+00:00"
        );
        // textOriginal is raw: the typed script is text, not the escaped display.
        assert_eq!(
            m[3].text,
            "<script>alert(1)</script> just checking if your site escapes comments lol"
        );
        assert!(
            m[5].text.starts_with("Zwei Fragen: 1) Gibt es"),
            "{}",
            m[5].text
        );
        assert!(m.iter().all(|m| m.reply.is_none() && m.rating.is_none()));
        assert!(
            page.next
                .as_ref()
                .unwrap()
                .as_str()
                .ends_with("&key={api_key}&pageToken=Z2V0X25ld2VzdF9maXJzdC0tfoeHfg3OKWAYo-xuRdb26j1Z5dkEbr7aMEWEZi3BJLVCfLPJIKCivvW4xG2X8Z7p"),
            "{:?}",
            page.next
        );
    }

    #[test]
    fn text_display_is_the_fallback_and_the_channel_reply_is_read() {
        let doc = serde_json::json!({
            "items": [{
                "id": "Ugx1",
                "snippet": {"videoId": "KL8ozFiA2as", "topLevelComment": {"id": "Ugx1", "snippet": {
                    "textDisplay": "Deckel &quot;kaputt&quot; &amp; &lt;b&gt;niemand&lt;/b&gt;<br>antwortet",
                    "authorDisplayName": "@a", "publishedAt": "2026-03-01T10:00:00Z"}}},
                "replies": {"comments": [
                    {"id": "Ugx1.a", "snippet": {"textOriginal": "Someone else", "authorChannelId": {"value": "UCother00000000000000000"}, "publishedAt": "2026-03-01T11:00:00Z"}},
                    {"id": "Ugx1.b", "snippet": {"textOriginal": "Sorry! We sent a new lid.", "authorChannelId": {"value": "UCzwZWdfRLgxL-Z1bvxbT7Wg"}, "publishedAt": "2026-03-02T09:00:00Z", "updatedAt": "2026-03-02T09:30:00Z"}}
                ]}
            }]
        });
        let page = read(
            serde_json::to_vec(&doc).unwrap(),
            Some("UCzwZWdfRLgxL-Z1bvxbT7Wg"),
        );
        let m = &page.mentions[0];
        assert_eq!(m.text, "Deckel \"kaputt\" & <b>niemand</b> antwortet");
        let reply = m.reply.as_ref().unwrap();
        assert_eq!(reply.text, "Sorry! We sent a new lid.");
        assert_eq!(reply.at.unwrap().to_rfc3339(), "2026-03-02T09:30:00+00:00");
        // Without channel_id nobody's reply is the business's.
        let page = read(serde_json::to_vec(&doc).unwrap(), None);
        assert_eq!(page.mentions[0].reply, None);
    }

    #[test]
    fn the_channel_feed_names_the_uploads() {
        let url = url::Url::parse(
            "https://www.youtube.com/feeds/videos.xml?channel_id=UCzwZWdfRLgxL-Z1bvxbT7Wg",
        )
        .unwrap();
        let ids = upload_ids(&fixture("youtube-channel.atom"), &url).unwrap();
        assert_eq!(
            ids,
            ["KL8ozFiA2as", "K7Z7GtQbU4U", "WEOCV81K2LQ", "nAwqRzZHb4g"]
        );
        let err = upload_ids(
            b"<html><body>Before you continue to YouTube</body></html>",
            &url,
        )
        .unwrap_err();
        assert_eq!(err.kind(), "blocked");
    }

    #[test]
    fn truncated_is_a_parse_error() {
        let whole = fixture("youtube-commentThreads.json");
        let err = extract_json(
            &body(whole[..whole.len() / 2].to_vec()),
            &mapping(),
            |_, _| {},
        )
        .unwrap_err();
        assert_eq!(err.kind(), "parse");
    }
}
