//! The outbox worker: delivers due alerts from the store, retries transient failures
//! with the notifier's backoff, and dead-letters what cannot be delivered, so nothing
//! is dropped silently. A delivery is marked done only after the receiver said yes,
//! so a crash resends rather than loses (receivers dedupe on the delivery id).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::{Instrument, error, info, info_span, warn};

use super::{Alert, DeliveryError, Notifier};
use crate::backoff;
use crate::config::RetryConfig;
use crate::store::{Delivery, Store, StoreError};

/// A configured notifier with its retry policy.
pub struct Target {
    pub notifier: Arc<dyn Notifier>,
    pub retry: RetryConfig,
}

/// What one pass over the due deliveries did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub delivered: usize,
    pub retried: usize,
    pub dead: usize,
}

pub struct Outbox {
    store: Arc<Store>,
    targets: HashMap<String, Target>,
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Outbox {
    pub fn new(store: Arc<Store>, targets: HashMap<String, Target>) -> Self {
        Self { store, targets }
    }

    /// Pending deliveries for configured notifiers.
    fn pending(&self) -> Result<Vec<Delivery>, StoreError> {
        let mut v = self.store.pending_deliveries()?;
        v.retain(|d| self.targets.contains_key(&d.notifier));
        Ok(v)
    }

    /// Earliest next attempt among pending deliveries, if any.
    pub fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.pending()?.iter().map(|d| d.next_attempt_at).min())
    }

    /// Pending deliveries whose notifier is no longer configured.
    pub fn orphaned(&self) -> Result<Vec<Delivery>, StoreError> {
        let mut v = self.store.pending_deliveries()?;
        v.retain(|d| !self.targets.contains_key(&d.notifier));
        Ok(v)
    }

    /// Attempt every delivery due at `now`: notifiers in parallel, each notifier's
    /// deliveries in order.
    pub async fn pass(&self, now: DateTime<Utc>) -> Result<PassReport, StoreError> {
        let mut by_notifier: HashMap<String, Vec<Delivery>> = HashMap::new();
        for d in self.pending()? {
            if d.next_attempt_at <= now {
                by_notifier.entry(d.notifier.clone()).or_default().push(d);
            }
        }
        let runs = by_notifier.into_iter().map(|(id, ds)| async move {
            let mut r = PassReport::default();
            let Some(t) = self.targets.get(&id) else {
                return Ok(r);
            };
            for d in ds {
                self.attempt(t, d, &mut r).await?;
            }
            Ok::<_, StoreError>(r)
        });
        let mut total = PassReport::default();
        for r in futures_util::future::join_all(runs).await {
            let r = r?;
            total.delivered += r.delivered;
            total.retried += r.retried;
            total.dead += r.dead;
        }
        Ok(total)
    }

    async fn attempt(&self, t: &Target, d: Delivery, r: &mut PassReport) -> Result<(), StoreError> {
        let span = info_span!("delivery", delivery = %d.id, notifier = %d.notifier, event = %d.event, attempt = d.attempts + 1);
        async {
            if d.event == crate::store::EVENT_DIGEST {
                return self.attempt_digest(t, d, r).await;
            }
            let Some(mention) = self.store.mention(&d.mention_id)? else {
                error!(mention = %d.mention_id, "Mention of a queued alert is missing; dead-lettering.");
                self.store.dead_letter(&d, Utc::now(), "mention missing from the store").await?;
                r.dead += 1;
                return Ok(());
            };
            let case = self.store.case(&d.mention_id)?;
            let alert = Alert { delivery_id: d.id.clone(), event: d.event.clone(), mention, case, detail: d.detail.clone() };
            let result = t.notifier.deliver(&alert).await;
            self.settle(t, &d, result, r).await
        }
        .instrument(span)
        .await
    }

    /// A digest delivery: its content waits in the store until it is delivered.
    async fn attempt_digest(
        &self,
        t: &Target,
        d: Delivery,
        r: &mut PassReport,
    ) -> Result<(), StoreError> {
        let digest = match self.store.digest_payload(&d.id)? {
            Some(body) => serde_json::from_slice::<super::digest::Digest>(&body).ok(),
            None => None,
        };
        let Some(digest) = digest else {
            error!("The content of a queued digest is missing or unreadable; dead-lettering.");
            self.store
                .dead_letter(&d, Utc::now(), "digest content missing from the store")
                .await?;
            r.dead += 1;
            return Ok(());
        };
        let result = t.notifier.deliver_digest(&digest).await;
        self.settle(t, &d, result, r).await
    }

    /// Record the outcome of one attempt: delivered, dead-lettered, or rescheduled
    /// with backoff.
    async fn settle(
        &self,
        t: &Target,
        d: &Delivery,
        result: Result<(), DeliveryError>,
        r: &mut PassReport,
    ) -> Result<(), StoreError> {
        {
            let now = Utc::now();
            match result {
                Ok(()) => {
                    self.store.mark_delivered(d, now).await?;
                    info!("Alert delivered.");
                    r.delivered += 1;
                }
                Err(DeliveryError::Fatal { reason }) => {
                    error!(%reason, "Alert rejected permanently; dead-lettered.");
                    self.store.dead_letter(d, now, &reason).await?;
                    r.dead += 1;
                }
                Err(DeliveryError::Retry {
                    reason,
                    retry_after,
                }) => {
                    let mut wait = backoff::delay(d.attempts + 1, t.retry.initial, t.retry.max);
                    if let Some(ra) = retry_after {
                        wait = wait.max(ra.min(t.retry.max));
                    }
                    let next = now + to_chrono(wait);
                    if next - d.created_at > to_chrono(t.retry.give_up_after) {
                        let why = format!("gave up after {} attempts: {reason}", d.attempts + 1);
                        error!(reason = %why, "Alert could not be delivered; dead-lettered.");
                        self.store.dead_letter(d, now, &why).await?;
                        r.dead += 1;
                    } else {
                        warn!(%reason, retry_in = %humantime::format_duration(Duration::from_millis(wait.as_millis() as u64)), "Delivery failed; will retry.");
                        self.store.reschedule(d, next, &reason)?;
                        r.retried += 1;
                    }
                }
            }
            Ok(())
        }
    }
}
