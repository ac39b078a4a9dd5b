//! Wiring: builds the components from a validated [`Config`], polls every source on
//! its own jittered schedule, drains the outbox, and shuts down within a grace period.
//!
//! * [`App::poll_source`] is the pipeline for one source: fetch and parse (the
//!   source), normalize (here), dedup, store and queue alerts (the store, one batch).
//! * [`once`] polls everything once and drains due deliveries.
//! * [`run`] is the daemon: one task per source plus the outbox worker, until the
//!   cancellation token fires.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, debug, error, info, info_span, warn};

use crate::alert::outbox::{Outbox, Target};
use crate::backoff;
use crate::classify::{self, Policy, Rules, Verdict};
use crate::config::{Config, SourceConfig};
use crate::fetch::Fetcher;
use crate::mention::Mention;
use crate::mention::{RawMention, Reply, canonical_url, fold_whitespace};
use crate::sources::{self, PollContext, PollOutcome, Source, SourceError};
use crate::store::{Ingest, IngestItem, IngestReport, Routing, Store, TickReport};

/// Largest text stored per mention, in bytes.
const MAX_TEXT: usize = 32 * 1024;
/// Largest title or author stored, in bytes.
const MAX_SHORT: usize = 1024;
/// Most items taken from one document.
const MAX_ITEMS: usize = 5_000;
/// sled page cache.
/// One batch being stored while others are prepared: enough to keep two cores busy.
const INGEST_SLOTS: usize = 3;
const STORE_CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// Everything a running instance needs.
pub struct App {
    /// Shared with the router and the control socket (1,000 sources make a config
    /// worth not copying).
    pub cfg: Arc<Config>,
    pub store: Arc<Store>,
    fetcher: Fetcher,
    sources: Vec<(SourceConfig, Box<dyn Source>)>,
    /// The operator's `[rules.<id>]`, compiled once.
    rules: Arc<Rules>,
    outbox: Outbox,
    notifier_ids: Vec<String>,
    /// Where each mention's events go and how its case is followed up.
    router: Arc<RouterFn>,
    /// When the next reminder or escalation may fall due: the follow-up pass runs
    /// then, not at every outbox wake-up (it reads every open case).
    case_due: std::sync::Mutex<Option<chrono::DateTime<Utc>>>,
    /// The shortest `remind_after`/`escalate_after` of the config: a case opened
    /// now has nothing due before now + this.
    min_followup: Option<Duration>,
    /// Woken when a poll queues alerts.
    outbox_wake: Notify,
    /// Bounds polls in progress (fetched documents waiting for the store), so memory
    /// does not grow with the number of sources.
    polls: tokio::sync::Semaphore,
    /// Bounds the fetched polls being prepared for the store or waiting for it, so
    /// that prepared batches do not pile up in memory behind the one being stored.
    ingest_slots: tokio::sync::Semaphore,
    /// Polls take turns at the store here, asynchronously, so that the ones waiting do
    /// not hold blocking threads that fetches and parsers need meanwhile.
    store_turn: tokio::sync::Mutex<()>,
}

/// Result of one poll, for logs and the `once` summary.
#[derive(Debug)]
pub enum PollSummary {
    NotModified,
    Stored { items: usize, report: IngestReport },
}

/// A routing decision for one mention at one instant.
pub type RouterFn = dyn Fn(&Mention, chrono::DateTime<Utc>) -> Routing + Send + Sync;

/// The router the configuration describes: `[routes.<id>]`, `[triage]` and quiet
/// hours (see [`crate::route`]).
pub fn build_router(cfg: &Arc<Config>) -> Arc<RouterFn> {
    let cfg = cfg.clone();
    Arc::new(move |m: &Mention, now| crate::route::routing(&cfg, m, now))
}

/// The shortest reminder or escalation delay in `[triage]` and the routes.
fn min_followup(cfg: &Config) -> Option<Duration> {
    let t = &cfg.triage;
    [t.remind_after, t.escalate_after]
        .into_iter()
        .chain(
            cfg.routes
                .values()
                .flat_map(|r| [r.remind_after, r.escalate_after]),
        )
        .flatten()
        .filter(|d| !d.is_zero())
        .min()
}

/// Open the store alone (for read-only commands).
pub fn open_store(cfg: &Config) -> anyhow::Result<Store> {
    Store::open(&cfg.daemon.state_dir, STORE_CACHE_BYTES).with_context(|| {
        format!(
            "opening the store (daemon.state_dir = {})",
            cfg.daemon.state_dir.display()
        )
    })
}

impl App {
    pub fn new(cfg: Config) -> anyhow::Result<App> {
        let store = Arc::new(open_store(&cfg)?);
        let fetcher =
            Fetcher::new(&cfg.http, &cfg.daemon.user_agent).context("building the HTTP client")?;
        let sources = cfg
            .enabled_sources()
            .map(|(id, s)| {
                sources::build(id, s)
                    .map(|source| (s.clone(), source))
                    .map_err(|e| anyhow::anyhow!(e))
                    .with_context(|| format!("building source sources.{id}"))
            })
            .collect::<anyhow::Result<_>>()?;
        let mut targets = HashMap::new();
        for (id, n) in cfg.enabled_notifiers() {
            let notifier = crate::alert::build(id, n, &cfg.daemon.user_agent)
                .with_context(|| format!("building notifier notifiers.{id}"))?;
            targets.insert(
                id.clone(),
                Target {
                    notifier: Arc::from(notifier),
                    retry: n.retry.clone(),
                },
            );
        }
        let rules = Arc::new(cfg.compiled_rules()?);
        let notifier_ids = cfg.enabled_notifiers().map(|(id, _)| id.clone()).collect();
        let outbox = Outbox::new(store.clone(), targets);
        let polls = tokio::sync::Semaphore::new(cfg.http.max_concurrency.max(2));
        for d in outbox.orphaned()? {
            warn!(delivery = %d.id, notifier = %d.notifier, "A queued alert is for a notifier that is not configured (or disabled); it stays queued.");
        }
        let cfg = Arc::new(cfg);
        let router = build_router(&cfg);
        let min_followup = min_followup(&cfg);
        Ok(App {
            router,
            // A pass at start-up finds what fell due while the daemon was down.
            case_due: std::sync::Mutex::new(Some(Utc::now())),
            min_followup,
            cfg,
            store,
            fetcher,
            sources,
            rules,
            outbox,
            notifier_ids,
            outbox_wake: Notify::new(),
            ingest_slots: tokio::sync::Semaphore::new(INGEST_SLOTS),
            store_turn: tokio::sync::Mutex::new(()),
            polls,
        })
    }

    /// Poll one source once: fetch, parse, normalize, store, queue alerts.
    pub async fn poll_source(&self, idx: usize) -> Result<PollSummary, SourceError> {
        let (scfg, source) = &self.sources[idx];
        let id = source.id().to_string();
        let state = self.store.source_state(&id).unwrap_or_default();
        let cx = PollContext {
            fetcher: &self.fetcher,
            validators: state.validators.clone(),
        };
        let now = Utc::now();
        match source.poll(&cx).await {
            Ok(PollOutcome::NotModified) => {
                self.store
                    .update_source(&id, |s| {
                        s.polls += 1;
                        s.last_poll = Some(now);
                        s.last_success = Some(now);
                        s.consecutive_failures = 0;
                        s.new_last = 0;
                    })
                    .map_err(|e| store_failure(&id, e))?;
                let queued = self
                    .store
                    .unchanged_poll(&id, now, self.cfg.triage.removed_after_polls, &*self.router)
                    .map_err(|e| store_failure(&id, e))?;
                if queued > 0 {
                    self.outbox_wake.notify_one();
                }
                debug!("Not modified.");
                Ok(PollSummary::NotModified)
            }
            Ok(PollOutcome::Fetched {
                mentions,
                validators,
                items_seen,
                aggregate,
            }) => {
                if let Some(a) = &aggregate {
                    debug!(
                        rating = a.rating,
                        best = a.best,
                        worst = a.worst,
                        rating_count = a.rating_count,
                        review_count = a.review_count,
                        "Aggregate rating."
                    );
                }
                let items_in_document = items_seen;
                // Normalizing, triage and the store are CPU and disk work: keep them
                // off the async workers so fetches proceed meanwhile.
                let store = self.store.clone();
                let scfg = scfg.clone();
                let policy = Arc::new(self.cfg.triage_policy(&id, self.rules.clone()));
                let policy2 = policy.clone();
                let platform = source.platform().to_string();
                let router = self.router.clone();
                let removed_after_polls = self.cfg.triage.removed_after_polls;
                let backfill = self.cfg.daemon.backfill;
                let sid = id.clone();
                let sid2 = id.clone();
                let slot = self.ingest_slots.acquire().await;
                let (scfg, batch) = tokio::task::spawn_blocking(move || {
                    let items = normalize(&scfg, &platform, mentions);
                    let batch = Store::prepare(&sid2, now, items, &|item| triage(&policy2, item));
                    (scfg, batch)
                })
                .await
                .map_err(|e| store_failure(&id, e))?;
                let turn = self.store_turn.lock().await;
                let report = tokio::task::spawn_blocking(move || {
                    store.ingest_prepared(
                        Ingest {
                            source: &sid,
                            now,
                            backfill,
                            router: &*router,
                            removed_after_polls,
                            validators: Some(validators),
                            items_in_document,
                            alert_answered: scfg.alert_answered,
                            aggregate,
                        },
                        batch,
                        &|item| triage(&policy, item),
                    )
                })
                .await
                .map_err(|e| store_failure(&id, e))?
                .map_err(|e| store_failure(&id, e))?;
                drop(turn);
                drop(slot);
                if let Some(reason) = &report.broken {
                    warn!(
                        items = items_in_document,
                        "Source looks broken (its markup or API may have changed): {reason}."
                    );
                }
                if report.alerts_queued > 0 {
                    // Cases may have opened: their first follow-up is due no
                    // earlier than the shortest delay from now.
                    if let Some(d) = self.min_followup {
                        self.case_due_at(now + chrono::Duration::from_std(d).unwrap_or_default());
                    }
                    self.outbox_wake.notify_one();
                }
                Ok(PollSummary::Stored {
                    items: items_in_document,
                    report,
                })
            }
            Err(e) => {
                let msg = e.to_string();
                let kind = e.kind();
                let _ = self.store.update_source(&id, |s| {
                    s.polls += 1;
                    s.last_poll = Some(now);
                    s.last_error = Some(msg);
                    s.last_error_kind = Some(kind.to_string());
                    s.last_error_at = Some(now);
                    s.consecutive_failures += 1;
                });
                Err(e)
            }
        }
    }

    /// Poll with a span and a summary log line; returns whether it succeeded.
    async fn poll_logged(&self, idx: usize) -> Result<PollSummary, SourceError> {
        let id = self.sources[idx].1.id().to_string();
        let span = info_span!("source", source = %id);
        async {
            let _permit = self.polls.acquire().await;
            // Boxed: a task waiting for its turn stays small (1,000 sources spawn
            // 1,000 tasks at once in `once`).
            let r = Box::pin(self.poll_source(idx)).await;
            match &r {
                Ok(PollSummary::NotModified) => info!(status = "not_modified", "Poll finished."),
                Ok(PollSummary::Stored { items, report }) => info!(
                    items,
                    new = report.new,
                    revised = report.revised,
                    known = report.known,
                    alerts = report.alerts_queued,
                    baseline = report.baseline,
                    "Poll finished."
                ),
                Err(e) => warn!(kind = e.kind(), error = %e, "Poll failed."),
            }
            r
        }
        .instrument(span)
        .await
    }
}

fn store_failure(id: &str, e: impl std::fmt::Display) -> SourceError {
    SourceError::Parse {
        url: format!("source {id}"),
        reason: format!("store error: {e}"),
    }
}

/// Cut `s` to at most `max` bytes on a char boundary.
fn bounded(s: String, max: usize) -> String {
    if s.len() <= max {
        s
    } else {
        crate::mention::cut(&s, max).to_string()
    }
}

fn short(s: Option<String>) -> Option<String> {
    s.map(|s| bounded(fold_whitespace(&s), MAX_SHORT))
        .filter(|s| !s.is_empty())
}

/// Raw mentions of one document → items ready for dedup.
pub fn normalize(scfg: &SourceConfig, platform: &str, raw: Vec<RawMention>) -> Vec<IngestItem> {
    let platform = scfg.platform.as_deref().unwrap_or(platform).to_string();
    let page = canonical_url(scfg.url.as_str(), None);
    let mut items: Vec<IngestItem> = raw
        .into_iter()
        .take(MAX_ITEMS)
        .map(|r| {
            let rating = r.rating.filter(|x| x.is_finite());
            IngestItem {
                platform: platform.clone(),
                external_id: r
                    .external_id
                    .map(|x| bounded(x.trim().to_string(), MAX_SHORT))
                    .filter(|x| !x.is_empty()),
                url: r
                    .url
                    .as_deref()
                    .and_then(|u| canonical_url(u, Some(&scfg.url))),
                url_is_key: false,
                author: short(r.author),
                title: short(r.title),
                text: bounded(fold_whitespace(&r.text), MAX_TEXT),
                rating,
                rating_min: r.rating_min.filter(|x| x.is_finite() && rating.is_some()),
                rating_max: r
                    .rating_max
                    .filter(|x| x.is_finite() && *x > 0.0 && rating.is_some()),
                published_at: r.published_at,
                updated_at: r.updated_at,
                lang: scfg
                    .language
                    .clone()
                    .or(r.lang.map(|l| l.to_ascii_lowercase())),
                reply: r.reply.map(|reply| Reply {
                    text: bounded(fold_whitespace(&reply.text), MAX_TEXT),
                    at: reply.at,
                }),
            }
        })
        .collect();
    // A URL identifies an item only when no other item of the document shares it and it
    // is not the page itself (reviews on a product page all carry the page URL).
    let mut seen: HashMap<String, usize> = HashMap::new();
    for it in &items {
        if let Some(u) = &it.url {
            *seen.entry(u.clone()).or_default() += 1;
        }
    }
    for it in &mut items {
        it.url_is_key = it
            .url
            .as_ref()
            .is_some_and(|u| seen[u] == 1 && Some(u) != page.as_ref());
    }
    items
}

/// Triage one item with its source's settings (threshold, scale, shift,
/// disagreement policy) and the operator rules.
pub fn triage(policy: &Policy, item: &IngestItem) -> Verdict {
    let lang = item
        .lang
        .as_deref()
        .map(|l| l.split(['-', '_']).next().unwrap_or(l));
    let mut input = policy.input();
    input.title = item.title.as_deref();
    input.text = &item.text;
    input.rating = item.rating;
    input.rating_min = item.rating_min;
    input.rating_max = item.rating_max;
    input.author = item.author.as_deref();
    input.platform = Some(&item.platform);
    if lang.is_some() {
        input.lang_hint = lang;
    }
    let mut v = classify::triage(&input);
    v.score = (v.score * 1000.0).round() / 1000.0;
    v
}

/// Summary of a `once` run.
#[derive(Debug, Default)]
pub struct OnceReport {
    pub sources_ok: usize,
    pub sources_failed: Vec<(String, String)>,
    pub new: usize,
    pub alerts_queued: usize,
    /// Reminders and escalations that fell due.
    pub reminders: usize,
    pub escalations: usize,
    /// Digests whose period ended.
    pub digests: usize,
    pub delivered: usize,
    pub dead: usize,
    /// Deliveries still queued (for a later run).
    pub pending: usize,
}

/// Poll every enabled source once, then attempt every due delivery, waiting for
/// retries that fall due within `daemon.once_retry_wait`.
pub async fn once(app: Arc<App>) -> anyhow::Result<OnceReport> {
    let mut report = OnceReport::default();
    let mut set = tokio::task::JoinSet::new();
    for idx in 0..app.sources.len() {
        let app = app.clone();
        set.spawn(async move { (idx, app.poll_logged(idx).await) });
    }
    while let Some(r) = set.join_next().await {
        let (idx, r) = r.context("a poll task panicked")?;
        match r {
            Ok(PollSummary::NotModified) => report.sources_ok += 1,
            Ok(PollSummary::Stored { report: r, .. }) => {
                report.sources_ok += 1;
                report.new += r.new;
                report.alerts_queued += r.alerts_queued;
            }
            Err(e) => report
                .sources_failed
                .push((app.sources[idx].1.id().to_string(), e.to_string())),
        }
    }
    report.sources_failed.sort();
    let tick = app.case_tick_if_due().await?;
    report.reminders = tick.reminders;
    report.escalations = tick.escalations;
    report.digests = app.digest_tick().await?.queued;

    let deadline = tokio::time::Instant::now() + app.cfg.daemon.once_retry_wait;
    loop {
        let pass = app.outbox.pass(Utc::now()).await?;
        report.delivered += pass.delivered;
        report.dead += pass.dead;
        let Some(next) = app.outbox.next_due()? else {
            break;
        };
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        if tokio::time::Instant::now() + wait > deadline {
            break;
        }
        tokio::time::sleep(wait).await;
    }
    report.pending = app.store.pending_deliveries()?.len();
    app.store.flush().await?;
    Ok(report)
}

/// The daemon: poll every source on its schedule and deliver alerts until `shutdown`
/// fires, then drain within `daemon.shutdown_grace` and flush the store.
pub async fn run(app: Arc<App>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let tracker = TaskTracker::new();
    info!(sources = app.sources.len(), notifiers = app.notifier_ids.len(), state = %app.store.path().display(), "reviewradar started.");
    for idx in 0..app.sources.len() {
        let app = app.clone();
        let token = shutdown.clone();
        tracker.spawn(async move { source_loop(app, idx, token).await });
    }
    {
        let app = app.clone();
        let token = shutdown.clone();
        tracker.spawn(async move { outbox_loop(app, token).await });
    }
    {
        let path = crate::control::socket_path(&app.cfg);
        let cfg = app.cfg.clone();
        let store = app.store.clone();
        let handle: Arc<
            dyn Fn(crate::cli::StoreCommand) -> crate::control::Response + Send + Sync,
        > = Arc::new(move |cmd| crate::cli::control_response(&cfg, &store, &cmd));
        let token = shutdown.clone();
        tracker.spawn(async move {
            if let Err(e) = crate::control::serve(path.clone(), handle, token).await {
                error!(socket = %path.display(), error = %e, "Cannot serve the control socket; `reviewradar cases` and `case` will not reach this daemon.");
            }
        });
    }
    tracker.close();
    shutdown.cancelled().await;
    info!(grace = %humantime::format_duration(app.cfg.daemon.shutdown_grace), "Shutting down.");
    if tokio::time::timeout(app.cfg.daemon.shutdown_grace, tracker.wait())
        .await
        .is_err()
    {
        warn!(
            "In-flight work did not finish within the grace period; abandoning it (it is redone on the next start)."
        );
    }
    app.store.flush().await.context("flushing the store")?;
    info!("Stopped.");
    Ok(())
}

impl App {
    /// Close the digest periods that have ended: queue their digests.
    pub async fn digest_tick(&self) -> anyhow::Result<crate::alert::digest_due::DigestReport> {
        if !self
            .cfg
            .notifiers
            .values()
            .any(|n| n.enabled && n.digest.is_some())
        {
            return Ok(Default::default());
        }
        let store = self.store.clone();
        let router = self.router.clone();
        let cfg = self.cfg.clone();
        let turn = self.store_turn.lock().await;
        let r = tokio::task::spawn_blocking(move || {
            crate::alert::digest_due::tick(&cfg, &store, &*router, Utc::now())
        })
        .await
        .context("the digest pass panicked")?
        .context("queueing digests")?;
        drop(turn);
        Ok(r)
    }

    /// Bring the next follow-up pass forward to `at` if it is earlier.
    fn case_due_at(&self, at: chrono::DateTime<Utc>) {
        let mut due = self.case_due.lock().unwrap_or_else(|e| e.into_inner());
        if due.is_none_or(|d| at < d) {
            *due = Some(at);
        }
    }

    /// Queue the reminders and escalations due now, if the last pass said anything
    /// could be; then work out when the next one may be.
    pub async fn case_tick_if_due(&self) -> anyhow::Result<TickReport> {
        let now = Utc::now();
        let due = *self.case_due.lock().unwrap_or_else(|e| e.into_inner());
        if self.min_followup.is_none() || due.is_none_or(|d| d > now) {
            return Ok(TickReport::default());
        }
        let r = self.case_tick().await?;
        let store = self.store.clone();
        let router = self.router.clone();
        let next = tokio::task::spawn_blocking(move || store.next_case_step(Utc::now(), &*router))
            .await
            .context("the follow-up planner panicked")?
            .context("planning reminders and escalations")?;
        let mut due = self.case_due.lock().unwrap_or_else(|e| e.into_inner());
        // A poll may have brought it forward meanwhile.
        *due = match (*due, next) {
            (Some(d), Some(n)) if d > now => Some(d.min(n)),
            (Some(d), None) if d > now => Some(d),
            (_, n) => n,
        };
        Ok(r)
    }

    /// Queue the reminders and escalations due now.
    pub async fn case_tick(&self) -> anyhow::Result<TickReport> {
        let store = self.store.clone();
        let router = self.router.clone();
        let turn = self.store_turn.lock().await;
        let r = tokio::task::spawn_blocking(move || store.case_tick(Utc::now(), &*router))
            .await
            .context("the reminder pass panicked")?
            .context("queueing reminders and escalations")?;
        drop(turn);
        Ok(r)
    }
}

fn jittered(interval: Duration) -> Duration {
    // ±10 %, so sources configured alike drift apart.
    interval.mul_f64(rand::random_range(0.9..=1.1))
}

async fn source_loop(app: Arc<App>, idx: usize, token: CancellationToken) {
    let (scfg, _) = &app.sources[idx];
    let interval = scfg.interval;
    // A random start offset, so a restart does not burst every source at once.
    let first = interval
        .min(Duration::from_secs(10))
        .mul_f64(rand::random_range(0.0..=1.0));
    let mut delay = first;
    let mut failures: u32 = 0;
    loop {
        tokio::select! {
            _ = token.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
        // A poll in flight finishes (bounded by the HTTP timeouts) unless the grace
        // period runs out first.
        match app.poll_logged(idx).await {
            Ok(_) => {
                failures = 0;
                delay = jittered(interval);
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let cap = app.cfg.http.max_backoff.max(interval);
                delay = backoff::delay(failures, interval, cap);
                if let Some(ra) = e.retry_after() {
                    delay = delay.max(ra.min(cap));
                }
                if failures >= 3 {
                    error!(source = %app.sources[idx].1.id(), failures, kind = e.kind(), error = %e, retry_in = %humantime::format_duration(Duration::from_secs(delay.as_secs())), "Source keeps failing.");
                }
            }
        }
    }
}

async fn outbox_loop(app: Arc<App>, token: CancellationToken) {
    loop {
        match app.case_tick_if_due().await {
            Ok(t) if t.reminders + t.escalations > 0 => {
                info!(
                    reminders = t.reminders,
                    escalations = t.escalations,
                    "Case follow-ups queued."
                );
            }
            Ok(_) => {}
            Err(e) => error!(error = %e, "Reminder and escalation pass failed."),
        }
        if let Err(e) = app.digest_tick().await {
            error!(error = %e, "Digest pass failed.");
        }
        if let Err(e) = app.outbox.pass(Utc::now()).await {
            error!(error = %e, "Outbox pass failed.");
        }
        let now = Utc::now();
        let next_step = *app.case_due.lock().unwrap_or_else(|e| e.into_inner());
        let next_digest = crate::alert::digest_due::next_due(&app.cfg, &app.store);
        let wait = match app.outbox.next_due() {
            Ok(next) => next
                .into_iter()
                .chain(next_step)
                .chain(next_digest)
                .min()
                .map(|t| (t - now).to_std().unwrap_or_default())
                .unwrap_or(Duration::from_secs(60))
                .min(Duration::from_secs(60)),
            Err(_) => Duration::from_secs(5),
        };
        tokio::select! {
            _ = token.cancelled() => return,
            _ = app.outbox_wake.notified() => {}
            _ = tokio::time::sleep(wait.max(Duration::from_millis(50))) => {}
        }
    }
}
