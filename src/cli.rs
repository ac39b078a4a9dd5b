//! Command-line interface: argument parsing and the commands behind it. `main.rs`
//! only initializes the runtime and maps the result to an exit code.

mod classify_cmd;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::case::{Case, CaseState};
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
    /// List cases (one per negative mention), oldest first.
    Cases {
        /// Only cases in these states (comma-separated): open, acknowledged,
        /// contacted, replied, resolved, ignored; or `active` for every state but
        /// resolved and ignored.
        #[arg(long)]
        state: Option<String>,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Move a case, or show it with its history.
    Case {
        #[command(subcommand)]
        action: CaseCommand,
    },
    /// Response times of cases: to acknowledge, contact, reply and resolve, with
    /// counts, medians and p90, overall and per source, platform and route.
    Report {
        /// Cases opened since: a duration back from now ("30d", "12h") or a date
        /// ("2026-03-01", "2026-03-01T08:00:00Z").
        #[arg(long, default_value = "30d", value_name = "WHEN")]
        since: crate::report::Since,
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

/// `reviewradar case <action> ID`: ID is the case id or a unique part of it (at
/// least 6 characters).
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Someone has seen it and owns it.
    Ack(CaseArgs),
    /// The customer was reached privately.
    Contact(CaseArgs),
    /// The public answer is posted.
    Reply(CaseArgs),
    /// Done: the problem is solved.
    Resolve(CaseArgs),
    /// Nothing to do (spam, a competitor, not a customer): needs `--note` with the reason.
    Ignore(CaseArgs),
    /// Print the case, its mention and its whole history.
    Show {
        id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct CaseArgs {
    /// Case id, or a unique part of it (the `cases` table shows the last 12 digits).
    pub id: String,
    /// What was done or why.
    #[arg(long)]
    pub note: Option<String>,
    /// Who did it (default: $SUDO_USER, else $USER).
    #[arg(long)]
    pub by: Option<String>,
}

/// The commands that read or change the store. While the daemon runs it holds the
/// store, so these are sent to it over its control socket ([`crate::control`]) and
/// run there; otherwise the CLI opens the store itself. Either way the same code runs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum StoreCommand {
    Mentions {
        negative: bool,
        json: bool,
        limit: usize,
    },
    Sources {
        json: bool,
    },
    Outbox {
        json: bool,
    },
    Cases {
        state: Option<String>,
        json: bool,
    },
    CaseAction {
        action: String,
        id: String,
        note: Option<String>,
        by: String,
    },
    CaseShow {
        id: String,
        json: bool,
    },
    Report {
        /// Cases opened at or after this instant ...
        since: chrono::DateTime<chrono::Utc>,
        /// ... up to this one (the client's clock).
        now: chrono::DateTime<chrono::Utc>,
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
                "{}: OK ({} sources, {} notifiers, {} routes)",
                cli.config.display(),
                cfg.sources.len(),
                cfg.notifiers.len(),
                cfg.routes.len()
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
                "once: {} sources ok, {} failed; {} new mentions; {} alerts queued; {} reminders, {} escalations and {} digests queued; {} delivered; {} dead-lettered; {} still queued",
                r.sources_ok,
                r.sources_failed.len(),
                r.new,
                r.alerts_queued,
                r.reminders,
                r.escalations,
                r.digests,
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
        } => dispatch(
            &cli,
            StoreCommand::Mentions {
                negative: *negative,
                json: *json,
                limit: *limit,
            },
        ),
        Command::Sources { json } => dispatch(&cli, StoreCommand::Sources { json: *json }),
        Command::Outbox { json } => dispatch(&cli, StoreCommand::Outbox { json: *json }),
        Command::Cases { state, json } => dispatch(
            &cli,
            StoreCommand::Cases {
                state: state.clone(),
                json: *json,
            },
        ),
        Command::Case { action } => {
            let cmd = match action {
                CaseCommand::Show { id, json } => StoreCommand::CaseShow {
                    id: id.clone(),
                    json: *json,
                },
                CaseCommand::Ack(a)
                | CaseCommand::Contact(a)
                | CaseCommand::Reply(a)
                | CaseCommand::Resolve(a)
                | CaseCommand::Ignore(a) => StoreCommand::CaseAction {
                    action: match action {
                        CaseCommand::Ack(_) => "ack",
                        CaseCommand::Contact(_) => "contact",
                        CaseCommand::Reply(_) => "reply",
                        CaseCommand::Resolve(_) => "resolve",
                        _ => "ignore",
                    }
                    .to_string(),
                    id: a.id.clone(),
                    note: a.note.clone(),
                    by: a.by.clone().unwrap_or_else(default_actor),
                },
            };
            dispatch(&cli, cmd)
        }
        Command::Report { since, json } => {
            let now = chrono::Utc::now();
            dispatch(
                &cli,
                StoreCommand::Report {
                    since: since.resolve(now),
                    now,
                    json: *json,
                },
            )
        }
    }
}

/// Who is acting: `$SUDO_USER` (the person behind `sudo -u reviewradar`), else
/// `$USER`, else "cli".
fn default_actor() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "cli".to_string())
}

/// Run a store command: in the daemon when one is running, else here.
fn dispatch(cli: &Cli, cmd: StoreCommand) -> Result<(), Failure> {
    let cfg = load(cli)?;
    let resp = crate::control::request(&cfg, &cmd).with_context(|| {
        format!(
            "asking the running daemon over {}",
            crate::control::socket_path(&cfg).display()
        )
    })?;
    let (stdout, result) = match resp {
        Some(r) => (
            r.stdout.into_bytes(),
            match r.error {
                None if r.code == exit::OK => Ok(()),
                e => Err(Failure {
                    code: if r.code == exit::OK {
                        exit::RUNTIME
                    } else {
                        r.code
                    },
                    error: anyhow::anyhow!(e.unwrap_or_else(|| "failed".into())),
                }),
            },
        ),
        None => {
            let store = daemon::open_store(&cfg)?;
            let mut out = Vec::new();
            let r = run_store_command(&cfg, &store, &cmd, &mut out);
            (out, r)
        }
    };
    let mut o = std::io::stdout().lock();
    ignore_broken_pipe(o.write_all(&stdout).and_then(|_| o.flush()))?;
    result
}

/// What the daemon's control socket runs for a request.
pub fn control_response(
    cfg: &Config,
    store: &Store,
    cmd: &StoreCommand,
) -> crate::control::Response {
    let mut out = Vec::new();
    let r = run_store_command(cfg, store, cmd, &mut out);
    crate::control::Response {
        code: r.as_ref().map(|_| exit::OK).unwrap_or_else(|f| f.code),
        stdout: String::from_utf8_lossy(&out).into_owned(),
        error: r.err().map(|f| format!("{:#}", f.error)),
    }
}

/// Run one store command against an open store, writing its output to `out`.
pub fn run_store_command(
    cfg: &Config,
    store: &Store,
    cmd: &StoreCommand,
    out: &mut Vec<u8>,
) -> Result<(), Failure> {
    match cmd {
        StoreCommand::Mentions {
            negative,
            json,
            limit,
        } => {
            let mut ms = store.mentions(*negative).context("reading mentions")?;
            if *limit > 0 {
                ms.truncate(*limit);
            }
            if *json {
                print_json(out, &ms)
            } else {
                print_table(out, &ms)
            }
            .context("writing output")?;
            Ok(())
        }
        StoreCommand::Sources { json } => {
            let rows = source_rows(cfg, store)?;
            if *json {
                print_json(out, &rows)
            } else {
                print_sources(out, &rows)
            }
            .context("writing output")?;
            Ok(())
        }
        StoreCommand::Outbox { json } => {
            let pending = store.pending_deliveries().context("reading the outbox")?;
            let dead = store.dead_deliveries().context("reading the outbox")?;
            print_outbox(out, &pending, &dead, *json).context("writing output")?;
            Ok(())
        }
        StoreCommand::Cases { state, json } => {
            let states = parse_states(state.as_deref())?;
            let mut rows = Vec::new();
            for c in store.cases().context("reading cases")? {
                if !states.contains(&c.state) {
                    continue;
                }
                let m = store.mention(&c.id).context("reading a case's mention")?;
                rows.push(CaseRow {
                    case: c,
                    mention: m,
                });
            }
            if *json {
                print_json(out, &rows)
            } else {
                print_cases(out, &rows, chrono::Utc::now())
            }
            .context("writing output")?;
            Ok(())
        }
        StoreCommand::CaseAction {
            action,
            id,
            note,
            by,
        } => {
            let act = crate::case::Action::parse(action).ok_or_else(|| Failure {
                code: exit::USAGE,
                error: anyhow::anyhow!("unknown case action {action:?}"),
            })?;
            let by = by.trim();
            let by = if by.is_empty() { "cli" } else { by };
            let c = store
                .case_action(id, act, by, note.as_deref(), chrono::Utc::now())
                .map_err(case_failure)?;
            writeln!(out, "case {} is now {} (by {by})", c.id, c.state)
                .context("writing output")?;
            Ok(())
        }
        StoreCommand::CaseShow { id, json } => {
            let c = store.find_case(id).map_err(case_failure)?;
            let m = store.mention(&c.id).context("reading the case's mention")?;
            let row = CaseRow {
                case: c,
                mention: m,
            };
            if *json {
                serde_json::to_writer_pretty(&mut *out, &row)
                    .map_err(json_io)
                    .and_then(|_| writeln!(out))
            } else {
                print_case(out, &row, chrono::Utc::now())
            }
            .context("writing output")?;
            Ok(())
        }
        StoreCommand::Report { since, now, json } => {
            let cases = store.cases().context("reading cases")?;
            let report = crate::report::compute(&cases, *since, *now);
            if *json {
                serde_json::to_writer_pretty(&mut *out, &report)
                    .map_err(json_io)
                    .and_then(|_| writeln!(out))
            } else {
                crate::report::write_text(out, &report)
            }
            .context("writing output")?;
            Ok(())
        }
    }
}

/// A refused transition or an unknown id is the user's mistake (exit 2); a store
/// error is a runtime failure.
fn case_failure(e: crate::store::CaseOpError) -> Failure {
    let code = match e {
        crate::store::CaseOpError::Case(_) => exit::USAGE,
        crate::store::CaseOpError::Store(_) => exit::RUNTIME,
    };
    Failure {
        code,
        error: e.into(),
    }
}

fn parse_states(spec: Option<&str>) -> Result<Vec<CaseState>, Failure> {
    let Some(spec) = spec else {
        return Ok(CaseState::ALL.to_vec());
    };
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part.eq_ignore_ascii_case("active") {
            out.extend(CaseState::ALL.iter().filter(|s| !s.is_closed()));
            continue;
        }
        match CaseState::parse(part) {
            Some(s) => out.push(s),
            None => {
                return Err(Failure {
                    code: exit::USAGE,
                    error: anyhow::anyhow!(
                        "--state: unknown state {part:?}; expected open, acknowledged, contacted, replied, resolved, ignored or active"
                    ),
                });
            }
        }
    }
    Ok(out)
}

/// A case with its mention, as `cases --json` prints it.
#[derive(serde::Serialize)]
struct CaseRow {
    #[serde(flatten)]
    case: Case,
    mention: Option<Mention>,
}

/// The last 12 digits of a case id: ids begin with their first-seen time, so the
/// cases of one poll differ only at the end. `case` accepts any unique part.
fn short_id(id: &str) -> &str {
    let start = id.len().saturating_sub(12);
    id.get(start..).unwrap_or(id)
}

/// "3d 4h", "5h 10m", "12m": the two largest units.
fn age(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{m}m")
    }
}

fn headline(m: Option<&Mention>) -> String {
    let Some(m) = m else {
        return "(mention missing)".into();
    };
    let mut head = m.title.clone().unwrap_or_default();
    if head.trim().is_empty() {
        head = m.text.clone();
    }
    head.chars().filter(|c| !c.is_control()).take(60).collect()
}

fn print_cases(
    out: &mut impl Write,
    rows: &[CaseRow],
    now: chrono::DateTime<chrono::Utc>,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<12} {:<12} {:>8}  {:<20} {:>6}  {:<12} TITLE",
        "CASE", "STATE", "AGE", "SOURCE", "RATING", "LAST BY"
    )?;
    for r in rows {
        let c = &r.case;
        let rating = match r.mention.as_ref().map(|m| (m.rating, m.rating_max)) {
            Some((Some(x), Some(max))) => format!(
                "{}/{}",
                crate::classify::rating::num(x),
                crate::classify::rating::num(max)
            ),
            Some((Some(x), None)) => crate::classify::rating::num(x),
            _ => "-".into(),
        };
        let last_by = c.history.last().map(|t| t.actor.as_str()).unwrap_or("-");
        writeln!(
            out,
            "{:<12} {:<12} {:>8}  {:<20} {:>6}  {:<12} {}",
            short_id(&c.id),
            c.state.as_str(),
            age((now - c.opened_at).num_seconds()),
            crate::mention::cut(&c.source, 20),
            rating,
            crate::mention::cut(last_by, 12),
            headline(r.mention.as_ref())
        )?;
    }
    writeln!(out, "{} cases", rows.len())
}

fn print_case(
    out: &mut impl Write,
    r: &CaseRow,
    now: chrono::DateTime<chrono::Utc>,
) -> std::io::Result<()> {
    let c = &r.case;
    writeln!(out, "case     {}", c.id)?;
    writeln!(
        out,
        "state    {} (round {}, open {})",
        c.state,
        c.round,
        age((now - c.opened_at).num_seconds())
    )?;
    writeln!(out, "source   {} ({})", c.source, c.platform)?;
    if !c.routes.is_empty() {
        writeln!(out, "routes   {}", c.routes.join(", "))?;
    }
    if let Some(m) = &r.mention {
        if let Some(u) = &m.url {
            writeln!(out, "url      {u}")?;
        }
        writeln!(out, "review   {}", headline(Some(m)))?;
    }
    writeln!(out, "history")?;
    for t in &c.history {
        writeln!(
            out,
            "  {}  {:<12} by {}{}{}",
            t.at.format("%Y-%m-%d %H:%M:%SZ"),
            t.to.as_str(),
            t.actor,
            t.event
                .as_deref()
                .map(|e| format!(" [{e}]"))
                .unwrap_or_default(),
            t.note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

fn print_outbox(
    out: &mut impl Write,
    pending: &[crate::store::Delivery],
    dead: &[crate::store::Delivery],
    json: bool,
) -> std::io::Result<()> {
    if json {
        serde_json::to_writer_pretty(
            &mut *out,
            &serde_json::json!({"pending": pending, "dead": dead}),
        )
        .map_err(json_io)?;
        return writeln!(out);
    }
    writeln!(
        out,
        "{} queued, {} dead-lettered",
        pending.len(),
        dead.len()
    )?;
    for d in pending {
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
    for d in dead {
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
