//! Email notifier (lettre, async SMTP).
