//! `type = "hackernews"`: Hacker News stories and comments, newest first, from
//! Algolia's HN Search API:
//! `GET https://hn.algolia.com/api/v1/search_by_date?query=<q>&tags=(story,comment)`.
//!
//! The `objectID` is the item id; the link is `https://news.ycombinator.com/item?id=
//! <objectID>` whichever host was read. Comment and story texts are HTML (`<p>`,
//! `<a>`, `&#x27;`, an escaped `&lt;script&gt;` that stays literal text). Pages are
//! numbered from 0 (`page`) up to the response's `nbPages`.

use async_trait::async_trait;

use super::api_kit::extract_json;
use super::json::{FieldSpec, Fields, JsonMapping};
use super::{Page, PollContext, PollOutcome, Source, SourceError};
use crate::config::{SourceConfig, SourceOptions};
use crate::fetch::{Body, Request};

/// Where links to items point.
pub const ITEM_URL: &str = "https://news.ycombinator.com/item?id={/objectID}";

pub struct HackernewsSource {
    id: String,
    url: url::Url,
    platform: String,
    max_pages: u32,
    map: JsonMapping,
}

/// How an Algolia HN response maps to mentions.
pub fn mapping() -> JsonMapping {
    JsonMapping {
        items: "/hits".into(),
        page_param: Some("page".into()),
        fields: Fields {
            id: Some(FieldSpec::pointer("/objectID")),
            url: Some(FieldSpec::template(ITEM_URL)),
            author: Some(FieldSpec::pointer("/author")),
            title: Some(FieldSpec::pointer("/title")),
            text: Some(FieldSpec::pointers(["/comment_text", "/story_text"]).with_html(true)),
            date: Some(FieldSpec::pointers(["/created_at", "/created_at_i"])),
            ..Fields::default()
        },
        ..JsonMapping::default()
    }
}

impl HackernewsSource {
    pub fn new(id: &str, cfg: &SourceConfig) -> Result<Self, String> {
        let SourceOptions::Hackernews(o) = &cfg.options else {
            return Err("not a hackernews source".into());
        };
        Ok(Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform: cfg
                .platform
                .clone()
                .unwrap_or_else(|| "hackernews".to_string()),
            max_pages: o.max_pages.get(),
            map: mapping(),
        })
    }
}

/// One page of hits; no next page after the last one (`page + 1 >= nbPages`).
pub fn parse(body: &Body, map: &JsonMapping) -> Result<Page, SourceError> {
    let (page, root) = extract_json(body, map, |_, _| {})?;
    let number = |k: &str| root.get(k).and_then(serde_json::Value::as_u64);
    let last = match (number("page"), number("nbPages")) {
        (Some(p), Some(n)) => p + 1 >= n,
        _ => false,
    };
    Ok(Page {
        mentions: page.mentions,
        next: if last { None } else { page.next },
        items_seen: page.items_seen,
        aggregate: None,
    })
}

#[async_trait]
impl Source for HackernewsSource {
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
            |u| Request::get(u.clone()),
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

    fn fixture() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/synthetic/hn-algolia-search_by_date.json"
        ))
        .unwrap()
    }

    const URL: &str = "http://127.0.0.1:9/api/v1/search_by_date?query=kettlewerk&tags=%28story%2Ccomment%29&hitsPerPage=50&page=0";

    #[test]
    fn stories_and_comments_are_read() {
        let page = parse(&body(fixture().into_bytes(), URL), &mapping()).unwrap();
        let m = &page.mentions;
        assert_eq!((m.len(), page.items_seen), (6, 6));
        assert_eq!(m[0].external_id.as_deref(), Some("43193518"));
        assert_eq!(
            m[0].url.as_deref(),
            Some("https://news.ycombinator.com/item?id=43193518")
        );
        assert_eq!(m[0].author.as_deref(), Some("bleuart"));
        assert_eq!(
            m[0].text,
            "The temperature characteristic is also documented here: https://kettlewerk.example/developer/ble They don't advertise it, but it's there."
        );
        assert_eq!(m[0].title, None, "comments have no title");
        assert_eq!(
            m[0].published_at.unwrap().to_rfc3339(),
            "2026-03-03T20:49:52+00:00"
        );
        assert_eq!(
            m[1].text,
            "Their review widget used to render <script> tags from review text unescaped. I reported it to Kettlewerk last year; they fixed it in two days, to be fair."
        );
        // A Show HN with only a link: the title is the mention.
        assert_eq!(
            m[3].title.as_deref(),
            Some("Show HN: I reverse-engineered my Kettlewerk smart kettle's BLE protocol")
        );
        assert_eq!(m[3].text, "");
        // An Ask HN with story_text.
        assert!(
            m[5].text.starts_with("We're a 6-person shop"),
            "{}",
            m[5].text
        );
        assert!(
            m[5].text.contains("overkill & we'd rather"),
            "{}",
            m[5].text
        );
        assert_eq!(page.next, None, "page 0 of 1");
    }

    #[test]
    fn more_pages_are_followed_by_number() {
        let more = fixture().replace("\"nbPages\": 1", "\"nbPages\": 3");
        assert_ne!(more, fixture(), "the fixture has nbPages");
        let page = parse(&body(more.into_bytes(), URL), &mapping()).unwrap();
        assert_eq!(
            page.next.as_ref().map(url::Url::as_str),
            Some(
                "http://127.0.0.1:9/api/v1/search_by_date?query=kettlewerk&tags=%28story%2Ccomment%29&hitsPerPage=50&page=1"
            )
        );
    }

    #[test]
    fn truncated_is_a_parse_error() {
        let whole = fixture();
        let err = parse(
            &body(whole.as_bytes()[..whole.len() / 2].to_vec(), URL),
            &mapping(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), "parse");
    }
}
