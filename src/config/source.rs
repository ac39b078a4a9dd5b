//! `[sources.<id>]`: the keys every source has, and the options of each type.
//!
//! A source table is read in steps, so that each type has its own keys without
//! `#[serde(flatten)]` (which serde cannot combine with `deny_unknown_fields`):
//!
//! 1. the common keys ([`COMMON_KEYS`]) are split off and deserialized into
//!    [`SourceConfig`]'s own fields;
//! 2. every other top-level key is checked against the keys of the chosen `type`
//!    (a key of another type is named as such);
//! 3. the rest is deserialized into that type's options ([`SourceOptions`]), each
//!    struct with `deny_unknown_fields`.
//!
//! The document is parsed once with spans and the split tables keep them, so every
//! error names its line and full key (`sources.shop.fields.ratng: unknown key`).
//!
//! A new type (a preset such as `trustpilot` or `google_business`) is a variant of
//! [`SourceKind`], its key list in [`SourceKind::keys`], a variant of
//! [`SourceOptions`] with its own options struct, and its checks in [`validate`].

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use url::Url;

use super::presets_reviews::{
    self, GOOGLE_BUSINESS_KEYS, GOOGLE_PLACES_KEYS, GoogleBusinessOptions, GooglePlacesOptions,
    KIYOH_KEYS, KiyohOptions, TRUSTPILOT_KEYS, TrustpilotOptions, YELP_KEYS, YelpOptions,
};
use super::{ID_HELP, Problem, Spans, duration, secret, section, valid_id};
use crate::sources::html::HtmlMapping;
use crate::sources::json::JsonMapping;
use crate::sources::{amazon, ebay, etsy, trusted_shops};

pub mod mentions;
pub use mentions::{
    BlueskyOptions, FacebookOptions, GoogleAlertsOptions, HackernewsOptions, MastodonOptions,
    RedditOptions, TalkwalkerOptions, YoutubeOptions,
};

/// Most pages one poll may follow (`max_pages`).
pub const MAX_PAGES: u32 = 50;

/// The placeholder of a json source's secret in `url` and header values.
pub const SECRET_PLACEHOLDER: &str = "{secret}";

/// Keys of every source, whatever its type.
pub const COMMON_KEYS: &[&str] = &[
    "type",
    "url",
    "interval",
    "enabled",
    "language",
    "negative_at_or_below",
    "rating_scale",
    "rating_shift",
    "market",
    "on_disagreement",
    "brand",
    "platform",
    "alert_answered",
];

const PAGING_KEYS: &[&str] = &["max_pages"];
const JSON_REQUEST_KEYS: &[&str] = &["max_pages", "headers", "secret_file", "secret_env"];
const HTML_MAPPING_KEYS: &[&str] = &["item", "next", "page_param", "fields"];
const JSON_MAPPING_KEYS: &[&str] = &[
    "items",
    "next_url",
    "next_cursor",
    "cursor_param",
    "page_param",
    "offset_param",
    "page_size",
    "html",
    "rating_min",
    "rating_max",
    "fields",
];

/// Headers a json source may not set: the fetcher owns them.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "if-none-match",
    "if-modified-since",
];

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed.
    Feed,
    /// A page with schema.org Review markup (JSON-LD, microdata, RDFa Lite).
    Jsonld,
    /// Any review page, read with CSS selectors.
    Html,
    /// Any JSON API, read with JSON pointers.
    Json,
    /// Trusted Shops reviews from the eTrusted API (OAuth client credentials).
    TrustedShops,
    /// The reviews an Amazon product page shows publicly.
    Amazon,
    /// eBay seller feedback from the Trading API (GetFeedback).
    Ebay,
    /// Etsy shop reviews from the Open API v3.
    Etsy,
    /// A Google Alerts feed: redirects unwrapped, `<b>` highlighting stripped.
    #[serde(rename = "google_alerts")]
    GoogleAlerts,
    /// A Talkwalker Alerts RSS feed (its token is a secret).
    Talkwalker,
    /// Reddit search, newest first (app-less or with an OAuth app-only token).
    Reddit,
    /// A Mastodon hashtag timeline.
    Mastodon,
    /// Hacker News stories and comments (Algolia search).
    Hackernews,
    /// Bluesky post search (an account and app password).
    Bluesky,
    /// Comments on YouTube videos (Data API), the channel feed naming the videos.
    Youtube,
    /// Posts and comments on a Facebook page (Graph API, page access token).
    Facebook,
    /// Trustpilot: the official API, or (opt-in) your own public profile page.
    Trustpilot,
    /// Google Business Profile API: the reviews of your own location.
    GoogleBusiness,
    /// Google Places API (legacy or New): at most five reviews of any place.
    GooglePlaces,
    /// Yelp Fusion API: review excerpts of a business.
    Yelp,
    /// Kiyoh / Klantenvertellen publication feed (10-point scale).
    Kiyoh,
}

impl SourceKind {
    pub const ALL: [SourceKind; 21] = [
        SourceKind::Feed,
        SourceKind::Jsonld,
        SourceKind::Html,
        SourceKind::Json,
        SourceKind::TrustedShops,
        SourceKind::Amazon,
        SourceKind::Ebay,
        SourceKind::Etsy,
        SourceKind::GoogleAlerts,
        SourceKind::Talkwalker,
        SourceKind::Reddit,
        SourceKind::Mastodon,
        SourceKind::Hackernews,
        SourceKind::Bluesky,
        SourceKind::Youtube,
        SourceKind::Facebook,
        SourceKind::Trustpilot,
        SourceKind::GoogleBusiness,
        SourceKind::GooglePlaces,
        SourceKind::Yelp,
        SourceKind::Kiyoh,
    ];

    /// The generic types, configured in the file alone (the others are presets).
    pub fn is_generic(self) -> bool {
        matches!(
            self,
            SourceKind::Feed | SourceKind::Jsonld | SourceKind::Html | SourceKind::Json
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::Jsonld => "jsonld",
            SourceKind::Html => "html",
            SourceKind::Json => "json",
            SourceKind::TrustedShops => trusted_shops::NAME,
            SourceKind::Amazon => amazon::NAME,
            SourceKind::Ebay => ebay::NAME,
            SourceKind::Etsy => etsy::NAME,
            SourceKind::GoogleAlerts => "google_alerts",
            SourceKind::Talkwalker => "talkwalker",
            SourceKind::Reddit => "reddit",
            SourceKind::Mastodon => "mastodon",
            SourceKind::Hackernews => "hackernews",
            SourceKind::Bluesky => "bluesky",
            SourceKind::Youtube => "youtube",
            SourceKind::Facebook => "facebook",
            SourceKind::Trustpilot => "trustpilot",
            SourceKind::GoogleBusiness => "google_business",
            SourceKind::GooglePlaces => "google_places",
            SourceKind::Yelp => "yelp",
            SourceKind::Kiyoh => "kiyoh",
        }
    }

    /// Time between polls when the table sets no `interval`.
    pub fn default_interval(self) -> Duration {
        match self {
            SourceKind::Feed | SourceKind::Jsonld | SourceKind::Html | SourceKind::Json => {
                Duration::from_secs(15 * 60)
            }
            // New reviews come in slowly; the token is cached across polls.
            SourceKind::TrustedShops => Duration::from_secs(30 * 60),
            // A public product page: rarely, so Amazon's bot defences stay calm.
            SourceKind::Amazon => Duration::from_secs(6 * 3600),
            // Trading API calls count against a daily quota (5,000 by default).
            SourceKind::Ebay => Duration::from_secs(3600),
            // 10,000 requests a day per app, shared with whatever else uses the key.
            SourceKind::Etsy => Duration::from_secs(3600),
            // Alert feeds are rebuilt a few times an hour at most.
            SourceKind::GoogleAlerts | SourceKind::Talkwalker => Duration::from_secs(30 * 60),
            // Search APIs: one page per poll is well within every rate limit.
            SourceKind::Reddit
            | SourceKind::Mastodon
            | SourceKind::Hackernews
            | SourceKind::Bluesky => Duration::from_secs(15 * 60),
            // 48 polls a day: 10 videos read 480 of YouTube's 10,000 daily units.
            SourceKind::Youtube => Duration::from_secs(30 * 60),
            SourceKind::Facebook => Duration::from_secs(30 * 60),
            // Reviews arrive at a human pace; an hour keeps well inside every quota.
            SourceKind::Trustpilot | SourceKind::Yelp | SourceKind::Kiyoh => {
                Duration::from_secs(3600)
            }
            // Free quota (300 requests a minute); a 30 minute lag is plenty.
            SourceKind::GoogleBusiness => Duration::from_secs(30 * 60),
            // Billed per request, and only five reviews: a few times a day.
            SourceKind::GooglePlaces => Duration::from_secs(6 * 3600),
        }
    }

    /// The platform's own idea of a negative rating (on its scale), when the table
    /// sets no `negative_at_or_below`; `None` means the default (2 of 5, scaled).
    pub fn default_negative_at_or_below(self) -> Option<f64> {
        match self {
            SourceKind::Feed | SourceKind::Jsonld | SourceKind::Html | SourceKind::Json => None,
            // Amazon itself counts 1 to 3 stars as critical reviews.
            SourceKind::Amazon => Some(3.0),
            SourceKind::TrustedShops | SourceKind::Ebay | SourceKind::Etsy => None,
            // Mentions carry no rating: the classifier decides from the text.
            SourceKind::GoogleAlerts
            | SourceKind::Talkwalker
            | SourceKind::Reddit
            | SourceKind::Mastodon
            | SourceKind::Hackernews
            | SourceKind::Bluesky
            | SourceKind::Youtube
            | SourceKind::Facebook => None,
            // Kiyoh's 10-point scale: 4 or less is negative (2 of 5 scaled).
            SourceKind::Kiyoh => Some(4.0),
            // Trustpilot, Google and Yelp: 1 and 2 stars are the complaints
            // (3 is "average" on all three).
            SourceKind::Trustpilot
            | SourceKind::GoogleBusiness
            | SourceKind::GooglePlaces
            | SourceKind::Yelp => Some(2.0),
        }
    }

    /// The keys of this type beyond [`COMMON_KEYS`].
    pub fn keys(self) -> Vec<&'static str> {
        match self {
            SourceKind::Feed => vec![],
            SourceKind::Jsonld => vec!["max_pages", "page_param"],
            SourceKind::Html => [PAGING_KEYS, HTML_MAPPING_KEYS].concat(),
            SourceKind::Json => [JSON_REQUEST_KEYS, JSON_MAPPING_KEYS].concat(),
            SourceKind::TrustedShops => trusted_shops::KEYS.to_vec(),
            SourceKind::Amazon => amazon::KEYS.to_vec(),
            SourceKind::Ebay => ebay::KEYS.to_vec(),
            SourceKind::Etsy => etsy::KEYS.to_vec(),
            SourceKind::GoogleAlerts
            | SourceKind::Talkwalker
            | SourceKind::Reddit
            | SourceKind::Mastodon
            | SourceKind::Hackernews
            | SourceKind::Bluesky
            | SourceKind::Youtube
            | SourceKind::Facebook => mentions::keys(self),
            SourceKind::Trustpilot => TRUSTPILOT_KEYS.to_vec(),
            SourceKind::GoogleBusiness => GOOGLE_BUSINESS_KEYS.to_vec(),
            SourceKind::GooglePlaces => GOOGLE_PLACES_KEYS.to_vec(),
            SourceKind::Yelp => YELP_KEYS.to_vec(),
            SourceKind::Kiyoh => KIYOH_KEYS.to_vec(),
        }
    }
}

/// `[sources.<id>]`: the common keys, and the options of its `type`.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// Source type: "feed", "jsonld", "html", "json", or a preset ("reddit", ...).
    pub kind: SourceKind,
    /// What to fetch: http(s):// or file://. For a json source it may hold
    /// `{secret}`, filled in at request time.
    pub url: Url,
    /// Time between polls.
    pub interval: Duration,
    /// Set false to keep the source configured but not polled.
    pub enabled: bool,
    /// Language hint (ISO 639-1) that wins over detection.
    pub language: Option<String>,
    /// A rated mention is negative at or below this rating, on the platform's scale.
    pub negative_at_or_below: Option<f64>,
    /// How ratings are read: "stars" (default: stars or points on the item's scale)
    /// or "nps" (0 to 10, detractors 0 to 6 negative).
    pub rating_scale: crate::classify::RatingScale,
    /// Added to the rating threshold for cultural calibration (`-1`: one point
    /// stricter); wins over the market's.
    pub rating_shift: Option<f64>,
    /// A `[markets.<id>]` whose `rating_shift` applies when the source sets none.
    pub market: Option<String>,
    /// Who decides when stars and text strongly disagree: "rating" (default),
    /// "text" or "either".
    pub on_disagreement: crate::classify::Disagreement,
    /// Brand or shop this source watches (informational, for routing later).
    pub brand: Option<String>,
    /// Platform label stored on mentions; defaults by type (and "google_alerts" for
    /// feeds on google.com/alerts).
    pub platform: Option<String>,
    /// Alert on negative mentions that already carry the business's public reply
    /// when first seen (default: store them as answered, no alert).
    pub alert_answered: bool,
    /// The keys of the source's type.
    pub options: SourceOptions,
}

/// The common keys, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Common {
    #[serde(rename = "type")]
    kind: SourceKind,
    /// Required for the generic types; a preset builds it from its ids.
    url: Option<Url>,
    /// Defaults by type ([`SourceKind::default_interval`]).
    #[serde(default, with = "duration::option")]
    interval: Option<Duration>,
    #[serde(default = "yes")]
    enabled: bool,
    language: Option<String>,
    negative_at_or_below: Option<f64>,
    #[serde(default)]
    rating_scale: crate::classify::RatingScale,
    rating_shift: Option<f64>,
    market: Option<String>,
    #[serde(default)]
    on_disagreement: crate::classify::Disagreement,
    brand: Option<String>,
    platform: Option<String>,
    #[serde(default)]
    alert_answered: bool,
}

/// Polite defaults for the hosts of the platforms the presets read, used when
/// `[http.hosts."<host>"]` does not set them: (host, concurrency, minimum gap).
/// A preset adds its API hosts here.
pub const PLATFORM_HOSTS: &[(&str, usize, Duration)] = &[
    // trusted_shops: no published rate limit; one request at a time.
    ("api.etrusted.com", 1, Duration::from_secs(1)),
    ("login.etrusted.com", 1, Duration::from_secs(1)),
    // amazon: public product pages, one at a time and well apart.
    ("www.amazon.com", 1, Duration::from_secs(10)),
    ("www.amazon.de", 1, Duration::from_secs(10)),
    ("www.amazon.es", 1, Duration::from_secs(10)),
    ("www.amazon.fr", 1, Duration::from_secs(10)),
    ("www.amazon.it", 1, Duration::from_secs(10)),
    ("www.amazon.nl", 1, Duration::from_secs(10)),
    ("www.amazon.co.uk", 1, Duration::from_secs(10)),
    ("www.amazon.ie", 1, Duration::from_secs(10)),
    ("www.amazon.pl", 1, Duration::from_secs(10)),
    ("www.amazon.se", 1, Duration::from_secs(10)),
    ("www.amazon.com.be", 1, Duration::from_secs(10)),
    ("www.amazon.com.tr", 1, Duration::from_secs(10)),
    ("www.amazon.ca", 1, Duration::from_secs(10)),
    ("www.amazon.com.mx", 1, Duration::from_secs(10)),
    ("www.amazon.com.br", 1, Duration::from_secs(10)),
    ("www.amazon.com.au", 1, Duration::from_secs(10)),
    ("www.amazon.co.jp", 1, Duration::from_secs(10)),
    ("www.amazon.in", 1, Duration::from_secs(10)),
    ("www.amazon.sg", 1, Duration::from_secs(10)),
    ("www.amazon.ae", 1, Duration::from_secs(10)),
    ("www.amazon.sa", 1, Duration::from_secs(10)),
    ("www.amazon.eg", 1, Duration::from_secs(10)),
    // ebay: Trading API, daily call quota.
    ("api.ebay.com", 1, Duration::from_secs(2)),
    // etsy: 10 requests per second per app; we stay far below.
    ("openapi.etsy.com", 1, Duration::from_secs(1)),
    // Google Alerts feeds.
    ("www.google.com", 1, Duration::from_secs(5)),
    ("alerts.talkwalker.com", 1, Duration::from_secs(5)),
    // Reddit: about 10 requests a minute without OAuth, 100 with it.
    ("www.reddit.com", 1, Duration::from_secs(6)),
    ("oauth.reddit.com", 1, Duration::from_secs(1)),
    // Mastodon allows 300 requests per 5 minutes; the flagship instance by default.
    ("mastodon.social", 1, Duration::from_secs(1)),
    // Algolia's HN API allows 10,000 requests an hour.
    ("hn.algolia.com", 1, Duration::from_secs(1)),
    ("bsky.social", 1, Duration::from_secs(1)),
    ("www.youtube.com", 1, Duration::from_secs(2)),
    ("www.googleapis.com", 1, Duration::from_secs(1)),
    ("graph.facebook.com", 1, Duration::from_secs(1)),
    ("api.trustpilot.com", 1, Duration::from_secs(1)),
    // The public pages (`mode = "page"`): one request at a time, slowly.
    ("www.trustpilot.com", 1, Duration::from_secs(10)),
    ("mybusiness.googleapis.com", 1, Duration::from_secs(1)),
    ("maps.googleapis.com", 1, Duration::from_secs(1)),
    ("places.googleapis.com", 1, Duration::from_secs(1)),
    ("api.yelp.com", 1, Duration::from_secs(1)),
    ("www.kiyoh.com", 1, Duration::from_secs(2)),
    ("www.klantenvertellen.nl", 1, Duration::from_secs(2)),
];

/// (concurrency, min gap) of a platform host in [`PLATFORM_HOSTS`].
pub fn platform_host_limits(host: &str) -> Option<(usize, Duration)> {
    PLATFORM_HOSTS
        .iter()
        .find(|(h, _, _)| h.eq_ignore_ascii_case(host))
        .map(|&(_, c, g)| (c, g))
}
const fn yes() -> bool {
    true
}
pub(crate) const fn one_page() -> NonZeroU32 {
    NonZeroU32::MIN
}

/// The options of each source type.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceOptions {
    Feed,
    Jsonld(JsonldOptions),
    Html(HtmlOptions),
    Json(JsonOptions),
    TrustedShops(trusted_shops::TrustedShopsOptions),
    Amazon(amazon::AmazonOptions),
    Ebay(ebay::EbayOptions),
    Etsy(etsy::EtsyOptions),
    GoogleAlerts(GoogleAlertsOptions),
    Talkwalker(TalkwalkerOptions),
    Reddit(RedditOptions),
    Mastodon(MastodonOptions),
    Hackernews(HackernewsOptions),
    Bluesky(BlueskyOptions),
    Youtube(YoutubeOptions),
    Facebook(FacebookOptions),
    Trustpilot(TrustpilotOptions),
    GoogleBusiness(GoogleBusinessOptions),
    GooglePlaces(GooglePlacesOptions),
    Yelp(YelpOptions),
    Kiyoh(KiyohOptions),
}

impl SourceOptions {
    /// `max_pages` of the type (1 for types that do not paginate).
    pub fn max_pages(&self) -> u32 {
        match self {
            SourceOptions::Feed => 1,
            SourceOptions::Jsonld(o) => o.max_pages.get(),
            SourceOptions::Html(o) => o.max_pages.get(),
            SourceOptions::Json(o) => o.max_pages.get(),
            SourceOptions::TrustedShops(o) => o.max_pages.get(),
            SourceOptions::Amazon(_) => 1,
            SourceOptions::Ebay(o) => o.max_pages.get(),
            SourceOptions::Etsy(o) => o.max_pages.get(),
            SourceOptions::GoogleAlerts(_) | SourceOptions::Talkwalker(_) => 1,
            SourceOptions::Reddit(o) => o.max_pages.get(),
            SourceOptions::Mastodon(o) => o.max_pages.get(),
            SourceOptions::Hackernews(o) => o.max_pages.get(),
            SourceOptions::Bluesky(o) => o.max_pages.get(),
            SourceOptions::Youtube(o) => o.max_pages.get(),
            SourceOptions::Facebook(o) => o.max_pages.get(),
            SourceOptions::Trustpilot(o) => o.max_pages.get(),
            SourceOptions::GoogleBusiness(o) => o.max_pages.get(),
            SourceOptions::GooglePlaces(_) | SourceOptions::Yelp(_) | SourceOptions::Kiyoh(_) => 1,
        }
    }

    /// The URL to poll when the table sets no `url`: a preset builds it from its ids
    /// (and `api_base`). `None` for the generic types, which need `url`; `Err` names
    /// what is missing.
    pub fn default_url(&self) -> Option<Result<Url, String>> {
        match self {
            SourceOptions::Feed
            | SourceOptions::Jsonld(_)
            | SourceOptions::Html(_)
            | SourceOptions::Json(_) => None,
            SourceOptions::TrustedShops(o) => Some(o.default_url()),
            SourceOptions::Amazon(o) => Some(o.default_url()),
            SourceOptions::Ebay(o) => Some(o.default_url()),
            SourceOptions::Etsy(o) => Some(o.default_url()),
            SourceOptions::GoogleAlerts(o) => Some(o.default_url()),
            SourceOptions::Talkwalker(o) => Some(o.default_url()),
            SourceOptions::Reddit(o) => Some(o.default_url()),
            SourceOptions::Mastodon(o) => Some(o.default_url()),
            SourceOptions::Hackernews(o) => Some(o.default_url()),
            SourceOptions::Bluesky(o) => Some(o.default_url()),
            SourceOptions::Youtube(o) => Some(o.default_url()),
            SourceOptions::Facebook(o) => Some(o.default_url()),
            SourceOptions::Trustpilot(_)
            | SourceOptions::GoogleBusiness(_)
            | SourceOptions::GooglePlaces(_)
            | SourceOptions::Yelp(_)
            | SourceOptions::Kiyoh(_) => presets_reviews::default_url(self),
        }
    }
}

/// A preset's credential: its `<name>_file` / `<name>_env` pair, checked like a json
/// source's `secret_file` / `secret_env`.
pub struct SecretKeys<'a> {
    /// `client_secret` for `client_secret_file` / `client_secret_env`.
    pub name: &'static str,
    pub file: Option<&'a Path>,
    pub env: Option<&'a str>,
    /// Whether the preset cannot work without it.
    pub required: bool,
}

/// A secret file path as configured, made relative to the config file's directory.
pub fn relative_to(base_dir: &Path, path: Option<PathBuf>) -> Option<PathBuf> {
    path.map(|p| if p.is_relative() { base_dir.join(p) } else { p })
}

/// A preset's options: every key but the common ones, deserialized as one table
/// (its struct denies unknown keys, so errors name line and key).
fn preset<T: serde::de::DeserializeOwned>(
    spans: &Spans<'_>,
    path: &str,
    entry: &toml::Spanned<DeValue<'_>>,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    section(
        spans,
        path,
        &sub_table(entry, |k| !COMMON_KEYS.contains(&k)),
        problems,
    )
}

fn check_secret_keys(id: &str, keys: &[SecretKeys<'_>], spans: &Spans<'_>, p: &mut Vec<Problem>) {
    for s in keys {
        let file_key = format!("sources.{id}.{}_file", s.name);
        let env_key = format!("sources.{id}.{}_env", s.name);
        if s.required && s.file.is_none() && s.env.is_none() {
            p.push(spans.problem(
                &file_key,
                format!("missing: set {0}_file or {0}_env", s.name),
            ));
            continue;
        }
        secret::check(p, spans, &file_key, &env_key, s.file, s.env);
    }
}

/// `type = "jsonld"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonldOptions {
    /// Pages read per poll (1 to 50), following `<link rel="next">` / `<a
    /// rel="next">`, or `page_param`.
    #[serde(default = "one_page")]
    pub max_pages: NonZeroU32,
    /// Query parameter holding the page number: the next page is this URL with it
    /// incremented (absent = page 1). Replaces the `rel="next"` links.
    pub page_param: Option<String>,
}

impl Default for JsonldOptions {
    fn default() -> Self {
        Self {
            max_pages: one_page(),
            page_param: None,
        }
    }
}

/// `type = "html"`: `max_pages` and the [`HtmlMapping`] keys (`item`, `next`,
/// `page_param`, `fields`).
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlOptions {
    /// Pages read per poll (1 to 50), following the mapping's next page.
    pub max_pages: NonZeroU32,
    pub mapping: HtmlMapping,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Paging {
    #[serde(default = "one_page")]
    max_pages: NonZeroU32,
}

/// `type = "json"`: the request keys and the [`JsonMapping`] keys.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonOptions {
    /// Pages read per poll (1 to 50), following the mapping's next page.
    pub max_pages: NonZeroU32,
    /// Extra request headers; values may hold `{secret}`.
    pub headers: BTreeMap<String, String>,
    /// The secret for `{secret}`, from a file (first line) ...
    pub secret_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub secret_env: Option<String>,
    pub mapping: JsonMapping,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRequest {
    #[serde(default = "one_page")]
    max_pages: NonZeroU32,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    secret_file: Option<PathBuf>,
    secret_env: Option<String>,
}

impl JsonOptions {
    /// Whether the URL or a header value uses `{secret}`.
    pub fn uses_secret(&self, url: &Url) -> bool {
        url_has_placeholder(url, SECRET_PLACEHOLDER)
            || self
                .headers
                .values()
                .any(|v| v.contains(SECRET_PLACEHOLDER))
    }
}

/// `{name}` in a URL, as written or as the URL parser percent-encoded it in a path.
pub fn url_has_placeholder(url: &Url, placeholder: &str) -> bool {
    let s = url.as_str();
    let encoded = placeholder.replace('{', "%7B").replace('}', "%7D");
    s.contains(placeholder)
        || s.to_ascii_uppercase()
            .contains(&encoded.to_ascii_uppercase())
}

/// A table holding only the entries of `table` whose key passes `keep`; same span.
fn sub_table<'i>(
    table: &toml::Spanned<DeValue<'i>>,
    keep: impl Fn(&str) -> bool,
) -> toml::Spanned<DeValue<'i>> {
    let mut out = DeTable::new();
    if let DeValue::Table(t) = table.get_ref() {
        for (k, v) in t.iter() {
            if keep(k.get_ref().as_ref()) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    toml::Spanned::new(table.span(), DeValue::Table(out))
}

/// Read one `[sources.<id>]` table (`path` is `sources.<id>`); problems are pushed.
pub(super) fn parse(
    spans: &Spans<'_>,
    path: &str,
    entry: &toml::Spanned<DeValue<'_>>,
    base_dir: &Path,
    problems: &mut Vec<Problem>,
) -> Option<SourceConfig> {
    let DeValue::Table(table) = entry.get_ref() else {
        problems.push(spans.problem(path, "must be a table"));
        return None;
    };
    let common = sub_table(entry, |k| COMMON_KEYS.contains(&k));
    // The other keys are checked once the type is known; without a valid type, only
    // the common keys can be judged.
    let common: Common = section(spans, path, &common, problems)?;
    let kind = common.kind;
    let own = kind.keys();
    let mut foreign = false;
    for k in table.keys() {
        let k = k.get_ref().as_ref();
        if COMMON_KEYS.contains(&k) || own.contains(&k) {
            continue;
        }
        foreign = true;
        let owners: Vec<&str> = SourceKind::ALL
            .iter()
            .filter(|t| t.keys().contains(&k))
            .map(|t| t.as_str())
            .collect();
        let message = if owners.is_empty() {
            let mut all: Vec<&str> = COMMON_KEYS.to_vec();
            all.extend(&own);
            format!(
                "unknown key; expected one of: {}",
                all.iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!(
                "not a key of a {} source (it belongs to {})",
                kind.as_str(),
                owners.join(", ")
            )
        };
        problems.push(spans.problem(format!("{path}.{k}"), message));
    }
    if foreign {
        return None;
    }
    let options = match kind {
        SourceKind::Feed => SourceOptions::Feed,
        SourceKind::Jsonld => SourceOptions::Jsonld(section(
            spans,
            path,
            &sub_table(entry, |k| !COMMON_KEYS.contains(&k)),
            problems,
        )?),
        SourceKind::Html => {
            let paging: Option<Paging> = section(
                spans,
                path,
                &sub_table(entry, |k| PAGING_KEYS.contains(&k)),
                problems,
            );
            let mapping: Option<HtmlMapping> = section(
                spans,
                path,
                &sub_table(entry, |k| HTML_MAPPING_KEYS.contains(&k)),
                problems,
            );
            SourceOptions::Html(HtmlOptions {
                max_pages: paging?.max_pages,
                mapping: mapping?,
            })
        }
        SourceKind::Json => {
            let request: Option<JsonRequest> = section(
                spans,
                path,
                &sub_table(entry, |k| JSON_REQUEST_KEYS.contains(&k)),
                problems,
            );
            let mapping: Option<JsonMapping> = section(
                spans,
                path,
                &sub_table(entry, |k| JSON_MAPPING_KEYS.contains(&k)),
                problems,
            );
            let request = request?;
            let secret_file = request
                .secret_file
                .map(|p| if p.is_relative() { base_dir.join(p) } else { p });
            SourceOptions::Json(JsonOptions {
                max_pages: request.max_pages,
                headers: request.headers,
                secret_file,
                secret_env: request.secret_env,
                mapping: mapping?,
            })
        }
        SourceKind::TrustedShops => {
            let mut o: trusted_shops::TrustedShopsOptions = preset(spans, path, entry, problems)?;
            o.resolve_paths(base_dir);
            SourceOptions::TrustedShops(o)
        }
        SourceKind::Amazon => SourceOptions::Amazon(preset(spans, path, entry, problems)?),
        SourceKind::Ebay => {
            let mut o: ebay::EbayOptions = preset(spans, path, entry, problems)?;
            o.resolve_paths(base_dir);
            SourceOptions::Ebay(o)
        }
        SourceKind::Etsy => {
            let mut o: etsy::EtsyOptions = preset(spans, path, entry, problems)?;
            o.resolve_paths(base_dir);
            SourceOptions::Etsy(o)
        }
        SourceKind::GoogleAlerts
        | SourceKind::Talkwalker
        | SourceKind::Reddit
        | SourceKind::Mastodon
        | SourceKind::Hackernews
        | SourceKind::Bluesky
        | SourceKind::Youtube
        | SourceKind::Facebook => mentions::parse(kind, spans, path, entry, base_dir, problems)?,
        SourceKind::Trustpilot => SourceOptions::Trustpilot(
            preset::<TrustpilotOptions>(spans, path, entry, problems)?.with_base_dir(base_dir),
        ),
        SourceKind::GoogleBusiness => SourceOptions::GoogleBusiness(
            preset::<GoogleBusinessOptions>(spans, path, entry, problems)?.with_base_dir(base_dir),
        ),
        SourceKind::GooglePlaces => SourceOptions::GooglePlaces(
            preset::<GooglePlacesOptions>(spans, path, entry, problems)?.with_base_dir(base_dir),
        ),
        SourceKind::Yelp => SourceOptions::Yelp(
            preset::<YelpOptions>(spans, path, entry, problems)?.with_base_dir(base_dir),
        ),
        SourceKind::Kiyoh => SourceOptions::Kiyoh(
            preset::<KiyohOptions>(spans, path, entry, problems)?.with_base_dir(base_dir),
        ),
    };
    let url = match (common.url, options.default_url()) {
        (Some(url), _) => url,
        (None, Some(Ok(url))) => url,
        (None, Some(Err(message))) => {
            problems.push(spans.problem(format!("{path}.url"), message));
            return None;
        }
        (None, None) => {
            problems.push(spans.problem(
                format!("{path}.url"),
                format!("missing: a {} source needs a url", kind.as_str()),
            ));
            return None;
        }
    };
    Some(SourceConfig {
        kind,
        url,
        interval: common.interval.unwrap_or(kind.default_interval()),
        enabled: common.enabled,
        language: common.language,
        negative_at_or_below: common
            .negative_at_or_below
            .or(kind.default_negative_at_or_below()),
        rating_scale: common.rating_scale,
        rating_shift: common.rating_shift,
        market: common.market,
        on_disagreement: common.on_disagreement,
        brand: common.brand,
        platform: common.platform,
        alert_answered: common.alert_answered,
        options,
    })
}

/// Semantic checks of one source (`k` builds its full keys).
pub(super) fn validate(id: &str, s: &SourceConfig, spans: &Spans<'_>, p: &mut Vec<Problem>) {
    let k = |f: &str| format!("sources.{id}.{f}");
    match s.url.scheme() {
        "http" | "https" => {
            if s.url.host_str().is_none() {
                p.push(spans.problem(k("url"), "has no host"));
            }
        }
        "file" => {}
        other => p.push(spans.problem(
            k("url"),
            format!("scheme {other:?} is not supported; use http, https or file"),
        )),
    }
    if s.interval < Duration::from_secs(1) {
        p.push(spans.problem(k("interval"), "must be at least 1s"));
    }
    if let Some(lang) = &s.language
        && !(lang.len() == 2 && lang.bytes().all(|b| b.is_ascii_lowercase()))
    {
        p.push(spans.problem(
            k("language"),
            "must be a two-letter ISO 639-1 code such as \"de\"",
        ));
    }
    if let Some(t) = s.negative_at_or_below
        && (!t.is_finite() || t < 0.0)
    {
        p.push(spans.problem(k("negative_at_or_below"), "must be a number >= 0"));
    }
    if let Some(x) = s.rating_shift
        && !(x.is_finite() && x.abs() <= 10.0)
    {
        p.push(spans.problem(k("rating_shift"), "must be a number between -10 and 10"));
    }
    if let Some(pl) = &s.platform
        && !valid_id(pl)
    {
        p.push(spans.problem(k("platform"), ID_HELP));
    }
    if s.options.max_pages() > MAX_PAGES {
        p.push(spans.problem(k("max_pages"), format!("must be between 1 and {MAX_PAGES}")));
    }
    let mut mapping_problems = |list: Vec<(String, String)>| {
        for (key, message) in list {
            p.push(spans.problem(k(&key), message));
        }
    };
    match &s.options {
        SourceOptions::Feed => {}
        SourceOptions::Jsonld(o) => {
            if let Some(param) = &o.page_param
                && (param.trim().is_empty() || param != param.trim())
            {
                mapping_problems(vec![(
                    "page_param".into(),
                    "must be a query parameter name without surrounding spaces".into(),
                )]);
            }
        }
        SourceOptions::Html(o) => mapping_problems(o.mapping.validate()),
        SourceOptions::Json(o) => {
            mapping_problems(o.mapping.validate());
            validate_json_request(id, s, o, spans, p);
        }
        SourceOptions::TrustedShops(o) => {
            mapping_problems(o.validate());
            check_secret_keys(id, &o.secret_keys(), spans, p);
        }
        SourceOptions::Amazon(o) => mapping_problems(o.validate()),
        SourceOptions::Ebay(o) => {
            mapping_problems(o.validate());
            check_secret_keys(id, &o.secret_keys(), spans, p);
        }
        SourceOptions::Etsy(o) => {
            mapping_problems(o.validate());
            check_secret_keys(id, &o.secret_keys(), spans, p);
        }
        SourceOptions::GoogleAlerts(_)
        | SourceOptions::Talkwalker(_)
        | SourceOptions::Reddit(_)
        | SourceOptions::Mastodon(_)
        | SourceOptions::Hackernews(_)
        | SourceOptions::Bluesky(_)
        | SourceOptions::Youtube(_)
        | SourceOptions::Facebook(_) => mentions::validate(id, s, spans, p),
        SourceOptions::Trustpilot(_)
        | SourceOptions::GoogleBusiness(_)
        | SourceOptions::GooglePlaces(_)
        | SourceOptions::Yelp(_)
        | SourceOptions::Kiyoh(_) => presets_reviews::validate(id, s, spans, p),
    }
}

/// Non-fatal advice for one enabled source of a preset type.
pub fn preset_warnings(id: &str, s: &SourceConfig) -> Vec<String> {
    let mut w = mentions::warnings(id, s);
    w.extend(presets_reviews::warnings(id, s));
    w
}

fn validate_json_request(
    id: &str,
    s: &SourceConfig,
    o: &JsonOptions,
    spans: &Spans<'_>,
    p: &mut Vec<Problem>,
) {
    let k = |f: &str| format!("sources.{id}.{f}");
    for (name, value) in &o.headers {
        let key = k(&format!("headers.{name}"));
        match reqwest::header::HeaderName::from_bytes(name.as_bytes()) {
            Err(_) => p.push(spans.problem(&key, "is not a valid header name")),
            Ok(h) if RESERVED_HEADERS.contains(&h.as_str()) => p.push(spans.problem(
                &key,
                "is set by reviewradar itself and cannot be configured",
            )),
            Ok(_) => {}
        }
        // Checked with the placeholder in place: the secret itself is checked when
        // it is filled in (and never shown).
        if reqwest::header::HeaderValue::from_str(value).is_err() {
            p.push(spans.problem(
                &key,
                "is not a valid header value (one line of visible ASCII)",
            ));
        }
    }
    let has_secret = o.secret_file.is_some() || o.secret_env.is_some();
    let uses = o.uses_secret(&s.url);
    if uses && !has_secret {
        p.push(spans.problem(
            k("secret_file"),
            "url or headers use {secret}: set secret_file or secret_env",
        ));
    }
    if has_secret && !uses {
        let key = if o.secret_file.is_some() {
            "secret_file"
        } else {
            "secret_env"
        };
        p.push(spans.problem(
            k(key),
            "is set, but neither url nor a header value uses {secret}",
        ));
    }
    secret::check(
        p,
        spans,
        &k("secret_file"),
        &k("secret_env"),
        o.secret_file.as_deref(),
        o.secret_env.as_deref(),
    );
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{Config, ConfigError};
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_str_at(text, Path::new("/etc/reviewradar/test.toml"))
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

    const HTML: &str = r#"[sources.shop]
type = "html"
url = "https://reviews.example/shop/kettlewerk"
max_pages = 3
item = "div.review"
next = "a.next"
[sources.shop.fields]
id = { attr = "data-id" }
text = ".body"
rating = { selector = ".stars", attr = "aria-label" }
date = { selector = "time", attr = "datetime" }
"#;

    const JSON: &str = r#"[sources.api]
type = "json"
url = "https://api.example/v2/places/42/reviews?lang=de"
max_pages = 4
headers = { Authorization = "Bearer {secret}", Accept = "application/json" }
secret_env = "REVIEWRADAR_TEST_API_TOKEN"
items = "/reviews"
next_cursor = "/next"
cursor_param = "cursor"
rating_max = 5
[sources.api.fields]
id = "/id"
text = "/comment"
rating = "/stars"
date = "/created"
"#;

    fn set_token() {
        // SAFETY: no test reads this variable concurrently with a write of another value.
        unsafe { std::env::set_var("REVIEWRADAR_TEST_API_TOKEN", "t0ken") };
    }

    #[test]
    fn html_source_reads_its_mapping_and_pages() {
        let c = load(HTML).unwrap_or_else(|e| panic!("{e}"));
        let s = &c.sources["shop"];
        assert_eq!(s.kind, SourceKind::Html);
        assert_eq!(s.kind.as_str(), "html");
        let SourceOptions::Html(o) = &s.options else {
            panic!("{:?}", s.options)
        };
        assert_eq!(o.max_pages.get(), 3);
        assert_eq!(o.mapping.item, "div.review");
        assert_eq!(o.mapping.next.as_deref(), Some("a.next"));
        assert!(o.mapping.fields.rating.is_some());
        // max_pages defaults to 1.
        let c = load(&HTML.replace("max_pages = 3\n", "")).unwrap();
        assert_eq!(c.sources["shop"].options.max_pages(), 1);
    }

    #[test]
    fn json_source_reads_request_keys_and_mapping() {
        set_token();
        let c = load(JSON).unwrap_or_else(|e| panic!("{e}"));
        let s = &c.sources["api"];
        let SourceOptions::Json(o) = &s.options else {
            panic!("{:?}", s.options)
        };
        assert_eq!(o.max_pages.get(), 4);
        assert_eq!(o.headers["Authorization"], "Bearer {secret}");
        assert_eq!(o.secret_env.as_deref(), Some("REVIEWRADAR_TEST_API_TOKEN"));
        assert_eq!(o.mapping.items, "/reviews");
        assert_eq!(o.mapping.cursor_param.as_deref(), Some("cursor"));
        assert!(o.uses_secret(&s.url));
        // `{secret}` in a path is found after the URL parser encoded it.
        let c = load(
            &JSON
                .replace("v2/places", "v2/{secret}/places")
                .replace("Bearer {secret}", "none"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(c.sources["api"].url.as_str().contains("%7Bsecret%7D"));
    }

    #[test]
    fn jsonld_source_pages() {
        let c = load("[sources.p]\ntype = \"jsonld\"\nurl = \"https://shop.example/p\"\nmax_pages = 5\npage_param = \"page\"\n").unwrap();
        let SourceOptions::Jsonld(o) = &c.sources["p"].options else {
            panic!()
        };
        assert_eq!(
            (o.max_pages.get(), o.page_param.as_deref()),
            (5, Some("page"))
        );
        let c = load("[sources.p]\ntype = \"jsonld\"\nurl = \"https://shop.example/p\"\n").unwrap();
        assert_eq!(
            c.sources["p"].options,
            SourceOptions::Jsonld(JsonldOptions::default())
        );
        let c = load("[sources.f]\ntype = \"feed\"\nurl = \"https://shop.example/f\"\n").unwrap();
        assert_eq!(c.sources["f"].options, SourceOptions::Feed);
    }

    #[test]
    fn nested_unknown_keys_name_line_and_full_key() {
        let p = problems(&HTML.replace("text = \".body\"", "ratng = \".stars\""));
        assert!(
            p.contains("9: sources.shop.fields.ratng: unknown key"),
            "{p}"
        );
        set_token();
        let p = problems(&JSON.replace("text = \"/comment\"", "txt = \"/comment\""));
        assert!(p.contains("13: sources.api.fields.txt: unknown key"), "{p}");
        let p = problems(&HTML.replace("id = { attr", "id = { atr"));
        assert!(p.contains("8: sources.shop.fields.id"), "{p}");
        assert!(p.contains("unknown key"), "{p}");
    }

    #[test]
    fn keys_of_another_type_or_none_are_named() {
        let p = problems(
            "[sources.f]\ntype = \"feed\"\nurl = \"https://shop.example/f\"\nitem = \"div\"\nmax_pages = 2\n\n[sources.j]\ntype = \"jsonld\"\nurl = \"https://shop.example/p\"\nheaders = { A = \"b\" }\ncolour = \"red\"\n",
        );
        assert!(
            p.contains("4: sources.f.item: not a key of a feed source (it belongs to html)"),
            "{p}"
        );
        assert!(
            // Presets with pages follow the generic types in the list.
            p.contains("5: sources.f.max_pages: not a key of a feed source (it belongs to jsonld, html, json"),
            "{p}"
        );
        assert!(
            p.contains("10: sources.j.headers: not a key of a jsonld source (it belongs to json)"),
            "{p}"
        );
        assert!(
            p.contains("11: sources.j.colour: unknown key; expected one of: `type`"),
            "{p}"
        );
        assert!(p.contains("`max_pages`, `page_param`"), "{p}");
    }

    #[test]
    fn max_pages_is_bounded() {
        let p = problems(&HTML.replace("max_pages = 3", "max_pages = 0"));
        assert!(p.starts_with("4: sources.shop.max_pages:"), "{p}");
        let p = problems(&HTML.replace("max_pages = 3", "max_pages = 51"));
        assert_eq!(p, "4: sources.shop.max_pages: must be between 1 and 50");
        let p = problems(&HTML.replace("max_pages = 3", "max_pages = \"all\""));
        assert!(p.starts_with("4: sources.shop.max_pages:"), "{p}");
    }

    #[test]
    fn mapping_problems_carry_the_source_prefix() {
        let p = problems(
            &HTML
                .replace("item = \"div.review\"", "item = \"div[\"")
                .replace("next = \"a.next\"", "next = \"a.next\"\npage_param = \"p\""),
        );
        assert!(
            p.contains("5: sources.shop.item: invalid CSS selector"),
            "{p}"
        );
        assert!(
            p.contains("7: sources.shop.page_param: set either `next` or `page_param`"),
            "{p}"
        );
        let p = problems(&HTML.replace(
            "text = \".body\"",
            "text = { selector = \".b\", format = \"%d\" }",
        ));
        assert!(
            p.contains("9: sources.shop.fields.text.format: only date fields"),
            "{p}"
        );
        set_token();
        let p = problems(&JSON.replace("items = \"/reviews\"", "items = \"reviews\""));
        assert!(
            p.contains("7: sources.api.items: \"reviews\" is not a JSON pointer"),
            "{p}"
        );
        let p = problems(&JSON.replace("cursor_param = \"cursor\"\n", ""));
        assert!(
            p.contains("sources.api.cursor_param: is required with next_cursor"),
            "{p}"
        );
        let p = problems(
            "[sources.p]\ntype = \"jsonld\"\nurl = \"https://shop.example/p\"\npage_param = \" \"\n",
        );
        assert!(
            p.contains("4: sources.p.page_param: must be a query parameter"),
            "{p}"
        );
    }

    #[test]
    fn secrets_and_headers_are_checked() {
        // {secret} used but no secret configured.
        let p = problems(&JSON.replace("secret_env = \"REVIEWRADAR_TEST_API_TOKEN\"\n", ""));
        assert!(
            p.contains("sources.api.secret_file: url or headers use {secret}: set secret_file or secret_env"),
            "{p}"
        );
        // A secret file that does not exist, like notifiers.
        let p = problems(&JSON.replace(
            "secret_env = \"REVIEWRADAR_TEST_API_TOKEN\"",
            "secret_file = \"/nonexistent/api-token\"",
        ));
        assert!(
            p.contains("6: sources.api.secret_file: cannot read /nonexistent/api-token"),
            "{p}"
        );
        let p = problems(&JSON.replace(
            "REVIEWRADAR_TEST_API_TOKEN",
            "REVIEWRADAR_TEST_UNSET_VARIABLE_4711",
        ));
        assert!(
            p.contains("6: sources.api.secret_env: environment variable REVIEWRADAR_TEST_UNSET_VARIABLE_4711 is not set"),
            "{p}"
        );
        // A secret nobody uses is a mistake.
        set_token();
        let p = problems(&JSON.replace("Bearer {secret}", "Bearer fixed"));
        assert!(
            p.contains("6: sources.api.secret_env: is set, but neither url nor a header value uses {secret}"),
            "{p}"
        );
        // Header names and reserved headers.
        let p = problems(
            &JSON
                .replace("Accept =", "\"Bad Header\" =")
                .replace("Authorization =", "Host = \"x\", Authorization ="),
        );
        assert!(
            p.contains("5: sources.api.headers.Bad Header: is not a valid header name"),
            "{p}"
        );
        assert!(
            p.contains("5: sources.api.headers.Host: is set by reviewradar itself"),
            "{p}"
        );
        let p = problems(&JSON.replace("application/json", "a\\nb"));
        assert!(
            p.contains("sources.api.headers.Accept: is not a valid header value"),
            "{p}"
        );
    }

    #[test]
    fn relative_secret_file_follows_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "abc\n").unwrap();
        let text = JSON.replace(
            "secret_env = \"REVIEWRADAR_TEST_API_TOKEN\"",
            "secret_file = \"token\"",
        );
        let c = Config::from_str_at(&text, &dir.path().join("c.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
        let SourceOptions::Json(o) = &c.sources["api"].options else {
            panic!()
        };
        assert_eq!(
            o.secret_file.as_deref(),
            Some(dir.path().join("token").as_path())
        );
    }

    #[test]
    fn a_secret_over_plain_http_warns() {
        set_token();
        let c = load(&JSON.replace("https://api.example", "http://api.example")).unwrap();
        assert!(
            c.warnings()
                .iter()
                .any(|w| w == "sources.api.url: sends its secret to a remote host over plain http"),
            "{:?}",
            c.warnings()
        );
        let c = load(JSON).unwrap();
        assert!(!c.warnings().iter().any(|w| w.contains("plain http")));
    }

    #[test]
    fn the_type_must_be_known() {
        let p =
            problems("[sources.b]\ntype = \"rss\"\nurl = \"https://x.example\"\nitem = \"x\"\n");
        assert!(p.contains("2: sources.b.type:"), "{p}");
        assert!(p.contains("html"), "the message lists the types: {p}");
        // Without a valid type, keys of the types are not judged.
        assert!(!p.contains("sources.b.item"), "{p}");
    }
}
