//! Email templates: the built-in set compiled into the binary, and overrides read
//! once at startup from a notifier's `templates_dir`.
//!
//! | file | renders | context |
//! |---|---|---|
//! | `alert.txt`, `alert.html` | one alert's plain-text and HTML body | [`super::message::AlertView`] |
//! | `alert_subject.txt` | one alert's subject (built-in: `{{ subject }}`) | same |
//! | `digest.txt`, `digest.html` | a digest's bodies | [`super::digest::DigestView`] |
//! | `digest_subject.txt` | a digest's subject (built-in: `{{ subject }}`) | same |
//!
//! A file the directory lacks falls back to the built-in one; other `*.txt` and
//! `*.html` files there are loaded too, for `{% include %}` and `{% extends %}`.
//! `.html` templates are HTML-autoescaped. Undefined variables are errors, and
//! every override is rendered against sample alerts and digests when it loads, so
//! `check-config` reports a mistake (naming the file and line) instead of the first
//! delivery.

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use minijinja::value::Kwargs;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};
use serde::Serialize;

use super::Language;

/// The templates a directory may override.
pub const TEMPLATE_NAMES: [&str; 6] = [
    "alert.txt",
    "alert.html",
    "alert_subject.txt",
    "digest.txt",
    "digest.html",
    "digest_subject.txt",
];

const BUILTIN: [(&str, &str); 6] = [
    ("alert.txt", include_str!("templates/alert.txt")),
    ("alert.html", include_str!("templates/alert.html")),
    ("alert_subject.txt", "{{ subject }}"),
    ("digest.txt", include_str!("templates/digest.txt")),
    ("digest.html", include_str!("templates/digest.html")),
    ("digest_subject.txt", "{{ subject }}"),
];

/// Most files a template directory may hold, and the largest one.
const MAX_FILES: usize = 64;
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A template that cannot be read, parsed or rendered. Names the file.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct TemplateError {
    pub path: PathBuf,
    pub message: String,
}

/// One notifier's set of templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    /// Where overrides came from (None: built-in only).
    dir: Option<PathBuf>,
}

static BUILTIN_SET: LazyLock<Arc<Templates>> = LazyLock::new(|| {
    let mut env = environment();
    for (name, src) in BUILTIN {
        env.add_template(name, src)
            .unwrap_or_else(|e| panic!("built-in template {name}: {e:#}"));
    }
    Arc::new(Templates { env, dir: None })
});

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // The name decides autoescaping: `.html` is HTML-escaped, `.txt` is not.
    env.add_filter("pad", pad);
    env.add_filter("fill", fill);
    env
}

/// `{{ "Rating:" | pad(12) }}`: right-pad with spaces to `width` characters.
fn pad(s: String, width: usize) -> String {
    let n = s.chars().count();
    if n >= width {
        format!("{s} ")
    } else {
        format!("{s}{}", " ".repeat(width - n))
    }
}

/// `{{ t.source_suffix | fill(source=source) }}`: fill a message's `{name}`s.
fn fill(s: String, kwargs: Kwargs) -> Result<String, Error> {
    let mut args = Vec::new();
    for k in kwargs.args() {
        let v: Value = kwargs.get(k)?;
        args.push((k.to_string(), v.to_string()));
    }
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ok(super::i18n::fill(&s, &args))
}

impl Templates {
    /// The built-in templates (shared).
    pub fn builtin() -> Arc<Templates> {
        BUILTIN_SET.clone()
    }

    /// Built-ins overridden by the files in `dir`; every override is parsed and
    /// test-rendered now. Errors name the file.
    pub fn load(dir: &Path) -> Result<Templates, TemplateError> {
        let fail = |path: &Path, message: String| TemplateError {
            path: path.to_path_buf(),
            message,
        };
        let entries = std::fs::read_dir(dir)
            .map_err(|e| fail(dir, format!("cannot read the template directory: {e}")))?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| fail(dir, format!("cannot list: {e}")))?;
            let path = entry.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            if name.starts_with('.') || !(name.ends_with(".txt") || name.ends_with(".html")) {
                continue;
            }
            files.push((name, path));
        }
        if files.len() > MAX_FILES {
            return Err(fail(
                dir,
                format!("holds {} templates; at most {MAX_FILES}", files.len()),
            ));
        }
        files.sort();
        let mut env = environment();
        let mut overridden = Vec::new();
        for (name, path) in &files {
            let meta =
                std::fs::metadata(path).map_err(|e| fail(path, format!("cannot read: {e}")))?;
            if meta.len() > MAX_FILE_BYTES {
                return Err(fail(path, "larger than 1 MiB".into()));
            }
            let src = std::fs::read_to_string(path)
                .map_err(|e| fail(path, format!("cannot read: {e}")))?;
            env.add_template_owned(name.clone(), src)
                .map_err(|e| fail(path, describe(&e)))?;
            if TEMPLATE_NAMES.contains(&name.as_str()) {
                overridden.push(name.clone());
            }
        }
        for (name, src) in BUILTIN {
            if env.get_template(name).is_err() {
                env.add_template(name, src)
                    .expect("built-in templates compile");
            }
        }
        let t = Templates {
            env,
            dir: Some(dir.to_path_buf()),
        };
        t.check(&overridden)?;
        Ok(t)
    }

    /// Render every overridden template against the samples, in every language.
    fn check(&self, names: &[String]) -> Result<(), TemplateError> {
        let alerts: Vec<_> = super::message::EVENTS
            .iter()
            .map(|e| super::message::samples::alert(e))
            .collect();
        let digests = [
            super::digest::samples::digest(),
            super::digest::samples::empty(),
        ];
        for name in names {
            for lang in Language::ALL {
                if name.starts_with("alert") {
                    for a in &alerts {
                        self.render(name, &super::message::alert_view(lang, a))?;
                    }
                } else {
                    for d in &digests {
                        self.render(name, &super::digest::view(lang, d))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Render template `name` with `ctx`. The error names the file it came from.
    pub fn render(&self, name: &str, ctx: &impl Serialize) -> Result<String, TemplateError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| TemplateError {
                path: self.path_of(e.name().unwrap_or(name)),
                message: describe(&e),
            })
    }

    fn path_of(&self, name: &str) -> PathBuf {
        match &self.dir {
            Some(d) if d.join(name).is_file() => d.join(name),
            _ => PathBuf::from(format!("(built-in) {name}")),
        }
    }
}

/// `syntax error: unexpected end of input (line 3)`, without minijinja's debug dump.
fn describe(e: &Error) -> String {
    let mut s = match e.kind() {
        ErrorKind::SyntaxError => "syntax error".to_string(),
        ErrorKind::UndefinedError => "undefined value".to_string(),
        k => k.to_string(),
    };
    if let Some(d) = e.detail() {
        s.push_str(": ");
        s.push_str(d);
    }
    if let Some(line) = e.line() {
        s.push_str(&format!(" (line {line})"));
    }
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_from_a_directory_falls_back_for_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alert_subject.txt"), "[ACME] {{ subject }}").unwrap();
        std::fs::write(
            dir.path().join("alert.txt"),
            "{% include \"footer.txt\" %}{{ headline }} / {{ t.label_rating }}: {{ rating }}\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("footer.txt"), "-- ").unwrap();
        let t = Templates::load(dir.path()).unwrap();
        let a = super::super::message::samples::alert("review.negative");
        let v = super::super::message::alert_view(Language::De, &a);
        assert_eq!(
            t.render("alert_subject.txt", &v).unwrap(),
            "[ACME] [reviewradar] 1/5 ★ trustpilot: Kettle lid broke"
        );
        assert_eq!(
            t.render("alert.txt", &v).unwrap(),
            "-- Eine negative Erwähnung auf trustpilot braucht Ihre Aufmerksamkeit. / Bewertung: 1/5\n"
        );
        // Not overridden: the built-in HTML.
        assert_eq!(
            t.render("alert.html", &v).unwrap(),
            Templates::builtin().render("alert.html", &v).unwrap()
        );
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("digest.html");
        std::fs::write(&path, "<p>\n{% for x in new_negatives %}\n").unwrap();
        let err = Templates::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}: syntax error", path.display())),
            "{err}"
        );
        assert!(err.contains("(line"), "{err}");

        // Parses, but names a variable that does not exist: caught at load.
        std::fs::write(&path, "<p>{{ new_negativs }}</p>").unwrap();
        let err = Templates::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}: undefined value", path.display())),
            "{err}"
        );

        let err = Templates::load(&dir.path().join("nope"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read the template directory"), "{err}");
    }

    #[test]
    fn html_overrides_stay_autoescaped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alert.html"), "<p>{{ text }}</p>").unwrap();
        let t = Templates::load(dir.path()).unwrap();
        let mut a = super::super::message::samples::alert("review.negative");
        a.mention.text = "<script>x</script>".into();
        let v = super::super::message::alert_view(Language::En, &a);
        assert_eq!(
            t.render("alert.html", &v).unwrap(),
            "<p>&lt;script&gt;x&lt;&#x2f;script&gt;</p>"
        );
    }

    #[test]
    fn filters() {
        assert_eq!(pad("Rating:".into(), 12), "Rating:     ");
        assert_eq!(pad("Veröffentlicht:".into(), 12), "Veröffentlicht: ");
    }
}
