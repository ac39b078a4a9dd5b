//! Webhook notifier: signed JSON POST.
