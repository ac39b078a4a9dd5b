//! The outbox worker: drains due deliveries from the store, one task per notifier.
