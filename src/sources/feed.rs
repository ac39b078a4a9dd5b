//! RSS / Atom / JSON Feed source.
//!
//! [`parse_feed`] is pure: bytes in, raw mentions out. It refuses HTML pages (consent
//! walls, error pages served 200) with [`SourceError::Blocked`], reports anything else
//! that is not a feed as [`SourceError::Parse`], and bounds its output: at most
//! [`MAX_ENTRIES`] entries and [`MAX_FIELD_BYTES`] per text field. XML entities
//! declared in a DTD are never expanded (feed-rs keeps them literal), so an
//! entity-expansion bomb costs nothing.

pub(crate) mod wall;

use async_trait::async_trait;
use feed_rs::model::{Entry, Text};

use super::{Page, PollContext, PollOutcome, Source, SourceError};
use crate::config::SourceConfig;
use crate::fetch::Request;
use crate::mention::{RawMention, cut, fold_whitespace, html_to_text};

/// Entries read from one document; the rest are ignored (and logged).
pub const MAX_ENTRIES: usize = 5_000;
/// Cap on each text field, in bytes (cut on a char boundary).
pub const MAX_FIELD_BYTES: usize = 32 * 1024;
/// Markup read per field before conversion; bounds the work on huge entries.
const MAX_MARKUP_BYTES: usize = 8 * MAX_FIELD_BYTES;

pub struct FeedSource {
    id: String,
    url: url::Url,
    platform: String,
}

impl FeedSource {
    pub fn new(id: &str, cfg: &SourceConfig) -> Self {
        let platform = cfg
            .platform
            .clone()
            .unwrap_or_else(|| default_platform(&cfg.url).to_string());
        Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform,
        }
    }
}

/// "google_alerts" for feeds on a google.* host under `/alerts`, else "feed".
fn default_platform(url: &url::Url) -> &'static str {
    // google.com, google.de, google.co.uk, google.com.au (with or without www.)
    let google = url.host_str().is_some_and(|h| {
        let h = h.strip_prefix("www.").unwrap_or(h);
        h.strip_prefix("google.").is_some_and(|tld| {
            let labels: Vec<&str> = tld.split('.').collect();
            labels.len() <= 2 && labels.iter().all(|l| (2..=3).contains(&l.len()))
        })
    });
    if google && url.path().starts_with("/alerts") {
        "google_alerts"
    } else {
        "feed"
    }
}

#[async_trait]
impl Source for FeedSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        // A feed is one document: no pagination.
        super::poll_pages(
            cx,
            &self.url,
            1,
            |u| Request::get(u.clone()),
            |body| {
                // The XML prolog (or JSON) decides the encoding; feed-rs needs raw bytes.
                parse_feed(&body.bytes, &body.final_url).map(Page::of)
            },
        )
        .await
    }
}

/// Parse an RSS 0.9x/1.0/2.0, Atom or JSON Feed document into raw mentions.
///
/// `base` is the document's URL (after redirects): relative links resolve against it
/// and errors name it.
/// True when the prolog (before the first element) contains an `<!ENTITY`
/// declaration inside a DOCTYPE.
fn declares_entities(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let Some(doctype) = find(head, b"<!DOCTYPE") else {
        return false;
    };
    find(&head[doctype..], b"<!ENTITY").is_some()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub fn parse_feed(bytes: &[u8], base: &url::Url) -> Result<Vec<RawMention>, SourceError> {
    if wall::looks_like_html(bytes) {
        let html = String::from_utf8_lossy(bytes);
        return Err(SourceError::Blocked {
            url: base.to_string(),
            reason: wall::html_instead_of_feed(&html),
        });
    }
    if declares_entities(bytes) {
        // Entity-expansion bombs ("billion laughs") and external entities live here;
        // no real feed needs them, so the document is refused outright.
        return Err(SourceError::Parse {
            url: base.to_string(),
            reason: "the document declares XML entities (<!ENTITY); refused".into(),
        });
    }
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        // Empty means "the feed has no id for this entry": we fall back to the link
        // ourselves instead of storing an invented hash.
        .id_generator(|_, _, _| String::new())
        .build();
    let feed = parser.parse(bytes).map_err(|e| SourceError::Parse {
        url: base.to_string(),
        reason: parse_error_reason(&e, bytes),
    })?;
    if feed.entries.len() > MAX_ENTRIES {
        tracing::warn!(
            url = %base,
            entries = feed.entries.len(),
            kept = MAX_ENTRIES,
            "Feed has too many entries; reading the first ones only."
        );
    }
    Ok(feed
        .entries
        .iter()
        .take(MAX_ENTRIES)
        .map(entry_to_mention)
        .collect())
}

fn parse_error_reason(e: &feed_rs::parser::ParseFeedError, bytes: &[u8]) -> String {
    let nonblank = bytes.iter().any(|b| !b.is_ascii_whitespace());
    if !nonblank {
        return "empty document".to_string();
    }
    let reason = e.to_string();
    if std::str::from_utf8(&bytes[..bytes.len().min(512)]).is_err() && !bytes.starts_with(b"<?xml")
    {
        return format!("not a feed (binary or non-UTF-8 data): {reason}");
    }
    cap(&reason, 300)
}

fn entry_to_mention(entry: &Entry) -> RawMention {
    let link = entry
        .links
        .iter()
        .find(|l| {
            l.rel
                .as_deref()
                .is_none_or(|r| r.eq_ignore_ascii_case("alternate"))
        })
        .or_else(|| entry.links.first())
        .map(|l| cap(l.href.trim(), MAX_FIELD_BYTES))
        .filter(|h| !h.is_empty());
    let id = entry.id.trim();
    let external_id = if id.is_empty() {
        link.clone()
    } else {
        Some(cap(id, MAX_FIELD_BYTES))
    };

    let title = entry.title.as_ref().map(text_of).filter(|t| !t.is_empty());
    let body = entry
        .content
        .as_ref()
        .and_then(|c| {
            let body = c.body.as_deref()?;
            Some(markup_to_text(body, is_html_type(c.content_type.as_ref())))
        })
        .filter(|t| !t.is_empty())
        .or_else(|| {
            entry
                .summary
                .as_ref()
                .map(text_of)
                .filter(|t| !t.is_empty())
        })
        .or_else(|| {
            entry
                .media
                .iter()
                .filter_map(|m| m.description.as_ref())
                .map(text_of)
                .find(|t| !t.is_empty())
        })
        .unwrap_or_default();
    let author = entry
        .authors
        .iter()
        .map(|p| cap(&fold_whitespace(&p.name), 1024))
        // feed-rs names an author "unknown" when the element is empty.
        .find(|n| !n.is_empty() && n != "unknown");

    RawMention {
        external_id,
        url: link,
        author,
        title,
        text: body,
        rating: None,
        rating_min: None,
        rating_max: None,
        // Atom's `updated` is mandatory, `published` is not: fall back to it.
        published_at: entry.published.or(entry.updated),
        updated_at: entry.updated,
        lang: entry
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| cap(l, 35)),
        reply: None,
    }
}

fn is_html_type(mime: &str) -> bool {
    mime.contains("html")
}

fn text_of(t: &Text) -> String {
    markup_to_text(&t.content, is_html_type(t.content_type.as_ref()))
}

/// Plain text from a field, HTML-decoded when its type says HTML, capped.
fn markup_to_text(s: &str, html: bool) -> String {
    let s = cut(s, MAX_MARKUP_BYTES);
    let text = if html {
        html_to_text(s)
    } else {
        fold_whitespace(s)
    };
    cap(&text, MAX_FIELD_BYTES)
}

fn cap(s: &str, max: usize) -> String {
    cut(s, max).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mention::canonical_url;

    fn fixture(path: &str) -> Vec<u8> {
        let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
    }

    fn base() -> url::Url {
        url::Url::parse("https://feeds.example/feed.xml").unwrap()
    }

    fn parse(path: &str) -> Result<Vec<RawMention>, SourceError> {
        parse_feed(&fixture(path), &base())
    }

    #[test]
    fn google_alerts_atom() {
        let m = parse("real/google-alerts.atom").unwrap();
        assert_eq!(m.len(), 20);
        let first = &m[0];
        assert_eq!(
            first.external_id.as_deref(),
            Some("tag:google.com,2013:googlealerts/feed:8974135267215335962")
        );
        assert_eq!(
            first.title.as_deref(),
            Some(
                "Report offers Prediction of Automotive Slack Market by Top key players like Haldex, Meritor, Bendix ..."
            )
        );
        assert!(
            first.text.starts_with("Automotive Slack Market reports"),
            "{}",
            first.text
        );
        assert!(first.text.ends_with("senior ..."), "{}", first.text);
        assert_eq!(first.author, None, "empty author names are dropped");
        assert_eq!(
            first.published_at.unwrap().to_rfc3339(),
            "2019-07-10T11:53:37+00:00"
        );
        assert!(m[1].text.contains("Company's decision"), "{}", m[1].text);
        for mention in &m {
            let title = mention.title.as_deref().unwrap();
            assert!(!title.contains('<') && !title.contains("&lt;"), "{title}");
            assert!(!mention.text.contains("&nbsp;") && !mention.text.contains("<b>"));
            // The raw link is the Google wrapper; canonical_url unwraps it.
            let raw = mention.url.as_deref().unwrap();
            assert!(raw.starts_with("https://www.google.com/url?"), "{raw}");
            let canon = canonical_url(raw, None).unwrap();
            assert!(!canon.contains("google.com"), "{canon}");
        }
        assert_eq!(
            canonical_url(m[1].url.as_deref().unwrap(), None).as_deref(),
            Some("https://investorplace.com/2019/07/slack-stock-truly-compelling/")
        );
    }

    #[test]
    fn talkwalker_rss() {
        let m = parse("synthetic/talkwalker-alerts.rss").unwrap();
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
        assert!(
            m[0].text.contains("Händler Kettlewerk. Das"),
            "{}",
            m[0].text
        );
        assert!(m[0].text.contains("Februar & kündigt"), "{}", m[0].text);
        // CDATA description with <p> and <b>.
        assert!(
            m[1].text
                .starts_with("Na drie maanden dagelijks gebruik: de Kettlewerk Gooseneck")
        );
        assert!(!m[1].text.contains('<'));
        assert_eq!(
            m[2].title.as_deref(),
            Some("Kettlewerk kettle leaking from the base – anyone else?")
        );
        assert_eq!(
            m[0].published_at.unwrap().to_rfc3339(),
            "2026-03-04T06:35:00+00:00"
        );
    }

    #[test]
    fn mastodon_rss_items_without_title() {
        let m = parse("synthetic/mastodon-tag.rss").unwrap();
        assert_eq!(m.len(), 6);
        assert!(m.iter().all(|m| m.title.is_none()));
        assert_eq!(
            m[0].external_id.as_deref(),
            Some("https://mastodon.example/@frieda/116169774071834032")
        );
        assert_eq!(m[0].url, m[0].external_id);
        assert!(
            m[0].text.starts_with("Mein #Kettlewerk Wasserkocher leckt"),
            "{}",
            m[0].text
        );
        assert!(m[0].text.contains('😤'));
        // The hostile post is kept as literal text, not markup.
        assert!(m.iter().any(|m| m.text.contains("<script>")), "{:#?}", m);
    }

    #[test]
    fn youtube_atom_uses_media_description() {
        let m = parse("synthetic/youtube-channel.atom").unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].external_id.as_deref(), Some("yt:video:KL8ozFiA2as"));
        assert_eq!(
            m[0].url.as_deref(),
            Some("https://www.youtube.com/watch?v=KL8ozFiA2as")
        );
        assert_eq!(
            m[0].title.as_deref(),
            Some("Kettlewerk Q&A: Lieferzeiten, Rücksendungen & eure Kritik")
        );
        assert!(m[0].text.starts_with("Ihr habt gefragt"), "{}", m[0].text);
        assert_eq!(m[0].author.as_deref(), Some("Kettlewerk"));
        assert_eq!(
            m[0].published_at.unwrap().to_rfc3339(),
            "2026-03-02T16:00:07+00:00"
        );
        assert_eq!(
            m[0].updated_at.unwrap().to_rfc3339(),
            "2026-03-04T06:12:33+00:00"
        );
        assert!(
            m.iter().any(|m| m.text.is_empty()),
            "one video has no description"
        );
    }

    #[test]
    fn json_feed() {
        let doc = br#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[
            {"id":"1","url":"https://a.example/1","content_html":"<p>Hello &amp; <b>bye</b></p>",
             "title":"One","date_published":"2026-03-01T10:00:00+01:00","authors":[{"name":"Ann"}]},
            {"id":"2","content_text":"plain <b> stays"}]}"#;
        let m = parse_feed(doc, &base()).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].text, "Hello & bye");
        assert_eq!(m[0].author.as_deref(), Some("Ann"));
        assert_eq!(
            m[0].published_at.unwrap().to_rfc3339(),
            "2026-03-01T09:00:00+00:00"
        );
        assert_eq!(m[1].text, "plain <b> stays");
    }

    #[test]
    fn rss_item_without_guid_uses_link_and_resolves_relative() {
        let doc = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
            <item><title>a</title><link>/posts/1</link></item>
            <item><title>no link, no guid</title><description>x</description></item>
            </channel></rss>"#;
        let m = parse_feed(doc, &base()).unwrap();
        assert_eq!(m[0].url.as_deref(), Some("https://feeds.example/posts/1"));
        assert_eq!(m[0].external_id, m[0].url);
        assert_eq!(m[1].external_id, None);
        assert_eq!(m[1].url, None);
    }

    #[test]
    fn rss_1_and_0_91() {
        let rdf = br#"<?xml version="1.0"?>
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
            <channel rdf:about="https://a.example/"><title>t</title><link>https://a.example/</link><description>d</description></channel>
            <item rdf:about="https://a.example/1"><title>One</title><link>https://a.example/1</link><description>Body</description></item>
            </rdf:RDF>"#;
        let m = parse_feed(rdf, &base()).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].text, "Body");
        let rss091 = br#"<rss version="0.91"><channel><title>t</title><link>https://a.example/</link><description>d</description>
            <item><title>One</title><link>https://a.example/1</link><description>Body</description></item></channel></rss>"#;
        assert_eq!(parse_feed(rss091, &base()).unwrap().len(), 1);
    }

    #[test]
    fn iso_8859_1_is_decoded_as_latin1() {
        let m = parse("synthetic/broken/iso-8859-1-feed.xml").unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(
            m[0].title.as_deref(),
            Some("Wasserkocher im Test: Kettlewerk Aurora fällt beim Kundenservice durch")
        );
        assert!(
            m[0].text
                .contains("Preis: 79,90 € – für ein Gerät mit Gewährleistungsärger")
        );
        assert!(
            m[1].text
                .contains("Jördis aus Würzburg schreibt: „Fünf Wochen"),
            "{}",
            m[1].text
        );
        assert!(!m.iter().any(|m| m.text.contains('\u{fffd}')));
    }

    #[test]
    fn billion_laughs_is_not_expanded() {
        let start = std::time::Instant::now();
        let err = parse("synthetic/broken/billion-laughs.xml").unwrap_err();
        assert!(start.elapsed().as_secs() < 5);
        assert_eq!(err.kind(), "parse");
        assert!(err.to_string().contains("<!ENTITY"), "{err}");
    }

    #[test]
    fn empty_feed_is_ok_and_empty() {
        assert_eq!(parse("synthetic/broken/empty-feed.xml").unwrap(), vec![]);
    }

    #[test]
    fn consent_wall_is_blocked() {
        let err = parse("synthetic/broken/consent-wall.html").unwrap_err();
        match &err {
            SourceError::Blocked { reason, url } => {
                assert!(reason.contains("consent"), "{reason}");
                assert_eq!(url, "https://feeds.example/feed.xml");
            }
            other => panic!("expected Blocked, got {other:?}"),
        }
    }

    #[test]
    fn html_error_page_is_blocked_with_its_title() {
        let err = parse("synthetic/broken/not-a-feed.html").unwrap_err();
        let SourceError::Blocked { reason, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(reason.contains("HTML page instead of a feed"), "{reason}");
        assert!(reason.contains("Seite nicht gefunden"), "{reason}");
        assert!(
            reason.contains("https://kettlewerk.example/blog/feed/"),
            "{reason}"
        );
    }

    #[test]
    fn garbage_is_a_parse_error() {
        let err = parse("synthetic/broken/garbage.bin").unwrap_err();
        assert_eq!(err.kind(), "parse", "{err}");
        assert!(
            err.to_string().contains("https://feeds.example/feed.xml"),
            "{err}"
        );
    }

    #[test]
    fn every_broken_fixture_is_handled_without_panic() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/synthetic/broken"
        );
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let _ = parse_feed(&bytes, &base());
            seen += 1;
        }
        assert!(seen >= 8, "found only {seen} fixtures");
    }

    #[test]
    fn edge_inputs_are_errors_not_panics() {
        for doc in [
            &b""[..],
            b"   ",
            b"{",
            b"{}",
            b"<",
            b"<rss",
            b"<rss version=\"2.0\"><channel><item><title>x",
            b"\xEF\xBB\xBF<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"></feed>",
            b"<?xml version=\"1.0\" encoding=\"x-unknown\"?><rss version=\"2.0\"/>",
        ] {
            let _ = parse_feed(doc, &base());
        }
        assert_eq!(parse_feed(b"", &base()).unwrap_err().kind(), "parse");
    }

    #[test]
    fn entries_and_fields_are_capped() {
        let mut doc = String::from(r#"<rss version="2.0"><channel><title>t</title>"#);
        for i in 0..(MAX_ENTRIES + 10) {
            doc.push_str(&format!(
                "<item><guid>{i}</guid><description>x</description></item>"
            ));
        }
        doc.push_str("</channel></rss>");
        assert_eq!(
            parse_feed(doc.as_bytes(), &base()).unwrap().len(),
            MAX_ENTRIES
        );

        let long = "ä".repeat(MAX_FIELD_BYTES); // 2 bytes each
        let doc = format!(
            r#"<rss version="2.0"><channel><title>t</title><item><title>{long}</title><description>{long}</description></item></channel></rss>"#
        );
        let m = parse_feed(doc.as_bytes(), &base()).unwrap();
        assert!(m[0].text.len() <= MAX_FIELD_BYTES && m[0].text.len() > MAX_FIELD_BYTES - 4);
        assert!(m[0].title.as_ref().unwrap().len() <= MAX_FIELD_BYTES);
    }

    #[test]
    fn platform_defaults() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(
            default_platform(&u("https://www.google.com/alerts/feeds/0417/4428")),
            "google_alerts"
        );
        assert_eq!(
            default_platform(&u("https://google.de/alerts/feeds/1/2")),
            "google_alerts"
        );
        assert_eq!(
            default_platform(&u("https://www.google.com/search?q=x")),
            "feed"
        );
        assert_eq!(
            default_platform(&u("https://alerts.talkwalker.com/alerts/rss/X")),
            "feed"
        );
        assert_eq!(
            default_platform(&u("https://google.evil.example/alerts")),
            "feed"
        );
    }
}

#[cfg(test)]
mod bench {
    /// `cargo test --release --lib sources::feed::bench -- --ignored --nocapture`
    #[test]
    #[ignore = "benchmark; run in release"]
    fn fifty_thousand_google_alerts_entries() {
        let real = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/real/google-alerts.atom"
        ))
        .unwrap();
        let start = real.find("<entry>").unwrap();
        let end = real.rfind("</entry>").unwrap() + "</entry>".len();
        let entries = &real[start..end]; // 20 entries
        let mut doc = real[..start].to_string();
        for _ in 0..super::MAX_ENTRIES / 20 {
            doc.push_str(entries);
        }
        doc.push_str("</feed>");
        let base = url::Url::parse("https://www.google.com/alerts/feeds/1/2").unwrap();
        let t = std::time::Instant::now();
        let mut n = 0;
        for _ in 0..10 {
            n += super::parse_feed(doc.as_bytes(), &base).unwrap().len();
        }
        let took = t.elapsed();
        eprintln!("parse_feed: {n} entries in {took:?}");
        let t = std::time::Instant::now();
        for _ in 0..10 {
            let f = feed_rs::parser::parse(doc.as_bytes()).unwrap();
            assert_eq!(f.entries.len(), 5000);
        }
        eprintln!("feed-rs alone: {:?}", t.elapsed());
        assert_eq!(n, 50_000);
    }
}
