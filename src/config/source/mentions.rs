//! Options of the mention-search presets (`google_alerts`, `talkwalker`, `reddit`,
//! `mastodon`, `hackernews`, `bluesky`, `youtube`) and of `facebook`.
//!
//! Mentions from these platforms carry no rating: the classifier decides from the
//! text. Each preset builds its endpoint from its ids ([`SourceOptions::default_url`]);
//! the common `url` key, when given, wins, and `api_base` moves the built endpoint to
//! a proxy or a local test server. Credentials come from `<name>_file` / `<name>_env`
//! pairs and are checked (readable, not both) by `validate`.
//!
//! Reading is in three steps, like every source type: `parse` deserializes the
//! type's own keys (`deny_unknown_fields`), resolves relative secret paths and
//! reports a missing id under its own key (an id is needed only when the table has
//! no `url`); `validate` checks values; [`warnings`] gives non-fatal advice
//! (YouTube quota arithmetic, a secret sent over plain http).

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use toml::de::DeValue;
use url::Url;

use super::super::{Problem, Spans, secret, section};
use super::{COMMON_KEYS, SourceConfig, SourceKind, SourceOptions, one_page, sub_table};

/// Google Alerts' host (feeds live under `/alerts/feeds/`).
pub const GOOGLE_ALERTS_HOST: &str = "www.google.com";
pub const TALKWALKER_API: &str = "https://alerts.talkwalker.com";
/// Placeholder of the Talkwalker feed token in the built URL.
pub const FEED_TOKEN: &str = "{feed_token}";
/// Reddit without OAuth (`/search.json`).
pub const REDDIT_WWW: &str = "https://www.reddit.com";
/// Reddit with an OAuth app-only token (`/search`).
pub const REDDIT_OAUTH: &str = "https://oauth.reddit.com";
pub const REDDIT_TOKEN_URL: &str = "https://www.reddit.com/api/v1/access_token";
pub const HACKERNEWS_API: &str = "https://hn.algolia.com";
pub const HACKERNEWS_TAGS: &str = "(story,comment)";
pub const BLUESKY_SERVICE: &str = "https://bsky.social";
pub const YOUTUBE_API: &str = "https://www.googleapis.com";
pub const YOUTUBE_FEEDS: &str = "https://www.youtube.com";
/// Placeholder of the YouTube Data API key in built URLs.
pub const API_KEY: &str = "{api_key}";
/// Uploads listed by a YouTube channel feed (its fixed length).
pub const YOUTUBE_FEED_ENTRIES: u32 = 15;
/// Most videos one youtube source reads comments of (`video_ids` + `recent_uploads`).
pub const YOUTUBE_MAX_VIDEOS: usize = 50;
/// The YouTube Data API's default daily quota, in units (commentThreads.list = 1).
pub const YOUTUBE_DAILY_QUOTA: u64 = 10_000;
pub const FACEBOOK_API: &str = "https://graph.facebook.com";
pub const FACEBOOK_VERSION: &str = "v22.0";
/// Placeholder of the Facebook page access token in built URLs.
pub const PAGE_TOKEN: &str = "{page_access_token}";
/// Mastodon statuses per page (the API's maximum).
pub const MASTODON_LIMIT: u32 = 40;
/// Reddit posts per page (the API's maximum).
pub const REDDIT_LIMIT: u32 = 100;
/// Hacker News hits per page.
pub const HACKERNEWS_LIMIT: u32 = 50;
/// Bluesky posts per page.
pub const BLUESKY_LIMIT: u32 = 25;
/// YouTube comment threads per page (the API's maximum).
pub const YOUTUBE_LIMIT: u32 = 100;
/// Facebook posts per page.
pub const FACEBOOK_LIMIT: u32 = 25;

/// What goes into a URL path segment: everything but unreserved characters encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The keys of each preset beyond the common ones (for [`SourceKind::keys`]).
pub(super) fn keys(kind: SourceKind) -> Vec<&'static str> {
    match kind {
        SourceKind::GoogleAlerts => vec!["feed_url"],
        SourceKind::Talkwalker => vec!["api_base", "feed_token_file", "feed_token_env"],
        SourceKind::Reddit => vec![
            "query",
            "subreddit",
            "api_base",
            "token_url",
            "client_id",
            "client_secret_file",
            "client_secret_env",
            "user_agent",
            "reddit_username",
            "max_pages",
        ],
        SourceKind::Mastodon => vec![
            "instance",
            "tag",
            "api_base",
            "access_token_file",
            "access_token_env",
            "max_pages",
        ],
        SourceKind::Hackernews => vec!["query", "tags", "api_base", "max_pages"],
        SourceKind::Bluesky => vec![
            "query",
            "identifier",
            "app_password_file",
            "app_password_env",
            "api_base",
            "max_pages",
        ],
        SourceKind::Youtube => vec![
            "channel_id",
            "recent_uploads",
            "video_ids",
            "api_key_file",
            "api_key_env",
            "api_base",
            "max_pages",
        ],
        SourceKind::Facebook => vec![
            "page_id",
            "page_access_token_file",
            "page_access_token_env",
            "api_base",
            "api_version",
            "max_pages",
        ],
        _ => vec![],
    }
}

/// `type = "google_alerts"`: a Google Alerts feed ("Deliver to: RSS feed").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoogleAlertsOptions {
    /// The alert's feed URL, `https://www.google.com/alerts/feeds/<user>/<alert>`
    /// (the same as `url`; set one of them).
    pub feed_url: Option<Url>,
}

/// `type = "talkwalker"`: a Talkwalker Alerts RSS feed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TalkwalkerOptions {
    /// Default `https://alerts.talkwalker.com`.
    pub api_base: Option<Url>,
    /// The feed token (the last path segment of the feed URL), from a file ...
    pub feed_token_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub feed_token_env: Option<String>,
}

/// `type = "reddit"`: Reddit search, newest first.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedditOptions {
    /// Search terms (Reddit's search syntax).
    pub query: Option<String>,
    /// Search only this subreddit (without `r/`).
    pub subreddit: Option<String>,
    /// Default `https://www.reddit.com`, or `https://oauth.reddit.com` with OAuth.
    pub api_base: Option<Url>,
    /// OAuth token endpoint (default `https://www.reddit.com/api/v1/access_token`).
    pub token_url: Option<Url>,
    /// OAuth client id of a "script" or "web" app: the search then runs with an
    /// app-only token (client credentials).
    pub client_id: Option<String>,
    /// The app's secret, from a file ...
    pub client_secret_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub client_secret_env: Option<String>,
    /// The User-Agent Reddit asks for: `<platform>:<app id>:<version> (by /u/<name>)`.
    pub user_agent: Option<String>,
    /// Builds `user_agent` as `<os>:reviewradar:<version> (by /u/<reddit_username>)`.
    pub reddit_username: Option<String>,
    /// Pages per poll (1 to 50), following `after`.
    #[serde(default = "one_page")]
    pub max_pages: NonZeroU32,
}

/// `type = "mastodon"`: a hashtag timeline of one instance.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonOptions {
    /// The instance's host name, e.g. `mastodon.social`.
    pub instance: Option<String>,
    /// The hashtag, with or without `#`.
    pub tag: Option<String>,
    /// Default `https://<instance>`.
    pub api_base: Option<Url>,
    /// An access token (instances that hide tag timelines from anonymous readers),
    /// from a file ...
    pub access_token_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub access_token_env: Option<String>,
    /// Pages per poll (1 to 50), going back with `max_id`.
    #[serde(default = "one_page")]
    pub max_pages: NonZeroU32,
}

/// `type = "hackernews"`: Hacker News stories and comments, via Algolia.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HackernewsOptions {
    pub query: Option<String>,
    /// Algolia tag filter (default `(story,comment)`).
    pub tags: Option<String>,
    /// Default `https://hn.algolia.com`.
    pub api_base: Option<Url>,
    /// Pages per poll (1 to 50).
    #[serde(default = "one_page")]
    pub max_pages: NonZeroU32,
}

/// `type = "bluesky"`: Bluesky post search (needs an account).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueskyOptions {
    pub query: Option<String>,
    /// The account's handle (or DID, or e-mail).
    pub identifier: Option<String>,
    /// An app password of that account, from a file ...
    pub app_password_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub app_password_env: Option<String>,
    /// The account's service (PDS or entryway), default `https://bsky.social`.
    pub api_base: Option<Url>,
    /// Pages per poll (1 to 50), following `cursor`.
    #[serde(default = "one_page")]
    pub max_pages: NonZeroU32,
}

/// `type = "youtube"`: comments on videos, via the YouTube Data API.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YoutubeOptions {
    /// The shop's channel (`UC...`): its feed lists the newest uploads, whose
    /// comments are read, and its own replies count as the business's reply.
    pub channel_id: Option<String>,
    /// Read the comments of this many of the channel's newest uploads (0 to 15,
    /// default 5 with `channel_id`).
    pub recent_uploads: Option<u32>,
    /// Videos whose comments are read, by id.
    #[serde(default)]
    pub video_ids: Vec<String>,
    /// A YouTube Data API key, from a file ...
    pub api_key_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub api_key_env: Option<String>,
    /// Data API base, default `https://www.googleapis.com`.
    pub api_base: Option<Url>,
    /// Pages of comment threads per video and poll (1 to 50).
    #[serde(default = "one_page")]
    pub max_pages: NonZeroU32,
}

/// `type = "facebook"`: posts and comments on a Facebook page.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacebookOptions {
    /// The page's numeric id.
    pub page_id: Option<String>,
    /// A page access token, from a file ...
    pub page_access_token_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub page_access_token_env: Option<String>,
    /// Default `https://graph.facebook.com`.
    pub api_base: Option<Url>,
    /// Graph API version, default `v22.0`.
    pub api_version: Option<String>,
    /// Pages per edge and poll (1 to 50), following `paging.next`.
    #[serde(default = "one_page")]
    pub max_pages: NonZeroU32,
}

/// `base` without a trailing slash, then `path` (which starts with `/`).
fn at(base: &Url, path: &str) -> String {
    format!("{}{path}", base.as_str().trim_end_matches('/'))
}

fn base_or(base: Option<&Url>, default: &str) -> Url {
    base.cloned()
        .unwrap_or_else(|| Url::parse(default).expect("a valid default URL"))
}

/// A query value, form-encoded.
pub fn q(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A path segment, percent-encoded.
pub fn seg(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

fn build(s: String) -> Result<Url, String> {
    Url::parse(&s).map_err(|e| format!("cannot build the URL: {e}"))
}

fn need<'a>(v: &'a Option<String>, key: &str) -> Result<&'a str, String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("missing `{key}` (or set url)"))
}

impl GoogleAlertsOptions {
    pub fn default_url(&self) -> Result<Url, String> {
        self.feed_url
            .clone()
            .ok_or_else(|| "missing `feed_url` (or set url)".to_string())
    }
}

impl TalkwalkerOptions {
    pub fn default_url(&self) -> Result<Url, String> {
        let base = base_or(self.api_base.as_ref(), TALKWALKER_API);
        build(at(&base, &format!("/alerts/rss/{FEED_TOKEN}")))
    }
}

impl RedditOptions {
    /// Whether the search runs with an OAuth app-only token.
    pub fn oauth(&self) -> bool {
        self.client_id.is_some()
    }

    pub fn default_url(&self) -> Result<Url, String> {
        let query = need(&self.query, "query")?;
        let (base, path) = if self.oauth() {
            (base_or(self.api_base.as_ref(), REDDIT_OAUTH), "search")
        } else {
            (base_or(self.api_base.as_ref(), REDDIT_WWW), "search.json")
        };
        let (prefix, restrict) = match self.subreddit.as_deref().map(str::trim) {
            Some(sub) if !sub.is_empty() => (
                format!("/r/{}", seg(sub.trim_start_matches("r/"))),
                "&restrict_sr=1",
            ),
            _ => (String::new(), ""),
        };
        build(at(
            &base,
            &format!(
                "{prefix}/{path}?q={}{restrict}&sort=new&raw_json=1&limit={REDDIT_LIMIT}",
                q(query)
            ),
        ))
    }

    /// The User-Agent sent with every Reddit request.
    pub fn user_agent(&self) -> Option<String> {
        if let Some(ua) = &self.user_agent {
            return Some(ua.trim().to_string());
        }
        self.reddit_username.as_deref().map(|name| {
            format!(
                "{}:reviewradar:{} (by /u/{})",
                std::env::consts::OS,
                env!("CARGO_PKG_VERSION"),
                name.trim()
                    .trim_start_matches("/u/")
                    .trim_start_matches("u/")
            )
        })
    }
}

/// A tag without its `#`.
pub fn bare_tag(tag: &str) -> &str {
    tag.trim().trim_start_matches('#')
}

impl MastodonOptions {
    pub fn default_url(&self) -> Result<Url, String> {
        let tag = need(&self.tag, "tag")?;
        let base = match &self.api_base {
            Some(b) => b.clone(),
            None => {
                let instance = need(&self.instance, "instance")?;
                build(format!("https://{instance}"))?
            }
        };
        build(at(
            &base,
            &format!(
                "/api/v1/timelines/tag/{}?limit={MASTODON_LIMIT}",
                seg(bare_tag(tag))
            ),
        ))
    }
}

impl HackernewsOptions {
    pub fn default_url(&self) -> Result<Url, String> {
        let query = need(&self.query, "query")?;
        let base = base_or(self.api_base.as_ref(), HACKERNEWS_API);
        let tags = self.tags.as_deref().unwrap_or(HACKERNEWS_TAGS);
        build(at(
            &base,
            &format!(
                "/api/v1/search_by_date?query={}&tags={}&hitsPerPage={HACKERNEWS_LIMIT}&page=0",
                q(query),
                q(tags)
            ),
        ))
    }
}

impl BlueskyOptions {
    pub fn service(&self) -> Url {
        base_or(self.api_base.as_ref(), BLUESKY_SERVICE)
    }

    pub fn default_url(&self) -> Result<Url, String> {
        let query = need(&self.query, "query")?;
        build(at(
            &self.service(),
            &format!(
                "/xrpc/app.bsky.feed.searchPosts?q={}&sort=latest&limit={BLUESKY_LIMIT}",
                q(query)
            ),
        ))
    }

    /// `{service}/xrpc/<method>`.
    pub fn xrpc(&self, method: &str) -> Result<Url, String> {
        build(at(&self.service(), &format!("/xrpc/{method}")))
    }
}

impl YoutubeOptions {
    /// Uploads of the channel feed whose comments are read.
    pub fn recent_uploads(&self) -> u32 {
        match (&self.channel_id, self.recent_uploads) {
            (_, Some(n)) => n,
            (Some(_), None) => 5,
            (None, None) => 0,
        }
    }

    /// The channel's upload feed.
    pub fn feed_url(&self) -> Option<Result<Url, String>> {
        let id = self.channel_id.as_deref()?.trim();
        Some(build(format!(
            "{YOUTUBE_FEEDS}/feeds/videos.xml?channel_id={}",
            q(id)
        )))
    }

    /// `commentThreads.list` of one video; the key stays a placeholder.
    pub fn comments_url(&self, video_id: &str) -> Result<Url, String> {
        let base = base_or(self.api_base.as_ref(), YOUTUBE_API);
        build(at(
            &base,
            &format!(
                "/youtube/v3/commentThreads?part=snippet,replies&videoId={}&maxResults={YOUTUBE_LIMIT}&order=time&key={API_KEY}",
                q(video_id.trim())
            ),
        ))
    }

    /// The channel feed with `channel_id`, else the first video's comment threads.
    pub fn default_url(&self) -> Result<Url, String> {
        if let Some(feed) = self.feed_url() {
            return feed;
        }
        match self.video_ids.first() {
            Some(v) => self.comments_url(v),
            None => Err("missing `channel_id` or `video_ids` (or set url)".into()),
        }
    }

    /// Data API calls (quota units) of one poll, at most.
    pub fn units_per_poll(&self, has_feed: bool) -> u64 {
        let uploads = if has_feed { self.recent_uploads() } else { 0 };
        (self.video_ids.len() as u64 + u64::from(uploads)) * u64::from(self.max_pages.get())
    }
}

impl FacebookOptions {
    pub fn version(&self) -> &str {
        self.api_version.as_deref().unwrap_or(FACEBOOK_VERSION)
    }

    /// The fields asked for on each post: its comments (newest first) and, nested,
    /// the replies to each comment, so the page's own answers can be told apart.
    pub const FIELDS: &str = "id,message,created_time,from,permalink_url,comments.order(reverse_chronological).limit(50){id,message,created_time,from,permalink_url,comments.limit(25){id,message,created_time,from}}";

    /// One edge of the page (`feed`, `visitor_posts`); the token stays a placeholder.
    pub fn edge_url(&self, edge: &str) -> Result<Url, String> {
        let page = need(&self.page_id, "page_id")?;
        let base = base_or(self.api_base.as_ref(), FACEBOOK_API);
        build(at(
            &base,
            &format!(
                "/{}/{}/{edge}?fields={}&limit={FACEBOOK_LIMIT}&access_token={PAGE_TOKEN}",
                seg(self.version()),
                seg(page.trim()),
                q(Self::FIELDS)
            ),
        ))
    }

    pub fn default_url(&self) -> Result<Url, String> {
        self.edge_url("feed")
    }
}

/// Read the options of a preset `kind` from its table; `None` when they do not
/// deserialize or an id the built URL needs is missing (each pushed as a problem).
pub(super) fn parse(
    kind: SourceKind,
    spans: &Spans<'_>,
    path: &str,
    entry: &toml::Spanned<DeValue<'_>>,
    base_dir: &Path,
    problems: &mut Vec<Problem>,
) -> Option<SourceOptions> {
    let own = sub_table(entry, |k| !COMMON_KEYS.contains(&k));
    let has_url = matches!(entry.get_ref(), DeValue::Table(t) if t.keys().any(|k| k.get_ref().as_ref() == "url"));
    let rel = |p: Option<PathBuf>| p.map(|p| if p.is_relative() { base_dir.join(p) } else { p });
    let mut missing: Vec<(&str, &str)> = Vec::new();
    let need_id = |missing: &mut Vec<(&str, &str)>,
                   v: &Option<String>,
                   key: &'static str,
                   what: &'static str| {
        if !has_url && v.as_deref().is_none_or(|s| s.trim().is_empty()) {
            missing.push((key, what));
        }
    };
    let options = match kind {
        SourceKind::GoogleAlerts => {
            let o: GoogleAlertsOptions = section(spans, path, &own, problems)?;
            if !has_url && o.feed_url.is_none() {
                missing.push((
                    "feed_url",
                    "the alert's feed URL (create the alert with \"Deliver to: RSS feed\")",
                ));
            }
            if has_url && o.feed_url.is_some() {
                problems.push(spans.problem(
                    format!("{path}.feed_url"),
                    "set either url or feed_url, not both",
                ));
                return None;
            }
            SourceOptions::GoogleAlerts(o)
        }
        SourceKind::Talkwalker => {
            let mut o: TalkwalkerOptions = section(spans, path, &own, problems)?;
            o.feed_token_file = rel(o.feed_token_file);
            SourceOptions::Talkwalker(o)
        }
        SourceKind::Reddit => {
            let mut o: RedditOptions = section(spans, path, &own, problems)?;
            o.client_secret_file = rel(o.client_secret_file);
            need_id(&mut missing, &o.query, "query", "the search terms");
            SourceOptions::Reddit(o)
        }
        SourceKind::Mastodon => {
            let mut o: MastodonOptions = section(spans, path, &own, problems)?;
            o.access_token_file = rel(o.access_token_file);
            if o.api_base.is_none() {
                need_id(
                    &mut missing,
                    &o.instance,
                    "instance",
                    "the instance's host name",
                );
            }
            need_id(&mut missing, &o.tag, "tag", "the hashtag");
            SourceOptions::Mastodon(o)
        }
        SourceKind::Hackernews => {
            let o: HackernewsOptions = section(spans, path, &own, problems)?;
            need_id(&mut missing, &o.query, "query", "the search terms");
            SourceOptions::Hackernews(o)
        }
        SourceKind::Bluesky => {
            let mut o: BlueskyOptions = section(spans, path, &own, problems)?;
            o.app_password_file = rel(o.app_password_file);
            need_id(&mut missing, &o.query, "query", "the search terms");
            SourceOptions::Bluesky(o)
        }
        SourceKind::Youtube => {
            let mut o: YoutubeOptions = section(spans, path, &own, problems)?;
            o.api_key_file = rel(o.api_key_file);
            if !has_url && o.channel_id.is_none() && o.video_ids.is_empty() {
                missing.push((
                    "channel_id",
                    "the channel (`UC...`) whose uploads' comments are read, or `video_ids`",
                ));
            }
            SourceOptions::Youtube(o)
        }
        SourceKind::Facebook => {
            let mut o: FacebookOptions = section(spans, path, &own, problems)?;
            o.page_access_token_file = rel(o.page_access_token_file);
            // The page id also tells the page's own replies apart: always needed.
            if o.page_id.as_deref().is_none_or(|s| s.trim().is_empty()) {
                missing.push(("page_id", "the page's numeric id"));
            }
            SourceOptions::Facebook(o)
        }
        _ => return None,
    };
    if !missing.is_empty() {
        for (key, what) in missing {
            problems.push(spans.problem(
                format!("{path}.{key}"),
                format!("missing: {what} (required unless `url` is set)"),
            ));
        }
        return None;
    }
    Some(options)
}

/// The built URL without a `url` override, for presets whose behaviour depends on
/// whether `url` replaced it.
pub fn uses_default_url(s: &SourceConfig) -> bool {
    s.options
        .default_url()
        .and_then(Result::ok)
        .is_some_and(|u| u == s.url)
}

fn check_base(p: &mut Vec<Problem>, spans: &Spans<'_>, key: &str, base: Option<&Url>) {
    if let Some(b) = base {
        if !matches!(b.scheme(), "http" | "https") || b.host_str().is_none() {
            p.push(spans.problem(key, "must be an http:// or https:// URL"));
        } else if b.query().is_some() || b.fragment().is_some() {
            p.push(spans.problem(key, "must not have a query or fragment"));
        }
    }
}

fn secret_pair(
    p: &mut Vec<Problem>,
    spans: &Spans<'_>,
    k: &dyn Fn(&str) -> String,
    name: &str,
    file: Option<&Path>,
    env: Option<&str>,
) {
    secret::check(
        p,
        spans,
        &k(&format!("{name}_file")),
        &k(&format!("{name}_env")),
        file,
        env,
    );
}

fn has(file: &Option<PathBuf>, env: &Option<String>) -> bool {
    file.is_some() || env.is_some()
}

fn plain_id(s: &str, extra: &[u8], max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// Semantic checks of one preset source.
pub(super) fn validate(id: &str, s: &SourceConfig, spans: &Spans<'_>, p: &mut Vec<Problem>) {
    let k = |f: &str| format!("sources.{id}.{f}");
    let blank = |v: &Option<String>| v.as_deref().is_some_and(|s| s.trim().is_empty());
    match &s.options {
        SourceOptions::GoogleAlerts(o) => {
            if let Some(u) = &o.feed_url
                && !matches!(u.scheme(), "http" | "https" | "file")
            {
                p.push(spans.problem(k("feed_url"), "must be an http(s):// or file:// URL"));
            }
        }
        SourceOptions::Talkwalker(o) => {
            check_base(p, spans, &k("api_base"), o.api_base.as_ref());
            let uses = super::url_has_placeholder(&s.url, FEED_TOKEN);
            let set = has(&o.feed_token_file, &o.feed_token_env);
            if uses && !set {
                p.push(spans.problem(
                    k("feed_token_file"),
                    "missing: the feed token (the last part of the feed URL); set feed_token_file or feed_token_env, or the whole url",
                ));
            }
            if set && !uses {
                p.push(spans.problem(
                    k(if o.feed_token_file.is_some() {
                        "feed_token_file"
                    } else {
                        "feed_token_env"
                    }),
                    "is set, but url does not use {feed_token}",
                ));
            }
            secret_pair(
                p,
                spans,
                &k,
                "feed_token",
                o.feed_token_file.as_deref(),
                o.feed_token_env.as_deref(),
            );
        }
        SourceOptions::Reddit(o) => {
            check_base(p, spans, &k("api_base"), o.api_base.as_ref());
            check_base(p, spans, &k("token_url"), o.token_url.as_ref());
            if blank(&o.query) {
                p.push(spans.problem(k("query"), "must not be empty"));
            }
            if let Some(sub) = &o.subreddit {
                let sub = sub.trim().trim_start_matches("r/");
                if !plain_id(sub, b"_", 21) {
                    p.push(spans.problem(
                        k("subreddit"),
                        "must be a subreddit name (letters, digits, _), without /r/",
                    ));
                }
            }
            match (&o.user_agent, &o.reddit_username) {
                (None, None) => p.push(spans.problem(
                    k("user_agent"),
                    "missing: Reddit asks every client for a unique User-Agent naming a contact; set reddit_username (or user_agent = \"<platform>:<app id>:<version> (by /u/<username>)\")",
                )),
                (Some(_), Some(_)) => p.push(spans.problem(
                    k("reddit_username"),
                    "set either user_agent or reddit_username, not both",
                )),
                (Some(ua), None) => {
                    if ua.trim().is_empty()
                        || reqwest::header::HeaderValue::from_str(ua.trim()).is_err()
                    {
                        p.push(spans.problem(
                            k("user_agent"),
                            "must be one line of visible ASCII",
                        ));
                    }
                }
                (None, Some(name)) => {
                    let name = name.trim().trim_start_matches("/u/").trim_start_matches("u/");
                    if !plain_id(name, b"_-", 20) {
                        p.push(spans.problem(
                            k("reddit_username"),
                            "must be a Reddit user name (letters, digits, _ and -), without /u/",
                        ));
                    }
                }
            }
            let secret_set = has(&o.client_secret_file, &o.client_secret_env);
            match (&o.client_id, secret_set) {
                (Some(_), false) => p.push(spans.problem(
                    k("client_secret_file"),
                    "missing: client_id needs the app's secret (client_secret_file or client_secret_env)",
                )),
                (None, true) => p.push(spans.problem(
                    k("client_id"),
                    "missing: client_secret_file/client_secret_env need the app's client_id",
                )),
                _ => {}
            }
            if let Some(c) = &o.client_id
                && !plain_id(c.trim(), b"_-", 64)
            {
                p.push(spans.problem(k("client_id"), "must be the app's client id"));
            }
            if o.token_url.is_some() && o.client_id.is_none() {
                p.push(spans.problem(k("token_url"), "has no effect without client_id"));
            }
            secret_pair(
                p,
                spans,
                &k,
                "client_secret",
                o.client_secret_file.as_deref(),
                o.client_secret_env.as_deref(),
            );
        }
        SourceOptions::Mastodon(o) => {
            check_base(p, spans, &k("api_base"), o.api_base.as_ref());
            if let Some(i) = &o.instance {
                let host_only = Url::parse(&format!("https://{}", i.trim()))
                    .ok()
                    .is_some_and(|u| {
                        u.host_str()
                            .is_some_and(|h| h.eq_ignore_ascii_case(i.trim()))
                            && u.path() == "/"
                            && u.port().is_none()
                    });
                if !host_only {
                    p.push(spans.problem(
                        k("instance"),
                        "must be a host name such as \"mastodon.social\" (no scheme or path; use api_base for that)",
                    ));
                }
            }
            if let Some(t) = &o.tag {
                let t = bare_tag(t);
                if t.is_empty() || !t.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    p.push(spans.problem(
                        k("tag"),
                        "must be a hashtag: letters, digits and _ (with or without #)",
                    ));
                }
            }
            secret_pair(
                p,
                spans,
                &k,
                "access_token",
                o.access_token_file.as_deref(),
                o.access_token_env.as_deref(),
            );
        }
        SourceOptions::Hackernews(o) => {
            check_base(p, spans, &k("api_base"), o.api_base.as_ref());
            if blank(&o.query) {
                p.push(spans.problem(k("query"), "must not be empty"));
            }
            if blank(&o.tags) {
                p.push(spans.problem(k("tags"), "must not be empty (default \"(story,comment)\")"));
            }
        }
        SourceOptions::Bluesky(o) => {
            check_base(p, spans, &k("api_base"), o.api_base.as_ref());
            if blank(&o.query) {
                p.push(spans.problem(k("query"), "must not be empty"));
            }
            if o.identifier.as_deref().is_none_or(|s| s.trim().is_empty()) {
                p.push(spans.problem(
                    k("identifier"),
                    "missing: post search needs a Bluesky account; set its handle (e.g. \"shop.bsky.social\")",
                ));
            }
            if !has(&o.app_password_file, &o.app_password_env) {
                p.push(spans.problem(
                    k("app_password_file"),
                    "missing: an app password of that account (app_password_file or app_password_env)",
                ));
            }
            secret_pair(
                p,
                spans,
                &k,
                "app_password",
                o.app_password_file.as_deref(),
                o.app_password_env.as_deref(),
            );
        }
        SourceOptions::Youtube(o) => {
            check_base(p, spans, &k("api_base"), o.api_base.as_ref());
            if let Some(c) = &o.channel_id
                && !(c.len() == 24 && c.starts_with("UC") && plain_id(c, b"_-", 24))
            {
                p.push(spans.problem(
                    k("channel_id"),
                    "must be a channel id: \"UC\" and 22 letters, digits, - or _",
                ));
            }
            for v in &o.video_ids {
                if !(v.len() == 11 && plain_id(v, b"_-", 11)) {
                    p.push(spans.problem(
                        k("video_ids"),
                        format!("{v:?} is not a video id (11 letters, digits, - or _)"),
                    ));
                }
            }
            let uploads = o.recent_uploads.unwrap_or(0);
            if uploads > YOUTUBE_FEED_ENTRIES {
                p.push(spans.problem(
                    k("recent_uploads"),
                    format!("must be between 0 and {YOUTUBE_FEED_ENTRIES} (a channel feed lists its {YOUTUBE_FEED_ENTRIES} newest uploads)"),
                ));
            }
            let has_feed = youtube_has_feed(s, o);
            if o.recent_uploads.is_some() && !has_feed {
                p.push(spans.problem(
                    k("recent_uploads"),
                    "needs the channel feed: set channel_id (or url)",
                ));
            }
            let videos = o.video_ids.len()
                + if has_feed {
                    o.recent_uploads() as usize
                } else {
                    0
                };
            if videos > YOUTUBE_MAX_VIDEOS {
                p.push(spans.problem(
                    k("video_ids"),
                    format!("at most {YOUTUBE_MAX_VIDEOS} videos per source (video_ids and recent_uploads together)"),
                ));
            }
            if videos == 0 {
                p.push(spans.problem(
                    k("video_ids"),
                    "no comments would be read: list video_ids, or set channel_id with recent_uploads above 0",
                ));
            }
            if videos > 0 && !has(&o.api_key_file, &o.api_key_env) {
                p.push(spans.problem(
                    k("api_key_file"),
                    "missing: comments are read with the YouTube Data API; set api_key_file or api_key_env",
                ));
            }
            secret_pair(
                p,
                spans,
                &k,
                "api_key",
                o.api_key_file.as_deref(),
                o.api_key_env.as_deref(),
            );
        }
        SourceOptions::Facebook(o) => {
            check_base(p, spans, &k("api_base"), o.api_base.as_ref());
            if let Some(page) = &o.page_id
                && !plain_id(page.trim(), b"", 32)
            {
                p.push(spans.problem(k("page_id"), "must be the page's numeric id"));
            }
            if let Some(v) = &o.api_version {
                let ok = v.strip_prefix('v').is_some_and(|r| {
                    let mut parts = r.split('.');
                    let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next())
                    else {
                        return false;
                    };
                    plain_id(a, b"", 3)
                        && plain_id(b, b"", 2)
                        && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
                });
                if !ok {
                    p.push(spans.problem(
                        k("api_version"),
                        "must be a Graph API version such as \"v22.0\"",
                    ));
                }
            }
            if !has(&o.page_access_token_file, &o.page_access_token_env) {
                p.push(spans.problem(
                    k("page_access_token_file"),
                    "missing: a page access token (page_access_token_file or page_access_token_env)",
                ));
            }
            secret_pair(
                p,
                spans,
                &k,
                "page_access_token",
                o.page_access_token_file.as_deref(),
                o.page_access_token_env.as_deref(),
            );
        }
        _ => {}
    }
}

/// Whether a youtube source reads a channel feed: with `channel_id`, or when `url`
/// replaces the built URL with one that is not a Data API call.
pub fn youtube_has_feed(s: &SourceConfig, o: &YoutubeOptions) -> bool {
    o.channel_id.is_some() || !s.url.path().ends_with("/youtube/v3/commentThreads")
}

/// Non-fatal advice for one enabled preset source.
pub fn warnings(id: &str, s: &SourceConfig) -> Vec<String> {
    let mut w = Vec::new();
    let remote_http = |u: &Url| {
        u.scheme() == "http"
            && u.host_str()
                .is_some_and(|h| !(h == "localhost" || h.starts_with("127.") || h == "[::1]"))
    };
    let secret_over_http = match &s.options {
        SourceOptions::Talkwalker(o) => {
            has(&o.feed_token_file, &o.feed_token_env) && remote_http(&s.url)
        }
        SourceOptions::Reddit(o) => {
            o.client_id.is_some()
                && (remote_http(&s.url) || o.token_url.as_ref().is_some_and(remote_http))
        }
        SourceOptions::Mastodon(o) => {
            has(&o.access_token_file, &o.access_token_env) && remote_http(&s.url)
        }
        SourceOptions::Bluesky(o) => remote_http(&o.service()),
        SourceOptions::Youtube(o) => o.api_base.as_ref().is_some_and(remote_http),
        SourceOptions::Facebook(_) => remote_http(&s.url),
        _ => false,
    };
    if secret_over_http {
        w.push(format!(
            "sources.{id}.api_base: sends its credentials to a remote host over plain http"
        ));
    }
    if let SourceOptions::Youtube(o) = &s.options {
        let per_poll = o.units_per_poll(youtube_has_feed(s, o));
        let polls = polls_per_day(s.interval);
        let per_day = per_poll.saturating_mul(polls);
        if per_day > YOUTUBE_DAILY_QUOTA {
            w.push(format!(
                "sources.{id}.interval: up to {per_poll} Data API units per poll, {polls} polls a day: {per_day} units, above the default quota of {YOUTUBE_DAILY_QUOTA} a day"
            ));
        }
    }
    w
}

/// Polls in 24 hours at `interval` (rounded up).
pub fn polls_per_day(interval: Duration) -> u64 {
    let secs = interval.as_secs().max(1);
    86_400_u64.div_ceil(secs)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::super::{Config, ConfigError};
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_str_at(text, Path::new("/etc/reviewradar/test.toml"))
    }

    fn ok(text: &str) -> Config {
        load(text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// "line: key: message" of every problem.
    fn problems(text: &str) -> String {
        match load(text) {
            Ok(_) => String::new(),
            Err(e) => e
                .problems
                .iter()
                .map(|p| format!("{}: {}: {}", p.line.unwrap_or(0), p.key, p.message))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    fn set_env(name: &str, value: &str) {
        // SAFETY: every test sets the same value for a given name, and none removes it.
        unsafe { std::env::set_var(name, value) };
    }

    const ALL: &str = r##"[sources.ga]
type = "google_alerts"
feed_url = "https://www.google.com/alerts/feeds/04171/4428"

[sources.tw]
type = "talkwalker"
feed_token_env = "RR_TEST_TW_TOKEN"

[sources.rd]
type = "reddit"
query = "kettlewerk OR \"kettle werk\""
subreddit = "BuyItForLife"
reddit_username = "kettlewerk_shop"
max_pages = 2

[sources.md]
type = "mastodon"
instance = "mastodon.social"
tag = "#Kettlewerk"

[sources.hn]
type = "hackernews"
query = "kettlewerk"

[sources.bs]
type = "bluesky"
query = "kettlewerk"
identifier = "kettlewerk.bsky.social"
app_password_env = "RR_TEST_BSKY_PASSWORD"

[sources.yt]
type = "youtube"
channel_id = "UCzwZWdfRLgxL-Z1bvxbT7Wg"
video_ids = ["KL8ozFiA2as", "K7Z7GtQbU4U"]
api_key_env = "RR_TEST_YT_KEY"

[sources.fb]
type = "facebook"
page_id = "104958162837491"
page_access_token_env = "RR_TEST_FB_TOKEN"
"##;

    fn env() {
        for v in [
            "RR_TEST_TW_TOKEN",
            "RR_TEST_BSKY_PASSWORD",
            "RR_TEST_YT_KEY",
            "RR_TEST_FB_TOKEN",
            "RR_TEST_REDDIT_SECRET",
        ] {
            set_env(v, "s3cret");
        }
    }

    #[test]
    fn every_preset_builds_its_url_from_ids() {
        env();
        let c = ok(ALL);
        let url = |id: &str| c.sources[id].url.as_str().to_string();
        assert_eq!(url("ga"), "https://www.google.com/alerts/feeds/04171/4428");
        assert_eq!(
            url("tw"),
            "https://alerts.talkwalker.com/alerts/rss/%7Bfeed_token%7D"
        );
        assert_eq!(
            url("rd"),
            "https://www.reddit.com/r/BuyItForLife/search.json?q=kettlewerk+OR+%22kettle+werk%22&restrict_sr=1&sort=new&raw_json=1&limit=100"
        );
        assert_eq!(
            url("md"),
            "https://mastodon.social/api/v1/timelines/tag/Kettlewerk?limit=40"
        );
        assert_eq!(
            url("hn"),
            "https://hn.algolia.com/api/v1/search_by_date?query=kettlewerk&tags=%28story%2Ccomment%29&hitsPerPage=50&page=0"
        );
        assert_eq!(
            url("bs"),
            "https://bsky.social/xrpc/app.bsky.feed.searchPosts?q=kettlewerk&sort=latest&limit=25"
        );
        assert_eq!(
            url("yt"),
            "https://www.youtube.com/feeds/videos.xml?channel_id=UCzwZWdfRLgxL-Z1bvxbT7Wg"
        );
        assert!(
            url("fb").starts_with("https://graph.facebook.com/v22.0/104958162837491/feed?fields=id%2Cmessage%2Ccreated_time%2Cfrom%2Cpermalink_url%2Ccomments.order%28reverse_chronological%29.limit%2850%29%7B"),
            "{}",
            url("fb")
        );
        assert!(url("fb").ends_with("&limit=25&access_token={page_access_token}"));
        // Defaults by type.
        let interval = |id: &str| c.sources[id].interval.as_secs() / 60;
        assert_eq!(
            ["ga", "tw", "rd", "md", "hn", "bs", "yt", "fb"].map(interval),
            [30, 30, 15, 15, 15, 15, 30, 30]
        );
        assert!(c.sources.values().all(|s| s.negative_at_or_below.is_none()));
        assert_eq!(c.sources["rd"].options.max_pages(), 2);
        assert_eq!(c.sources["ga"].kind.as_str(), "google_alerts");
        let SourceOptions::Reddit(r) = &c.sources["rd"].options else {
            panic!()
        };
        assert_eq!(
            r.user_agent().unwrap(),
            format!(
                "{}:reviewradar:{} (by /u/kettlewerk_shop)",
                std::env::consts::OS,
                env!("CARGO_PKG_VERSION")
            )
        );
        assert!(
            c.warnings().iter().all(|w| !w.contains("sources.")),
            "{:?}",
            c.warnings()
        );
        // Platform hosts get polite limits unless [http.hosts] says otherwise.
        assert_eq!(
            c.http.limits_for("www.reddit.com"),
            (1, Duration::from_secs(6))
        );
        assert_eq!(
            c.http.limits_for("graph.facebook.com"),
            (1, Duration::from_secs(1))
        );
    }

    #[test]
    fn api_base_moves_the_built_endpoint() {
        env();
        let c = ok(&ALL
            .replace(
                "subreddit = \"BuyItForLife\"",
                "api_base = \"http://127.0.0.1:8080/proxy/\"",
            )
            .replace("instance = \"mastodon.social\"", "api_base = \"http://127.0.0.1:8080\"")
            .replace(
                "identifier = \"kettlewerk.bsky.social\"",
                "identifier = \"k.example\"\napi_base = \"http://127.0.0.1:8080/pds\"",
            )
            .replace(
                "page_id = \"104958162837491\"",
                "page_id = \"104958162837491\"\napi_base = \"http://127.0.0.1:8080\"\napi_version = \"v23.0\"",
            ));
        let url = |id: &str| c.sources[id].url.as_str().to_string();
        assert!(
            url("rd").starts_with("http://127.0.0.1:8080/proxy/search.json?q="),
            "{}",
            url("rd")
        );
        assert!(url("md").starts_with("http://127.0.0.1:8080/api/v1/timelines/tag/Kettlewerk"));
        assert!(url("bs").starts_with("http://127.0.0.1:8080/pds/xrpc/app.bsky.feed.searchPosts?"));
        assert!(url("fb").starts_with("http://127.0.0.1:8080/v23.0/104958162837491/feed?"));
        // OAuth moves the search to oauth.reddit.com.
        let c = ok(&ALL.replace(
            "max_pages = 2",
            "client_id = \"p-jcoLKBynTLew\"\nclient_secret_env = \"RR_TEST_REDDIT_SECRET\"",
        ));
        assert_eq!(
            c.sources["rd"].url.as_str(),
            "https://oauth.reddit.com/r/BuyItForLife/search?q=kettlewerk+OR+%22kettle+werk%22&restrict_sr=1&sort=new&raw_json=1&limit=100"
        );
    }

    #[test]
    fn a_missing_id_is_named_with_its_line() {
        env();
        let p = problems(&ALL.replace("query = \"kettlewerk\"\nidentifier", "identifier"));
        assert_eq!(
            p,
            "25: sources.bs.query: missing: the search terms (required unless `url` is set)"
        );
        let p = problems(&ALL.replace("tag = \"#Kettlewerk\"\n", ""));
        assert!(
            p.starts_with("16: sources.md.tag: missing: the hashtag"),
            "{p}"
        );
        let p = problems(&ALL.replace(
            "feed_url = \"https://www.google.com/alerts/feeds/04171/4428\"\n",
            "",
        ));
        assert!(
            p.starts_with("1: sources.ga.feed_url: missing: the alert's feed URL"),
            "{p}"
        );
        let p = problems(&ALL.replace("channel_id = \"UCzwZWdfRLgxL-Z1bvxbT7Wg\"\nvideo_ids = [\"KL8ozFiA2as\", \"K7Z7GtQbU4U\"]\n", ""));
        assert!(p.starts_with("31: sources.yt.channel_id: missing"), "{p}");
        // Facebook needs its page id even with a url: it tells the page's replies apart.
        let p = problems(&ALL.replace(
            "page_id = \"104958162837491\"",
            "url = \"https://graph.facebook.com/v22.0/1/feed\"",
        ));
        assert!(p.starts_with("37: sources.fb.page_id: missing"), "{p}");
        // With a url, the search terms are in it.
        let c = ok(&ALL.replace(
            "query = \"kettlewerk\"\n\n[sources.bs]",
            "url = \"https://hn.algolia.com/api/v1/search_by_date?query=kettle&page=0\"\n\n[sources.bs]",
        ));
        assert_eq!(c.sources["hn"].url.query(), Some("query=kettle&page=0"));
    }

    #[test]
    fn missing_and_unreadable_credentials() {
        env();
        let p = problems(&ALL.replace("app_password_env = \"RR_TEST_BSKY_PASSWORD\"\n", ""));
        assert!(
            p.starts_with("25: sources.bs.app_password_file: missing: an app password"),
            "{p}"
        );
        let p = problems(&ALL.replace("api_key_env = \"RR_TEST_YT_KEY\"\n", ""));
        assert!(p.starts_with("31: sources.yt.api_key_file: missing"), "{p}");
        let p = problems(&ALL.replace("page_access_token_env = \"RR_TEST_FB_TOKEN\"\n", ""));
        assert!(
            p.starts_with("37: sources.fb.page_access_token_file: missing"),
            "{p}"
        );
        let p = problems(&ALL.replace("feed_token_env = \"RR_TEST_TW_TOKEN\"\n", ""));
        assert!(
            p.starts_with("5: sources.tw.feed_token_file: missing: the feed token"),
            "{p}"
        );
        let p = problems(&ALL.replace("RR_TEST_FB_TOKEN", "RR_TEST_UNSET_VARIABLE_4712"));
        assert_eq!(
            p,
            "40: sources.fb.page_access_token_env: environment variable RR_TEST_UNSET_VARIABLE_4712 is not set"
        );
        let p = problems(&ALL.replace(
            "api_key_env = \"RR_TEST_YT_KEY\"",
            "api_key_file = \"youtube-key\"",
        ));
        assert!(
            p.contains("35: sources.yt.api_key_file: cannot read /etc/reviewradar/youtube-key"),
            "relative to the config file: {p}"
        );
        // Reddit: client id and secret go together; a User-Agent is required.
        let p = problems(&ALL.replace("max_pages = 2", "client_id = \"abc\""));
        assert!(
            p.contains("sources.rd.client_secret_file: missing: client_id needs"),
            "{p}"
        );
        let p = problems(&ALL.replace(
            "max_pages = 2",
            "client_secret_env = \"RR_TEST_REDDIT_SECRET\"",
        ));
        assert!(p.contains("sources.rd.client_id: missing"), "{p}");
        let p = problems(&ALL.replace("reddit_username = \"kettlewerk_shop\"\n", ""));
        assert!(
            p.starts_with("9: sources.rd.user_agent: missing: Reddit asks"),
            "{p}"
        );
        let p = problems(&ALL.replace(
            "reddit_username = \"kettlewerk_shop\"",
            "reddit_username = \"kettlewerk_shop\"\nuser_agent = \"x\"",
        ));
        assert!(
            p.contains("sources.rd.reddit_username: set either user_agent or reddit_username"),
            "{p}"
        );
        // A Talkwalker url with the token in it needs no token key; a token nobody
        // uses is a mistake.
        let c = ok(&ALL.replace(
            "feed_token_env = \"RR_TEST_TW_TOKEN\"",
            "url = \"https://alerts.talkwalker.com/alerts/rss/ABC\"",
        ));
        assert_eq!(c.sources["tw"].url.path(), "/alerts/rss/ABC");
        let p = problems(&ALL.replace(
            "feed_token_env = \"RR_TEST_TW_TOKEN\"",
            "feed_token_env = \"RR_TEST_TW_TOKEN\"\nurl = \"https://alerts.talkwalker.com/alerts/rss/ABC\"",
        ));
        assert!(
            p.contains("sources.tw.feed_token_env: is set, but url does not use {feed_token}"),
            "{p}"
        );
    }

    #[test]
    fn unknown_and_foreign_keys_are_named_with_their_line() {
        env();
        let p = problems(&ALL.replace(
            "tag = \"#Kettlewerk\"",
            "tag = \"#Kettlewerk\"\nhashtag = \"x\"",
        ));
        assert!(
            p.starts_with("20: sources.md.hashtag: unknown key; expected one of:"),
            "{p}"
        );
        assert!(p.contains("`instance`, `tag`, `api_base`"), "{p}");
        let p = problems(&ALL.replace(
            "query = \"kettlewerk\"\n\n[sources.bs]",
            "query = \"kettlewerk\"\nsubreddit = \"de\"\n\n[sources.bs]",
        ));
        assert!(
            p.contains(
                "sources.hn.subreddit: not a key of a hackernews source (it belongs to reddit)"
            ),
            "{p}"
        );
        let p = problems(&ALL.replace("type = \"hackernews\"", "type = \"hacker_news\""));
        assert!(p.contains("sources.hn.type"), "{p}");
        assert!(p.contains("hackernews"), "lists the types: {p}");
    }

    #[test]
    fn values_are_checked() {
        env();
        let p = problems(&ALL.replace(
            "instance = \"mastodon.social\"",
            "instance = \"https://mastodon.social/\"",
        ));
        assert!(
            p.contains("sources.md.instance: must be a host name"),
            "{p}"
        );
        let p = problems(&ALL.replace("tag = \"#Kettlewerk\"", "tag = \"kettle werk\""));
        assert!(p.contains("sources.md.tag: must be a hashtag"), "{p}");
        let p = problems(&ALL.replace("subreddit = \"BuyItForLife\"", "subreddit = \"r/Buy It\""));
        assert!(
            p.contains("sources.rd.subreddit: must be a subreddit name"),
            "{p}"
        );
        let p = problems(&ALL.replace("\"K7Z7GtQbU4U\"", "\"https://youtu.be/K7Z7GtQbU4U\""));
        assert!(
            p.contains("sources.yt.video_ids: \"https://youtu.be/K7Z7GtQbU4U\" is not a video id"),
            "{p}"
        );
        let p = problems(&ALL.replace(
            "channel_id = \"UCzwZWdfRLgxL-Z1bvxbT7Wg\"",
            "channel_id = \"kettlewerk\"",
        ));
        assert!(
            p.contains("sources.yt.channel_id: must be a channel id"),
            "{p}"
        );
        let p = problems(&ALL.replace(
            "api_key_env = \"RR_TEST_YT_KEY\"",
            "api_key_env = \"RR_TEST_YT_KEY\"\nrecent_uploads = 20",
        ));
        assert!(
            p.contains("sources.yt.recent_uploads: must be between 0 and 15"),
            "{p}"
        );
        let p = problems(&ALL.replace(
            "page_id = \"104958162837491\"",
            "page_id = \"104958162837491\"\napi_version = \"22\"",
        ));
        assert!(
            p.contains("sources.fb.api_version: must be a Graph API version"),
            "{p}"
        );
        let p = problems(&ALL.replace(
            "query = \"kettlewerk\"\n\n[sources.bs]",
            "query = \"kettlewerk\"\napi_base = \"ftp://x.example\"\n\n[sources.bs]",
        ));
        assert!(
            p.contains("sources.hn.api_base: must be an http:// or https:// URL"),
            "{p}"
        );
        let p = problems(&ALL.replace(
            "feed_url = \"https://www.google.com/alerts/feeds/04171/4428\"",
            "feed_url = \"https://www.google.com/alerts/feeds/04171/4428\"\nurl = \"https://www.google.com/alerts/feeds/1/2\"",
        ));
        assert!(
            p.contains("sources.ga.feed_url: set either url or feed_url, not both"),
            "{p}"
        );
    }

    #[test]
    fn youtube_quota_arithmetic_warns() {
        env();
        // 2 videos + 5 uploads, 1 page, 48 polls: 336 units a day.
        let c = ok(ALL);
        let SourceOptions::Youtube(o) = &c.sources["yt"].options else {
            panic!()
        };
        assert_eq!(o.units_per_poll(true), 7);
        assert_eq!(polls_per_day(c.sources["yt"].interval), 48);
        // 7 videos × 10 pages every 5 minutes: 70 × 288 = 20,160 units.
        let c = ok(&ALL.replace(
            "api_key_env = \"RR_TEST_YT_KEY\"",
            "api_key_env = \"RR_TEST_YT_KEY\"\nmax_pages = 10\ninterval = \"5m\"",
        ));
        assert!(
            c.warnings().iter().any(|w| w == "sources.yt.interval: up to 70 Data API units per poll, 288 polls a day: 20160 units, above the default quota of 10000 a day"),
            "{:?}",
            c.warnings()
        );
        // Only video_ids: the built url is the first video's comment threads.
        let c = ok(&ALL.replace("channel_id = \"UCzwZWdfRLgxL-Z1bvxbT7Wg\"\n", ""));
        assert_eq!(
            c.sources["yt"].url.as_str(),
            "https://www.googleapis.com/youtube/v3/commentThreads?part=snippet,replies&videoId=KL8ozFiA2as&maxResults=100&order=time&key={api_key}"
        );
        let SourceOptions::Youtube(o) = &c.sources["yt"].options else {
            panic!()
        };
        assert!(!youtube_has_feed(&c.sources["yt"], o));
        assert_eq!(o.units_per_poll(false), 2);
    }

    #[test]
    fn credentials_over_plain_http_warn() {
        env();
        let c = ok(&ALL.replace(
            "page_id = \"104958162837491\"",
            "page_id = \"104958162837491\"\napi_base = \"http://graph.proxy.example\"",
        ));
        assert!(
            c.warnings().iter().any(|w| w
                == "sources.fb.api_base: sends its credentials to a remote host over plain http"),
            "{:?}",
            c.warnings()
        );
    }
}

/// The README's preset examples and the example config's commented presets parse.
#[cfg(test)]
mod documented_examples {
    use std::path::Path;

    use super::super::super::Config;

    /// Config text with `/etc/reviewradar/<file>` secrets moved into `dir`.
    fn with_secrets(text: &str, dir: &Path) -> String {
        let mut out = text.to_string();
        for line in text.lines() {
            if let Some(i) = line.find("\"/etc/reviewradar/") {
                let name = line[i + 18..].trim_end_matches('"');
                std::fs::write(dir.join(name), "x\n").unwrap();
            }
        }
        out = out.replace("/etc/reviewradar/", &format!("{}/", dir.display()));
        out
    }

    fn parse(text: &str) -> Config {
        let dir = tempfile::tempdir().unwrap();
        let text = with_secrets(text, dir.path());
        Config::from_str_at(&text, &dir.path().join("c.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    const PRESETS: [&str; 8] = [
        "google_alerts",
        "talkwalker",
        "reddit",
        "mastodon",
        "hackernews",
        "bluesky",
        "youtube",
        "facebook",
    ];

    #[test]
    fn readme_has_a_working_example_per_preset() {
        let readme = include_str!("../../../README.md");
        let start = readme.find("## Presets").expect("a Presets section");
        let section = &readme[start..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
        for name in PRESETS {
            let head = format!("\n### {name}\n");
            let at = section
                .find(&head)
                .unwrap_or_else(|| panic!("no ### {name}"));
            let entry = &section[at + head.len()..];
            let entry = &entry[..entry.find("\n### ").unwrap_or(entry.len())];
            let toml = entry
                .split("```toml\n")
                .nth(1)
                .and_then(|b| b.split("```").next())
                .unwrap_or_else(|| panic!("### {name} has no toml example"));
            let c = parse(toml);
            assert_eq!(c.sources.len(), 1, "{name}");
            let s = c.sources.values().next().unwrap();
            assert_eq!(s.kind.as_str(), name);
            for topic in ["Credentials", "Default interval", "Terms"] {
                assert!(
                    crate::mention::fold_whitespace(entry).contains(topic),
                    "### {name} does not say: {topic}"
                );
            }
        }
    }

    #[test]
    fn example_config_presets_parse_when_uncommented() {
        let example = include_str!("../../../config/example.toml");
        let block = example
            .split("# >>> presets\n")
            .nth(1)
            .and_then(|b| b.split("# <<< presets").next())
            .expect("the presets block");
        let text: String = block
            .lines()
            .map(|l| l.strip_prefix("# ").unwrap_or(l.trim_start_matches('#')))
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse(&text);
        let mut kinds: Vec<&str> = c.sources.values().map(|s| s.kind.as_str()).collect();
        kinds.sort();
        let mut want = PRESETS.to_vec();
        want.sort();
        assert_eq!(kinds, want);
        assert!(
            c.warnings().iter().all(|w| !w.starts_with("sources.")),
            "{:?}",
            c.warnings()
        );
    }
}
