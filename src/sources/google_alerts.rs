//! `type = "google_alerts"`: a Google Alerts feed (an alert created with "Deliver
//! to: RSS feed").
//!
//! The feed is Atom. Each entry's link is a Google redirect
//! (`https://www.google.com/url?...&url=<target>`): it is unwrapped to the target
//! (by [`canonical_url`], which the pipeline applies anyway), so the mention links
//! to the article and is recognized when another source reaches the same page.
//! Titles and snippets highlight the search terms with `<b>`; they come out as
//! plain text.

use async_trait::async_trait;

use super::api_kit::strip_highlight;
use super::feed::parse_feed;
use super::{Page, PollContext, PollOutcome, Source, SourceError};
use crate::config::SourceConfig;
use crate::fetch::Request;
use crate::mention::{RawMention, canonical_url};

pub struct GoogleAlertsSource {
    id: String,
    url: url::Url,
    platform: String,
}

impl GoogleAlertsSource {
    pub fn new(id: &str, cfg: &SourceConfig) -> Self {
        Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform: cfg
                .platform
                .clone()
                .unwrap_or_else(|| "google_alerts".to_string()),
        }
    }
}

#[async_trait]
impl Source for GoogleAlertsSource {
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
            |u| Request::get(u.clone()),
            |body| {
                let entries = parse_feed(&body.bytes, &body.final_url)?;
                Ok(Page::of(entries.into_iter().map(clean_entry).collect()))
            },
        )
        .await
    }
}

/// One alert entry: link unwrapped, highlighting gone.
pub fn clean_entry(mut m: RawMention) -> RawMention {
    m.url = m.url.map(|raw| canonical_url(&raw, None).unwrap_or(raw));
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

    fn fixture(path: &str) -> Vec<u8> {
        let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
    }

    fn read(path: &str) -> Vec<RawMention> {
        let base = url::Url::parse("https://www.google.com/alerts/feeds/0417/4428").unwrap();
        parse_feed(&fixture(path), &base)
            .unwrap()
            .into_iter()
            .map(clean_entry)
            .collect()
    }

    #[test]
    fn real_alert_feed_is_unwrapped_and_plain() {
        let m = read("real/google-alerts.atom");
        assert_eq!(m.len(), 20);
        assert_eq!(
            m[0].external_id.as_deref(),
            Some("tag:google.com,2013:googlealerts/feed:8974135267215335962")
        );
        assert_eq!(
            m[1].url.as_deref(),
            Some("https://investorplace.com/2019/07/slack-stock-truly-compelling/")
        );
        assert_eq!(
            m[0].published_at.unwrap().to_rfc3339(),
            "2019-07-10T11:53:37+00:00"
        );
        assert_eq!(m[0].rating, None, "mentions carry no rating");
        for e in &m {
            let url = e.url.as_deref().unwrap();
            assert!(!url.contains("google.com/url"), "{url}");
            assert!(url.starts_with("https://") || url.starts_with("http://"));
            let title = e.title.as_deref().unwrap();
            for s in [title, e.text.as_str()] {
                assert!(
                    !s.contains("<b>") && !s.contains("</b>") && !s.contains("&lt;"),
                    "{s}"
                );
                assert!(!s.contains("&nbsp;") && !s.contains("&amp;"), "{s}");
            }
        }
        // The highlighted word is kept as text.
        assert!(
            m[0].title.as_deref().unwrap().contains("Slack"),
            "{:?}",
            m[0].title
        );
    }

    #[test]
    fn literal_b_tags_in_a_text_title_are_stripped() {
        let doc = br#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>t</title><updated>2026-03-04T06:00:00Z</updated>
<entry><id>tag:google.com,2013:googlealerts/feed:1</id>
<title type="text">Why &lt;b&gt;Kettlewerk&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://blog.example/k%3Fa%3D1&amp;ct=ga&amp;usg=AFQ"/>
<published>2026-03-04T06:00:00Z</published><updated>2026-03-04T06:00:00Z</updated>
<content type="html">&lt;b&gt;Kettlewerk&lt;/b&gt; leaks&amp;nbsp;again</content></entry></feed>"#;
        let base = url::Url::parse("https://www.google.com/alerts/feeds/1/2").unwrap();
        let m: Vec<_> = parse_feed(doc, &base)
            .unwrap()
            .into_iter()
            .map(clean_entry)
            .collect();
        assert_eq!(
            m[0].title.as_deref(),
            Some("Why Kettlewerk <script>x</script>")
        );
        assert_eq!(m[0].text, "Kettlewerk leaks again");
        assert_eq!(m[0].url.as_deref(), Some("https://blog.example/k?a=1"));
    }

    #[test]
    fn a_truncated_feed_is_a_parse_error() {
        let whole = fixture("real/google-alerts.atom");
        let base = url::Url::parse("https://www.google.com/alerts/feeds/1/2").unwrap();
        let err = parse_feed(&whole[..whole.len() / 3], &base).unwrap_err();
        assert_eq!(err.kind(), "parse", "{err}");
    }
}
