//! Command-line interface: argument parsing and the commands behind it. `main.rs`
//! only initializes the runtime and maps the result to an exit code.

mod classify_cmd;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, ConfigError, DEFAULT_PATH, LogFormat};
use crate::daemon::{self, App};
use crate::mention::Mention;
use crate::store::{AggregatePoint, Health, SourceState, Store};

/// Exit codes (documented in the README).
pub mod exit {
    pub const OK: u8 = 0;
    pub const RUNTIME: u8 = 1;
    pub const USAGE: u8 = 2;
    /// EX_CONFIG from sysexits.h: the unit's `RestartPreventExitStatus=78`.
    pub const CONFIG: u8 = 78;
}

#[derive(Debug, Parser)]
#[command(
    name = "reviewradar",
    version,
    about = "Watches review platforms and feeds; alerts a human on negative mentions."
)]
pub struct Cli {
    /// Configuration file.
    #[arg(long, short = 'c', global = true, env = "REVIEWRADAR_CONFIG", default_value = DEFAULT_PATH)]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: poll every source on its schedule until SIGTERM/SIGINT.
    Run,
    /// Poll every source once, deliver due alerts, exit.
    Once,
    /// Validate the configuration without network access.
    CheckConfig,
    /// List stored mentions, newest first.
    Mentions {
        /// Only mentions triaged as negative.
        #[arg(long)]
        negative: bool,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
        /// At most this many (0 = all).
        #[arg(long, default_value_t = 0)]
        limit: usize,
    },
    /// Show every configured source's health: last success, last error and its kind,
    /// consecutive failures, items seen and new mentions per poll.
    Sources {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List queued and dead-lettered alert deliveries.
    Outbox {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Classify JSON Lines from stdin: one `{"text": ..., "title", "lang",
    /// "rating", "rating_max", ...}` per line in, one verdict per line out, in
    /// order. Works without a config; with one, its rules and source settings apply.
    Classify,
    /// Evaluate the text classifier on labelled JSON Lines (stars or `negative`):
    /// accuracy, negative-class precision, recall and F1 per language and kind,
    /// and throughput.
    Eval {
        /// Labelled JSON Lines files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Give each item's `lang` to the classifier as a hint (default: detect).
        #[arg(long)]
        hint: bool,
        /// List the misclassified items with their reasons.
        #[arg(long)]
        errors: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A failure with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        let code = if error.downcast_ref::<ConfigError>().is_some() {
            exit::CONFIG
        } else {
            exit::RUNTIME
        };
        Failure { code, error }
    }
}

fn load(cli: &Cli) -> Result<Config, Failure> {
    Config::load(&cli.config).map_err(|e| Failure {
        code: exit::CONFIG,
        error: e.into(),
    })
}

/// Set up logging from the config (or defaults), to stderr.
pub fn init_tracing(format: LogFormat, level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.with_target(false).try_init(),
    };
}

pub async fn execute(cli: Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Classify => {
            let cfg = classify_cmd::optional_config(&cli.config).map_err(|e| Failure {
                code: exit::CONFIG,
                error: e.into(),
            })?;
            let stdin = std::io::stdin();
            let mut input = std::io::BufReader::with_capacity(64 * 1024, stdin.lock());
            let mut output = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
            let r = classify_cmd::classify_stream(cfg.as_ref(), &mut input, &mut output);
            ignore_broken_pipe(r.map(|_| ()))?;
            Ok(())
        }
        Command::Eval {
            files,
            hint,
            errors,
            json,
        } => {
            let mut out = std::io::stdout().lock();
            classify_cmd::eval_files(files, *hint, *errors, *json, &mut out)?;
            Ok(())
        }
        Command::CheckConfig => {
            let cfg = load(&cli)?;
            for w in cfg.warnings() {
                eprintln!("warning: {w}");
            }
            println!(
                "{}: OK ({} sources, {} notifiers)",
                cli.config.display(),
                cfg.sources.len(),
                cfg.notifiers.len()
            );
            Ok(())
        }
        Command::Once => {
            let cfg = load(&cli)?;
            init_tracing(cfg.daemon.log_format, &cfg.daemon.log_level);
            for w in cfg.warnings() {
                tracing::warn!("{w}");
            }
            let app = Arc::new(App::new(cfg)?);
            let r = daemon::once(app).await?;
            eprintln!(
                "once: {} sources ok, {} failed; {} new mentions; {} alerts queued; {} delivered; {} dead-lettered; {} still queued",
                r.sources_ok,
                r.sources_failed.len(),
                r.new,
                r.alerts_queued,
                r.delivered,
                r.dead,
                r.pending
            );
            for (id, e) in &r.sources_failed {
                eprintln!("  source {id} failed: {e}");
            }
            Ok(())
        }
        Command::Run => {
            let cfg = load(&cli)?;
            init_tracing(cfg.daemon.log_format, &cfg.daemon.log_level);
            for w in cfg.warnings() {
                tracing::warn!("{w}");
            }
            let app = Arc::new(App::new(cfg)?);
            let token = CancellationToken::new();
            spawn_signal_handler(token.clone());
            daemon::run(app, token).await?;
            Ok(())
        }
        Command::Mentions {
            negative,
            json,
            limit,
        } => {
            let cfg = load(&cli)?;
            let store = daemon::open_store(&cfg)?;
            let mut ms = store.mentions(*negative).context("reading mentions")?;
            if *limit > 0 {
                ms.truncate(*limit);
            }
            let mut out = std::io::stdout().lock();
            let r = if *json {
                print_json(&mut out, &ms)
            } else {
                print_table(&mut out, &ms)
            };
            ignore_broken_pipe(r)?;
            Ok(())
        }
        Command::Sources { json } => {
            let cfg = load(&cli)?;
            let store = daemon::open_store(&cfg)?;
            let rows = source_rows(&cfg, &store)?;
            let mut out = std::io::stdout().lock();
            let r = if *json {
                print_json(&mut out, &rows)
            } else {
                print_sources(&mut out, &rows)
            };
            ignore_broken_pipe(r)?;
            Ok(())
        }
        Command::Outbox { json } => {
            let cfg = load(&cli)?;
            let store = daemon::open_store(&cfg)?;
            let pending = store.pending_deliveries().context("reading the outbox")?;
            let dead = store.dead_deliveries().context("reading the outbox")?;
            let mut out = std::io::stdout().lock();
            let r = if *json {
                serde_json::to_writer_pretty(
                    &mut out,
                    &serde_json::json!({"pending": pending, "dead": dead}),
                )
                .map_err(json_io)
                .and_then(|_| writeln!(out))
            } else {
                (|| {
                    writeln!(
                        out,
                        "{} queued, {} dead-lettered",
                        pending.len(),
                        dead.len()
                    )?;
                    for d in &pending {
                        writeln!(
                            out,
                            "queued {} {} {} attempts={} next={} {}",
                            d.id,
                            d.notifier,
                            d.event,
                            d.attempts,
                            d.next_attempt_at.to_rfc3339(),
                            d.last_error.as_deref().unwrap_or("")
                        )?;
                    }
                    for d in &dead {
                        writeln!(
                            out,
                            "dead   {} {} {} attempts={} {}",
                            d.id,
                            d.notifier,
                            d.event,
                            d.attempts,
                            d.last_error.as_deref().unwrap_or("")
                        )?;
                    }
                    Ok(())
                })()
            };
            ignore_broken_pipe(r)?;
            Ok(())
        }
    }
}

/// One line of `reviewradar sources`.
#[derive(serde::Serialize)]
struct SourceRow {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    enabled: bool,
    health: &'static str,
    /// Why it is broken, blocked or failing.
    problem: Option<String>,
    polls: u64,
    last_poll: Option<chrono::DateTime<chrono::Utc>>,
    last_success: Option<chrono::DateTime<chrono::Utc>>,
    last_error: Option<String>,
    last_error_kind: Option<String>,
    last_error_at: Option<chrono::DateTime<chrono::Utc>>,
    consecutive_failures: u32,
    items_last: u64,
    new_last: u64,
    items_recent: Vec<u64>,
    items_total: u64,
    new_total: u64,
    /// The page's overall rating at the last poll that showed one.
    aggregate: Option<AggregatePoint>,
}

/// Every configured source (polled or not), then states of sources no longer
/// configured, which keep their stored mentions.
fn source_rows(cfg: &Config, store: &Store) -> anyhow::Result<Vec<SourceRow>> {
    let mut states: std::collections::BTreeMap<String, SourceState> = store
        .source_states()
        .context("reading source states")?
        .into_iter()
        .collect();
    let mut rows = Vec::new();
    let mut push = |id: &str, kind: &'static str, enabled: bool, st: SourceState| {
        let health = st.health();
        let problem = match health {
            Health::Broken => st.broken_reason(),
            Health::Blocked | Health::Failing => st.last_error.clone(),
            Health::Ok | Health::Pending => None,
        };
        rows.push(SourceRow {
            id: id.to_string(),
            kind,
            enabled,
            health: if enabled { health.as_str() } else { "disabled" },
            problem,
            polls: st.polls,
            last_poll: st.last_poll,
            last_success: st.last_success,
            last_error: st.last_error,
            last_error_kind: st.last_error_kind,
            last_error_at: st.last_error_at,
            consecutive_failures: st.consecutive_failures,
            items_last: st.items_last,
            new_last: st.new_last,
            items_recent: st.items_recent,
            items_total: st.items_total,
            new_total: st.new_total,
            aggregate: st.aggregate_last,
        });
    };
    for (id, s) in &cfg.sources {
        let st = states.remove(id).unwrap_or_default();
        push(id, s.kind.as_str(), s.enabled, st);
    }
    for (id, st) in states {
        push(&id, "(removed)", false, st);
    }
    Ok(rows)
}

fn print_sources(out: &mut impl Write, rows: &[SourceRow]) -> std::io::Result<()> {
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into())
    };
    writeln!(
        out,
        "{:<24} {:<14} {:<9} {:<16} {:>5} {:>6} {:>5}  PROBLEM",
        "SOURCE", "TYPE", "HEALTH", "LAST SUCCESS", "FAILS", "ITEMS", "NEW"
    )?;
    for r in rows {
        let problem = match (&r.problem, &r.last_error_kind) {
            (Some(p), Some(kind)) if r.health != "broken" => format!("{kind}: {p}"),
            (Some(p), _) => p.clone(),
            (None, _) => String::new(),
        };
        writeln!(
            out,
            "{:<24} {:<14} {:<9} {:<16} {:>5} {:>6} {:>5}  {}",
            r.id,
            r.kind,
            r.health,
            when(r.last_success),
            r.consecutive_failures,
            r.items_last,
            r.new_last,
            crate::mention::cut(&problem, 200)
        )?;
    }
    Ok(())
}

fn json_io(e: serde_json::Error) -> std::io::Error {
    match e.io_error_kind() {
        Some(kind) => std::io::Error::from(kind),
        None => std::io::Error::other(e),
    }
}

fn ignore_broken_pipe(r: std::io::Result<()>) -> anyhow::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing output"),
    }
}

fn print_json<T: serde::Serialize>(out: &mut impl Write, ms: &[T]) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, ms).map_err(json_io)?;
    writeln!(out)
}

fn print_table(out: &mut impl Write, ms: &[Mention]) -> std::io::Result<()> {
    for m in ms {
        let when = m
            .published_at
            .unwrap_or(m.first_seen)
            .format("%Y-%m-%d %H:%M");
        let rating = match (m.rating, m.rating_max) {
            (Some(r), Some(x)) => format!("{r}/{x}"),
            (Some(r), None) => format!("{r}"),
            _ => "-".into(),
        };
        let flag = if m.negative { "NEG" } else { "   " };
        let mut head = m.title.clone().unwrap_or_default();
        if head.is_empty() {
            head = m.text.clone();
        }
        let head: String = head.chars().filter(|c| !c.is_control()).take(80).collect();
        writeln!(
            out,
            "{when}  {flag} {:>6}  {:<14} {:<8} {}  {}",
            rating,
            m.platform,
            m.lang.as_deref().unwrap_or("-"),
            head,
            m.url.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}

fn spawn_signal_handler(token: CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = match signal(SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "Cannot install the SIGTERM handler.");
                    return;
                }
            };
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM received."),
                _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received."),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        token.cancel();
    });
}
