//! Configuration: serde types, loading with spans, and `Config::validate_with`, which
//! returns every problem at once, each naming the file, line and key.
//!
//! Loading reads the document once with spans, then deserializes each table
//! (`[daemon]`, `[http]`, `[triage]`, every `[sources.<id>]`, `[notifiers.<id>]`
//! and `[routes.<id>]`) on its own,
//! so one bad table does not hide problems in the others, and each error points at
//! the offending key rather than a table header.

mod duration;
mod presets_reviews;
mod route;
mod rules;
mod secret;
mod source;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::alert::{Language, Schedule, WebhookFormat};
use toml::de::{DeTable, DeValue, ValueDeserializer};
use url::Url;

pub use presets_reviews::{
    GOOGLE_BUSINESS_API_BASE, GOOGLE_PLACES_LEGACY_BASE, GOOGLE_PLACES_NEW_BASE,
    GoogleBusinessOptions, GooglePlacesOptions, KIYOH_API_BASE, KiyohOptions, PlacesMode,
    TRUSTPILOT_API_BASE, TRUSTPILOT_SITE_BASE, TrustpilotMode, TrustpilotOptions, YELP_API_BASE,
    YelpOptions,
};
pub use route::{
    DEFAULT_MAX_REMINDERS, DEFAULT_REMOVED_AFTER_POLLS, RouteConfig, RouteMode, TriageConfig,
};
pub use rules::{MarketConfig, RuleConfig};
pub use secret::Secret;
pub use source::mentions as mention_presets;
pub use source::{
    BlueskyOptions, FacebookOptions, GoogleAlertsOptions, HackernewsOptions, MastodonOptions,
    RedditOptions, TalkwalkerOptions, YoutubeOptions,
};
pub use source::{
    COMMON_KEYS as SOURCE_COMMON_KEYS, HtmlOptions, JsonOptions, JsonldOptions, MAX_PAGES,
    SECRET_PLACEHOLDER, SourceConfig, SourceKind, SourceOptions, url_has_placeholder,
};
pub use source::{SecretKeys, relative_to};

/// Default config path when neither `--config` nor `$REVIEWRADAR_CONFIG` is given.
pub const DEFAULT_PATH: &str = "/etc/reviewradar/config.toml";

/// The whole configuration file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub daemon: DaemonConfig,
    pub http: HttpConfig,
    /// Sources by id, in id order.
    pub sources: BTreeMap<String, SourceConfig>,
    /// Notifiers by id, in id order.
    pub notifiers: BTreeMap<String, NotifierConfig>,
    /// `[triage]`: reminders, escalation, how routes combine.
    pub triage: TriageConfig,
    /// Routes by id; [`Config::routes_in_order`] gives them in file order, the
    /// order they are tried in.
    pub routes: BTreeMap<String, RouteConfig>,
    /// Operator rules for triage (`[rules.<id>]`), in id order.
    pub rules: BTreeMap<String, RuleConfig>,
    /// Rating calibration per market (`[markets.<id>]`), named by sources' `market`.
    pub markets: BTreeMap<String, MarketConfig>,
    /// Where the file was read from (for messages and relative paths).
    pub path: PathBuf,
}

/// `[daemon]`: process-wide settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// Directory holding the sled database. Relative paths are relative to the
    /// config file's directory.
    pub state_dir: PathBuf,
    /// A source's first poll alerts only on mentions published within this window;
    /// older ones are stored silently as the baseline.
    #[serde(with = "duration")]
    pub backfill: Duration,
    /// User-Agent sent with every request. Say who you are and how to reach you.
    pub user_agent: String,
    /// On SIGTERM/SIGINT, in-flight work gets this long before it is abandoned.
    #[serde(with = "duration")]
    pub shutdown_grace: Duration,
    /// `reviewradar once` waits for delivery retries that fall due within this bound.
    #[serde(with = "duration")]
    pub once_retry_wait: Duration,
    /// Log format: "text" (default) or "json".
    pub log_format: LogFormat,
    /// Log filter in `RUST_LOG` syntax; `RUST_LOG` wins when set.
    pub log_level: String,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        Self {
            state_dir: PathBuf::from("/var/lib/reviewradar"),
            backfill: Duration::from_secs(7 * 86_400),
            user_agent: default_user_agent(),
            shutdown_grace: Duration::from_secs(8),
            once_retry_wait: Duration::from_secs(30),
            log_format: LogFormat::Text,
            log_level: "info".to_string(),
        }
    }
}

pub fn default_user_agent() -> String {
    format!(
        "reviewradar/{} (+https://github.com/reviewradar/reviewradar)",
        env!("CARGO_PKG_VERSION")
    )
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// `[http]`: how politely and safely we fetch.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// TCP/TLS connect timeout.
    #[serde(with = "duration")]
    pub connect_timeout: Duration,
    /// Total time for one request, body included.
    #[serde(with = "duration")]
    pub timeout: Duration,
    /// Largest body accepted, after decompression, in bytes.
    pub max_body_bytes: u64,
    /// Requests in flight across all hosts.
    pub max_concurrency: usize,
    /// Requests in flight to one host.
    pub per_host_concurrency: usize,
    /// Minimum gap between two requests to one host.
    #[serde(with = "duration")]
    pub per_host_min_gap: Duration,
    /// Per-host overrides: `[http.hosts."api.example.com"]`.
    pub hosts: BTreeMap<String, HostLimits>,
    /// Largest delay between polls of a failing source (exponential backoff cap).
    #[serde(with = "duration")]
    pub max_backoff: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 10 * 1024 * 1024,
            max_concurrency: 16,
            per_host_concurrency: 2,
            per_host_min_gap: Duration::from_secs(1),
            hosts: BTreeMap::new(),
            max_backoff: Duration::from_secs(6 * 3600),
        }
    }
}

/// Limits for one host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostLimits {
    pub concurrency: Option<usize>,
    #[serde(default, with = "duration::option")]
    pub min_gap: Option<Duration>,
}

impl HttpConfig {
    /// (concurrency, min gap) for `host`.
    /// `[http.hosts]` wins, then a platform's polite defaults
    /// (`PLATFORM_HOSTS` in `config/source.rs`), then the global per-host settings.
    pub fn limits_for(&self, host: &str) -> (usize, Duration) {
        let o = self.hosts.get(host);
        let platform = source::platform_host_limits(host);
        (
            o.and_then(|o| o.concurrency)
                .or(platform.map(|p| p.0))
                .unwrap_or(self.per_host_concurrency),
            o.and_then(|o| o.min_gap)
                .or(platform.map(|p| p.1))
                .unwrap_or(self.per_host_min_gap),
        )
    }
}

const fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NotifierKind {
    Email,
    Webhook,
    /// Appends each alert (the webhook JSON body) as one line to a local file.
    File,
}

/// `[notifiers.<id>]`: one struct for every type; keys that belong to another type
/// are reported by `Config::validate_with`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifierConfig {
    #[serde(rename = "type")]
    pub kind: NotifierKind,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Retry policy for failed deliveries.
    #[serde(default)]
    pub retry: RetryConfig,
    // --- email ---
    /// SMTP server: `smtp://host[:port]` (plain, loopback relays), `smtp+starttls://`, `smtps://`.
    /// A user name goes before `@`.
    pub smtp: Option<Url>,
    pub password_file: Option<PathBuf>,
    pub password_env: Option<String>,
    pub from: Option<String>,
    #[serde(default)]
    pub to: Vec<String>,
    // --- webhook ---
    /// Receiver URL (http or https).
    pub url: Option<Url>,
    pub secret_file: Option<PathBuf>,
    pub secret_env: Option<String>,
    /// Webhook body: `json` (the reviewradar contract, default), `slack`, `teams`,
    /// `discord` or `mattermost` (that platform's incoming-webhook shape).
    pub format: Option<WebhookFormat>,
    // --- file ---
    /// File that alerts are appended to as JSON Lines (relative to the config file).
    pub path: Option<PathBuf>,
    // --- messages (email, webhook) ---
    /// Language of email and chat messages: `en` (default), `de`, `es`, `nl`, `et`, `fr`.
    pub language: Option<Language>,
    /// Email: directory of template overrides (`alert.txt`, `alert.html`,
    /// `alert_subject.txt`, `digest.txt`, `digest.html`, `digest_subject.txt`);
    /// missing files fall back to the built-in ones. Relative to the config file.
    pub templates_dir: Option<PathBuf>,
    // --- digests ---
    /// Send one digest on this schedule instead of a message per alert: `hourly`,
    /// `daily HH:MM [Area/City]`, `weekly DAY HH:MM [Area/City]` (zone default UTC).
    pub digest: Option<Schedule>,
    /// Send a digest even when there is nothing to say (default false).
    #[serde(default)]
    pub digest_send_empty: bool,
    /// Per-attempt timeout for the delivery.
    #[serde(default = "default_delivery_timeout", with = "duration")]
    pub timeout: Duration,
}

const fn default_delivery_timeout() -> Duration {
    Duration::from_secs(30)
}

/// `[notifiers.<id>.retry]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// First retry delay.
    #[serde(with = "duration")]
    pub initial: Duration,
    /// Longest delay between attempts.
    #[serde(with = "duration")]
    pub max: Duration,
    /// After this long since the alert was queued, a delivery is dead-lettered.
    #[serde(with = "duration")]
    pub give_up_after: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(5),
            max: Duration::from_secs(30 * 60),
            give_up_after: Duration::from_secs(3 * 86_400),
        }
    }
}

/// One problem found while loading or validating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key path, e.g. `sources.kettle.interval`.
    pub key: String,
    /// 1-based line of the key in the file, when known.
    pub line: Option<usize>,
    pub message: String,
}

/// Every problem found in one file.
#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{}: {} problem{}",
            self.path.display(),
            n,
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {}", self.path.display())?;
            if let Some(line) = p.line {
                write!(f, ":{line}")?;
            }
            if p.key.is_empty() {
                write!(f, ": {}", p.message)?;
            } else {
                write!(f, ": {}: {}", p.key, p.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Where each key sits in the file, so semantic problems can name their line.
struct Spans<'a> {
    raw: &'a str,
    keys: HashMap<String, Range<usize>>,
}

impl<'a> Spans<'a> {
    fn new(raw: &'a str, root: &DeTable<'_>) -> Self {
        let mut keys = HashMap::new();
        collect_spans("", root, &mut keys);
        Self { raw, keys }
    }

    fn line_of_offset(&self, offset: usize) -> usize {
        let end = offset.min(self.raw.len());
        self.raw.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn line(&self, key: &str) -> Option<usize> {
        // The key itself, or the nearest enclosing table that is spelled out.
        let mut k = key;
        loop {
            if let Some(r) = self.keys.get(k) {
                return Some(self.line_of_offset(r.start));
            }
            match k.rfind('.') {
                Some(i) => k = &k[..i],
                None => return None,
            }
        }
    }

    /// The deepest key under `prefix` whose span contains `offset`.
    fn key_at(&self, prefix: &str, offset: usize) -> Option<&str> {
        self.keys
            .iter()
            .filter(|(k, r)| {
                (k.as_str() == prefix || k.starts_with(&format!("{prefix}.")))
                    && r.start <= offset
                    && offset < r.end.max(r.start + 1)
            })
            .max_by_key(|(k, _)| k.len())
            .map(|(k, _)| k.as_str())
    }

    fn problem(&self, key: impl Into<String>, message: impl Into<String>) -> Problem {
        let key = key.into();
        Problem {
            line: self.line(&key),
            key,
            message: message.into(),
        }
    }
}

fn collect_spans(prefix: &str, table: &DeTable<'_>, out: &mut HashMap<String, Range<usize>>) {
    for (k, v) in table.iter() {
        let path = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        // From the key to the end of its value, so an error inside the value maps
        // back to the key.
        out.insert(path.clone(), k.span().start..v.span().end.max(k.span().end));
        if let DeValue::Table(t) = v.get_ref() {
            collect_spans(&path, t, out);
        }
    }
}

const ID_HELP: &str = "ids may use only a-z, 0-9, '_' and '-'";

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Config {
    /// Read, parse and validate `path`. No network access.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let fail = |message: String| ConfigError {
            path: path.to_path_buf(),
            problems: vec![Problem {
                key: String::new(),
                line: None,
                message,
            }],
        };
        let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        if meta.len() > 4 * 1024 * 1024 {
            return Err(fail("file is larger than 4 MiB; refusing to parse".into()));
        }
        let raw = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        Self::from_str_at(&raw, path)
    }

    /// For tests: parse `text` as `/etc/reviewradar/test.toml`; problems come back
    /// one per line as `line: key: message`.
    #[cfg(test)]
    pub(crate) fn load_for_test(text: &str) -> Result<Config, String> {
        Config::from_str_at(text, Path::new("/etc/reviewradar/test.toml")).map_err(|e| {
            e.problems
                .iter()
                .map(|p| format!("{}: {}: {}", p.line.unwrap_or(0), p.key, p.message))
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    /// Parse and validate config text; `path` is used for messages and relative paths.
    pub fn from_str_at(raw: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();
        let root = match DeTable::parse(raw) {
            Ok(t) => t,
            Err(e) => {
                let line = e.span().map(|s| {
                    raw.as_bytes()[..s.start.min(raw.len())]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count()
                        + 1
                });
                return Err(ConfigError {
                    path: path.to_path_buf(),
                    problems: vec![Problem {
                        key: String::new(),
                        line,
                        message: format!("TOML syntax error: {}", e.message().trim()),
                    }],
                });
            }
        };
        let spans = Spans::new(raw, root.get_ref());
        let mut cfg = Config {
            path: path.to_path_buf(),
            ..Config::default()
        };
        let base_dir = path_dir(path).to_path_buf();

        for (k, v) in root.get_ref().iter() {
            let key = k.get_ref().as_ref();
            match key {
                "daemon" => {
                    if let Some(d) = section(&spans, "daemon", v, &mut problems) {
                        cfg.daemon = d;
                    }
                }
                "http" => {
                    if let Some(h) = section(&spans, "http", v, &mut problems) {
                        cfg.http = h;
                    }
                }
                "triage" => {
                    if let Some(t) = section(&spans, "triage", v, &mut problems) {
                        cfg.triage = t;
                    }
                }
                "sources" | "notifiers" | "routes" | "rules" | "markets" => {
                    let DeValue::Table(t) = v.get_ref() else {
                        problems.push(spans.problem(key, "must be a table of tables"));
                        continue;
                    };
                    for (id, entry) in t.iter() {
                        let id = id.get_ref().as_ref();
                        let path = format!("{key}.{id}");
                        if !valid_id(id) {
                            problems.push(
                                spans.problem(&path, format!("invalid id {id:?}: {ID_HELP}")),
                            );
                        }
                        if key == "sources" {
                            let entry = &resolve_relative_file_url(entry, &base_dir);
                            if let Some(s) =
                                source::parse(&spans, &path, entry, &base_dir, &mut problems)
                            {
                                cfg.sources.insert(id.to_string(), s);
                            }
                        } else if key == "routes" {
                            if let Some(mut r) =
                                section::<RouteConfig>(&spans, &path, entry, &mut problems)
                            {
                                // The table is a BTreeMap: keep the file order.
                                r.order = spans.keys.get(&path).map_or(usize::MAX, |s| s.start);
                                cfg.routes.insert(id.to_string(), r);
                            }
                        } else if key == "notifiers" {
                            if let Some(n) = section(&spans, &path, entry, &mut problems) {
                                cfg.notifiers.insert(id.to_string(), n);
                            }
                        } else if key == "rules" {
                            if let Some(r) = section(&spans, &path, entry, &mut problems) {
                                cfg.rules.insert(id.to_string(), r);
                            }
                        } else if let Some(m) = section(&spans, &path, entry, &mut problems) {
                            cfg.markets.insert(id.to_string(), m);
                        }
                    }
                }
                other => problems.push(spans.problem(
                    other,
                    "unknown key; expected one of `daemon`, `http`, `triage`, `sources`, `notifiers`, `routes`, `rules`, `markets`",
                )),
            }
        }

        // Relative paths are relative to the config file.
        let base = path_dir(path);
        if cfg.daemon.state_dir.is_relative() {
            cfg.daemon.state_dir = base.join(&cfg.daemon.state_dir);
        }
        for n in cfg.notifiers.values_mut() {
            for p in [
                &mut n.path,
                &mut n.password_file,
                &mut n.secret_file,
                &mut n.templates_dir,
            ]
            .into_iter()
            .flatten()
            {
                if p.is_relative() {
                    *p = base.join(&*p);
                }
            }
        }

        problems.extend(cfg.validate_with(&spans));
        if problems.is_empty() {
            Ok(cfg)
        } else {
            problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
            Err(ConfigError {
                path: path.to_path_buf(),
                problems,
            })
        }
    }

    /// Semantic checks (everything serde cannot express). Pure: reads secret files
    /// only to check they exist, never the network.
    fn validate_with(&self, spans: &Spans<'_>) -> Vec<Problem> {
        let mut p = Vec::new();
        let d = &self.daemon;
        if d.user_agent.trim().is_empty() || d.user_agent.chars().any(|c| c.is_control()) {
            p.push(spans.problem("daemon.user_agent", "must be a non-empty single line"));
        }
        if d.shutdown_grace.is_zero() {
            p.push(spans.problem("daemon.shutdown_grace", "must be longer than 0s"));
        }
        let h = &self.http;
        if h.timeout.is_zero() || h.connect_timeout.is_zero() {
            p.push(spans.problem("http.timeout", "timeouts must be longer than 0s"));
        }
        if h.max_body_bytes < 1024 {
            p.push(spans.problem("http.max_body_bytes", "must be at least 1024"));
        }
        if h.max_concurrency == 0 {
            p.push(spans.problem("http.max_concurrency", "must be at least 1"));
        }
        if h.per_host_concurrency == 0 {
            p.push(spans.problem("http.per_host_concurrency", "must be at least 1"));
        }
        for (host, l) in &h.hosts {
            if l.concurrency == Some(0) {
                p.push(spans.problem(
                    format!("http.hosts.{host}.concurrency"),
                    "must be at least 1",
                ));
            }
        }

        for (id, s) in &self.sources {
            source::validate(id, s, spans, &mut p);
            if let Some(m) = &s.market
                && !self.markets.contains_key(m)
            {
                p.push(spans.problem(
                    format!("sources.{id}.market"),
                    format!("no [markets.{m}] table"),
                ));
            }
        }
        for (id, m) in &self.markets {
            if !(m.rating_shift.is_finite() && m.rating_shift.abs() <= 10.0) {
                p.push(spans.problem(
                    format!("markets.{id}.rating_shift"),
                    "must be a number between -10 and 10",
                ));
            }
        }
        if let Err(errors) = crate::classify::Rules::build(&self.rules) {
            for (key, message) in errors {
                p.push(spans.problem(key, message));
            }
        }
        for (id, r) in &self.rules {
            for s in &r.sources {
                if !self.sources.contains_key(s) {
                    p.push(spans.problem(
                        format!("rules.{id}.sources"),
                        format!("no source {s:?} is configured"),
                    ));
                }
            }
        }

        for (id, n) in &self.notifiers {
            let k = |f: &str| format!("notifiers.{id}.{f}");
            let r = &n.retry;
            if r.initial.is_zero() {
                p.push(spans.problem(k("retry.initial"), "must be longer than 0s"));
            }
            if r.max < r.initial {
                p.push(spans.problem(k("retry.max"), "must not be shorter than retry.initial"));
            }
            if r.give_up_after < r.initial {
                p.push(spans.problem(
                    k("retry.give_up_after"),
                    "must not be shorter than retry.initial",
                ));
            }
            let mut foreign = |set: bool, key: &str, kind: &str| {
                if set {
                    p.push(spans.problem(k(key), format!("not a key of a {kind} notifier")));
                }
            };
            if n.kind != NotifierKind::File {
                foreign(
                    n.path.is_some(),
                    "path",
                    if n.kind == NotifierKind::Email {
                        "email"
                    } else {
                        "webhook"
                    },
                );
            }
            let kind = match n.kind {
                NotifierKind::Email => "email",
                NotifierKind::Webhook => "webhook",
                NotifierKind::File => "file",
            };
            if n.kind != NotifierKind::Webhook {
                foreign(n.format.is_some(), "format", kind);
            }
            if n.kind != NotifierKind::Email {
                foreign(n.templates_dir.is_some(), "templates_dir", kind);
            }
            if n.kind == NotifierKind::File {
                foreign(n.language.is_some(), "language", kind);
            }
            match n.kind {
                NotifierKind::File => {
                    foreign(n.url.is_some(), "url", "file");
                    foreign(n.secret_file.is_some(), "secret_file", "file");
                    foreign(n.secret_env.is_some(), "secret_env", "file");
                    foreign(n.smtp.is_some(), "smtp", "file");
                    foreign(n.password_file.is_some(), "password_file", "file");
                    foreign(n.password_env.is_some(), "password_env", "file");
                    foreign(n.from.is_some(), "from", "file");
                    foreign(!n.to.is_empty(), "to", "file");
                }
                NotifierKind::Email => {
                    foreign(n.url.is_some(), "url", "email");
                    foreign(n.secret_file.is_some(), "secret_file", "email");
                    foreign(n.secret_env.is_some(), "secret_env", "email");
                }
                NotifierKind::Webhook => {
                    foreign(n.smtp.is_some(), "smtp", "webhook");
                    foreign(n.password_file.is_some(), "password_file", "webhook");
                    foreign(n.password_env.is_some(), "password_env", "webhook");
                    foreign(n.from.is_some(), "from", "webhook");
                    foreign(!n.to.is_empty(), "to", "webhook");
                }
            }
            match n.kind {
                NotifierKind::File => {
                    if n.path.is_none() {
                        p.push(spans.problem(k("path"), "required for a file notifier"));
                    }
                }
                NotifierKind::Email => {
                    match &n.smtp {
                        None => p.push(spans.problem(k("smtp"), "required for an email notifier")),
                        Some(u) => {
                            if !matches!(u.scheme(), "smtp" | "smtp+starttls" | "smtps") {
                                p.push(spans.problem(
                                    k("smtp"),
                                    "scheme must be smtp://, smtp+starttls:// or smtps://",
                                ));
                            }
                            if u.host_str().is_none_or(str::is_empty) {
                                p.push(spans.problem(k("smtp"), "has no host"));
                            }
                            if u.password().is_some() {
                                p.push(spans.problem(
                                    k("smtp"),
                                    "must not contain a password; use password_file or password_env",
                                ));
                            }
                        }
                    }
                    match &n.from {
                        None => p.push(spans.problem(k("from"), "required for an email notifier")),
                        Some(f) => {
                            if f.parse::<lettre::message::Mailbox>().is_err() {
                                p.push(
                                    spans.problem(
                                        k("from"),
                                        format!("{f:?} is not a valid mailbox"),
                                    ),
                                );
                            }
                        }
                    }
                    if n.to.is_empty() {
                        p.push(spans.problem(k("to"), "needs at least one recipient"));
                    }
                    for t in &n.to {
                        if t.parse::<lettre::message::Mailbox>().is_err() {
                            p.push(spans.problem(k("to"), format!("{t:?} is not a valid mailbox")));
                        }
                    }
                    secret::check(
                        &mut p,
                        spans,
                        &k("password_file"),
                        &k("password_env"),
                        n.password_file.as_deref(),
                        n.password_env.as_deref(),
                    );
                    // Templates load (and are test-rendered) now, so a mistake in
                    // one is reported here, naming the file, not at the first alert.
                    if let Some(dir) = &n.templates_dir
                        && let Err(e) = crate::alert::Templates::load(dir)
                    {
                        p.push(spans.problem(k("templates_dir"), e.to_string()));
                    }
                }
                NotifierKind::Webhook => {
                    match &n.url {
                        None => p.push(spans.problem(k("url"), "required for a webhook notifier")),
                        Some(u) => {
                            if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
                                p.push(
                                    spans.problem(k("url"), "must be an http:// or https:// URL"),
                                );
                            }
                        }
                    }
                    secret::check(
                        &mut p,
                        spans,
                        &k("secret_file"),
                        &k("secret_env"),
                        n.secret_file.as_deref(),
                        n.secret_env.as_deref(),
                    );
                }
            }
        }
        route::validate(self, spans, &mut p);
        p
    }

    /// The operator rules, compiled (validated at load, so this does not fail for
    /// a loaded config).
    pub fn compiled_rules(&self) -> Result<crate::classify::Rules, ConfigError> {
        crate::classify::Rules::build(&self.rules).map_err(|errors| ConfigError {
            path: self.path.clone(),
            problems: errors
                .into_iter()
                .map(|(key, message)| Problem {
                    key,
                    line: None,
                    message,
                })
                .collect(),
        })
    }

    /// Triage settings of source `id` (defaults for an unknown id), with `rules`.
    pub fn triage_policy(
        &self,
        id: &str,
        rules: std::sync::Arc<crate::classify::Rules>,
    ) -> crate::classify::Policy {
        let Some(s) = self.sources.get(id) else {
            return crate::classify::Policy {
                source: Some(id.to_string()),
                rules,
                ..Default::default()
            };
        };
        let market_shift = s
            .market
            .as_ref()
            .and_then(|m| self.markets.get(m))
            .map(|m| m.rating_shift);
        crate::classify::Policy {
            source: Some(id.to_string()),
            negative_at_or_below: s.negative_at_or_below,
            rating_scale: s.rating_scale,
            rating_shift: s.rating_shift.or(market_shift).unwrap_or(0.0),
            on_disagreement: s.on_disagreement,
            language: s.language.clone(),
            rules,
        }
    }

    /// Sources that are enabled, in id order.
    pub fn enabled_sources(&self) -> impl Iterator<Item = (&String, &SourceConfig)> {
        self.sources.iter().filter(|(_, s)| s.enabled)
    }

    /// Notifiers that are enabled, in id order.
    pub fn enabled_notifiers(&self) -> impl Iterator<Item = (&String, &NotifierConfig)> {
        self.notifiers.iter().filter(|(_, n)| n.enabled)
    }

    /// Non-fatal advice (short intervals against remote hosts, ...).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        for (id, s) in self.enabled_sources() {
            let remote = match s.url.host_str() {
                Some(h) => !(h == "localhost" || h.starts_with("127.") || h == "[::1]"),
                None => false,
            };
            if remote && s.interval < Duration::from_secs(60) {
                w.push(format!(
                    "sources.{id}.interval: {} polls a remote host more than once a minute",
                    humantime::format_duration(s.interval)
                ));
            }
            w.extend(source::preset_warnings(id, s));
            if let SourceOptions::Json(o) = &s.options
                && remote
                && s.url.scheme() == "http"
                && o.uses_secret(&s.url)
            {
                w.push(format!(
                    "sources.{id}.url: sends its secret to a remote host over plain http"
                ));
            }
        }
        for (id, n) in &self.notifiers {
            if n.digest_send_empty && n.digest.is_none() {
                w.push(format!(
                    "notifiers.{id}.digest_send_empty: has no effect without `digest`"
                ));
            }
            if n.language.is_some() && n.kind == NotifierKind::Webhook && n.format.is_none() {
                w.push(format!(
                    "notifiers.{id}.language: the JSON format has no text to translate; set `format` to a chat format, or drop `language`"
                ));
            }
        }
        route::warnings(self, &mut w);
        if self.notifiers.values().all(|n| !n.enabled) {
            w.push("no enabled notifiers: negative mentions are stored but nobody is told".into());
        }
        w
    }
}

fn path_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `url = "file:demo/feed.xml"` (no slash after `file:`) is relative to the config
/// file's directory, so the shipped demo runs from any checkout.
fn resolve_relative_file_url<'i>(
    entry: &toml::Spanned<DeValue<'i>>,
    base: &Path,
) -> toml::Spanned<DeValue<'i>> {
    let mut entry = entry.clone();
    if let DeValue::Table(t) = entry.get_mut() {
        for (k, v) in t.iter_mut() {
            if k.get_ref().as_ref() != "url" {
                continue;
            }
            if let DeValue::String(s) = v.get_mut() {
                if let Some(rel) = s
                    .strip_prefix("file:")
                    .filter(|r| !r.starts_with('/') && !r.is_empty())
                {
                    let abs =
                        std::path::absolute(base.join(rel)).unwrap_or_else(|_| base.join(rel));
                    if let Ok(u) = Url::from_file_path(&abs) {
                        *s = std::borrow::Cow::Owned(u.to_string());
                    }
                }
            }
        }
    }
    entry
}

/// Deserialize one table on its own; on error, record a problem naming the key.
fn section<T: DeserializeOwned>(
    spans: &Spans<'_>,
    path: &str,
    value: &toml::Spanned<DeValue<'_>>,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    if !matches!(value.get_ref(), DeValue::Table(_)) {
        problems.push(spans.problem(path, "must be a table"));
        return None;
    }
    let de = ValueDeserializer::from(value.clone());
    match T::deserialize(de) {
        Ok(v) => Some(v),
        Err(e) => {
            let mut key = path.to_string();
            let mut line = spans.line(path);
            if let Some(span) = e.span() {
                line = Some(spans.line_of_offset(span.start));
                if let Some(k) = spans.key_at(path, span.start) {
                    key = k.to_string();
                }
            }
            let mut message = e.message().trim().to_string();
            if let Some(field) = message
                .strip_prefix("unknown field `")
                .and_then(|m| m.split('`').next())
            {
                let field = field.to_string();
                // The error points at the key itself, or at the table holding it
                // (an inline table read by a hand-written visitor).
                if !key.ends_with(&format!(".{field}")) {
                    key = format!("{key}.{field}");
                }
                message = format!(
                    "unknown key{}",
                    message
                        .strip_prefix(&format!("unknown field `{field}`"))
                        .unwrap_or("")
                );
                message = message.replace("expected one of", "expected one of:");
            }
            problems.push(Problem { key, line, message });
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_str_at(text, Path::new("/etc/reviewradar/test.toml"))
    }

    fn problems(text: &str) -> Vec<String> {
        match load(text) {
            Ok(_) => vec![],
            Err(e) => e
                .problems
                .iter()
                .map(|p| format!("{}: {}: {}", p.line.unwrap_or(0), p.key, p.message))
                .collect(),
        }
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = load("[sources.a]\ntype = \"feed\"\nurl = \"https://x.example/f\"\n").unwrap();
        let s = &c.sources["a"];
        assert_eq!(s.interval, Duration::from_secs(900));
        assert!(s.enabled);
        assert_eq!(c.daemon.backfill, Duration::from_secs(7 * 86400));
        assert_eq!(c.http.max_body_bytes, 10 * 1024 * 1024);
        assert_eq!(c.daemon.state_dir, PathBuf::from("/var/lib/reviewradar"));
    }

    #[test]
    fn every_problem_is_reported_with_line_and_key() {
        let p = problems(
            "[daemon]\nbackfill = \"soon\"\n\n[sources.a]\ntype = \"feed\"\nurl = \"ftp://x.example/f\"\n\n[sources.b]\ntype = \"rss\"\nurl = \"https://x\"\n\n[sources.c]\ntype = \"feed\"\nurl = \"https://x.example\"\ncolour = \"red\"\n\n[notifiers.n]\ntype = \"email\"\nsmtp = \"smtps://u:pw@mail.example\"\nfrom = \"not an address\"\n",
        );
        let joined = p.join("\n");
        assert!(
            joined.contains("2: daemon.backfill: invalid duration \"soon\""),
            "{joined}"
        );
        assert!(
            joined.contains("6: sources.a.url: scheme \"ftp\""),
            "{joined}"
        );
        assert!(joined.contains("9: sources.b.type:"), "{joined}");
        assert!(
            joined.contains("15: sources.c.colour: unknown key"),
            "{joined}"
        );
        assert!(
            joined.contains("notifiers.n.smtp: must not contain a password"),
            "{joined}"
        );
        assert!(joined.contains("notifiers.n.from:"), "{joined}");
        assert!(
            joined.contains("notifiers.n.to: needs at least one recipient"),
            "{joined}"
        );
    }

    #[test]
    fn ids_and_foreign_keys_are_checked() {
        let p = problems("[sources.\"Kettle Page\"]\ntype = \"jsonld\"\nurl = \"https://x.example/\"\n\n[notifiers.w]\ntype = \"webhook\"\nurl = \"https://h.example/\"\nto = [\"a@b.example\"]\n").join("\n");
        assert!(p.contains("sources.Kettle Page: invalid id"), "{p}");
        assert!(
            p.contains("notifiers.w.to: not a key of a webhook notifier"),
            "{p}"
        );
    }

    #[test]
    fn missing_secret_file_is_a_problem() {
        let p = problems("[notifiers.w]\ntype = \"webhook\"\nurl = \"https://h.example/\"\nsecret_file = \"/nonexistent/secret\"\n").join("\n");
        assert!(
            p.contains("notifiers.w.secret_file: cannot read /nonexistent/secret"),
            "{p}"
        );
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let e = load("[daemon]\nstate_dir = \n").unwrap_err();
        assert_eq!(e.problems.len(), 1);
        assert_eq!(e.problems[0].line, Some(2));
        assert!(e.problems[0].message.starts_with("TOML syntax error"));
    }

    #[test]
    fn relative_paths_follow_the_config_file() {
        let c = load("[daemon]\nstate_dir = \"state\"\n[sources.a]\ntype = \"feed\"\nurl = \"file:demo/a.xml\"\n").unwrap();
        assert_eq!(c.daemon.state_dir, PathBuf::from("/etc/reviewradar/state"));
        assert_eq!(
            c.sources["a"].url.as_str(),
            "file:///etc/reviewradar/demo/a.xml"
        );
    }

    const HOOK: &str =
        "[notifiers.chat]\ntype = \"webhook\"\nurl = \"https://hooks.example.com/x\"\n";
    const MAIL: &str = "[notifiers.mail]\ntype = \"email\"\nsmtp = \"smtp://127.0.0.1\"\nfrom = \"rr@example.com\"\nto = [\"ops@example.com\"]\n";

    #[test]
    fn message_keys_parse() {
        let c = load(&format!(
            "{HOOK}format = \"discord\"\nlanguage = \"et\"\ndigest = \"daily 08:00 Europe/Berlin\"\n\n{MAIL}language = \"fr\"\ndigest = \"hourly\"\ndigest_send_empty = true\n"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let chat = &c.notifiers["chat"];
        assert_eq!(chat.format, Some(WebhookFormat::Discord));
        assert_eq!(chat.language, Some(Language::Et));
        assert_eq!(
            chat.digest.unwrap().to_string(),
            "daily 08:00 Europe/Berlin"
        );
        assert!(!chat.digest_send_empty);
        let mail = &c.notifiers["mail"];
        assert_eq!(mail.digest, Some(Schedule::Hourly));
        assert!(mail.digest_send_empty);
        assert_eq!(mail.format, None);
        assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    }

    #[test]
    fn message_key_errors_name_the_key() {
        let p = problems(&format!("{HOOK}format = \"telegram\"\n")).join("\n");
        assert!(
            p.contains("notifiers.chat.format: unknown variant `telegram`"),
            "{p}"
        );
        let p = problems(&format!("{HOOK}language = \"pt\"\n")).join("\n");
        assert!(
            p.contains("notifiers.chat.language: unknown variant `pt`"),
            "{p}"
        );
        let p = problems(&format!("{HOOK}digest = \"daily 25:00\"\n")).join("\n");
        assert!(
            p.contains("notifiers.chat.digest: \"daily 25:00\": \"25:00\" is not a time of day"),
            "{p}"
        );
        let p = problems(&format!("{MAIL}format = \"slack\"\n")).join("\n");
        assert!(
            p.contains("notifiers.mail.format: not a key of a email notifier"),
            "{p}"
        );
        let p = problems(&format!("{HOOK}templates_dir = \"t\"\n")).join("\n");
        assert!(
            p.contains("notifiers.chat.templates_dir: not a key of a webhook notifier"),
            "{p}"
        );
        let p = problems(
            "[notifiers.f]\ntype = \"file\"\npath = \"a.jsonl\"\nlanguage = \"de\"\nformat = \"json\"\n",
        )
        .join("\n");
        assert!(
            p.contains("notifiers.f.language: not a key of a file notifier"),
            "{p}"
        );
        assert!(
            p.contains("notifiers.f.format: not a key of a file notifier"),
            "{p}"
        );
        // A file notifier may send digests.
        load("[notifiers.f]\ntype = \"file\"\npath = \"a.jsonl\"\ndigest = \"weekly fri 17:00\"\n")
            .unwrap();
    }

    #[test]
    fn templates_dir_is_relative_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::create_dir(dir.path().join("mail-templates")).unwrap();
        std::fs::write(&path, format!("{MAIL}templates_dir = \"mail-templates\"\n")).unwrap();
        let c = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.notifiers["mail"].templates_dir.as_deref(),
            Some(dir.path().join("mail-templates").as_path())
        );
        let bad = dir.path().join("mail-templates/alert.html");
        std::fs::write(&bad, "<p>{{ headline }</p>\n").unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "notifiers.mail.templates_dir: {}: syntax error",
                bad.display()
            )),
            "{err}"
        );
    }

    #[test]
    fn pointless_message_keys_warn() {
        let c = load(&format!(
            "{HOOK}language = \"de\"\n\n{MAIL}digest_send_empty = true\n"
        ))
        .unwrap();
        let w = c.warnings().join("\n");
        assert!(
            w.contains("notifiers.chat.language: the JSON format"),
            "{w}"
        );
        assert!(
            w.contains("notifiers.mail.digest_send_empty: has no effect"),
            "{w}"
        );
    }

    #[test]
    fn short_remote_interval_warns_but_is_accepted() {
        let c = load(
            "[sources.a]\ntype = \"feed\"\nurl = \"https://x.example/f\"\ninterval = \"5s\"\n",
        )
        .unwrap();
        assert_eq!(c.sources["a"].interval, Duration::from_secs(5));
        assert!(
            c.warnings()
                .iter()
                .any(|w| w.contains("sources.a.interval"))
        );
        let c = load(
            "[sources.a]\ntype = \"feed\"\nurl = \"http://127.0.0.1:8080/f\"\ninterval = \"1s\"\n",
        )
        .unwrap();
        assert!(
            !c.warnings()
                .iter()
                .any(|w| w.contains("sources.a.interval"))
        );
    }

    /// The example config names every key (set or in a comment) and validates.
    #[test]
    fn example_config_names_every_key_and_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/example.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let keys = [
            "state_dir",
            "backfill",
            "user_agent",
            "shutdown_grace",
            "once_retry_wait",
            "log_format",
            "log_level",
            "connect_timeout",
            "timeout",
            "max_body_bytes",
            "max_concurrency",
            "per_host_concurrency",
            "per_host_min_gap",
            "max_backoff",
            "hosts",
            "concurrency",
            "min_gap",
            "type",
            "url",
            "interval",
            "enabled",
            "language",
            "negative_at_or_below",
            "brand",
            "platform",
            "smtp",
            "password_file",
            "password_env",
            "from",
            "to",
            "secret_file",
            "secret_env",
            // Message formats and digests.
            "templates_dir",
            "digest",
            "digest_send_empty",
            // Source types and their options.
            "jsonld",
            "html",
            "json",
            "max_pages",
            "page_param",
            "item",
            "next",
            "fields",
            "selector",
            "attr",
            "count",
            "format",
            "min",
            "headers",
            "items",
            "next_url",
            "next_cursor",
            "cursor_param",
            "rating_min",
            "rating_max",
            "pointer",
            "pointers",
            "template",
            "map",
            // Fields of both mappings.
            "id",
            "author",
            "title",
            "text",
            "rating",
            "date",
            "updated",
            "lang",
            "reply",
            "reply_date",
            // json paging by offset.
            "offset_param",
            "page_size",
            // Preset keys: trusted_shops, amazon, ebay, etsy.
            "channel_id",
            "client_id",
            "client_secret_file",
            "client_secret_env",
            "api_base",
            "token_url",
            "asin",
            "marketplace",
            "token_file",
            "token_env",
            "user_id",
            "site_id",
            "shop_id",
            "api_key_file",
            "api_key_env",
            "access_token_file",
            "access_token_env",
            // Presets: mention searches and facebook.
            "google_alerts",
            "talkwalker",
            "reddit",
            "mastodon",
            "hackernews",
            "bluesky",
            "youtube",
            "facebook",
            "feed_url",
            "api_base",
            "feed_token_file",
            "feed_token_env",
            "query",
            "subreddit",
            "token_url",
            "client_id",
            "client_secret_file",
            "client_secret_env",
            "reddit_username",
            "instance",
            "tag",
            "access_token_file",
            "access_token_env",
            "tags",
            "identifier",
            "app_password_file",
            "app_password_env",
            "channel_id",
            "recent_uploads",
            "video_ids",
            "api_key_file",
            "api_key_env",
            "page_id",
            "page_access_token_file",
            "page_access_token_env",
            "api_version",
            "retry",
            "initial",
            "max",
            "give_up_after",
            "path",
            // Review-platform presets.
            "trustpilot",
            "google_business",
            "google_places",
            "yelp",
            "kiyoh",
            "mode",
            "business_unit_id",
            "domain",
            "api_base",
            "api_key_file",
            "api_key_env",
            "per_page",
            "account_id",
            "location_id",
            "access_token_file",
            "access_token_env",
            "place_id",
            "business_id",
            "locale",
            "api_token_file",
            "api_token_env",
            // [triage] and [routes.<id>].
            "triage",
            "remind_after",
            "max_reminders",
            "escalate_after",
            "escalate_to",
            "route_mode",
            "removed_after_polls",
            "routes",
            "sources",
            "platforms",
            "brands",
            "languages",
            "severity",
            "rating_at_or_below",
            "keywords",
            "rules",
            "notifiers",
            "quiet_hours",
            "timezone",
            // Triage: ratings, markets, rules.
            "rating_scale",
            "rating_shift",
            "market",
            "on_disagreement",
            "markets",
            "rules",
            "keywords",
            "regex",
            "patterns",
            "authors",
            "sources",
            "platforms",
            "severity",
            "action",
        ];
        let mut missing: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| {
                !text.lines().any(|l| {
                    let l = l.trim_start_matches(['#', ' ']);
                    l.starts_with(&format!("{k} ="))
                        || l.contains(&format!(".{k}]"))
                        || l.contains(&format!("{k}."))
                        || l.contains(&format!("`{k}`"))
                        || l.starts_with(&format!("[{k}"))
                })
            })
            .collect();
        missing.retain(|k| !text.contains(&format!("\"{k}\"")));
        assert!(
            missing.is_empty(),
            "example.toml does not mention: {missing:?}"
        );
        // SAFETY: tests in this module do not read these variables concurrently.
        unsafe {
            std::env::set_var("REVIEWRADAR_SMTP_PASSWORD", "x");
            std::env::set_var("REVIEWRADAR_WEBHOOK_SECRET", "y");
            std::env::set_var("REVIEWRADAR_REVIEWS_API_TOKEN", "z");
        }
        let c = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.sources.len(), 4);
        let kinds: Vec<&str> = c.sources.values().map(|s| s.kind.as_str()).collect();
        for kind in SourceKind::ALL {
            // Presets need credentials and real ids: their examples are comments.
            let commented = format!("# type = \"{}\"", kind.as_str());
            assert!(
                kinds.contains(&kind.as_str()) || text.contains(&commented),
                "no {} source",
                kind.as_str()
            );
        }
        assert_eq!(c.notifiers.len(), 2);
        let routes: Vec<&str> = c.routes_in_order().into_iter().map(|(id, _)| id).collect();
        assert_eq!(
            routes,
            ["critical", "german-shop-reviews", "everything-else"]
        );
        assert!(c.warnings().iter().all(|w| !w.starts_with("routes.")));
        assert_eq!(c.rules.len(), 2);
        assert_eq!(c.markets["eu"].rating_shift, -1.0);
        let p = c.triage_policy("google-alerts-brand", Default::default());
        assert_eq!(p.rating_shift, -1.0);
    }

    #[test]
    fn rules_and_markets_are_validated_with_their_keys() {
        let p = problems(
            "[sources.a]\ntype = \"feed\"\nurl = \"https://x.example/f\"\nmarket = \"us\"\nrating_shift = 99\non_disagreement = \"loudest\"\n",
        )
        .join("\n");
        assert!(p.contains("sources.a.on_disagreement:"), "{p}");
        let p = problems(
            "[sources.a]\ntype = \"feed\"\nurl = \"https://x.example/f\"\nmarket = \"us\"\nrating_shift = 99\n\n[rules.x]\nregex = ['(a']\nseverity = \"urgent\"\n\n[rules.y]\nkeywords = [\"scam\"]\nsources = [\"nope\"]\ncolour = 1\n\n[rules.z]\nregex = ['(b']\n\n[markets.eu]\nrating_shift = \"one\"\n",
        )
        .join("\n");
        assert!(
            p.contains("4: sources.a.market: no [markets.us] table"),
            "{p}"
        );
        assert!(p.contains("5: sources.a.rating_shift: must be"), "{p}");
        assert!(p.contains("9: rules.x.severity:"), "{p}");
        assert!(p.contains("14: rules.y.colour: unknown key"), "{p}");
        assert!(p.contains("17: rules.z.regex: pattern 1"), "{p}");
        assert!(p.contains("20: markets.eu.rating_shift:"), "{p}");
        let c = load(
            "[sources.a]\ntype = \"feed\"\nurl = \"https://x.example/f\"\nrating_scale = \"nps\"\nmarket = \"eu\"\n\n[markets.eu]\nrating_shift = -1\n\n[rules.y]\nkeywords = [\"scam\"]\nsources = [\"a\"]\n",
        )
        .unwrap();
        let p = c.triage_policy("a", Default::default());
        assert_eq!(p.rating_scale, crate::classify::RatingScale::Nps);
        assert_eq!(p.rating_shift, -1.0);
        let p = problems("[rules.y]\nkeywords = [\"scam\"]\nsources = [\"nope\"]\n").join("\n");
        assert!(p.contains("rules.y.sources: no source \"nope\""), "{p}");
    }
}
