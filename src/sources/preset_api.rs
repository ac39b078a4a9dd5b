//! The runtime the review-platform presets share: one [`ApiSource`] that sends the
//! preset's headers and credential with every page through `poll_pages`, and the
//! helpers that let a preset adjust a JSON response before the generic engine
//! ([`super::json::extract`]) reads it with the preset's [`JsonMapping`].
//!
//! A credential is either read once when the source is built (an API key), or read
//! again at every poll (an OAuth access token a helper outside reviewradar
//! refreshes). Either way it travels as the `{secret}` placeholder of the request
//! and is filled in only when the request is sent.

use std::path::PathBuf;

use async_trait::async_trait;
use reqwest::header::HeaderName;
use serde_json::Value;
use url::Url;

use super::json::{self, JsonMapping};
use super::{Page, PollContext, PollOutcome, Source, SourceError};
use crate::config::{SECRET_PLACEHOLDER, Secret, SourceConfig};
use crate::fetch::{Body, Request, templatize};

/// Where a preset's credential comes from.
pub(crate) enum Credential {
    /// Read when the source was built.
    Fixed(Secret),
    /// Read at every poll: `file_key`/`env_key` name the config keys in messages.
    Fresh {
        file: Option<PathBuf>,
        env: Option<String>,
        file_key: &'static str,
        env_key: &'static str,
    },
}

impl Credential {
    /// Read once, now: a missing secret fails the build with the key's name.
    pub(crate) fn fixed(
        file: Option<&std::path::Path>,
        env: Option<&str>,
        file_key: &str,
        env_key: &str,
    ) -> Result<Self, String> {
        let key = if file.is_some() { file_key } else { env_key };
        match Secret::load(file, env) {
            Ok(Some(s)) => Ok(Credential::Fixed(s)),
            Ok(None) => Err(format!("{file_key}: missing: set {file_key} or {env_key}")),
            Err(e) => Err(format!("{key}: {e}")),
        }
    }

    fn load(&self) -> Result<Secret, SourceError> {
        match self {
            Credential::Fixed(s) => Ok(s.clone()),
            Credential::Fresh {
                file,
                env,
                file_key,
                env_key,
            } => {
                let key = if file.is_some() { file_key } else { env_key };
                match Secret::load(file.as_deref(), env.as_deref()) {
                    Ok(Some(s)) => Ok(s),
                    Ok(None) => Err(SourceError::Credential {
                        key: (*file_key).to_string(),
                        reason: format!("missing: set {file_key} or {env_key}"),
                    }),
                    Err(reason) => Err(SourceError::Credential {
                        key: (*key).to_string(),
                        reason,
                    }),
                }
            }
        }
    }
}

/// Turns one page's body into mentions (and the next page).
pub(crate) type ParseFn = Box<dyn Fn(&Body) -> Result<Page, SourceError> + Send + Sync>;

/// A preset source: the URL its config built, headers whose values may hold
/// `{secret}`, an optional credential, and the preset's page parser.
pub(crate) struct ApiSource {
    id: String,
    platform: String,
    url: Url,
    max_pages: u32,
    headers: Vec<(HeaderName, String)>,
    credential: Option<Credential>,
    parse: ParseFn,
}

impl ApiSource {
    pub(crate) fn new(id: &str, cfg: &SourceConfig, parse: ParseFn) -> Self {
        Self {
            id: id.to_string(),
            platform: cfg
                .platform
                .clone()
                .unwrap_or_else(|| cfg.kind.as_str().to_string()),
            url: cfg.url.clone(),
            max_pages: cfg.options.max_pages(),
            headers: Vec::new(),
            credential: None,
            parse,
        }
    }

    /// Send `name: value` with every request; `value` may hold `{secret}`.
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers
            .push((HeaderName::from_static(name), value.into()));
        self
    }

    pub(crate) fn credential(mut self, c: Credential) -> Self {
        self.credential = Some(c);
        self
    }

    /// Use `url` instead of the configured one (e.g. with a credential added).
    pub(crate) fn url(mut self, url: Url) -> Self {
        self.url = url;
        self
    }
}

#[async_trait]
impl Source for ApiSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        let secrets: Vec<(String, Secret)> = match &self.credential {
            Some(c) => vec![(SECRET_PLACEHOLDER.to_string(), c.load()?)],
            None => Vec::new(),
        };
        let request = |u: &Url| {
            let mut req = Request::get(u.clone());
            for (name, value) in &self.headers {
                req = req.header(name.clone(), value.clone());
            }
            for (placeholder, secret) in &secrets {
                req = req.secret(placeholder.clone(), secret.clone());
            }
            req
        };
        super::poll_pages(cx, &self.url, self.max_pages, request, |body| {
            let mut page = (self.parse)(body)?;
            // A next link built from a URL the server sent back may carry the secret.
            page.next = page.next.map(|u| templatize(&u, &secrets));
            Ok(page)
        })
        .await
    }
}

/// Parse a JSON body, with the engine's message on failure.
pub(crate) fn parse_json(bytes: &[u8], url: &Url) -> Result<Value, SourceError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(|e| {
        let full = e.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) => &full[..i],
            None => &full,
        };
        parse_error(
            url,
            format!(
                "not valid JSON (line {}, column {}): {message}",
                e.line(),
                e.column()
            ),
        )
    })
}

/// Read an (adjusted) JSON document with `mapping`.
pub(crate) fn extract(
    root: &Value,
    url: &Url,
    mapping: &JsonMapping,
) -> Result<json::Page, SourceError> {
    let bytes = serde_json::to_vec(root).map_err(|e| parse_error(url, e.to_string()))?;
    json::extract(&bytes, url, mapping).map_err(|e| parse_error(url, e.to_string()))
}

pub(crate) use super::parse_error;

/// Google-style APIs leave out an empty list: an object without `key` has no items.
/// An object holding an `error` is not an empty answer and is left alone.
pub(crate) fn default_empty_list(root: &mut Value, key: &str) {
    if let Value::Object(map) = root
        && !map.contains_key("error")
        && map.get(key).is_none_or(Value::is_null)
    {
        map.insert(key.to_string(), Value::Array(Vec::new()));
    }
}

/// The items at `pointer`, mutable, when it is an array.
pub(crate) fn items_mut<'a>(root: &'a mut Value, pointer: &str) -> &'a mut [Value] {
    match root.pointer_mut(pointer) {
        Some(Value::Array(items)) => items,
        _ => &mut [],
    }
}

/// An `AggregateRating` from a number and a count, if the number is one.
pub(crate) fn aggregate(
    rating: Option<&Value>,
    count: Option<&Value>,
    best: f64,
    worst: f64,
) -> Option<crate::mention::AggregateRating> {
    let rating = rating.and_then(Value::as_f64).filter(|r| r.is_finite())?;
    Some(crate::mention::AggregateRating {
        rating,
        best: Some(best),
        worst: Some(worst),
        rating_count: None,
        review_count: count.and_then(Value::as_u64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_credential_is_read_at_every_load() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        let c = Credential::Fresh {
            file: Some(file.clone()),
            env: None,
            file_key: "access_token_file",
            env_key: "access_token_env",
        };
        // Not there yet: a credential error naming the key, not a panic.
        let err = c.load().unwrap_err();
        assert_eq!(err.kind(), "credential");
        assert!(
            err.to_string()
                .starts_with("access_token_file: cannot read"),
            "{err}"
        );
        std::fs::write(&file, "first\n").unwrap();
        assert_eq!(c.load().unwrap().expose(), "first");
        std::fs::write(&file, "second\n").unwrap();
        assert_eq!(c.load().unwrap().expose(), "second");
        std::fs::write(&file, "").unwrap();
        assert!(c.load().unwrap_err().to_string().contains("is empty"));
    }

    #[test]
    fn a_fixed_credential_names_its_key_when_missing() {
        let err = Credential::fixed(
            None,
            Some("REVIEWRADAR_TEST_UNSET_PRESET_9"),
            "api_key_file",
            "api_key_env",
        )
        .err()
        .unwrap();
        assert_eq!(
            err,
            "api_key_env: environment variable REVIEWRADAR_TEST_UNSET_PRESET_9 is not set"
        );
        let err = Credential::fixed(None, None, "api_key_file", "api_key_env")
            .err()
            .unwrap();
        assert!(err.starts_with("api_key_file: missing"), "{err}");
    }

    #[test]
    fn google_style_empty_answers_have_no_items() {
        let mut v = serde_json::json!({});
        default_empty_list(&mut v, "reviews");
        assert_eq!(v, serde_json::json!({"reviews": []}));
        let mut v = serde_json::json!({"error": {"code": 403}});
        default_empty_list(&mut v, "reviews");
        assert!(
            v.get("reviews").is_none(),
            "an error is not an empty answer"
        );
    }
}
