//! reviewradar: watches the places where customers talk about a business, keeps every
//! mention once, and makes sure a human hears of each negative one.
//!
//! Data flows one way:
//!
//! ```text
//! config ─▶ daemon (schedule) ─▶ fetch ─▶ sources (parse) ─▶ mention (normalize)
//!        ─▶ store (dedup, revisions, outbox) ─▶ classify (triage) ─▶ alert (notifiers)
//! ```
//!
//! * [`config`] reads and validates the TOML file; every problem names file, line and key.
//! * [`daemon`] wires the components: one task per source on its own jittered schedule,
//!   an outbox worker, signal handling and a bounded drain on shutdown.
//! * [`fetch`] is the one HTTP client: timeouts, body cap, conditional GET, per-host limits.
//! * [`sources`] turn one fetched document into raw mentions; they never touch the store.
//! * [`mention`] holds the normalized record, canonical URLs and text fingerprints.
//! * [`store`] is the only module that names sled: mentions, revisions, dedup keys,
//!   source state and the outbox, written in single transactions.
//! * [`classify`] decides whether a mention is negative, from its rating or its text.
//! * [`alert`] delivers queued alerts by email and webhook with per-notifier retries.
//! * [`case`] is the life of a negative mention from alert to answer; [`route`]
//!   decides who hears of it and when (routes, quiet hours, reminder timing), and
//!   [`report`] turns stored cases into response-time figures.

pub mod alert;
pub mod backoff;
pub mod case;
pub mod classify;
pub mod cli;
pub mod config;
pub mod control;
pub mod daemon;
pub mod fetch;
pub mod mention;
pub mod report;
pub mod route;
pub mod sources;
pub mod store;
