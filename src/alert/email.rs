//! Email notifier (lettre, async SMTP).
//!
//! One message per alert (or digest) to all configured recipients: a subject a
//! person can triage from, `Message-ID: <{delivery_id}@reviewradar>` so a resend is
//! recognizable, and a multipart/alternative body in the notifier's language,
//! rendered from the built-in templates or the notifier's `templates_dir`
//! ([`super::templates`]; HTML is autoescaped).
//!
//! Transport by URL scheme: `smtp://` plain (loopback relays, port 25),
//! `smtp+starttls://` STARTTLS required (587), `smtps://` implicit TLS (465).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use async_trait::async_trait;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tracing::debug;
use url::{Host, Url};

use super::digest::Digest;
use super::message::{self, header_text};
use super::{Alert, DeliveryError, Language, Notifier, TemplateError, Templates};
use crate::config::Secret;

pub use super::message::SUBJECT_MAX;

/// Header carrying the delivery id, as on webhooks.
pub const DELIVERY_HEADER: &str = "X-ReviewRadar-Delivery";

/// Sends each alert as one email to every recipient.
pub struct EmailNotifier {
    id: String,
    from: Mailbox,
    to: Vec<Mailbox>,
    /// `scheme://host:port`, for messages.
    relay: String,
    timeout: Duration,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    language: Language,
    templates: Arc<Templates>,
}

impl fmt::Debug for EmailNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not derived: the transport holds the credentials.
        f.debug_struct("EmailNotifier")
            .field("id", &self.id)
            .field("relay", &self.relay)
            .field("from", &self.from.to_string())
            .field("to", &self.to.len())
            .field("timeout", &self.timeout)
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

impl EmailNotifier {
    /// Build the transport for `smtp` (user name from the URL, password from
    /// `password`) and parse the mailboxes. Errors name `notifiers.<id>.<key>`.
    pub fn new(
        id: &str,
        smtp: &Url,
        password: Option<Secret>,
        from: &str,
        to: &[String],
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let key = |k: &str| format!("notifiers.{id}.{k}");
        let (tls, default_port) = match smtp.scheme() {
            "smtp" => (TlsMode::None, 25),
            "smtp+starttls" => (TlsMode::StartTls, 587),
            "smtps" => (TlsMode::Implicit, 465),
            other => bail!(
                "{}: scheme {other:?} is not one of smtp://, smtp+starttls://, smtps://",
                key("smtp")
            ),
        };
        let host = match smtp.host() {
            Some(Host::Domain(d)) if !d.is_empty() => d.to_string(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            _ => bail!("{}: has no host", key("smtp")),
        };
        let port = smtp.port().unwrap_or(default_port);
        if smtp.password().is_some() {
            bail!(
                "{}: must not contain a password; use password_file or password_env",
                key("smtp")
            );
        }
        let user = percent_encoding::percent_decode_str(smtp.username())
            .decode_utf8()
            .with_context(|| format!("{}: user name is not valid UTF-8", key("smtp")))?
            .into_owned();

        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .timeout(Some(timeout));
        let params = || {
            TlsParameters::new(host.clone())
                .with_context(|| format!("{}: cannot set up TLS for {host}", key("smtp")))
        };
        builder = match tls {
            TlsMode::None => builder.tls(Tls::None),
            TlsMode::StartTls => builder.tls(Tls::Required(params()?)),
            TlsMode::Implicit => builder.tls(Tls::Wrapper(params()?)),
        };
        match (user.is_empty(), password) {
            (true, None) => {}
            (false, Some(pw)) => {
                builder = builder.credentials(Credentials::new(user, pw.expose().to_string()))
            }
            (false, None) => bail!(
                "{}: has a user name but neither password_file nor password_env is set",
                key("smtp")
            ),
            (true, Some(_)) => bail!(
                "{}: a password is configured but the URL has no user name (smtp://USER@host)",
                key("smtp")
            ),
        }

        let from: Mailbox = from
            .parse()
            .with_context(|| format!("{}: {from:?} is not a valid mailbox", key("from")))?;
        if to.is_empty() {
            bail!("{}: needs at least one recipient", key("to"));
        }
        let to = to
            .iter()
            .map(|t| {
                t.parse::<Mailbox>()
                    .with_context(|| format!("{}: {t:?} is not a valid mailbox", key("to")))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;

        Ok(Self {
            id: id.to_string(),
            from,
            to,
            relay: format!(
                "{}://{}:{port}",
                smtp.scheme(),
                smtp.host_str().unwrap_or_default()
            ),
            timeout,
            transport: builder.build(),
            language: Language::En,
            templates: Templates::builtin(),
        })
    }

    /// Write messages in `language` (default: English).
    pub fn with_language(mut self, language: Language) -> Self {
        self.language = language;
        self
    }

    /// Render with `templates` (default: the built-in ones).
    pub fn with_templates(mut self, templates: Arc<Templates>) -> Self {
        self.templates = templates;
        self
    }

    /// The message for `alert`, exactly as it will be sent.
    pub fn message(&self, alert: &Alert) -> Result<Message, DeliveryError> {
        let r = render_with(self.language, &self.templates, alert).map_err(|e| {
            DeliveryError::Fatal {
                reason: format!("cannot render the email: {e}"),
            }
        })?;
        self.build_message(r, &alert.delivery_id)
    }

    /// The message for `digest`, exactly as it will be sent.
    pub fn digest_message(&self, digest: &Digest) -> Result<Message, DeliveryError> {
        let r = super::digest::render(self.language, &self.templates, digest).map_err(|e| {
            DeliveryError::Fatal {
                reason: format!("cannot render the digest: {e}"),
            }
        })?;
        self.build_message(r, &digest.delivery_id)
    }

    fn build_message(&self, r: Rendered, delivery_id: &str) -> Result<Message, DeliveryError> {
        let mut b = Message::builder().from(self.from.clone());
        for t in &self.to {
            b = b.to(t.clone());
        }
        b.subject(r.subject)
            .message_id(Some(message_id(delivery_id)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(DELIVERY_HEADER),
                header_text(delivery_id, 200),
            ))
            .date_now()
            .multipart(MultiPart::alternative_plain_html(r.text, r.html))
            .map_err(|e| DeliveryError::Fatal {
                reason: format!("cannot build the email: {e}"),
            })
    }

    /// Hand `msg` to the relay, within the timeout.
    async fn send(&self, msg: Message, delivery_id: &str) -> Result<(), DeliveryError> {
        let started = Instant::now();
        let result = tokio::time::timeout(self.timeout, self.transport.send(msg)).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let outcome = match result {
            Err(_) => Err(DeliveryError::Retry {
                reason: format!("{}: timed out after {:?}", self.relay, self.timeout),
                retry_after: None,
            }),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(classify(&self.relay, &e)),
        };
        match &outcome {
            Ok(()) => debug!(
                notifier = %self.id,
                delivery_id = %delivery_id,
                recipients = self.to.len(),
                elapsed_ms,
                "Email accepted by the relay."
            ),
            Err(e) => debug!(
                notifier = %self.id,
                delivery_id = %delivery_id,
                elapsed_ms,
                error = %e,
                "Email attempt failed."
            ),
        }
        outcome
    }
}

#[derive(Clone, Copy)]
enum TlsMode {
    None,
    StartTls,
    Implicit,
}

#[async_trait]
impl Notifier for EmailNotifier {
    fn id(&self) -> &str {
        &self.id
    }

    async fn deliver(&self, alert: &Alert) -> Result<(), DeliveryError> {
        let msg = self.message(alert)?;
        self.send(msg, &alert.delivery_id).await
    }

    async fn deliver_digest(&self, digest: &Digest) -> Result<(), DeliveryError> {
        let msg = self.digest_message(digest)?;
        self.send(msg, &digest.delivery_id).await
    }
}

/// SMTP outcome to delivery decision: a permanent (5xx) reply is fatal; transient
/// (4xx) replies, timeouts, connection, TLS and protocol errors are retried.
fn classify(relay: &str, e: &lettre::transport::smtp::Error) -> DeliveryError {
    let reason = format!("{relay}: {}", error_chain(e));
    if e.is_permanent() || e.is_client() {
        DeliveryError::Fatal { reason }
    } else {
        DeliveryError::Retry {
            reason,
            retry_after: None,
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let part = inner.to_string();
        if !s.contains(&part) {
            s.push_str(": ");
            s.push_str(&part);
        }
        source = inner.source();
    }
    header_text(&s, 300)
}

/// `<{delivery_id}@reviewradar>`, with anything outside RFC 5322 `atext`/`.` replaced,
/// so the same delivery always gets the same Message-ID.
pub fn message_id(delivery_id: &str) -> String {
    let local: String = delivery_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let local = local.trim_matches('.');
    let local = if local.is_empty() { "delivery" } else { local };
    format!("<{local}@reviewradar>")
}

/// The rendered parts of one email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Subject, text and HTML body for `alert`, in English with the built-in templates.
pub fn render(alert: &Alert) -> Result<Rendered, TemplateError> {
    render_with(Language::En, &Templates::builtin(), alert)
}

/// Subject, text and HTML body for `alert` in `lang` with `templates`.
pub fn render_with(
    lang: Language,
    templates: &Templates,
    alert: &Alert,
) -> Result<Rendered, TemplateError> {
    let v = message::alert_view(lang, alert);
    let subject = header_text(&templates.render("alert_subject.txt", &v)?, SUBJECT_MAX);
    Ok(Rendered {
        subject,
        text: templates.render("alert.txt", &v)?,
        html: templates.render("alert.html", &v)?,
    })
}

/// The English subject of `alert` (see [`message::subject`]).
pub fn subject(alert: &Alert) -> String {
    message::subject(Language::En, alert)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};

    use chrono::{TimeZone, Utc};
    use mailin_embedded::{Handler, Response, Server, response};

    use crate::mention::Mention;

    use super::*;

    /// A 1-star Trustpilot review whose author tried HTML and header injection.
    fn hostile_alert() -> Alert {
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 8, 30, 0).unwrap();
        Alert {
            delivery_id: "9f2c4e1a7b3d5f60-ops-mail".into(),
            event: "review.negative".into(),
            mention: Mention {
                id: "5e8a1c0d2b4f6a79".into(),
                source: "kettle-trustpilot".into(),
                platform: "trustpilot".into(),
                external_id: "tp-663a1f".into(),
                url: Some("https://www.trustpilot.com/reviews/663a1f?utm=a&lang=en".into()),
                author: Some("Mallory \"O'Brien\" <m@example.com>".into()),
                title: Some("<script>alert(1)</script> Kettle\r\nBcc: victim@example.com".into()),
                text: "The lid broke after two days & support never answered.\n\n<script>alert(1)</script>\n<img src=x onerror=alert(2)>".into(),
                rating: Some(1.0),
                rating_max: Some(5.0),
                rating_min: Some(1.0),
                published_at: Some(t),
                updated_at: None,
                lang: Some("en".into()),
                first_seen: t,
                last_seen: t,
                revision: 1,
                negative: true,
                score: 0.93,
                reasons: vec!["rating 1/5 at or below 2".into(), "negative words: \"broke\", \"never answered\"".into()],
                severity: crate::classify::Severity::Normal,
                rules: vec![],
                sightings: vec![],
                reply: None,
            },
            case: None,
            detail: crate::alert::EventDetail::default(),
        }
    }

    /// A Google Alerts hit: no rating, no title, no link.
    fn bare_alert() -> Alert {
        let mut a = hostile_alert();
        let m = &mut a.mention;
        m.platform = "google_alerts".into();
        m.rating = None;
        m.rating_max = None;
        m.title = None;
        m.url = None;
        m.author = None;
        m.lang = None;
        m.published_at = None;
        m.text = "Worst\tcustomer service I have had in years, the kettle leaks and nobody at the shop cares about it at all".into();
        m.reasons = vec![];
        m.revision = 3;
        a
    }

    fn golden(name: &str, got: &str) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("src/alert/templates/testdata")
            .join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, got).unwrap();
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
                path.display()
            )
        });
        assert!(
            got == want,
            "{} differs from the rendering:\n--- got ---\n{got}\n--- want ---\n{want}",
            path.display()
        );
    }

    #[test]
    fn golden_hostile_review() {
        let r = render(&hostile_alert()).unwrap();
        assert_eq!(
            r.subject,
            "[reviewradar] 1/5 ★ trustpilot: <script>alert(1)</script> Kettle Bcc: victim@example.com"
        );
        golden("hostile.txt", &r.text);
        golden("hostile.html", &r.html);
        // Every piece of review content is escaped in HTML; none of it survives as markup.
        assert!(
            !r.html.contains("<script") && !r.html.contains("<img"),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{}",
            r.html
        );
        // The plain text keeps the review as written.
        assert!(
            r.text
                .contains("<script>alert(1)</script>\n<img src=x onerror=alert(2)>")
        );
    }

    /// Each event in English and one other language, with its case and history.
    #[test]
    fn golden_events_with_case() {
        use crate::alert::message::samples::alert;
        let b = Templates::builtin();
        for (event, lang, name) in [
            ("review.reminder", Language::En, "reminder.en"),
            ("review.reminder", Language::De, "reminder.de"),
            ("review.resolved", Language::En, "resolved.en"),
            ("review.resolved", Language::Fr, "resolved.fr"),
        ] {
            let r = render_with(lang, &b, &alert(event)).unwrap();
            golden(&format!("{name}.subject"), &format!("{}\n", r.subject));
            golden(&format!("{name}.txt"), &r.text);
            golden(&format!("{name}.html"), &r.html);
        }
    }

    #[test]
    fn golden_digests() {
        use crate::alert::digest::{render, samples};
        let b = Templates::builtin();
        for (d, lang, name) in [
            (samples::digest(), Language::En, "digest.en"),
            (samples::digest(), Language::De, "digest.de"),
            (samples::empty(), Language::En, "digest-empty.en"),
        ] {
            let r = render(lang, &b, &d).unwrap();
            golden(&format!("{name}.subject"), &format!("{}\n", r.subject));
            golden(&format!("{name}.txt"), &r.text);
            golden(&format!("{name}.html"), &r.html);
        }
        let r = render(Language::En, &b, &samples::digest()).unwrap();
        // Review text in a digest is escaped too.
        assert!(
            r.html
                .contains("Waited 40 minutes &lt;b&gt;for&lt;&#x2f;b&gt;"),
            "{}",
            r.html
        );
        assert!(!r.html.contains("<b>for"));
    }

    /// Every event renders in every language, with every placeholder filled and
    /// nothing left in English that has a translation.
    #[test]
    fn every_event_renders_in_every_language() {
        use crate::alert::message::{EVENTS, samples::alert};
        let b = Templates::builtin();
        let mut n = 0;
        for e in EVENTS {
            let en = render_with(Language::En, &b, &alert(e)).unwrap();
            for lang in Language::ALL {
                let r = render_with(lang, &b, &alert(e)).unwrap();
                for part in [&r.subject, &r.text, &r.html] {
                    for name in [
                        "{platform}",
                        "{age}",
                        "{step}",
                        "{n}",
                        "{source}",
                        "{score}",
                        "{old}",
                        "{actor}",
                    ] {
                        assert!(
                            !part.contains(name),
                            "{e} {lang}: {name} unfilled in\n{part}"
                        );
                    }
                }
                if lang != Language::En {
                    let headline = en.text.lines().next().unwrap();
                    assert!(!r.text.contains(headline), "{e} {lang}: English headline");
                    if e != "review.negative" {
                        // (A rated negative's subject has no words to translate.)
                        assert_ne!(r.subject, en.subject, "{e} {lang}");
                    }
                }
                n += 1;
            }
            let mut d = crate::alert::digest::samples::digest();
            d.delivery_id = e.into();
            for lang in Language::ALL {
                crate::alert::digest::render(lang, &b, &d).unwrap();
            }
        }
        assert_eq!(n, 36);
    }

    #[tokio::test]
    async fn delivers_a_digest_over_real_smtp() {
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let url = smtp_server(Collector {
            inbox: inbox.clone(),
            ..Default::default()
        });
        let n = email_notifier(&url, &["ops@example.com"]).with_language(Language::De);
        let d = crate::alert::digest::samples::digest();
        n.deliver_digest(&d).await.unwrap();
        let got = inbox.lock().unwrap().clone();
        assert_eq!(got.len(), 1);
        let data = &got[0].data;
        assert!(
            data.contains("Message-ID: <dg-2026-03-03-ops-mail@reviewradar>\r\n"),
            "{data}"
        );
        assert!(
            data.contains("X-ReviewRadar-Delivery: dg-2026-03-03-ops-mail\r\n"),
            "{data}"
        );
        let r = crate::alert::digest::render(Language::De, &Templates::builtin(), &d).unwrap();
        assert_eq!(part(data, "text/plain").replace("\r\n", "\n"), r.text);
        assert_eq!(part(data, "text/html").replace("\r\n", "\n"), r.html);
    }

    #[test]
    fn severity_shows_when_not_normal() {
        let mut a = hostile_alert();
        let r = render(&a).unwrap();
        assert!(!r.text.contains("Severity") && !r.html.contains("Severity"));
        a.mention.severity = crate::classify::Severity::Critical;
        a.mention.rules = vec!["fraud".into(), "legal".into()];
        let r = render(&a).unwrap();
        assert!(
            r.subject
                .starts_with("[reviewradar] [CRITICAL] 1/5 ★ trustpilot: "),
            "{}",
            r.subject
        );
        assert!(
            r.text
                .contains("Language:   en\nSeverity:   CRITICAL (rules: fraud, legal)\nLink:"),
            "{}",
            r.text
        );
        assert!(
            r.html.contains(">CRITICAL (rules: fraud, legal)</td>"),
            "{}",
            r.html
        );
    }

    #[test]
    fn golden_bare_mention() {
        let r = render(&bare_alert()).unwrap();
        assert_eq!(
            r.subject,
            "[reviewradar] negative mention on google_alerts: Worst customer service I have had in years, the kettle leaks and nobody at the…"
        );
        golden("bare.txt", &r.text);
    }

    #[test]
    fn subject_is_one_capped_line() {
        let mut a = hostile_alert();
        a.mention.title = Some(format!("{}\u{7}\n{}", "word ".repeat(50), "x".repeat(300)));
        a.mention.rating = Some(2.5);
        a.mention.rating_max = Some(10.0);
        let s = subject(&a);
        assert!(
            s.starts_with("[reviewradar] 2.5/10 ★ trustpilot: word word"),
            "{s}"
        );
        assert!(s.chars().count() <= SUBJECT_MAX, "{s}");
        assert!(s.ends_with('…'));
        assert!(!s.chars().any(char::is_control));
    }

    #[test]
    fn an_existing_reply_is_shown_escaped() {
        let mut a = hostile_alert();
        a.mention.reply = Some(crate::mention::Reply {
            text: "Sorry! <img src=x onerror=alert(1)> We sent a new lid.".into(),
            at: Some(Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 0).unwrap()),
        });
        let r = render(&a).unwrap();
        assert!(
            r.text
                .contains("Already answered (2024-05-02 09:00 UTC):\n  Sorry! <img src=x onerror=alert(1)> We sent a new lid."),
            "{}",
            r.text
        );
        assert!(r.html.contains("Already answered (2024-05-02 09:00 UTC):"));
        assert!(
            r.html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{}",
            r.html
        );
        assert!(!r.html.contains("<img src=x"));
        let bare = render(&hostile_alert()).unwrap();
        assert!(!bare.text.contains("Already answered"));
    }

    #[test]
    fn non_http_link_is_not_clickable() {
        let mut a = hostile_alert();
        a.mention.url = Some("javascript:alert(document.cookie)".into());
        let r = render(&a).unwrap();
        assert!(!r.html.contains("href=\"javascript"), "{}", r.html);
        assert!(r.html.contains("javascript:alert(document.cookie)"));
    }

    #[test]
    fn message_id_comes_from_delivery_id() {
        assert_eq!(message_id("9f2c-ops"), "<9f2c-ops@reviewradar>");
        assert_eq!(message_id("a b<c>@d"), "<a-b-c--d@reviewradar>");
        assert_eq!(message_id(""), "<delivery@reviewradar>");
    }

    #[test]
    fn transport_settings_from_url() {
        let ok = |u: &str, pw: Option<&str>| {
            EmailNotifier::new(
                "mail",
                &u.parse().unwrap(),
                pw.map(Secret::new),
                "rr@example.com",
                &["ops@example.com".into()],
                Duration::from_secs(5),
            )
        };
        assert_eq!(
            ok("smtp://127.0.0.1", None).unwrap().relay,
            "smtp://127.0.0.1:25"
        );
        assert_eq!(
            ok("smtp+starttls://mail.example.com", None).unwrap().relay,
            "smtp+starttls://mail.example.com:587"
        );
        assert_eq!(
            ok("smtps://alerts%40shop@mail.example.com", Some("pw"))
                .unwrap()
                .relay,
            "smtps://mail.example.com:465"
        );
        let err = ok("smtps://alerts@mail.example.com", None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("notifiers.mail.smtp") && err.contains("password_file"),
            "{err}"
        );
        let err = ok("smtp://mail.example.com", Some("pw"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no user name"), "{err}");
        let err = format!(
            "{:#}",
            EmailNotifier::new(
                "mail",
                &"smtp://h".parse().unwrap(),
                None,
                "nope",
                &[],
                Duration::from_secs(1)
            )
            .unwrap_err()
        );
        assert!(err.starts_with("notifiers.mail.from: \"nope\""), "{err}");
        // Debug never shows credentials.
        let n = ok("smtps://alerts@mail.example.com", Some("hunter2")).unwrap();
        assert!(!format!("{n:?}").contains("hunter2"));
    }

    // --- a real SMTP peer on loopback ---

    #[derive(Debug, Clone)]
    struct Received {
        from: String,
        to: Vec<String>,
        data: String,
    }

    #[derive(Clone, Default)]
    struct Collector {
        inbox: Arc<Mutex<Vec<Received>>>,
        from: String,
        to: Vec<String>,
        buf: Vec<u8>,
    }

    impl Handler for Collector {
        fn rcpt(&mut self, to: &str) -> Response {
            if to.contains("nobody@") {
                response::NO_MAILBOX
            } else if to.contains("busy@") {
                response::OUT_OF_SPACE
            } else {
                response::OK
            }
        }
        fn data_start(
            &mut self,
            _domain: &str,
            from: &str,
            _is8bit: bool,
            to: &[String],
        ) -> Response {
            self.from = from.to_string();
            self.to = to.to_vec();
            self.buf.clear();
            response::OK
        }
        fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
            self.buf.extend_from_slice(buf);
            Ok(())
        }
        fn data_end(&mut self) -> Response {
            self.inbox.lock().unwrap().push(Received {
                from: self.from.clone(),
                to: self.to.clone(),
                data: String::from_utf8_lossy(&self.buf).into_owned(),
            });
            response::OK
        }
    }

    /// Start mailin on 127.0.0.1:0 in a thread; returns its smtp:// URL.
    fn smtp_server(handler: Collector) -> Url {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut server = Server::new(handler);
        server.with_name("mx.test").with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        format!("smtp://127.0.0.1:{port}").parse().unwrap()
    }

    fn email_notifier(smtp: &Url, to: &[&str]) -> EmailNotifier {
        let to: Vec<String> = to.iter().map(|s| s.to_string()).collect();
        EmailNotifier::new(
            "mail",
            smtp,
            None,
            "reviewradar <rr@example.com>",
            &to,
            Duration::from_secs(10),
        )
        .unwrap()
    }

    /// Undo quoted-printable (the only non-identity encoding lettre picks for our parts).
    fn decode_qp(s: &str) -> String {
        let s = s.replace("=\r\n", "").replace("=\n", "");
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if b[i] == b'=' {
                if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }

    /// The decoded body of the part with `content_type`.
    fn part(data: &str, content_type: &str) -> String {
        let boundary = data.split("boundary=\"").nth(1).unwrap();
        let boundary = format!("\r\n--{}", &boundary[..boundary.find('"').unwrap()]);
        let start = data
            .find(&format!("Content-Type: {content_type}"))
            .unwrap_or_else(|| panic!("no {content_type} part in:\n{data}"));
        let rest = &data[start..];
        let head_end = rest.find("\r\n\r\n").unwrap();
        let head = &rest[..head_end];
        let body = &rest[head_end + 4..];
        let body = &body[..body.find(&boundary).unwrap()];
        if head.contains("quoted-printable") {
            decode_qp(body)
        } else {
            body.to_string()
        }
    }

    #[tokio::test]
    async fn delivers_multipart_message_over_real_smtp() {
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let url = smtp_server(Collector {
            inbox: inbox.clone(),
            ..Default::default()
        });
        let n = email_notifier(&url, &["ops@example.com", "Owner <owner@example.com>"]);
        let a = hostile_alert();
        n.deliver(&a).await.unwrap();

        let got = inbox.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "one message for all recipients");
        let msg = &got[0];
        assert_eq!(msg.from, "rr@example.com");
        assert_eq!(msg.to, ["ops@example.com", "owner@example.com"]);
        let d = &msg.data;
        assert!(
            d.contains("Message-ID: <9f2c4e1a7b3d5f60-ops-mail@reviewradar>\r\n"),
            "{d}"
        );
        assert!(
            d.contains("X-ReviewRadar-Delivery: 9f2c4e1a7b3d5f60-ops-mail\r\n"),
            "{d}"
        );
        assert!(d.contains("\r\nDate: "), "{d}");
        assert!(
            d.starts_with("From: reviewradar <rr@example.com>\r\n"),
            "{d}"
        );
        assert!(
            d.contains("\r\nTo: ops@example.com, Owner <owner@example.com>\r\n"),
            "{d}"
        );
        assert!(d.contains("Content-Type: multipart/alternative;"), "{d}");
        // The injected header stayed inside the (encoded) subject.
        let headers = &d[..d.find("\r\n\r\n").unwrap()];
        assert!(!headers.contains("\r\nBcc:"), "{headers}");
        assert!(!d.contains("\nBcc:"), "{d}");
        let subject_line = d.lines().find(|l| l.starts_with("Subject: ")).unwrap();
        assert!(
            subject_line.contains("=?utf-8?"),
            "non-ASCII subject is RFC 2047 encoded: {subject_line}"
        );

        let html = part(d, "text/html");
        let text = part(d, "text/plain");
        assert_eq!(html.replace("\r\n", "\n"), render(&a).unwrap().html);
        assert_eq!(text.replace("\r\n", "\n"), render(&a).unwrap().text);
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
        assert!(!html.contains("<script"));
    }

    #[tokio::test]
    async fn rejected_recipient_is_fatal() {
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let url = smtp_server(Collector {
            inbox: inbox.clone(),
            ..Default::default()
        });
        let n = email_notifier(&url, &["ops@example.com", "nobody@example.com"]);
        match n.deliver(&hostile_alert()).await {
            Err(DeliveryError::Fatal { reason }) => assert!(reason.contains("550"), "{reason}"),
            other => panic!("expected Fatal, got {other:?}"),
        }
        assert!(inbox.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn transient_reply_is_retry() {
        // 452 at RCPT (mailin mishandles a 4xx at end of DATA: it stays in DATA mode).
        let url = smtp_server(Collector::default());
        match email_notifier(&url, &["busy@example.com"])
            .deliver(&hostile_alert())
            .await
        {
            Err(DeliveryError::Retry { reason, .. }) => assert!(reason.contains("452"), "{reason}"),
            other => panic!("expected Retry, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn unreachable_relay_is_retry() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url: Url = format!("smtp://127.0.0.1:{port}").parse().unwrap();
        match email_notifier(&url, &["ops@example.com"])
            .deliver(&hostile_alert())
            .await
        {
            Err(DeliveryError::Retry { reason, .. }) => assert!(
                reason.starts_with(&format!("smtp://127.0.0.1:{port}: ")),
                "{reason}"
            ),
            other => panic!("expected Retry, got {other:?}"),
        }
    }
}
