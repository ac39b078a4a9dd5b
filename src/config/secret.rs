//! Secrets from `*_file` or `*_env` keys. The value lives in [`Secret`], whose `Debug`
//! and `Display` print `***`, so it cannot reach a log line by accident.

use std::fmt;
use std::path::Path;

use super::{Problem, Spans};

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Load from a file (trailing newline trimmed) or an environment variable.
    /// `Ok(None)` when neither is configured.
    pub fn load(file: Option<&Path>, env: Option<&str>) -> Result<Option<Secret>, String> {
        if let Some(f) = file {
            let meta =
                std::fs::metadata(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
            if meta.len() > 64 * 1024 {
                return Err(format!("{} is larger than 64 KiB", f.display()));
            }
            let s = std::fs::read_to_string(f)
                .map_err(|e| format!("cannot read {}: {e}", f.display()))?;
            let s = s.trim_end_matches(['\r', '\n']);
            if s.is_empty() {
                return Err(format!("{} is empty", f.display()));
            }
            return Ok(Some(Secret(s.to_string())));
        }
        if let Some(var) = env {
            return match std::env::var(var) {
                Ok(v) if !v.is_empty() => Ok(Some(Secret(v))),
                Ok(_) => Err(format!("environment variable {var} is empty")),
                Err(_) => Err(format!("environment variable {var} is not set")),
            };
        }
        Ok(None)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Validate a `*_file` / `*_env` pair: not both, and the one given is readable.
pub(super) fn check(
    p: &mut Vec<Problem>,
    spans: &Spans<'_>,
    file_key: &str,
    env_key: &str,
    file: Option<&Path>,
    env: Option<&str>,
) {
    if file.is_some() && env.is_some() {
        p.push(spans.problem(
            env_key,
            format!("set either {file_key} or {env_key}, not both"),
        ));
        return;
    }
    if let Err(e) = Secret::load(file, env) {
        let key = if file.is_some() { file_key } else { env_key };
        p.push(spans.problem(key, e));
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "*** ***");
    }
}
