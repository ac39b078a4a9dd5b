//! Options of the review-platform presets: `trustpilot`, `google_business`,
//! `google_places`, `yelp` and `kiyoh`.
//!
//! Each preset names its platform's ids and credentials; [`SourceOptions::default_url`]
//! builds the endpoint from them and from `api_base` (the common `url` key, when set,
//! wins). Credentials come from a `<name>_file` / `<name>_env` pair and are read into
//! a [`super::Secret`]: never into the URL as written, never into a log line.
//!
//! [`SourceOptions::default_url`]: super::SourceOptions::default_url

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use url::Url;

use super::source::{SECRET_PLACEHOLDER, SourceConfig, SourceOptions, relative_to};
use super::{Problem, Spans, secret};
use crate::sources::api_base;

/// Trustpilot's API host.
pub const TRUSTPILOT_API_BASE: &str = "https://api.trustpilot.com";
/// Trustpilot's public site (`mode = "page"`, and the review links of both modes).
pub const TRUSTPILOT_SITE_BASE: &str = "https://www.trustpilot.com";
/// Google Business Profile API (v4 reviews).
pub const GOOGLE_BUSINESS_API_BASE: &str = "https://mybusiness.googleapis.com";
/// Places API (legacy) place details.
pub const GOOGLE_PLACES_LEGACY_BASE: &str = "https://maps.googleapis.com";
/// Places API (New).
pub const GOOGLE_PLACES_NEW_BASE: &str = "https://places.googleapis.com";
/// Yelp Fusion.
pub const YELP_API_BASE: &str = "https://api.yelp.com";
/// Kiyoh; Klantenvertellen is `https://www.klantenvertellen.nl`.
pub const KIYOH_API_BASE: &str = "https://www.kiyoh.com";

/// Reviews per page of the Trustpilot API when `per_page` is not set.
pub const TRUSTPILOT_DEFAULT_PER_PAGE: u32 = 50;
/// The Trustpilot API's largest page.
pub const TRUSTPILOT_MAX_PER_PAGE: u32 = 100;
/// Reviews per page of the Business Profile API (its maximum).
pub const GOOGLE_BUSINESS_PAGE_SIZE: u32 = 50;
/// Reviews per Kiyoh request (the publication feed has no pages).
pub const KIYOH_LIMIT: u32 = 50;

pub(super) const TRUSTPILOT_KEYS: &[&str] = &[
    "mode",
    "business_unit_id",
    "domain",
    "api_base",
    "api_key_file",
    "api_key_env",
    "per_page",
    "max_pages",
];
pub(super) const GOOGLE_BUSINESS_KEYS: &[&str] = &[
    "account_id",
    "location_id",
    "api_base",
    "access_token_file",
    "access_token_env",
    "max_pages",
];
pub(super) const GOOGLE_PLACES_KEYS: &[&str] = &[
    "mode",
    "place_id",
    "api_base",
    "api_key_file",
    "api_key_env",
];
pub(super) const YELP_KEYS: &[&str] = &[
    "business_id",
    "api_base",
    "api_key_file",
    "api_key_env",
    "locale",
];
pub(super) const KIYOH_KEYS: &[&str] =
    &["location_id", "api_base", "api_token_file", "api_token_env"];

const fn one_page() -> NonZeroU32 {
    NonZeroU32::MIN
}

/// Ids and values going into a URL path are encoded as one path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

// ---------------------------------------------------------------------------
// trustpilot

/// How a `trustpilot` source reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustpilotMode {
    /// The official API (needs an API key).
    #[default]
    Api,
    /// The public profile page of your own business (opt-in; see the README).
    Page,
}

/// `type = "trustpilot"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustpilotOptions {
    /// "api" (default): the official API. "page": the public profile page
    /// `https://www.trustpilot.com/review/<domain>` of your own business.
    #[serde(default)]
    pub mode: TrustpilotMode,
    /// `mode = "api"`: the business unit id (24 hex digits).
    pub business_unit_id: Option<String>,
    /// `mode = "page"`: the domain the profile is listed under (`kettlewerk.example`).
    pub domain: Option<String>,
    /// Replaces `https://api.trustpilot.com` (api) or `https://www.trustpilot.com`
    /// (page): a proxy, a regional site, a local test server.
    pub api_base: Option<Url>,
    /// `mode = "api"`: the API key, sent as the `apikey` header; from a file (first
    /// line) ...
    pub api_key_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub api_key_env: Option<String>,
    /// `mode = "api"`: reviews per page, 1 to 100 (default 50).
    pub per_page: Option<NonZeroU32>,
    /// Pages read per poll (1 to 50), newest first.
    #[serde(default = "one_page")]
    pub max_pages: NonZeroU32,
}

impl TrustpilotOptions {
    pub(super) fn with_base_dir(mut self, base_dir: &Path) -> Self {
        self.api_key_file = relative_to(base_dir, self.api_key_file.take());
        self
    }

    fn default_url(&self) -> Result<Url, String> {
        match self.mode {
            TrustpilotMode::Api => {
                let id = required(&self.business_unit_id, "business_unit_id", "trustpilot")?;
                let per_page = self
                    .per_page
                    .map_or(TRUSTPILOT_DEFAULT_PER_PAGE, NonZeroU32::get);
                endpoint(
                    self.api_base.as_ref(),
                    TRUSTPILOT_API_BASE,
                    &["v1", "business-units", id, "reviews"],
                    &format!("orderBy=createdat.desc&perPage={per_page}"),
                )
            }
            TrustpilotMode::Page => {
                let domain = required(&self.domain, "domain", "trustpilot (mode = \"page\")")?;
                endpoint(
                    self.api_base.as_ref(),
                    TRUSTPILOT_SITE_BASE,
                    &["review", domain],
                    "",
                )
            }
        }
    }
}

// ---------------------------------------------------------------------------
// google_business

/// `type = "google_business"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoogleBusinessOptions {
    /// The account id (the number of `accounts/<id>`).
    pub account_id: Option<String>,
    /// The location id (the number of `locations/<id>`).
    pub location_id: Option<String>,
    /// Replaces `https://mybusiness.googleapis.com`.
    pub api_base: Option<Url>,
    /// An OAuth 2.0 access token (scope `business.manage`), sent as `Authorization:
    /// Bearer`. **Read again at every poll**: a helper outside reviewradar refreshes
    /// the file before the token expires (an hour).
    pub access_token_file: Option<PathBuf>,
    /// ... or from an environment variable (fixed for the life of the process, so
    /// only for one-off runs: access tokens expire after an hour).
    pub access_token_env: Option<String>,
    /// Pages of 50 reviews read per poll (1 to 50), most recently updated first.
    #[serde(default = "one_page")]
    pub max_pages: NonZeroU32,
}

impl GoogleBusinessOptions {
    pub(super) fn with_base_dir(mut self, base_dir: &Path) -> Self {
        self.access_token_file = relative_to(base_dir, self.access_token_file.take());
        self
    }

    /// The ids without a pasted `accounts/` or `locations/` prefix.
    pub fn ids(&self) -> (Option<&str>, Option<&str>) {
        fn strip<'a>(s: &'a Option<String>, prefix: &str) -> Option<&'a str> {
            s.as_deref().map(|s| {
                let s = s.trim();
                s.strip_prefix(prefix).unwrap_or(s)
            })
        }
        (
            strip(&self.account_id, "accounts/"),
            strip(&self.location_id, "locations/"),
        )
    }

    fn default_url(&self) -> Result<Url, String> {
        let (account, location) = self.ids();
        let account = required(
            &account.map(str::to_string),
            "account_id",
            "google_business",
        )?
        .to_string();
        let location = required(
            &location.map(str::to_string),
            "location_id",
            "google_business",
        )?
        .to_string();
        endpoint(
            self.api_base.as_ref(),
            GOOGLE_BUSINESS_API_BASE,
            &[
                "v4",
                "accounts",
                &account,
                "locations",
                &location,
                "reviews",
            ],
            &format!("pageSize={GOOGLE_BUSINESS_PAGE_SIZE}"),
        )
    }
}

// ---------------------------------------------------------------------------
// google_places

/// Which Places API a `google_places` source asks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlacesMode {
    /// Places API (legacy): `/maps/api/place/details/json`, key in the query.
    #[default]
    Legacy,
    /// Places API (New): `places.googleapis.com/v1/places/<id>`, key in a header.
    New,
}

/// `type = "google_places"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GooglePlacesOptions {
    /// "legacy" (default) or "new".
    #[serde(default)]
    pub mode: PlacesMode,
    /// The place id (`ChIJ...`).
    pub place_id: Option<String>,
    /// Replaces `https://maps.googleapis.com` (legacy) or
    /// `https://places.googleapis.com` (new).
    pub api_base: Option<Url>,
    /// The API key: `key=` in the query (legacy) or `X-Goog-Api-Key` (new); from a
    /// file (first line) ...
    pub api_key_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub api_key_env: Option<String>,
}

impl GooglePlacesOptions {
    pub(super) fn with_base_dir(mut self, base_dir: &Path) -> Self {
        self.api_key_file = relative_to(base_dir, self.api_key_file.take());
        self
    }

    fn default_url(&self) -> Result<Url, String> {
        let id = required(&self.place_id, "place_id", "google_places")?;
        match self.mode {
            PlacesMode::Legacy => endpoint(
                self.api_base.as_ref(),
                GOOGLE_PLACES_LEGACY_BASE,
                &["maps", "api", "place", "details", "json"],
                &format!(
                    "place_id={}&fields=reviews&reviews_sort=newest&reviews_no_translations=true&key={SECRET_PLACEHOLDER}",
                    utf8_percent_encode(id, SEGMENT)
                ),
            ),
            PlacesMode::New => endpoint(
                self.api_base.as_ref(),
                GOOGLE_PLACES_NEW_BASE,
                &["v1", "places", id],
                "",
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// yelp

/// `type = "yelp"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YelpOptions {
    /// The business id or alias (`kettlewerk-amsterdam`).
    pub business_id: Option<String>,
    /// Replaces `https://api.yelp.com`.
    pub api_base: Option<Url>,
    /// The Fusion API key, sent as `Authorization: Bearer`; from a file ...
    pub api_key_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub api_key_env: Option<String>,
    /// Yelp locale (`nl_NL`, `de_DE`); Yelp picks the reviews' language by it.
    pub locale: Option<String>,
}

impl YelpOptions {
    pub(super) fn with_base_dir(mut self, base_dir: &Path) -> Self {
        self.api_key_file = relative_to(base_dir, self.api_key_file.take());
        self
    }

    fn default_url(&self) -> Result<Url, String> {
        let id = required(&self.business_id, "business_id", "yelp")?;
        let query = self
            .locale
            .as_deref()
            .map(|l| format!("locale={}", utf8_percent_encode(l.trim(), SEGMENT)))
            .unwrap_or_default();
        endpoint(
            self.api_base.as_ref(),
            YELP_API_BASE,
            &["v3", "businesses", id, "reviews"],
            &query,
        )
    }
}

// ---------------------------------------------------------------------------
// kiyoh

/// `type = "kiyoh"`: Kiyoh and Klantenvertellen.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KiyohOptions {
    /// The location id (a number, shown in the Kiyoh dashboard and review URLs).
    pub location_id: Option<String>,
    /// Replaces `https://www.kiyoh.com`; Klantenvertellen is
    /// `https://www.klantenvertellen.nl`.
    pub api_base: Option<Url>,
    /// The publication API token, sent as `X-Publication-Api-Token`; from a file ...
    pub api_token_file: Option<PathBuf>,
    /// ... or from an environment variable.
    pub api_token_env: Option<String>,
}

impl KiyohOptions {
    pub(super) fn with_base_dir(mut self, base_dir: &Path) -> Self {
        self.api_token_file = relative_to(base_dir, self.api_token_file.take());
        self
    }

    fn default_url(&self) -> Result<Url, String> {
        let id = required(&self.location_id, "location_id", "kiyoh")?;
        endpoint(
            self.api_base.as_ref(),
            KIYOH_API_BASE,
            &["v1", "publication", "review", "external"],
            &format!(
                "locationId={}&orderBy=CREATE_DATE&sortOrder=DESC&limit={KIYOH_LIMIT}",
                utf8_percent_encode(id, SEGMENT)
            ),
        )
    }
}

// ---------------------------------------------------------------------------
// Shared

fn required<'a>(v: &'a Option<String>, key: &str, kind: &str) -> Result<&'a str, String> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(format!(
            "missing: a {kind} source needs `{key}` (or a full `url`)"
        )),
    }
}

/// `base` (or `default`) + the path segments (each encoded) + `query`. The base may
/// have a path of its own (a proxy prefix); its query and fragment are ignored
/// (`validate` reports them).
fn endpoint(
    base: Option<&Url>,
    default: &str,
    segments: &[&str],
    query: &str,
) -> Result<Url, String> {
    let default = Url::parse(default).map_err(|e| format!("{default}: {e}"))?;
    let segments: Vec<&str> = segments.iter().map(|s| s.trim()).collect();
    let mut url = api_base::endpoint(base.unwrap_or(&default), &segments)?;
    if !query.is_empty() {
        url.set_query(Some(query));
    }
    Ok(url)
}

/// The URL a preset builds from its ids, `None` for the other types.
pub(super) fn default_url(o: &SourceOptions) -> Option<Result<Url, String>> {
    Some(match o {
        SourceOptions::Trustpilot(o) => o.default_url(),
        SourceOptions::GoogleBusiness(o) => o.default_url(),
        SourceOptions::GooglePlaces(o) => o.default_url(),
        SourceOptions::Yelp(o) => o.default_url(),
        SourceOptions::Kiyoh(o) => o.default_url(),
        _ => return None,
    })
}

/// Advice about a preset source: a credential sent to a remote host over plain
/// http (an `api_base` or `url` pointing at a proxy without TLS).
pub(super) fn warnings(id: &str, s: &SourceConfig) -> Vec<String> {
    let remote = s
        .url
        .host_str()
        .is_some_and(|h| !(h == "localhost" || h.starts_with("127.") || h == "[::1]"));
    if remote && s.url.scheme() == "http" && sends_credential(&s.options) {
        vec![format!(
            "sources.{id}.url: sends its secret to a remote host over plain http"
        )]
    } else {
        Vec::new()
    }
}

/// Whether the source sends a credential with its requests.
fn sends_credential(o: &SourceOptions) -> bool {
    match o {
        SourceOptions::Trustpilot(o) => o.mode == TrustpilotMode::Api,
        SourceOptions::GoogleBusiness(_)
        | SourceOptions::GooglePlaces(_)
        | SourceOptions::Yelp(_)
        | SourceOptions::Kiyoh(_) => true,
        _ => false,
    }
}

/// Where to get a credential, for the "missing" message.
struct Credential<'a> {
    file_key: &'static str,
    env_key: &'static str,
    file: Option<&'a Path>,
    env: Option<&'a str>,
    how: &'static str,
}

/// Semantic checks of a preset source (`s.options` is one of the presets).
pub(super) fn validate(id: &str, s: &SourceConfig, spans: &Spans<'_>, p: &mut Vec<Problem>) {
    let k = |f: &str| format!("sources.{id}.{f}");
    // Missing ids were reported by parse (unless an explicit `url` made them moot).
    let mut id_key = |key: &str, v: Option<&str>| {
        if let Some(v) = v
            && let Some(msg) = bad_id(v)
        {
            p.push(spans.problem(k(key), msg));
        }
    };
    let (base, credential) = match &s.options {
        SourceOptions::Trustpilot(o) => {
            id_key("business_unit_id", o.business_unit_id.as_deref());
            id_key("domain", o.domain.as_deref());
            match o.mode {
                TrustpilotMode::Api => {
                    if o.domain.is_some() {
                        p.push(spans.problem(
                            k("domain"),
                            "only with mode = \"page\"; the API reads business_unit_id",
                        ));
                    }
                    if let Some(n) = o.per_page
                        && n.get() > TRUSTPILOT_MAX_PER_PAGE
                    {
                        p.push(spans.problem(
                            k("per_page"),
                            format!("must be between 1 and {TRUSTPILOT_MAX_PER_PAGE}"),
                        ));
                    }
                }
                TrustpilotMode::Page => {
                    for (key, set) in [
                        ("business_unit_id", o.business_unit_id.is_some()),
                        ("per_page", o.per_page.is_some()),
                        ("api_key_file", o.api_key_file.is_some()),
                        ("api_key_env", o.api_key_env.is_some()),
                    ] {
                        if set {
                            p.push(spans.problem(
                                k(key),
                                "only with mode = \"api\" (the public page needs no key)",
                            ));
                        }
                    }
                }
            }
            let credential = (o.mode == TrustpilotMode::Api).then_some(Credential {
                file_key: "api_key_file",
                env_key: "api_key_env",
                file: o.api_key_file.as_deref(),
                env: o.api_key_env.as_deref(),
                how: "the API key of your Trustpilot Business account (Integrations > API)",
            });
            (o.api_base.as_ref(), credential)
        }
        SourceOptions::GoogleBusiness(o) => {
            let (account, location) = o.ids();
            id_key("account_id", account);
            id_key("location_id", location);
            let c = Credential {
                file_key: "access_token_file",
                env_key: "access_token_env",
                file: o.access_token_file.as_deref(),
                env: o.access_token_env.as_deref(),
                how: "an OAuth 2.0 access token with the business.manage scope, kept fresh by a helper",
            };
            (o.api_base.as_ref(), Some(c))
        }
        SourceOptions::GooglePlaces(o) => {
            id_key("place_id", o.place_id.as_deref());
            let c = Credential {
                file_key: "api_key_file",
                env_key: "api_key_env",
                file: o.api_key_file.as_deref(),
                env: o.api_key_env.as_deref(),
                how: "a Google Cloud API key with the Places API enabled",
            };
            (o.api_base.as_ref(), Some(c))
        }
        SourceOptions::Yelp(o) => {
            id_key("business_id", o.business_id.as_deref());
            if let Some(l) = &o.locale
                && !valid_locale(l)
            {
                p.push(spans.problem(
                    k("locale"),
                    "must be a Yelp locale such as \"en_US\" or \"nl_NL\"",
                ));
            }
            let c = Credential {
                file_key: "api_key_file",
                env_key: "api_key_env",
                file: o.api_key_file.as_deref(),
                env: o.api_key_env.as_deref(),
                how: "the API key of a Yelp Fusion app",
            };
            (o.api_base.as_ref(), Some(c))
        }
        SourceOptions::Kiyoh(o) => {
            id_key("location_id", o.location_id.as_deref());
            let c = Credential {
                file_key: "api_token_file",
                env_key: "api_token_env",
                file: o.api_token_file.as_deref(),
                env: o.api_token_env.as_deref(),
                how: "the publication API token from the Kiyoh dashboard",
            };
            (o.api_base.as_ref(), Some(c))
        }
        _ => return,
    };
    if let Some(base) = base {
        for (key, message) in api_base::check("api_base", base) {
            p.push(spans.problem(k(&key), message));
        }
    }
    if let Some(c) = credential {
        if c.file.is_none() && c.env.is_none() {
            p.push(spans.problem(
                k(c.file_key),
                format!("missing: set {} or {} ({})", c.file_key, c.env_key, c.how),
            ));
        } else {
            secret::check(p, spans, &k(c.file_key), &k(c.env_key), c.file, c.env);
        }
    }
}

/// Why an id cannot be one, if it cannot.
fn bad_id(v: &str) -> Option<&'static str> {
    let v = v.trim();
    if v.is_empty() {
        Some("must not be empty")
    } else if v.len() > 512 {
        Some("is too long to be an id")
    } else if v
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#'))
    {
        Some("must be a bare id, without spaces, '/', '?' or '#'")
    } else {
        None
    }
}

/// `nl_NL`, `fil_PH`: a language (2 or 3 letters), `_`, a country (2 letters).
fn valid_locale(l: &str) -> bool {
    match l.split_once('_') {
        Some((lang, country)) => {
            (2..=3).contains(&lang.len())
                && lang.bytes().all(|b| b.is_ascii_lowercase())
                && country.len() == 2
                && country.bytes().all(|b| b.is_ascii_uppercase())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::super::{Config, ConfigError, SourceKind};

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_str_at(text, Path::new("/etc/reviewradar/test.toml"))
    }

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

    /// A key file that exists, and its path as TOML.
    fn key_file() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("key");
        std::fs::write(&f, "k3y\n").unwrap();
        let path = f.display().to_string();
        (dir, path)
    }

    fn url(c: &Config, id: &str) -> String {
        c.sources[id].url.to_string()
    }

    #[test]
    fn trustpilot_api_and_page_build_their_urls() {
        let (_d, key) = key_file();
        let c = load(&format!(
            "[sources.tp]\ntype = \"trustpilot\"\nbusiness_unit_id = \"5f3a9c1e7b2d4e0a1c8b6f42\"\napi_key_file = \"{key}\"\nmax_pages = 3\n\n[sources.tp-page]\ntype = \"trustpilot\"\nmode = \"page\"\ndomain = \"kettlewerk.example\"\n"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            url(&c, "tp"),
            "https://api.trustpilot.com/v1/business-units/5f3a9c1e7b2d4e0a1c8b6f42/reviews?orderBy=createdat.desc&perPage=50"
        );
        assert_eq!(
            url(&c, "tp-page"),
            "https://www.trustpilot.com/review/kettlewerk.example"
        );
        let s = &c.sources["tp"];
        assert_eq!(s.kind, SourceKind::Trustpilot);
        assert_eq!(s.kind.as_str(), "trustpilot");
        assert_eq!(s.options.max_pages(), 3);
        assert_eq!(s.interval, Duration::from_secs(3600));
        assert_eq!(s.negative_at_or_below, Some(2.0));
        assert!(super::sends_credential(&s.options));
        assert!(!super::sends_credential(&c.sources["tp-page"].options));
        assert_eq!(c.sources["tp-page"].options.max_pages(), 1);
        // api_base (a proxy prefix) and per_page.
        let c = load(&format!(
            "[sources.tp]\ntype = \"trustpilot\"\nbusiness_unit_id = \"abc\"\napi_key_file = \"{key}\"\napi_base = \"http://127.0.0.1:8080/proxy/\"\nper_page = 100\n"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            url(&c, "tp"),
            "http://127.0.0.1:8080/proxy/v1/business-units/abc/reviews?orderBy=createdat.desc&perPage=100"
        );
        // An explicit url wins and makes the id unnecessary.
        let c = load(&format!(
            "[sources.tp]\ntype = \"trustpilot\"\nurl = \"https://tp.example/reviews\"\napi_key_file = \"{key}\"\n"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(url(&c, "tp"), "https://tp.example/reviews");
    }

    #[test]
    fn trustpilot_problems_name_line_and_key() {
        let (_d, key) = key_file();
        // Missing id (no url either).
        let p = problems("[sources.tp]\ntype = \"trustpilot\"\napi_key_env = \"X\"\n");
        assert!(
            p.contains("1: sources.tp.url: missing: a trustpilot source needs `business_unit_id` (or a full `url`)"),
            "{p}"
        );
        let p = problems("[sources.tp]\ntype = \"trustpilot\"\nmode = \"page\"\n");
        assert!(p.contains("needs `domain`"), "{p}");
        // Missing credential.
        let p = problems("[sources.tp]\ntype = \"trustpilot\"\nbusiness_unit_id = \"abc\"\n");
        assert_eq!(
            p,
            "1: sources.tp.api_key_file: missing: set api_key_file or api_key_env (the API key of your Trustpilot Business account (Integrations > API))"
        );
        // Unreadable credential.
        let p = problems(
            "[sources.tp]\ntype = \"trustpilot\"\nbusiness_unit_id = \"abc\"\napi_key_file = \"/nonexistent/tp-key\"\n",
        );
        assert!(
            p.contains("4: sources.tp.api_key_file: cannot read /nonexistent/tp-key"),
            "{p}"
        );
        let p = problems(
            "[sources.tp]\ntype = \"trustpilot\"\nbusiness_unit_id = \"abc\"\napi_key_env = \"REVIEWRADAR_TEST_UNSET_TP_4711\"\n",
        );
        assert!(
            p.contains("4: sources.tp.api_key_env: environment variable REVIEWRADAR_TEST_UNSET_TP_4711 is not set"),
            "{p}"
        );
        // Unknown key, a key of another type, a bad mode, per_page out of range.
        let p = problems(&format!(
            "[sources.tp]\ntype = \"trustpilot\"\nbusiness_unit_id = \"abc\"\napi_key_file = \"{key}\"\nbusiness_id = \"x\"\nstarz = 1\n"
        ));
        assert!(
            p.contains(
                "5: sources.tp.business_id: not a key of a trustpilot source (it belongs to yelp)"
            ),
            "{p}"
        );
        assert!(
            p.contains("6: sources.tp.starz: unknown key; expected one of:"),
            "{p}"
        );
        assert!(p.contains("`business_unit_id`"), "{p}");
        let p = problems(&format!(
            "[sources.tp]\ntype = \"trustpilot\"\nmode = \"scrape\"\nbusiness_unit_id = \"abc\"\napi_key_file = \"{key}\"\n"
        ));
        assert!(
            p.contains("3: sources.tp.mode: unknown variant `scrape`"),
            "{p}"
        );
        let p = problems(&format!(
            "[sources.tp]\ntype = \"trustpilot\"\nbusiness_unit_id = \"abc\"\napi_key_file = \"{key}\"\nper_page = 500\ndomain = \"x.example\"\n"
        ));
        assert!(
            p.contains("5: sources.tp.per_page: must be between 1 and 100"),
            "{p}"
        );
        assert!(
            p.contains("6: sources.tp.domain: only with mode = \"page\""),
            "{p}"
        );
        // Page mode takes no key.
        let p = problems(&format!(
            "[sources.tp]\ntype = \"trustpilot\"\nmode = \"page\"\ndomain = \"kettlewerk.example\"\napi_key_file = \"{key}\"\n"
        ));
        assert!(
            p.contains("5: sources.tp.api_key_file: only with mode = \"api\""),
            "{p}"
        );
        // Ids and api_base are checked.
        let p = problems(&format!(
            "[sources.tp]\ntype = \"trustpilot\"\nbusiness_unit_id = \"a/b\"\napi_key_file = \"{key}\"\napi_base = \"ftp://x.example\"\n"
        ));
        assert!(
            p.contains("3: sources.tp.business_unit_id: must be a bare id"),
            "{p}"
        );
        assert!(
            p.contains("5: sources.tp.api_base: scheme \"ftp\" is not supported"),
            "{p}"
        );
    }

    #[test]
    fn google_business_ids_token_and_url() {
        let (_d, token) = key_file();
        let c = load(&format!(
            "[sources.gbp]\ntype = \"google_business\"\naccount_id = \"accounts/107462918350274619382\"\nlocation_id = \"4417093382615098271\"\naccess_token_file = \"{token}\"\nmax_pages = 4\n"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            url(&c, "gbp"),
            "https://mybusiness.googleapis.com/v4/accounts/107462918350274619382/locations/4417093382615098271/reviews?pageSize=50"
        );
        let s = &c.sources["gbp"];
        assert_eq!(s.kind.as_str(), "google_business");
        assert_eq!(s.options.max_pages(), 4);
        assert_eq!(s.interval, Duration::from_secs(30 * 60));
        let p = problems(
            "[sources.gbp]\ntype = \"google_business\"\naccount_id = \"1\"\naccess_token_env = \"X\"\n",
        );
        assert!(
            p.contains("sources.gbp.url: missing: a google_business source needs `location_id`"),
            "{p}"
        );
        let p = problems(
            "[sources.gbp]\ntype = \"google_business\"\naccount_id = \"1\"\nlocation_id = \"2\"\n",
        );
        assert!(
            p.contains("1: sources.gbp.access_token_file: missing: set access_token_file or access_token_env"),
            "{p}"
        );
        let p = problems(&format!(
            "[sources.gbp]\ntype = \"google_business\"\naccount_id = \"1\"\nlocation_id = \"2\"\naccess_token_file = \"{token}\"\naccess_token_env = \"X\"\n"
        ));
        assert!(
            p.contains("6: sources.gbp.access_token_env: set either sources.gbp.access_token_file or sources.gbp.access_token_env, not both"),
            "{p}"
        );
        // The snake_case type name is the only spelling.
        let p = problems("[sources.gbp]\ntype = \"googlebusiness\"\n");
        assert!(
            p.contains("2: sources.gbp.type: unknown variant `googlebusiness`"),
            "{p}"
        );
        assert!(p.contains("`google_business`"), "{p}");
    }

    #[test]
    fn google_places_modes() {
        let (_d, key) = key_file();
        let c = load(&format!(
            "[sources.legacy]\ntype = \"google_places\"\nplace_id = \"ChIJN1t_tDeuEmsRUsoyG83frY4\"\napi_key_file = \"{key}\"\n\n[sources.new]\ntype = \"google_places\"\nmode = \"new\"\nplace_id = \"ChIJ2b7Qx9T4pkcR5Wkq0mVd4Ao\"\napi_key_file = \"{key}\"\n"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            url(&c, "legacy"),
            "https://maps.googleapis.com/maps/api/place/details/json?place_id=ChIJN1t_tDeuEmsRUsoyG83frY4&fields=reviews&reviews_sort=newest&reviews_no_translations=true&key={secret}"
        );
        assert_eq!(
            url(&c, "new"),
            "https://places.googleapis.com/v1/places/ChIJ2b7Qx9T4pkcR5Wkq0mVd4Ao"
        );
        assert_eq!(c.sources["new"].interval, Duration::from_secs(6 * 3600));
        let p = problems(&format!(
            "[sources.p]\ntype = \"google_places\"\napi_key_file = \"{key}\"\nmax_pages = 2\n"
        ));
        assert!(
            p.contains("4: sources.p.max_pages: not a key of a google_places source"),
            "{p}"
        );
        let p = problems("[sources.p]\ntype = \"google_places\"\nplace_id = \"x\"\n");
        assert!(p.contains("sources.p.api_key_file: missing: set api_key_file or api_key_env (a Google Cloud API key"), "{p}");
    }

    #[test]
    fn yelp_and_kiyoh() {
        let (_d, key) = key_file();
        let c = load(&format!(
            "[sources.yelp]\ntype = \"yelp\"\nbusiness_id = \"kettlewerk-amsterdam\"\napi_key_file = \"{key}\"\nlocale = \"nl_NL\"\n\n[sources.kiyoh]\ntype = \"kiyoh\"\nlocation_id = \"1087342\"\napi_token_file = \"{key}\"\n\n[sources.kv]\ntype = \"kiyoh\"\nlocation_id = \"1087342\"\napi_base = \"https://www.klantenvertellen.nl\"\napi_token_file = \"{key}\"\nnegative_at_or_below = 6\n"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            url(&c, "yelp"),
            "https://api.yelp.com/v3/businesses/kettlewerk-amsterdam/reviews?locale=nl_NL"
        );
        assert_eq!(
            url(&c, "kiyoh"),
            "https://www.kiyoh.com/v1/publication/review/external?locationId=1087342&orderBy=CREATE_DATE&sortOrder=DESC&limit=50"
        );
        assert!(url(&c, "kv").starts_with("https://www.klantenvertellen.nl/v1/publication/"));
        // Kiyoh's own threshold: 4 of 10, unless the table says otherwise.
        assert_eq!(c.sources["kiyoh"].negative_at_or_below, Some(4.0));
        assert_eq!(c.sources["kv"].negative_at_or_below, Some(6.0));
        assert_eq!(c.sources["yelp"].negative_at_or_below, Some(2.0));
        let p = problems(&format!(
            "[sources.yelp]\ntype = \"yelp\"\nbusiness_id = \"x\"\napi_key_file = \"{key}\"\nlocale = \"nl\"\n"
        ));
        assert!(
            p.contains("5: sources.yelp.locale: must be a Yelp locale"),
            "{p}"
        );
        assert!(super::valid_locale("fil_PH") && super::valid_locale("de_CH"));
        for bad in ["nl-NL", "NL_nl", "nl_", "nl"] {
            assert!(!super::valid_locale(bad), "{bad}");
        }
        let p = problems("[sources.k]\ntype = \"kiyoh\"\nlocation_id = \"1\"\n");
        assert!(
            p.contains("sources.k.api_token_file: missing: set api_token_file or api_token_env"),
            "{p}"
        );
        let p = problems(&format!(
            "[sources.k]\ntype = \"kiyoh\"\napi_token_file = \"{key}\"\n"
        ));
        assert!(
            p.contains("sources.k.url: missing: a kiyoh source needs `location_id`"),
            "{p}"
        );
    }

    /// The commented preset examples of config/example.toml are valid once
    /// uncommented.
    #[test]
    fn example_presets_parse_when_uncommented() {
        let (_d, key) = key_file();
        let text = include_str!("../../config/example.toml");
        let start = text.find("# --- Review-platform presets").unwrap();
        let end = text.find("[notifiers.support-mail]").unwrap();
        let mut toml = String::new();
        let mut in_table = false;
        for line in text[start..end].lines() {
            if line.starts_with("# [sources.") {
                in_table = true;
            }
            if line.trim().is_empty() {
                in_table = false;
            }
            let line = if in_table {
                line.strip_prefix("# ")
                    .or_else(|| line.strip_prefix('#'))
                    .unwrap_or(line)
            } else {
                line
            };
            let line = match line.split_once("_file = \"") {
                Some((k, _)) => format!("{k}_file = \"{key}\""),
                None => line.to_string(),
            };
            toml.push_str(&line);
            toml.push('\n');
        }
        let c = load(&toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
        let kinds: Vec<&str> = c.sources.values().map(|s| s.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "google_business",
                "google_places",
                "kiyoh",
                "trustpilot",
                "trustpilot",
                "yelp"
            ]
        );
        assert_eq!(c.sources["trustpilot"].options.max_pages(), 2);
    }

    /// Every config example of the README's "Presets" section parses.
    #[test]
    fn readme_preset_examples_parse() {
        let (_d, key) = key_file();
        let readme = include_str!("../../README.md");
        // This module's presets, from trustpilot on.
        let start = readme.find("\n### trustpilot\n").unwrap();
        let end = start + readme[start..].find("\n### trusted_shops\n").unwrap();
        let blocks: Vec<&str> = readme[start..end]
            .split("```toml\n")
            .skip(1)
            .map(|b| b.split("```").next().unwrap())
            .collect();
        assert_eq!(blocks.len(), 6, "one per preset, two for trustpilot");
        for block in blocks {
            let toml: String = block
                .lines()
                .map(|l| match l.split_once("_file = \"") {
                    Some((k, _)) => format!("{k}_file = \"{key}\"\n"),
                    None => format!("{l}\n"),
                })
                .collect();
            let c = load(&toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
            assert_eq!(c.sources.len(), 1, "{toml}");
        }
    }

    /// Kiyoh's default threshold, through the classifier: 4 of 10 is negative, 5 is
    /// not; the scale alone (1..10, 40%) agrees.
    #[test]
    fn kiyoh_threshold_classifies_four_of_ten_as_negative() {
        use crate::classify::{TriageInput, triage};
        let threshold = SourceKind::Kiyoh.default_negative_at_or_below();
        for t in [threshold, None] {
            let verdict = |r: f64| {
                triage(&TriageInput {
                    text: "",
                    rating: Some(r),
                    rating_min: Some(1.0),
                    rating_max: Some(10.0),
                    negative_at_or_below: t,
                    ..TriageInput::default()
                })
                .negative
            };
            assert!(verdict(1.0) && verdict(4.0), "{t:?}");
            assert!(!verdict(5.0) && !verdict(10.0), "{t:?}");
        }
    }

    #[test]
    fn platform_hosts_are_polite_and_http_credentials_warn() {
        let http = super::super::HttpConfig::default();
        assert_eq!(
            http.limits_for("api.trustpilot.com"),
            (1, Duration::from_secs(1))
        );
        assert_eq!(
            http.limits_for("www.trustpilot.com"),
            (1, Duration::from_secs(10))
        );
        assert_eq!(http.limits_for("mybusiness.googleapis.com").0, 1);
        assert_eq!(http.limits_for("api.yelp.com").0, 1);
        let (_d, key) = key_file();
        let c = load(&format!(
            "[sources.y]\ntype = \"yelp\"\nbusiness_id = \"x\"\napi_key_file = \"{key}\"\napi_base = \"http://proxy.example\"\n"
        ))
        .unwrap();
        assert!(
            c.warnings()
                .iter()
                .any(|w| w == "sources.y.url: sends its secret to a remote host over plain http"),
            "{:?}",
            c.warnings()
        );
    }
}
