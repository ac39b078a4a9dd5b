//! `type = "talkwalker"`: a Talkwalker Alerts RSS feed
//! (`https://alerts.talkwalker.com/alerts/rss/<token>`).
//!
//! The token in the feed URL is a secret: it comes from `feed_token_file` or
//! `feed_token_env` and is filled in only when the request is sent, so logs and
//! errors show `{feed_token}`. Items link to the article directly; their snippets
//! highlight the search terms with `<b>` (escaped or in CDATA), which is stripped.

use async_trait::async_trait;

use super::api_kit::strip_highlight;
use super::feed::parse_feed;
use super::{Page, PollContext, PollOutcome, Source, SourceError};
use crate::config::mention_presets::FEED_TOKEN;
use crate::config::{Secret, SourceConfig, SourceOptions};
use crate::fetch::Request;
use crate::mention::RawMention;

pub struct TalkwalkerSource {
    id: String,
    url: url::Url,
    platform: String,
    token: Option<Secret>,
}

impl TalkwalkerSource {
    /// Reads the feed token; fails when it cannot be read (naming the key).
    pub fn new(id: &str, cfg: &SourceConfig) -> Result<Self, String> {
        let SourceOptions::Talkwalker(o) = &cfg.options else {
            return Err("not a talkwalker source".into());
        };
        let token = Secret::load(o.feed_token_file.as_deref(), o.feed_token_env.as_deref())
            .map_err(|e| format!("feed_token: {e}"))?;
        Ok(Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform: cfg
                .platform
                .clone()
                .unwrap_or_else(|| "talkwalker".to_string()),
            token,
        })
    }

    fn request(&self, url: &url::Url) -> Request {
        let req = Request::get(url.clone());
        match &self.token {
            Some(t) => req.secret(FEED_TOKEN, t.clone()),
            None => req,
        }
    }
}

#[async_trait]
impl Source for TalkwalkerSource {
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
            1,
            |u| self.request(u),
            |body| {
                let items = parse_feed(&body.bytes, &body.final_url)?;
                Ok(Page::of(items.into_iter().map(clean_item).collect()))
            },
        )
        .await
    }
}

/// One alert item, highlighting gone.
pub fn clean_item(mut m: RawMention) -> RawMention {
    m.title = m
        .title
        .map(|t| strip_highlight(&t))
        .filter(|t| !t.is_empty());
    m.text = strip_highlight(&m.text);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(doc: &[u8]) -> Vec<RawMention> {
        let base =
            url::Url::parse("https://alerts.talkwalker.com/alerts/rss/%7Bfeed_token%7D").unwrap();
        parse_feed(doc, &base)
            .unwrap()
            .into_iter()
            .map(clean_item)
            .collect()
    }

    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/synthetic/talkwalker-alerts.rss"
        ))
        .unwrap()
    }

    #[test]
    fn items_are_read_with_highlighting_stripped() {
        let m = read(&fixture());
        assert_eq!(m.len(), 5);
        assert_eq!(
            m[0].external_id.as_deref(),
            Some("5e30c5c7a2dd1ad93545ea9318995853d44a1ca2")
        );
        assert_eq!(
            m[0].url.as_deref(),
            Some(
                "https://www.leipziger-morgenblatt.example/wirtschaft/kettlewerk-erstattungen-beschwerden-2026-03"
            )
        );
        assert_eq!(
            m[0].title.as_deref(),
            Some(
                "Verbraucherzentrale: Beschwerden über lange Erstattungen bei Online-Händler Kettlewerk"
            )
        );
        assert!(
            m[0].text
                .contains("Küchengeräte-Händler Kettlewerk. Das Unternehmen"),
            "{}",
            m[0].text
        );
        assert!(m[0].text.contains("Februar & kündigt"), "{}", m[0].text);
        assert_eq!(
            m[0].published_at.unwrap().to_rfc3339(),
            "2026-03-04T06:35:00+00:00"
        );
        assert!(
            m[1].text
                .starts_with("Na drie maanden dagelijks gebruik: de Kettlewerk Gooseneck")
        );
        for item in &m {
            assert!(!item.text.contains('<'), "{}", item.text);
            assert_eq!(item.rating, None);
        }
    }

    #[test]
    fn highlight_in_a_title_is_stripped_but_a_literal_script_stays() {
        let doc = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>&lt;b&gt;Kettlewerk&lt;/b&gt; says &lt;script&gt;alert(1)&lt;/script&gt;</title>
<link>https://news.example/a</link><guid isPermaLink="false">g1</guid>
<description>x</description></item></channel></rss>"#;
        let m = read(doc);
        assert_eq!(
            m[0].title.as_deref(),
            Some("Kettlewerk says <script>alert(1)</script>")
        );
    }

    #[test]
    fn a_truncated_feed_is_a_parse_error() {
        let whole = fixture();
        let base = url::Url::parse("https://alerts.talkwalker.com/alerts/rss/x").unwrap();
        let err = parse_feed(&whole[..whole.len() / 2], &base).unwrap_err();
        assert_eq!(err.kind(), "parse", "{err}");
    }
}
