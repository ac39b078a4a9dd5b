//! Sources turn fetched documents into raw mentions. They never write the store and
//! never dedup: the pipeline in [`crate::daemon`] does that.
//!
//! [`build`] makes the runtime source of a config entry; `poll_pages` is the
//! pagination driver every type shares: a conditional first page, then the pages
//! each one links to, up to the source's `max_pages`.

pub(crate) mod api_kit;
pub mod bluesky;
pub mod facebook;
pub mod feed;
pub mod google_alerts;
pub mod google_business;
pub mod google_places;
pub mod hackernews;
pub mod html;
pub mod json;
pub mod jsonld;
pub mod kiyoh;
pub mod localize;
pub mod mastodon;
mod preset_api;
pub mod reddit;
pub mod talkwalker;
pub mod trustpilot;
pub mod yelp;
pub mod youtube;

pub mod amazon;
pub(crate) mod api_base;
#[cfg(test)]
mod commerce_examples;
pub mod ebay;
pub mod etsy;
pub mod trusted_shops;

use std::collections::HashSet;

use async_trait::async_trait;
use url::Url;

use crate::config::{SourceConfig, SourceKind};
use crate::fetch::{Body, FetchError, FetchOutcome, Fetcher, Request, Validators};
use crate::mention::{AggregateRating, RawMention};

/// Everything a source may use while polling.
pub struct PollContext<'a> {
    pub fetcher: &'a Fetcher,
    /// Validators from the previous successful fetch, for a conditional GET.
    pub validators: Option<Validators>,
}

/// What one poll produced.
#[derive(Debug)]
pub enum PollOutcome {
    /// The server said 304: nothing changed since the last poll.
    NotModified,
    Fetched {
        /// The mentions of every page read, in page order.
        mentions: Vec<RawMention>,
        /// Validators to send next time (of the first page; empty when a later page
        /// failed, so that the next poll reads every page again).
        validators: Validators,
        /// Items found on all pages read, including those skipped for lack of
        /// content (see [`Page::items_seen`]).
        items_seen: usize,
        /// The overall rating the pages show, if any (the first page's that has one).
        aggregate: Option<AggregateRating>,
    },
}

/// What one page gave, whatever the source type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub mentions: Vec<RawMention>,
    /// The next page, as the page links it.
    pub next: Option<Url>,
    /// Items found on the page, including those skipped for having no content: a
    /// page whose items all come out empty has changed its markup.
    pub items_seen: usize,
    pub aggregate: Option<AggregateRating>,
}

/// A parse failure of `url` (the shown URL: placeholders, never secrets).
pub(crate) fn parse_error(url: &Url, reason: impl Into<String>) -> SourceError {
    SourceError::Parse {
        url: url.to_string(),
        reason: reason.into(),
    }
}

impl From<json::Page> for Page {
    fn from(p: json::Page) -> Page {
        Page {
            mentions: p.mentions,
            next: p.next,
            items_seen: p.items_seen,
            aggregate: None,
        }
    }
}

impl From<html::Page> for Page {
    fn from(p: html::Page) -> Page {
        Page {
            mentions: p.mentions,
            next: p.next,
            items_seen: p.items_seen,
            aggregate: None,
        }
    }
}

impl Page {
    /// A single page of mentions, every item kept.
    pub fn of(mentions: Vec<RawMention>) -> Self {
        Self {
            items_seen: mentions.len(),
            mentions,
            next: None,
            aggregate: None,
        }
    }
}

/// Why a poll failed. The kind decides how it is reported and whether backoff applies.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("cannot parse {url}: {reason}")]
    Parse { url: String, reason: String },
    /// A login, consent or error page came back instead of content.
    #[error("{url} returned a page that is not the expected content ({reason})")]
    Blocked { url: String, reason: String },
    /// The platform's API answered, but with an error of its own (an expired token,
    /// a wrong id): `reason` is the API's message.
    #[error("{url}: the API refused the request: {reason}")]
    Api { url: String, reason: String },
    /// A credential read at poll time (e.g. an access token file a helper refreshes)
    /// is missing or unreadable. `key` is the config key; the value is never shown.
    #[error("{key}: {reason}")]
    Credential { key: String, reason: String },
}

impl SourceError {
    /// Retry-After asked for by the server, if any.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            SourceError::Fetch(e) => e.retry_after(),
            _ => None,
        }
    }

    /// Short kind label for logs and source health.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceError::Fetch(e) => e.kind(),
            SourceError::Parse { .. } => "parse",
            SourceError::Blocked { .. } => "blocked",
            SourceError::Api { .. } => "api",
            SourceError::Credential { .. } => "credential",
        }
    }
}

#[async_trait]
pub trait Source: Send + Sync {
    fn id(&self) -> &str;
    /// Platform label stored on mentions (e.g. "feed", "jsonld", "google_alerts").
    fn platform(&self) -> &str;
    /// Fetch and parse once. No store writes, no dedup.
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError>;
}

/// Build the runtime source for a validated config entry. Fails only when a secret
/// cannot be read (it was there when the config was validated).
pub fn build(id: &str, cfg: &SourceConfig) -> Result<Box<dyn Source>, String> {
    Ok(match cfg.kind {
        SourceKind::Feed => Box::new(feed::FeedSource::new(id, cfg)),
        SourceKind::Jsonld => Box::new(jsonld::JsonLdSource::new(id, cfg)),
        SourceKind::Html => Box::new(html::HtmlSource::new(id, cfg)),
        SourceKind::Json => Box::new(json::JsonSource::new(id, cfg)?),
        SourceKind::TrustedShops => Box::new(trusted_shops::TrustedShopsSource::new(id, cfg)?),
        SourceKind::Amazon => Box::new(amazon::AmazonSource::new(id, cfg)?),
        SourceKind::Ebay => Box::new(ebay::EbaySource::new(id, cfg)?),
        SourceKind::Etsy => Box::new(etsy::EtsySource::new(id, cfg)?),
        SourceKind::GoogleAlerts => Box::new(google_alerts::GoogleAlertsSource::new(id, cfg)),
        SourceKind::Talkwalker => Box::new(talkwalker::TalkwalkerSource::new(id, cfg)?),
        SourceKind::Reddit => Box::new(reddit::RedditSource::new(id, cfg)?),
        SourceKind::Mastodon => Box::new(mastodon::MastodonSource::new(id, cfg)?),
        SourceKind::Hackernews => Box::new(hackernews::HackernewsSource::new(id, cfg)?),
        SourceKind::Bluesky => Box::new(bluesky::BlueskySource::new(id, cfg)?),
        SourceKind::Youtube => Box::new(youtube::YoutubeSource::new(id, cfg)?),
        SourceKind::Facebook => Box::new(facebook::FacebookSource::new(id, cfg)?),
        SourceKind::Trustpilot => trustpilot::build(id, cfg)?,
        SourceKind::GoogleBusiness => google_business::build(id, cfg)?,
        SourceKind::GooglePlaces => google_places::build(id, cfg)?,
        SourceKind::Yelp => yelp::build(id, cfg)?,
        SourceKind::Kiyoh => kiyoh::build(id, cfg)?,
    })
}

/// The pagination driver: read up to `max_pages` pages, starting at `first`.
///
/// * Page 1 is fetched conditionally (with the validators of the last poll): a 304
///   is [`PollOutcome::NotModified`] and nothing else is fetched. Any failure on
///   page 1 (fetch, parse, a consent or login wall) fails the poll.
/// * Each later page is the previous one's [`Page::next`], fetched with a plain GET
///   (`request` builds every request, so headers and secrets go to each page); the
///   walk stops at `max_pages`, at a page without a next link, or at a URL already
///   read (a loop).
/// * **A failure on page 2 or later does not fail the poll**: the pages read so far
///   are kept, a warning is logged, and the validators are dropped so that the next
///   poll reads every page again instead of getting a 304 for page 1.
///
/// Mentions are merged in page order; `items_seen` is the sum over pages.
pub(crate) async fn poll_pages(
    cx: &PollContext<'_>,
    first: &Url,
    max_pages: u32,
    request: impl Fn(&Url) -> Request,
    parse: impl Fn(&Body) -> Result<Page, SourceError>,
) -> Result<PollOutcome, SourceError> {
    let req = request(first).conditional(cx.validators.clone());
    let body = match cx.fetcher.send(&req).await? {
        FetchOutcome::NotModified => return Ok(PollOutcome::NotModified),
        FetchOutcome::Body(body) => body,
    };
    let page = parse(&body)?;
    let mut validators = body.validators.clone();
    let mut seen: HashSet<Url> = [first, &body.final_url]
        .into_iter()
        .map(without_fragment)
        .collect();
    drop(body);
    let mut mentions = page.mentions;
    let mut items_seen = page.items_seen;
    let mut aggregate = page.aggregate;
    let mut next = page.next;
    let mut pages = 1;
    while let Some(url) = next.take() {
        if pages >= max_pages {
            tracing::debug!(pages, next = %url, "Stopping at max_pages.");
            break;
        }
        if !seen.insert(without_fragment(&url)) {
            tracing::debug!(pages, next = %url, "Next page was read already; stopping.");
            break;
        }
        pages += 1;
        let result = match cx.fetcher.send(&request(&url)).await {
            Ok(FetchOutcome::Body(body)) => {
                seen.insert(without_fragment(&body.final_url));
                parse(&body)
            }
            // No validators were sent, so the fetcher reports a 304 as an error.
            Ok(FetchOutcome::NotModified) => Err(SourceError::Parse {
                url: url.to_string(),
                reason: "unexpected 304 Not Modified".into(),
            }),
            Err(e) => Err(e.into()),
        };
        match result {
            Ok(page) => {
                mentions.extend(page.mentions);
                items_seen += page.items_seen;
                aggregate = aggregate.or(page.aggregate);
                next = page.next;
            }
            Err(e) => {
                tracing::warn!(page = pages, kind = e.kind(), error = %e, "A later page failed; keeping the pages read before it.");
                validators = Validators::default();
                break;
            }
        }
    }
    Ok(PollOutcome::Fetched {
        mentions,
        validators,
        items_seen,
        aggregate,
    })
}

fn without_fragment(url: &Url) -> Url {
    let mut u = url.clone();
    u.set_fragment(None);
    u
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HttpConfig;

    /// Pages `p1` … `pN` in a temp dir; each body names its next page (or nothing).
    fn pages(dir: &std::path::Path, chain: &[(&str, &str)]) -> Url {
        for (name, next) in chain {
            std::fs::write(dir.join(name), next).unwrap();
        }
        Url::from_file_path(dir.join(chain[0].0)).unwrap()
    }

    /// A page per file: one mention named after the file, next = the body (a file
    /// name), "FAIL" fails the page, "BLOCK" is a wall.
    fn parse(body: &Body) -> Result<Page, SourceError> {
        let text = String::from_utf8_lossy(&body.bytes).trim().to_string();
        let url = body.final_url.to_string();
        match text.as_str() {
            "FAIL" => Err(SourceError::Parse {
                url,
                reason: "bad page".into(),
            }),
            "BLOCK" => Err(SourceError::Blocked {
                url,
                reason: "consent wall".into(),
            }),
            next => Ok(Page {
                mentions: vec![RawMention {
                    text: body.final_url.path().rsplit('/').next().unwrap().into(),
                    ..RawMention::default()
                }],
                next: (!next.is_empty()).then(|| body.final_url.join(next).unwrap()),
                items_seen: 2,
                aggregate: None,
            }),
        }
    }

    async fn poll(
        first: &Url,
        max: u32,
        validators: Option<Validators>,
    ) -> Result<PollOutcome, SourceError> {
        let fetcher = Fetcher::new(&HttpConfig::default(), "test/0").unwrap();
        let cx = PollContext {
            fetcher: &fetcher,
            validators,
        };
        poll_pages(&cx, first, max, |u| Request::get(u.clone()), parse).await
    }

    fn texts(o: &PollOutcome) -> Vec<String> {
        match o {
            PollOutcome::Fetched { mentions, .. } => {
                mentions.iter().map(|m| m.text.clone()).collect()
            }
            PollOutcome::NotModified => vec![],
        }
    }

    #[tokio::test]
    async fn follows_next_pages_up_to_max_pages() {
        let dir = tempfile::tempdir().unwrap();
        let first = pages(dir.path(), &[("p1", "p2"), ("p2", "p3"), ("p3", "")]);
        let all = poll(&first, 50, None).await.unwrap();
        assert_eq!(texts(&all), ["p1", "p2", "p3"]);
        let PollOutcome::Fetched {
            items_seen,
            validators,
            ..
        } = &all
        else {
            panic!()
        };
        assert_eq!(*items_seen, 6, "the sum over pages");
        assert!(validators.last_modified.is_some(), "page 1's validators");
        assert_eq!(texts(&poll(&first, 2, None).await.unwrap()), ["p1", "p2"]);
        assert_eq!(texts(&poll(&first, 1, None).await.unwrap()), ["p1"]);
    }

    #[tokio::test]
    async fn a_loop_stops_at_the_repeated_url() {
        let dir = tempfile::tempdir().unwrap();
        let first = pages(dir.path(), &[("p1", "p2"), ("p2", "p1#again")]);
        assert_eq!(texts(&poll(&first, 50, None).await.unwrap()), ["p1", "p2"]);
    }

    #[tokio::test]
    async fn a_later_failure_keeps_earlier_pages_and_drops_validators() {
        let dir = tempfile::tempdir().unwrap();
        let first = pages(dir.path(), &[("p1", "p2"), ("p2", "p3"), ("p3", "FAIL")]);
        let o = poll(&first, 50, None).await.unwrap();
        assert_eq!(texts(&o), ["p1", "p2"]);
        let PollOutcome::Fetched { validators, .. } = o else {
            panic!()
        };
        assert_eq!(
            validators,
            Validators::default(),
            "the next poll reads every page"
        );
        // A missing page 2 (a fetch error) is no different.
        let first = pages(dir.path(), &[("q1", "gone")]);
        assert_eq!(texts(&poll(&first, 50, None).await.unwrap()), ["q1"]);
    }

    #[tokio::test]
    async fn page_one_failures_fail_the_poll_and_304_reads_nothing_more() {
        let dir = tempfile::tempdir().unwrap();
        let blocked = pages(dir.path(), &[("b1", "BLOCK")]);
        let err = poll(&blocked, 5, None).await.unwrap_err();
        assert_eq!(err.kind(), "blocked");
        let missing = Url::from_file_path(dir.path().join("nothing")).unwrap();
        assert!(poll(&missing, 5, None).await.is_err());

        let first = pages(dir.path(), &[("p1", "p2"), ("p2", "")]);
        let PollOutcome::Fetched { validators, .. } = poll(&first, 5, None).await.unwrap() else {
            panic!()
        };
        let again = poll(&first, 5, Some(validators)).await.unwrap();
        assert!(matches!(again, PollOutcome::NotModified), "{again:?}");
    }
}

/// The worked examples of the README's "Sources" section work as documented.
#[cfg(test)]
mod readme_examples {
    use super::*;
    use crate::config::{Config, SourceOptions};

    /// The fenced blocks of `lang` after `marker` in the README, in order.
    fn blocks(marker: &str, lang: &str) -> Vec<String> {
        let readme = include_str!("../../README.md");
        let rest = &readme[readme.find(marker).expect("marker in README")..];
        let fence = format!("```{lang}\n");
        rest.split(&fence)
            .skip(1)
            .map(|b| b.split("```").next().unwrap().to_string())
            .collect()
    }

    fn config(toml: &str) -> Config {
        Config::from_str_at(toml, std::path::Path::new("/etc/reviewradar/config.toml"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn html_example() {
        let html = &blocks("A review site we never heard of", "html")[0];
        let cfg = config(&blocks("A review site we never heard of", "toml")[0]);
        let s = &cfg.sources["shopkritik"];
        let SourceOptions::Html(o) = &s.options else {
            panic!()
        };
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-04T12:00:00Z")
            .unwrap()
            .to_utc();
        let page = html::extract(html, &s.url, &o.mapping, now).unwrap();
        let m = &page.mentions[0];
        assert_eq!(m.external_id.as_deref(), Some("88121"));
        assert_eq!(
            m.url.as_deref(),
            Some("https://shopkritik.example/kritik/88121")
        );
        assert_eq!(m.title.as_deref(), Some("Nie wieder"));
        assert_eq!(m.author.as_deref(), Some("Jana M."));
        assert_eq!((m.rating, m.rating_max), (Some(1.0), Some(5.0)));
        assert_eq!(m.text, "Paket kam nie an, Support antwortet nicht.");
        assert_eq!(m.lang.as_deref(), Some("de"));
        assert!(m.published_at.is_some());
        let reply = m.reply.as_ref().unwrap();
        assert_eq!(reply.text, "Das tut uns leid, bitte schreiben Sie uns.");
        assert!(reply.at.is_some(), "\"3. März 2026\" is read");
        assert_eq!(
            page.next.as_ref().map(Url::as_str),
            Some("https://shopkritik.example/shops/kettlewerk?seite=2")
        );
    }

    #[test]
    fn json_example() {
        let body = &blocks("A made-up review API", "json")[0];
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "x").unwrap();
        let toml = blocks("A made-up review API", "toml")[0].replace(
            "/etc/reviewradar/reviews-api-token",
            &token.display().to_string(),
        );
        let cfg = config(&toml);
        let s = &cfg.sources["reviews-api"];
        let SourceOptions::Json(o) = &s.options else {
            panic!()
        };
        let page = json::extract(body.as_bytes(), &s.url, &o.mapping).unwrap();
        let m = &page.mentions[0];
        assert_eq!(m.external_id.as_deref(), Some("r-5512"));
        assert_eq!(m.url.as_deref(), Some("https://reviews.example/r/r-5512"));
        assert_eq!(m.rating, Some(1.0));
        assert_eq!(m.author.as_deref(), Some("Sam K."));
        assert_eq!(
            m.reply.as_ref().unwrap().text,
            "Sorry! We sent a replacement."
        );
        assert_eq!(
            page.next.as_ref().map(Url::as_str),
            Some(
                "https://api.reviews.example/v1/shops/kettlewerk/reviews?limit=50&cursor=eyJwIjoyfQ"
            )
        );
    }
}
