//! `reviewradar classify` (JSON Lines in, one verdict per line out) and
//! `reviewradar eval` (figures over labelled JSON Lines).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::classify::{self, Policy, Rules, Severity, eval};
use crate::config::{Config, DEFAULT_PATH, SourceKind};

/// Longest input line `classify` reads; the rest of a longer line is skipped and
/// the line answered with an error.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// One input line of `classify`. Only `text` is required; unknown fields are
/// ignored (so labelled sets can be piped through as they are).
#[derive(Debug, Deserialize)]
struct Line {
    text: String,
    #[serde(default)]
    title: Option<String>,
    /// Language hint (ISO 639-1); wins over detection.
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    rating: Option<f64>,
    #[serde(default)]
    rating_min: Option<f64>,
    #[serde(default)]
    rating_max: Option<f64>,
    #[serde(default)]
    author: Option<String>,
    /// A source id of the config: its threshold, scale, shift, disagreement
    /// policy, language and rule filters apply.
    #[serde(default)]
    source: Option<String>,
    /// A platform (`amazon`, `trustpilot`, ...): its default threshold applies
    /// when no configured source is named.
    #[serde(default)]
    platform: Option<String>,
}

/// One output line.
#[derive(Debug, Serialize)]
struct Out<'a> {
    negative: bool,
    score: f64,
    lang: Option<&'a str>,
    reasons: &'a [String],
    severity: Severity,
    rules: &'a [String],
}

#[derive(Debug, Serialize)]
struct ErrorOut<'a> {
    error: &'a str,
    line: u64,
}

/// The config for `classify`: the one given (explicitly or through
/// `$REVIEWRADAR_CONFIG`), or none when the default path does not exist.
pub fn optional_config(path: &Path) -> Result<Option<Config>, crate::config::ConfigError> {
    if path == Path::new(DEFAULT_PATH) && !path.exists() {
        return Ok(None);
    }
    Config::load(path).map(Some)
}

/// Read JSON Lines from `input`, write one verdict (or error) object per line to
/// `output`, in order. Returns (lines, errors).
pub fn classify_stream(
    cfg: Option<&Config>,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> std::io::Result<(u64, u64)> {
    let rules = Arc::new(match cfg {
        Some(c) => c.compiled_rules().map_err(std::io::Error::other)?,
        None => Rules::default(),
    });
    let default_policy = Policy {
        rules: rules.clone(),
        ..Policy::default()
    };
    let mut buf = Vec::with_capacity(4096);
    let mut out = Vec::with_capacity(1024);
    let (mut n, mut errors) = (0u64, 0u64);
    loop {
        buf.clear();
        let (read, too_long) = read_line_capped(input, &mut buf, MAX_LINE_BYTES)?;
        if read == 0 {
            break;
        }
        n += 1;
        out.clear();
        let result = if too_long {
            Err(format!("longer than {MAX_LINE_BYTES} bytes; skipped"))
        } else {
            answer(cfg, &default_policy, &rules, trim_eol(&buf), &mut out)
        };
        if let Err(message) = result {
            errors += 1;
            out.clear();
            let message = format!("line {n}: {message}");
            serde_json::to_writer(
                &mut out,
                &ErrorOut {
                    error: &message,
                    line: n,
                },
            )
            .map_err(std::io::Error::other)?;
        }
        out.push(b'\n');
        output.write_all(&out)?;
        // Flush when no more input is waiting, so an interactive pipe gets its
        // answer at once and a bulk run still writes in large blocks.
        if input.fill_buf()?.is_empty() {
            output.flush()?;
        }
    }
    output.flush()?;
    Ok((n, errors))
}

fn answer(
    cfg: Option<&Config>,
    default_policy: &Policy,
    rules: &Arc<Rules>,
    raw: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let text = std::str::from_utf8(raw)
        .map_err(|e| format!("not valid UTF-8 (at byte {})", e.valid_up_to()))?;
    if text.trim().is_empty() {
        return Err("empty line; expected a JSON object with \"text\"".into());
    }
    let line: Line = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let source_policy = match (&line.source, cfg) {
        (Some(id), Some(c)) if c.sources.contains_key(id) => {
            Some(c.triage_policy(id, rules.clone()))
        }
        _ => None,
    };
    let platform_policy;
    let policy = match &source_policy {
        Some(p) => p,
        None => {
            let kind = line
                .platform
                .as_deref()
                .and_then(|p| SourceKind::ALL.iter().find(|k| k.as_str() == p));
            platform_policy = Policy {
                negative_at_or_below: kind.and_then(|k| k.default_negative_at_or_below()),
                source: line.source.clone(),
                ..default_policy.clone()
            };
            &platform_policy
        }
    };
    let mut input = policy.input();
    input.title = line.title.as_deref();
    input.text = &line.text;
    input.rating = line.rating;
    input.rating_min = line.rating_min;
    input.rating_max = line.rating_max;
    input.author = line.author.as_deref();
    input.platform = line.platform.as_deref();
    if let Some(l) = line.lang.as_deref().filter(|l| !l.trim().is_empty()) {
        input.lang_hint = Some(l);
    }
    let v = classify::triage(&input);
    serde_json::to_writer(
        &mut *out,
        &Out {
            negative: v.negative,
            score: (v.score * 1000.0).round() / 1000.0,
            lang: v.lang.as_deref(),
            reasons: &v.reasons,
            severity: v.severity,
            rules: &v.rules,
        },
    )
    .map_err(|e| e.to_string())
}

/// Read one line (through `\n`) into `buf`, keeping at most `cap` bytes; the rest
/// of a longer line is consumed and dropped. Returns (bytes read, too long).
fn read_line_capped(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<(usize, bool)> {
    let mut read = 0;
    let mut too_long = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((read, too_long));
        }
        let (take, done) = match memchr_newline(chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if !too_long {
            if buf.len() + take > cap + 2 {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&chunk[..take]);
            }
        }
        read += take;
        input.consume(take);
        if done {
            return Ok((read, too_long));
        }
    }
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

fn trim_eol(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// `reviewradar eval`: read labelled JSON Lines files, print the figures.
pub fn eval_files(
    files: &[PathBuf],
    use_hint: bool,
    errors: bool,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut items = Vec::new();
    for f in files {
        let data =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        for (i, line) in data.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let item: eval::Labelled = serde_json::from_str(line)
                .with_context(|| format!("{}:{}: not a labelled review", f.display(), i + 1))?;
            items.push(item);
        }
    }
    if items.is_empty() {
        anyhow::bail!("no labelled reviews in {} file(s)", files.len());
    }
    let report = eval::evaluate(&items, use_hint);
    if json {
        let mut r = report;
        if !errors {
            r.misses.clear();
        }
        serde_json::to_writer_pretty(&mut *out, &r)?;
        writeln!(out)?;
        return Ok(());
    }
    let mut s = String::new();
    eval::render(&report, &mut s);
    if errors {
        s.push_str("\nmisclassified:\n");
        for m in &report.misses {
            s.push_str(&format!(
                "  [{} {} want {}] {:.2} {} | {} :: {}\n",
                m.lang,
                m.kind,
                if m.gold_negative {
                    "negative"
                } else {
                    "positive"
                },
                m.score,
                m.title,
                m.text,
                m.reasons.join("; ")
            ));
        }
    }
    out.write_all(s.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8]) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        classify_stream(None, &mut std::io::BufReader::new(input), &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn one_answer_per_line_in_order() {
        let mut input = Vec::new();
        input.extend_from_slice(b"{\"text\": \"Total scam, never arrived.\"}\n");
        input.extend_from_slice(b"\n");
        input.extend_from_slice(b"not json\r\n");
        input.extend_from_slice(b"{\"text\": \"ok\xff\"}\n");
        input.extend_from_slice(b"{\"title\": \"no text\"}\n");
        input.extend_from_slice(b"{\"text\": \"Great, love it!\", \"rating\": 5}");
        let got = run(&input);
        assert_eq!(got.len(), 6, "{got:?}");
        assert_eq!(got[0]["negative"], true);
        assert_eq!(got[0]["lang"], "en");
        assert!(
            got[1]["error"]
                .as_str()
                .unwrap()
                .starts_with("line 2: empty")
        );
        assert!(got[2]["error"].as_str().unwrap().starts_with("line 3: "));
        assert!(got[3]["error"].as_str().unwrap().contains("UTF-8"));
        assert!(got[4]["error"].as_str().unwrap().contains("text"));
        assert_eq!(got[5]["negative"], false);
        assert_eq!(got[5]["severity"], "normal");
    }

    #[test]
    fn huge_lines_are_skipped_not_buffered() {
        let mut input = b"{\"text\": \"".to_vec();
        input.extend(std::iter::repeat_n(b'a', MAX_LINE_BYTES + 10));
        input.extend_from_slice(b"\"}\n{\"text\": \"Nicht gut.\", \"lang\": \"de\"}\n");
        let got = run(&input);
        assert_eq!(got.len(), 2);
        assert!(got[0]["error"].as_str().unwrap().contains("longer than"));
        assert_eq!(got[1]["negative"], true);
    }

    #[test]
    fn platform_defaults_apply_without_a_config() {
        let got = run(
            b"{\"text\": \"\", \"rating\": 3, \"platform\": \"amazon\"}\n{\"text\": \"\", \"rating\": 3, \"platform\": \"trustpilot\"}\n",
        );
        assert_eq!(got[0]["negative"], true, "{got:?}");
        assert_eq!(got[1]["negative"], false, "{got:?}");
    }
}
