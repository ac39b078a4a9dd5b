//! `type = "ebay"`: the feedback a seller received, from the eBay Trading API call
//! GetFeedback (`POST {api_base}/ws/api.dll`, XML in and out).
//!
//! The request carries the call name, site and compatibility level in headers and
//! the user's OAuth token in `X-EBAY-API-IAF-TOKEN` (a [`Secret`], sent as a
//! sensitive header, never logged). The token file is read again at every poll, so
//! a token that something else refreshes is picked up without a restart.
//!
//! The response is read with quick-xml, streaming, without any DTD: a `DOCTYPE` is
//! refused and only the five predefined entities and character references are
//! decoded, so an entity bomb cannot expand. `<Ack>Failure</Ack>` is
//! [`SourceError::Api`] naming eBay's `LongMessage`.
//!
//! Each `FeedbackDetail` is a mention: `FeedbackID` its id, `CommentingUser` the
//! author, `CommentText` the text, `CommentTime` the date, and `CommentType` the
//! rating: Positive 5, Neutral 3, Negative 1 of 5 (Withdrawn: no rating). With the
//! default threshold (2 of 5) Negative feedback is negative and Neutral is not; set
//! `negative_at_or_below = 3` to be told about neutral feedback too. The seller's
//! public answer is read from `FeedbackResponse` (the element name is the
//! best-known one; without it there is no reply; eBay gives it no date).
//!
//! Pages are asked for by `Pagination.PageNumber`, up to `max_pages` and the
//! response's `PaginationResult.TotalNumberOfPages`.

use std::num::NonZeroU32;
use std::path::PathBuf;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quick_xml::events::Event;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use url::Url;

use super::jsonld::fingerprint;
use super::{PollContext, PollOutcome, Source, SourceError, api_base};
use crate::config::{Secret, SecretKeys, SourceConfig, SourceOptions};
use crate::fetch::{FetchError, FetchOutcome, Request, Validators};
use crate::mention::{RawMention, Reply, cut, fold_whitespace};

/// The platform label and `type` name.
pub const NAME: &str = "ebay";
/// The Trading API host.
pub const DEFAULT_API_BASE: &str = "https://api.ebay.com";
/// `X-EBAY-API-COMPATIBILITY-LEVEL`: the schema version the parser was written for.
pub const COMPATIBILITY_LEVEL: &str = "1355";
/// The Trading API's XML namespace.
pub const NAMESPACE: &str = "urn:ebay:apis:eBLBaseComponents";
/// Feedback entries asked for per page (eBay's default).
pub const ENTRIES_PER_PAGE: u32 = 25;
/// eBay's site ids (`X-EBAY-API-SITEID`).
pub const SITE_IDS: &[u32] = &[
    0, 2, 3, 15, 16, 23, 71, 77, 100, 101, 123, 146, 186, 193, 201, 203, 205, 207, 210, 211, 212,
    216,
];
/// The keys of an `ebay` source beyond the common ones.
pub const KEYS: &[&str] = &[
    "token_file",
    "token_env",
    "user_id",
    "site_id",
    "api_base",
    "max_pages",
];

/// Entries read from one page at most.
const MAX_ENTRIES: usize = 1000;
/// Elements nested deeper than this are refused (GetFeedback nests five deep).
const MAX_DEPTH: usize = 32;
const MAX_TEXT_BYTES: usize = 64 * 1024;
const MAX_FIELD_BYTES: usize = 1024;

const fn two_pages() -> NonZeroU32 {
    NonZeroU32::new(2).expect("2 > 0")
}

/// `type = "ebay"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EbayOptions {
    /// The seller's OAuth user access token, from a file (first line; read at every
    /// poll) ...
    pub token_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub token_env: Option<String>,
    /// The seller whose feedback is read; default: the token's own user.
    pub user_id: Option<String>,
    /// `X-EBAY-API-SITEID`: 0 US, 3 UK, 77 Germany, 71 France, 101 Italy, 186 Spain,
    /// 146 Netherlands, ... (default 0).
    #[serde(default)]
    pub site_id: u32,
    /// The API host (default `https://api.ebay.com`; the sandbox is
    /// `https://api.sandbox.ebay.com`).
    pub api_base: Option<Url>,
    /// Pages of 25 entries read per poll (1 to 50, default 2), newest first.
    #[serde(default = "two_pages")]
    pub max_pages: NonZeroU32,
}

impl EbayOptions {
    /// `{api_base}/ws/api.dll`.
    pub fn default_url(&self) -> Result<Url, String> {
        let base = self
            .api_base
            .clone()
            .unwrap_or_else(|| Url::parse(DEFAULT_API_BASE).expect("a valid URL"));
        api_base::endpoint(&base, &["ws", "api.dll"])
    }

    pub fn resolve_paths(&mut self, base_dir: &std::path::Path) {
        self.token_file = crate::config::relative_to(base_dir, self.token_file.take());
    }

    pub fn secret_keys(&self) -> Vec<SecretKeys<'_>> {
        vec![SecretKeys {
            name: "token",
            file: self.token_file.as_deref(),
            env: self.token_env.as_deref(),
            required: true,
        }]
    }

    /// Problems with their keys (relative to the source table). No I/O.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut p = Vec::new();
        if let Some(user) = &self.user_id
            && (user.trim().is_empty()
                || user.len() > 64
                || user
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "<>&\"'".contains(c)))
        {
            p.push((
                "user_id".to_string(),
                format!("{user:?} is not an eBay user id"),
            ));
        }
        if !SITE_IDS.contains(&self.site_id) {
            p.push((
                "site_id".to_string(),
                format!(
                    "{} is not an eBay site id (0 US, 3 UK, 77 DE, 71 FR, 101 IT, 186 ES, 146 NL, ...)",
                    self.site_id
                ),
            ));
        }
        if let Some(base) = &self.api_base {
            p.extend(api_base::check("api_base", base));
        }
        p
    }
}

/// A `type = "ebay"` source.
pub struct EbaySource {
    id: String,
    url: Url,
    platform: String,
    max_pages: u32,
    options: EbayOptions,
}

impl EbaySource {
    /// The source of a validated config entry; checks that the token can be read.
    pub fn new(id: &str, cfg: &SourceConfig) -> Result<Self, String> {
        let SourceOptions::Ebay(o) = &cfg.options else {
            return Err("not an ebay source".to_string());
        };
        let source = Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform: cfg.platform.clone().unwrap_or_else(|| NAME.to_string()),
            max_pages: o.max_pages.get(),
            options: o.clone(),
        };
        source.token()?;
        Ok(source)
    }

    fn token(&self) -> Result<Secret, String> {
        Secret::load(
            self.options.token_file.as_deref(),
            self.options.token_env.as_deref(),
        )
        .map_err(|e| format!("token: {e}"))?
        .ok_or_else(|| "token: set token_file or token_env".to_string())
    }

    fn request(&self, page: u32, token: &Secret) -> Request {
        let header = |name: &'static str| HeaderName::from_static(name);
        Request::post(
            self.url.clone(),
            HeaderValue::from_static("text/xml; charset=utf-8"),
            request_body(self.options.user_id.as_deref(), page).into_bytes(),
        )
        .header(header("x-ebay-api-call-name"), "GetFeedback")
        .header(
            header("x-ebay-api-siteid"),
            self.options.site_id.to_string(),
        )
        .header(
            header("x-ebay-api-compatibility-level"),
            COMPATIBILITY_LEVEL,
        )
        .header(header("x-ebay-api-iaf-token"), "{token}")
        .secret("{token}", token.clone())
    }

    async fn page(
        &self,
        cx: &PollContext<'_>,
        number: u32,
        token: &Secret,
    ) -> Result<FeedbackPage, SourceError> {
        let body = match cx.fetcher.send(&self.request(number, token)).await? {
            FetchOutcome::Body(b) => b,
            FetchOutcome::NotModified => {
                return Err(SourceError::Parse {
                    url: self.url.to_string(),
                    reason: "unexpected 304 Not Modified".into(),
                });
            }
        };
        parse(&body.bytes).map_err(|e| e.into_source_error(&body.final_url))
    }
}

#[async_trait]
impl Source for EbaySource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    /// Page 1 fails the poll; a later page that fails keeps the pages before it (as
    /// `poll_pages` does for GET sources).
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        // The token file may have been replaced since the last poll.
        let token = self.token().map_err(|reason| FetchError::Other {
            url: self.url.to_string(),
            reason,
        })?;
        let first = self.page(cx, 1, &token).await?;
        let mut last = first.total_pages.unwrap_or(1).min(self.max_pages);
        let mut mentions = first.mentions;
        let mut items_seen = first.items_seen;
        let mut number = 1;
        while number < last && items_seen > 0 {
            number += 1;
            match self.page(cx, number, &token).await {
                Ok(page) if page.items_seen == 0 => break,
                Ok(page) => {
                    mentions.extend(page.mentions);
                    items_seen += page.items_seen;
                    last = last.min(page.total_pages.unwrap_or(last));
                }
                Err(e) => {
                    tracing::warn!(page = number, kind = e.kind(), error = %e, "A later page failed; keeping the pages read before it.");
                    break;
                }
            }
        }
        Ok(PollOutcome::Fetched {
            mentions,
            validators: Validators::default(),
            items_seen,
            aggregate: None,
        })
    }
}

/// The GetFeedback request for one page. `user_id` was validated (no markup
/// characters) and is escaped all the same.
pub fn request_body(user_id: Option<&str>, page: u32) -> String {
    let user = user_id
        .map(|u| {
            format!(
                "\n  <UserID>{}</UserID>",
                quick_xml::escape::escape(u.trim())
            )
        })
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<GetFeedbackRequest xmlns="{NAMESPACE}">{user}
  <FeedbackType>FeedbackReceivedAsSeller</FeedbackType>
  <DetailLevel>ReturnAll</DetailLevel>
  <Pagination>
    <EntriesPerPage>{ENTRIES_PER_PAGE}</EntriesPerPage>
    <PageNumber>{page}</PageNumber>
  </Pagination>
</GetFeedbackRequest>
"#
    )
}

/// What one GetFeedback response gave.
#[derive(Debug, Default, PartialEq)]
pub struct FeedbackPage {
    pub mentions: Vec<RawMention>,
    /// `FeedbackDetail` entries read, with or without content.
    pub items_seen: usize,
    /// `PaginationResult.TotalNumberOfPages`.
    pub total_pages: Option<u32>,
    /// `PageNumber`.
    pub page_number: Option<u32>,
    /// `Ack`: Success, Warning, PartialFailure.
    pub ack: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    /// Not well-formed, truncated, or not a GetFeedback response.
    #[error("{0}")]
    Xml(String),
    /// `<Ack>Failure</Ack>`.
    #[error("eBay answered Failure: {0}")]
    Failure(String),
}

impl ParseError {
    pub fn into_source_error(self, url: &Url) -> SourceError {
        match self {
            ParseError::Xml(reason) => SourceError::Parse {
                url: url.to_string(),
                reason,
            },
            failure @ ParseError::Failure(_) => SourceError::Api {
                url: url.to_string(),
                reason: failure.to_string(),
            },
        }
    }
}

/// One `FeedbackDetail` as read.
#[derive(Default)]
struct Detail {
    id: Option<String>,
    user: Option<String>,
    text: String,
    time: Option<String>,
    kind: Option<String>,
    response: Option<String>,
    item: Option<String>,
    transaction: Option<String>,
}

/// One `Errors` container.
#[derive(Default)]
struct ApiError {
    code: Option<String>,
    severity: Option<String>,
    short: Option<String>,
    long: Option<String>,
}

/// Read a GetFeedback response.
pub fn parse(xml: &[u8]) -> Result<FeedbackPage, ParseError> {
    let bad = |m: String| ParseError::Xml(m);
    let mut reader = quick_xml::Reader::from_reader(xml);
    reader.config_mut().check_end_names = true;
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut page = FeedbackPage::default();
    let mut detail: Option<Detail> = None;
    let mut error: Option<ApiError> = None;
    let mut errors: Vec<ApiError> = Vec::new();
    let mut root_seen = false;
    let mut too_many = false;
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| bad(format!("not well-formed XML (byte {at}): {e}")))?;
        match event {
            Event::DocType(_) => {
                return Err(bad(
                    "refusing a DOCTYPE (no DTDs or entity definitions are read)".into(),
                ));
            }
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if path.is_empty() {
                    if root_seen {
                        return Err(bad("more than one root element".into()));
                    }
                    root_seen = true;
                    if name != "GetFeedbackResponse" {
                        return Err(bad(format!(
                            "not a GetFeedback response (the root element is <{}>)",
                            cut(&name, 64)
                        )));
                    }
                    check_namespace(&e).map_err(bad)?;
                }
                if path.len() >= MAX_DEPTH {
                    return Err(bad(format!("elements nested deeper than {MAX_DEPTH}")));
                }
                match (path.last().map(String::as_str), name.as_str()) {
                    (Some("FeedbackDetailArray"), "FeedbackDetail") => {
                        page.items_seen += 1;
                        if page.items_seen > MAX_ENTRIES {
                            too_many = true;
                        } else {
                            detail = Some(Detail::default());
                        }
                    }
                    (Some("GetFeedbackResponse"), "Errors") => error = Some(ApiError::default()),
                    _ => {}
                }
                path.push(name);
                text.clear();
            }
            Event::Empty(e) => {
                if path.is_empty() {
                    return Err(bad("the response is an empty element".into()));
                }
                let _ = e;
            }
            Event::End(_) => {
                let Some(name) = path.pop() else {
                    return Err(bad("an end tag without a start".into()));
                };
                let value = fold_whitespace(&text);
                let parent = path.last().map(String::as_str);
                match (parent, name.as_str()) {
                    (Some("GetFeedbackResponse"), "Ack") => page.ack = Some(value),
                    (Some("GetFeedbackResponse"), "PageNumber") => {
                        page.page_number = value.parse().ok();
                    }
                    (Some("PaginationResult"), "TotalNumberOfPages") => {
                        page.total_pages = value.parse().ok();
                    }
                    (Some("GetFeedbackResponse"), "Errors") => {
                        errors.extend(error.take());
                    }
                    (Some("Errors"), field) => {
                        if let Some(e) = error.as_mut() {
                            let v = Some(capped(&value, MAX_FIELD_BYTES));
                            match field {
                                "ErrorCode" => e.code = v,
                                "SeverityCode" => e.severity = v,
                                "ShortMessage" => e.short = v,
                                "LongMessage" => e.long = v,
                                _ => {}
                            }
                        }
                    }
                    (Some("FeedbackDetailArray"), "FeedbackDetail") => {
                        if let Some(d) = detail.take()
                            && let Some(m) = mention(d)
                        {
                            page.mentions.push(m);
                        }
                    }
                    (Some("FeedbackDetail"), field) => {
                        if let Some(d) = detail.as_mut() {
                            let short =
                                || Some(capped(&value, MAX_FIELD_BYTES)).filter(|v| !v.is_empty());
                            match field {
                                "FeedbackID" => d.id = short(),
                                "CommentingUser" => d.user = short(),
                                "CommentText" => d.text = capped(&value, MAX_TEXT_BYTES),
                                "CommentTime" => d.time = short(),
                                "CommentType" => d.kind = short(),
                                "FeedbackResponse" => {
                                    d.response = Some(capped(&value, MAX_TEXT_BYTES))
                                        .filter(|v| !v.is_empty());
                                }
                                "ItemID" => d.item = short(),
                                "TransactionID" => d.transaction = short(),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Text(t) => {
                let s = t
                    .xml10_content()
                    .map_err(|e| bad(format!("text is not UTF-8: {e}")))?;
                push_text(&mut text, &s);
            }
            Event::CData(t) => {
                let s = t
                    .decode()
                    .map_err(|e| bad(format!("CDATA is not UTF-8: {e}")))?;
                push_text(&mut text, &s);
            }
            Event::GeneralRef(r) => {
                if let Some(c) = r
                    .resolve_char_ref()
                    .map_err(|e| bad(format!("bad character reference: {e}")))?
                {
                    push_text(&mut text, c.encode_utf8(&mut [0; 4]));
                } else {
                    let name = r
                        .decode()
                        .map_err(|e| bad(format!("entity name is not UTF-8: {e}")))?;
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => push_text(&mut text, s),
                        None => {
                            return Err(bad(format!("undefined entity &{};", cut(&name, 64))));
                        }
                    }
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !path.is_empty() {
        return Err(bad(format!(
            "the response ends inside <{}> (truncated)",
            path.last().map_or("", String::as_str)
        )));
    }
    if !root_seen {
        return Err(bad("no XML element at all".into()));
    }
    if too_many {
        tracing::warn!(
            entries = page.items_seen,
            kept = MAX_ENTRIES,
            "GetFeedback page has too many entries; reading the first ones only."
        );
        page.items_seen = MAX_ENTRIES;
    }
    match page.ack.as_deref() {
        Some("Success") => {}
        Some("Warning" | "PartialFailure") => {
            tracing::warn!(ack = page.ack.as_deref(), message = %describe(&errors), "eBay answered with a warning.");
        }
        Some("Failure") => return Err(ParseError::Failure(describe(&errors))),
        Some(other) => {
            return Err(bad(format!("unknown Ack {:?}", cut(other, 64))));
        }
        None => return Err(bad("the response has no Ack".into())),
    }
    Ok(page)
}

/// Text of an element, bounded: more than 8× the largest cap is not kept.
fn push_text(text: &mut String, s: &str) {
    if text.len() < 8 * MAX_TEXT_BYTES {
        text.push_str(cut(s, 8 * MAX_TEXT_BYTES - text.len()));
    }
}

fn capped(s: &str, max: usize) -> String {
    let s = cut(s, max);
    if s.chars().any(char::is_control) {
        s.chars().filter(|c| !c.is_control()).collect()
    } else {
        s.to_string()
    }
}

/// The root's default namespace, or the namespace of its prefix, must be eBay's when
/// it is declared.
fn check_namespace(root: &quick_xml::events::BytesStart<'_>) -> Result<(), String> {
    let prefix = root
        .name()
        .prefix()
        .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned());
    let wanted = match &prefix {
        Some(p) => format!("xmlns:{p}"),
        None => "xmlns".to_string(),
    };
    for attr in root.attributes().with_checks(false).flatten() {
        if attr.key.as_ref() == wanted.as_bytes() {
            let ns = String::from_utf8_lossy(&attr.value);
            if ns != NAMESPACE {
                return Err(format!(
                    "not an eBay Trading API response (namespace {:?})",
                    cut(&ns, 120)
                ));
            }
        }
    }
    Ok(())
}

/// eBay's messages, errors first: "LongMessage (error 21917053)".
fn describe(errors: &[ApiError]) -> String {
    let mut list: Vec<&ApiError> = errors.iter().collect();
    list.sort_by_key(|e| e.severity.as_deref() != Some("Error"));
    let parts: Vec<String> = list
        .iter()
        .map(|e| {
            let msg = e
                .long
                .as_deref()
                .or(e.short.as_deref())
                .unwrap_or("no message");
            match &e.code {
                Some(code) => format!("{msg} (error {code})"),
                None => msg.to_string(),
            }
        })
        .collect();
    if parts.is_empty() {
        "no error message given".to_string()
    } else {
        parts.join("; ")
    }
}

fn mention(d: Detail) -> Option<RawMention> {
    let rating = match d.kind.as_deref() {
        Some("Positive") => Some(5.0),
        Some("Neutral") => Some(3.0),
        Some("Negative") => Some(1.0),
        _ => None,
    };
    if d.text.is_empty() && rating.is_none() {
        return None;
    }
    let published_at = d
        .time
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    // The FeedbackID is eBay's key; without one, the order line and the buyer, else
    // a fingerprint of what the entry says.
    let external_id =
        d.id.clone()
            .or_else(|| {
                Some(format!(
                    "{}-{}-{}",
                    d.item.as_deref()?,
                    d.transaction.as_deref()?,
                    d.user.as_deref()?
                ))
            })
            .unwrap_or_else(|| {
                fingerprint(d.user.as_deref(), d.time.as_deref().unwrap_or(""), &d.text)
            });
    Some(RawMention {
        external_id: Some(external_id),
        url: None,
        author: d.user,
        title: None,
        text: d.text,
        rating,
        rating_min: rating.map(|_| 1.0),
        rating_max: rating.map(|_| 5.0),
        published_at,
        updated_at: None,
        lang: None,
        reply: d.response.map(|text| Reply { text, at: None }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, SourceKind};

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name),
        )
        .unwrap()
    }

    fn fixture_str(name: &str) -> String {
        String::from_utf8(fixture(name)).unwrap()
    }

    #[test]
    fn reads_the_getfeedback_fixture() {
        let page = parse(&fixture("synthetic/ebay-getfeedback.xml")).unwrap();
        assert_eq!(page.items_seen, 8);
        assert_eq!(page.total_pages, Some(62));
        assert_eq!(page.page_number, Some(1));
        assert_eq!(page.ack.as_deref(), Some("Success"));
        let m = &page.mentions;
        assert_eq!(m.len(), 8);
        let first = &m[0];
        assert_eq!(first.external_id.as_deref(), Some("1486076819996"));
        assert_eq!(first.author.as_deref(), Some("hans-peter_1962"));
        assert_eq!(
            first.text, "<script>alert(1)</script> Deckel defekt, keine Antwort!",
            "escaped markup decoded to literal text"
        );
        assert_eq!(
            (first.rating, first.rating_min, first.rating_max),
            (Some(1.0), Some(1.0), Some(5.0))
        );
        assert_eq!(
            first.published_at,
            Some(
                DateTime::parse_from_rfc3339("2026-03-03T19:12:40Z")
                    .unwrap()
                    .to_utc()
            )
        );
        assert_eq!(
            first.reply,
            Some(Reply {
                text:
                    "Ersatzdeckel ist am 04.03. verschickt, Nachricht mit Sendungsnr. kam per eBay."
                        .into(),
                at: None
            })
        );
        assert!(m[1..].iter().all(|m| m.reply.is_none()));
        let ratings: Vec<f64> = m.iter().filter_map(|m| m.rating).collect();
        assert_eq!(ratings, [1.0, 5.0, 3.0, 5.0, 1.0, 5.0, 5.0, 5.0]);
        assert_eq!(
            m[6].text,
            "Alles bestens – Ware wie beschrieben & super Kommunikation"
        );
        assert_eq!(m[3].text, "Prima verkoper, snelle levering naar NL 👍");
        assert!(m.iter().all(|m| m.title.is_none() && m.url.is_none()));
    }

    #[test]
    fn failures_name_ebays_message() {
        let failure = r#"<?xml version="1.0" encoding="UTF-8"?>
<GetFeedbackResponse xmlns="urn:ebay:apis:eBLBaseComponents">
  <Timestamp>2026-03-04T10:15:03.512Z</Timestamp>
  <Ack>Failure</Ack>
  <Errors>
    <ShortMessage>Expired IAF token.</ShortMessage>
    <LongMessage>IAF token supplied is expired. </LongMessage>
    <ErrorCode>21917053</ErrorCode>
    <SeverityCode>Error</SeverityCode>
    <ErrorClassification>RequestError</ErrorClassification>
  </Errors>
  <Version>1355</Version>
</GetFeedbackResponse>"#;
        let e = parse(failure.as_bytes()).unwrap_err();
        assert_eq!(
            e,
            ParseError::Failure("IAF token supplied is expired. (error 21917053)".into())
        );
        let se = e.into_source_error(&Url::parse("https://api.ebay.com/ws/api.dll").unwrap());
        assert_eq!(se.kind(), "api");
        assert_eq!(
            se.to_string(),
            "https://api.ebay.com/ws/api.dll: the API refused the request: eBay answered Failure: IAF token supplied is expired. (error 21917053)"
        );
        assert_eq!(
            parse(&fixture("presets/ebay-getfeedback-failure.xml")).unwrap_err(),
            ParseError::Failure("IAF token supplied is expired. (error 21917053)".into())
        );
        // A warning still gives the entries.
        let warning = fixture_str("synthetic/ebay-getfeedback.xml")
            .replace("<Ack>Success</Ack>", "<Ack>Warning</Ack><Errors><LongMessage>Soon deprecated.</LongMessage><SeverityCode>Warning</SeverityCode></Errors>");
        assert_eq!(parse(warning.as_bytes()).unwrap().mentions.len(), 8);
    }

    #[test]
    fn broken_responses_are_clear_errors() {
        let whole = fixture("synthetic/ebay-getfeedback.xml");
        let e = parse(&whole[..whole.len() / 2]).unwrap_err().to_string();
        assert!(e.contains("truncated") || e.contains("well-formed"), "{e}");
        let e = parse(b"<html><body>Service Unavailable</body></html>")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("not a GetFeedback response (the root element is <html>)"),
            "{e}"
        );
        let e = parse(b"").unwrap_err().to_string();
        assert_eq!(e, "no XML element at all");
        let e = parse(&fixture("synthetic/broken/billion-laughs.xml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("DOCTYPE"), "{e}");
        let e = parse(
            br#"<GetFeedbackResponse xmlns="urn:ebay:apis:eBLBaseComponents"><Ack>Success</Ack><X>&lol;</X></GetFeedbackResponse>"#,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "undefined entity &lol;");
        let e = parse(
            br#"<GetFeedbackResponse xmlns="urn:example:other"><Ack>Success</Ack></GetFeedbackResponse>"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("namespace"), "{e}");
        let e = parse(br#"<GetFeedbackResponse><Version>1</Version></GetFeedbackResponse>"#)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "the response has no Ack");
        let deep = format!(
            "<GetFeedbackResponse>{}{}</GetFeedbackResponse>",
            "<a>".repeat(100),
            "</a>".repeat(100)
        );
        assert!(
            parse(deep.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("deeper")
        );
        assert!(parse(&fixture("synthetic/broken/garbage.bin")).is_err());
    }

    #[test]
    fn entries_without_feedback_id_get_a_stable_key() {
        let xml = fixture_str("synthetic/ebay-getfeedback.xml")
            .replace("<FeedbackID>1486076819996</FeedbackID>", "");
        let a = parse(xml.as_bytes()).unwrap();
        let b = parse(xml.as_bytes()).unwrap();
        assert_eq!(
            a.mentions[0].external_id.as_deref(),
            Some("315204718836-2837977452791-hans-peter_1962")
        );
        assert_eq!(a.mentions[0].external_id, b.mentions[0].external_id);
        // Withdrawn feedback has no rating but keeps its text.
        let xml = fixture_str("synthetic/ebay-getfeedback.xml").replacen(
            "<CommentType>Negative</CommentType>",
            "<CommentType>Withdrawn</CommentType>",
            1,
        );
        let p = parse(xml.as_bytes()).unwrap();
        assert_eq!(p.mentions[0].rating, None);
        assert_eq!(p.mentions.len(), 8);
    }

    #[test]
    fn the_request_asks_for_one_page_of_seller_feedback() {
        let body = request_body(Some("kettlewerk_de"), 3);
        assert!(body.contains(r#"<GetFeedbackRequest xmlns="urn:ebay:apis:eBLBaseComponents">"#));
        assert!(body.contains("<UserID>kettlewerk_de</UserID>"));
        assert!(body.contains("<FeedbackType>FeedbackReceivedAsSeller</FeedbackType>"));
        assert!(body.contains("<DetailLevel>ReturnAll</DetailLevel>"));
        assert!(body.contains("<PageNumber>3</PageNumber>"));
        assert!(!request_body(None, 1).contains("UserID"));
        assert!(request_body(Some("a<b"), 1).contains("a&lt;b"));
    }

    fn load(text: &str) -> Result<Config, String> {
        Config::load_for_test(text)
    }

    const GOOD: &str = "[sources.bay]\ntype = \"ebay\"\ntoken_env = \"REVIEWRADAR_TEST_EBAY_TOKEN\"\nsite_id = 77\n";

    fn set_token() {
        // SAFETY: no test reads this variable concurrently with a write of another value.
        unsafe { std::env::set_var("REVIEWRADAR_TEST_EBAY_TOKEN", "v^1.1#i^1#token") };
    }

    #[test]
    fn config_defaults_and_overrides() {
        set_token();
        let c = load(GOOD).unwrap();
        let s = &c.sources["bay"];
        assert_eq!(s.kind, SourceKind::Ebay);
        assert_eq!(s.url.as_str(), "https://api.ebay.com/ws/api.dll");
        assert_eq!(s.interval, std::time::Duration::from_secs(3600));
        assert_eq!(s.negative_at_or_below, None, "Negative only, by default");
        assert_eq!(s.options.max_pages(), 2);
        let source = EbaySource::new("bay", s).unwrap();
        assert_eq!(source.platform(), "ebay");
        let c = load(&format!(
            "{GOOD}user_id = \"kettlewerk_de\"\napi_base = \"https://api.sandbox.ebay.com\"\nmax_pages = 5\n"
        ))
        .unwrap();
        assert_eq!(
            c.sources["bay"].url.as_str(),
            "https://api.sandbox.ebay.com/ws/api.dll"
        );
    }

    #[test]
    fn config_problems_name_their_keys() {
        set_token();
        let p =
            load(&GOOD.replace("token_env = \"REVIEWRADAR_TEST_EBAY_TOKEN\"\n", "")).unwrap_err();
        assert_eq!(
            p,
            "1: sources.bay.token_file: missing: set token_file or token_env"
        );
        let p = load(&GOOD.replace(
            "REVIEWRADAR_TEST_EBAY_TOKEN",
            "REVIEWRADAR_TEST_UNSET_EBAY_4711",
        ))
        .unwrap_err();
        assert!(
            p.contains("3: sources.bay.token_env: environment variable REVIEWRADAR_TEST_UNSET_EBAY_4711 is not set"),
            "{p}"
        );
        let p = load(&GOOD.replace("77", "78")).unwrap_err();
        assert!(
            p.starts_with("4: sources.bay.site_id: 78 is not an eBay site id"),
            "{p}"
        );
        let p = load(&format!("{GOOD}user_id = \"a b\"\n")).unwrap_err();
        assert!(p.starts_with("5: sources.bay.user_id:"), "{p}");
        let p = load(&format!("{GOOD}token = \"inline\"\n")).unwrap_err();
        assert!(p.starts_with("5: sources.bay.token: unknown key"), "{p}");
    }
}
