//! Wiring: sources on schedules, the outbox worker, signals and shutdown.
