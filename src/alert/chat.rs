//! Chat formats of the webhook notifier (`format = "slack" | "teams" | "discord" |
//! "mattermost"`): each platform's incoming-webhook body, built from one
//! [`Card`] per alert or digest.
//!
//! Review text is untrusted. Each format escapes it for its own markup, caps every
//! field at the platform's limit (at a character boundary, counted in UTF-16 units,
//! the stricter of the ways platforms count), and never lets it mention anyone:
//! Slack's `&<>` are escaped (no `<!channel>`, `<@U1>` or `<url|label>`), Discord's
//! markdown and `@` are escaped and `allowed_mentions` is empty, Mattermost's
//! markdown is escaped and `@` is followed by a zero-width space, and Teams gets its
//! text as `TextRun`s, which Teams never reads as markdown.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::digest::{self, Digest};
use super::message::{self, AlertView};
use super::{Alert, Language};

/// The webhook body format (`format = "..."` on a webhook notifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// The reviewradar JSON contract (README "Webhook format").
    #[default]
    Json,
    /// Slack incoming webhook: `{"text", "blocks"}`.
    Slack,
    /// Microsoft Teams (Workflows / incoming webhook): an Adaptive Card message.
    Teams,
    /// Discord webhook: `{"content", "embeds", "allowed_mentions"}`.
    Discord,
    /// Mattermost incoming webhook: `{"text", "attachments"}`.
    Mattermost,
}

impl WebhookFormat {
    pub const ALL: [WebhookFormat; 5] = [
        WebhookFormat::Json,
        WebhookFormat::Slack,
        WebhookFormat::Teams,
        WebhookFormat::Discord,
        WebhookFormat::Mattermost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Json => "json",
            WebhookFormat::Slack => "slack",
            WebhookFormat::Teams => "teams",
            WebhookFormat::Discord => "discord",
            WebhookFormat::Mattermost => "mattermost",
        }
    }
}

/// What a chat message says, before any platform's markup. Every string but the
/// catalog labels may carry review text.
#[derive(Debug, Clone)]
pub struct Card {
    /// A digest (sections) rather than one alert (facts about one review).
    pub is_digest: bool,
    /// "#b3261e"-style accent colour.
    pub color: &'static str,
    pub headline: String,
    /// The review's title (or first words), linked to `link`.
    pub title: Option<String>,
    /// An http(s) URL.
    pub link: Option<String>,
    pub link_label: String,
    pub facts: Vec<(String, String)>,
    /// The review text.
    pub body: Option<String>,
    /// Digest sections: heading and lines.
    pub sections: Vec<Section>,
    /// Labelled paragraphs after the body (the reply, what to do).
    pub notes: Vec<(String, String)>,
    pub footer: String,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub heading: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub text: String,
    pub link: Option<String>,
}

const BAD: &str = "#b3261e";
const GOOD: &str = "#2e7d32";
const NEUTRAL: &str = "#5f6368";
const DIGEST: &str = "#1a5fb4";

/// Lines shown per digest section; the rest are counted.
const SECTION_ITEMS: usize = 10;

/// The card of one alert.
pub fn alert_card(lang: Language, alert: &Alert) -> Card {
    let v: AlertView<'_> = message::alert_view(lang, alert);
    let t = |k: &str| lang.tr(k).to_string();
    let mut facts = Vec::new();
    if let Some(r) = &v.rating {
        let r = match (alert.detail.old_rating, alert.detail.new_rating) {
            (Some(o), Some(n)) if alert.event == message::EVENT_RESOLVED => format!("{o} → {n}"),
            _ => format!("{r} ★"),
        };
        facts.push((t("label_rating"), r));
    }
    facts.push((
        t("label_platform"),
        format!(
            "{} {}",
            v.platform,
            lang.fmt("source_suffix", &[("source", v.source)])
        ),
    ));
    if let Some(a) = &v.author {
        facts.push((t("label_author"), a.clone()));
    }
    if let Some(p) = &v.published {
        facts.push((t("label_published"), p.clone()));
    }
    if let Some(o) = &v.open_for {
        facts.push((t("label_open_for"), o.clone()));
    }
    if let Some(n) = v.detail.missed_polls {
        facts.push((t("label_missed_polls"), n.to_string()));
    }
    if let Some(c) = &v.case {
        let mut state = c.state_label.to_string();
        if c.round > 1 {
            state.push_str(&format!(" ({} {})", t("label_round"), c.round));
        }
        facts.push((t("label_state"), state));
    }
    let mut notes = Vec::new();
    if let Some(reply) = v.reply {
        let mut label = t("already_answered");
        if let Some(at) = &v.reply_at {
            label.push_str(&format!(" ({at})"));
        }
        let reply = if reply.is_empty() {
            t("reply_without_text")
        } else {
            reply.to_string()
        };
        notes.push((label, reply));
    }
    if let Some(a) = &v.action {
        notes.push((t("label_what_to_do"), a.clone()));
    }
    Card {
        is_digest: false,
        color: match v.tone {
            "good" => GOOD,
            "bad" => BAD,
            _ => NEUTRAL,
        },
        headline: v.headline.clone(),
        title: Some(message::what(lang, &alert.mention)),
        link: v.link.map(str::to_string),
        link_label: t("open_review"),
        facts,
        body: Some(v.text.to_string()),
        sections: vec![],
        notes,
        footer: format!(
            "{} {} ({}) · reviewradar",
            t("label_delivery"),
            alert.delivery_id,
            alert.event
        ),
    }
}

/// The card of one digest.
pub fn digest_card(lang: Language, d: &Digest) -> Card {
    let v = digest::view(lang, d);
    let item_text = |m: &digest::DigestMention, note: Option<&str>| {
        let mut s = String::new();
        if let Some(n) = note {
            s.push_str(n);
            s.push_str(": ");
        }
        if let Some(r) = &m.rating {
            s.push_str(&format!("{r} ★ "));
        }
        s.push_str(&format!("{}: {}", m.platform, m.what));
        s
    };
    let case_items = |cs: &[digest::DigestCase], with_state: bool| {
        cs.iter()
            .map(|c| {
                let note = if with_state {
                    format!("{}, {}", c.age_note, c.case.state_label)
                } else {
                    c.age_note.clone()
                };
                Item {
                    text: item_text(&c.mention, Some(&note)),
                    link: c.mention.link.clone(),
                }
            })
            .collect::<Vec<_>>()
    };
    let mut sections = Vec::new();
    if !v.is_empty {
        let heading = |k: &str, n: usize| format!("{} ({n})", lang.tr(k));
        sections.push(Section {
            heading: heading("digest_section_new", v.counts.new),
            items: v
                .new_negatives
                .iter()
                .map(|m| Item {
                    text: item_text(m, None),
                    link: m.link.clone(),
                })
                .collect(),
        });
        sections.push(Section {
            heading: heading("digest_section_open", v.counts.open),
            items: case_items(&v.open_cases, true),
        });
        sections.push(Section {
            heading: heading("digest_section_overdue", v.counts.overdue),
            items: case_items(&v.overdue_cases, true),
        });
        sections.push(Section {
            heading: heading("digest_section_resolved", v.counts.resolved),
            items: case_items(&v.resolved_cases, false),
        });
    }
    if !v.figures.is_empty() {
        sections.push(Section {
            heading: lang.tr("digest_section_figures").to_string(),
            items: v
                .figures
                .iter()
                .map(|f| Item {
                    text: f.line.clone(),
                    link: None,
                })
                .collect(),
        });
    }
    Card {
        is_digest: true,
        color: DIGEST,
        headline: v.headline.clone(),
        title: Some(
            v.subject
                .strip_prefix("[reviewradar] ")
                .unwrap_or(&v.subject)
                .to_string(),
        ),
        link: None,
        link_label: String::new(),
        facts: vec![],
        body: v.is_empty.then(|| lang.tr("digest_empty").to_string()),
        sections,
        notes: vec![],
        footer: format!(
            "{} {} · reviewradar",
            lang.tr("label_delivery"),
            v.delivery_id
        ),
    }
}

/// The body of `card` in `format` (`Json` is not a chat format: use the contract).
pub fn body(format: WebhookFormat, card: &Card) -> Value {
    match format {
        WebhookFormat::Slack => slack(card),
        WebhookFormat::Teams => teams(card),
        WebhookFormat::Discord => discord(card),
        WebhookFormat::Mattermost | WebhookFormat::Json => mattermost(card),
    }
}

// --- capping and escaping ---

fn units(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Escape `s` char by char with `esc` and cap the result at `max` UTF-16 units,
/// ending in `…` when cut. Never splits a character or an escape sequence.
fn escape_capped(s: &str, max: usize, esc: impl Fn(char, bool, &mut String)) -> String {
    let mut out = String::with_capacity(s.len().min(max * 2));
    let mut used = 0;
    let mut piece = String::new();
    let mut line_start = true;
    let total: usize = {
        // Fast path: does the whole escaped text fit?
        let mut n = 0;
        let mut ls = true;
        for c in s.chars() {
            piece.clear();
            esc(c, ls, &mut piece);
            n += units(&piece);
            ls = c == '\n';
        }
        n
    };
    let budget = if total <= max {
        max
    } else {
        max.saturating_sub(1)
    };
    for c in s.chars() {
        piece.clear();
        esc(c, line_start, &mut piece);
        let n = units(&piece);
        if used + n > budget {
            break;
        }
        out.push_str(&piece);
        used += n;
        line_start = c == '\n';
    }
    if total > max {
        out.push('…');
    }
    out
}

/// No markup: only the cap.
fn cap(s: &str, max: usize) -> String {
    escape_capped(s, max, |c, _, out| out.push(c))
}

/// Slack mrkdwn: `&`, `<`, `>` as entities; nothing else is special to Slack's
/// parser in a way that can reach anyone.
fn slack_text(s: &str, max: usize) -> String {
    escape_capped(s, max, |c, _, out| match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        c => out.push(c),
    })
}

/// Markdown (Discord, Mattermost): a backslash before each character markdown,
/// links, mentions, emoji or custom tags could use.
fn md_escape(c: char, line_start: bool, out: &mut String) {
    match c {
        '\\' | '*' | '_' | '~' | '`' | '|' | '<' | '>' | '[' | ']' | '(' | ')' | '#' | '@'
        | ':' | '!' => {
            out.push('\\');
            out.push(c);
        }
        '-' | '+' | '=' if line_start => {
            out.push('\\');
            out.push(c);
        }
        c => out.push(c),
    }
}

fn discord_text(s: &str, max: usize) -> String {
    escape_capped(s, max, md_escape)
}

/// Mattermost markdown, and `@` broken with a zero-width space: Mattermost reads
/// `@channel`, `@all`, `@here` and `@user` in posts, escaped or not.
fn mattermost_text(s: &str, max: usize) -> String {
    escape_capped(s, max, |c, ls, out| {
        if c == '@' {
            out.push_str("@\u{200b}");
        } else {
            md_escape(c, ls, out)
        }
    })
}

/// A URL for a markdown link target: no spaces, no parentheses, no angle brackets.
fn md_url(u: &str) -> String {
    u.replace(' ', "%20")
        .replace('(', "%28")
        .replace(')', "%29")
        .replace('<', "%3C")
        .replace('>', "%3E")
}

/// A URL inside Slack's `<url|label>`: entities for `&<>`, no `|`.
fn slack_url(u: &str) -> String {
    u.replace('&', "&amp;")
        .replace('<', "%3C")
        .replace('>', "%3E")
        .replace('|', "%7C")
}

fn more(n: usize) -> String {
    format!("… +{n}")
}

// --- Slack ---

/// Slack limits: section text 3000, ≤10 fields of 2000, ≤50 blocks, context 10
/// elements.
const SLACK_SECTION: usize = 3000;
const SLACK_FIELD: usize = 2000;

fn slack(card: &Card) -> Value {
    let mut blocks = Vec::new();
    let section =
        |text: String| json!({"type": "section", "text": {"type": "mrkdwn", "text": text}});
    let title = match (&card.title, &card.link) {
        (Some(t), Some(l)) => format!("\n<{}|{}>", slack_url(l), slack_text(t, 300)),
        (Some(t), None) => format!("\n{}", slack_text(t, 300)),
        _ => String::new(),
    };
    blocks.push(section(format!(
        "*{}*{title}",
        slack_text(&card.headline, 1000)
    )));
    if !card.facts.is_empty() {
        let fields: Vec<Value> = card
            .facts
            .iter()
            .take(10)
            .map(|(k, v)| {
                json!({"type": "mrkdwn", "text": format!("*{}*\n{}", slack_text(k, 100), slack_text(v, SLACK_FIELD - 110))})
            })
            .collect();
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    if let Some(b) = &card.body {
        let quoted = slack_text(b, SLACK_SECTION - 200)
            .lines()
            .map(|l| format!("> {l}"))
            .collect::<Vec<_>>()
            .join("\n");
        blocks.push(section(cap(&quoted, SLACK_SECTION)));
    }
    for s in &card.sections {
        let mut text = format!("*{}*", slack_text(&s.heading, 200));
        for it in s.items.iter().take(SECTION_ITEMS) {
            let line = match &it.link {
                Some(l) => format!("<{}|{}>", slack_url(l), slack_text(&it.text, 200)),
                None => slack_text(&it.text, 250),
            };
            text.push_str("\n• ");
            text.push_str(&line);
        }
        if s.items.len() > SECTION_ITEMS {
            text.push_str(&format!("\n{}", more(s.items.len() - SECTION_ITEMS)));
        }
        blocks.push(section(text));
    }
    for (k, v) in &card.notes {
        blocks.push(section(format!(
            "*{}:* {}",
            slack_text(k, 200),
            slack_text(v, SLACK_SECTION - 300)
        )));
    }
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": slack_text(&card.footer, 300)}]}));
    blocks.truncate(50);
    json!({
        "text": slack_text(&card.headline, 1000),
        "blocks": blocks,
    })
}

// --- Teams ---

const TEAMS_TEXT: usize = 4000;

fn run(text: String) -> Value {
    json!({"type": "TextRun", "text": text})
}

fn rich(inlines: Vec<Value>) -> Value {
    json!({"type": "RichTextBlock", "inlines": inlines})
}

fn teams(card: &Card) -> Value {
    let mut body = Vec::new();
    let mut head = run(cap(&card.headline, 500));
    head["weight"] = json!("bolder");
    head["size"] = json!("medium");
    if card.color == BAD {
        head["color"] = json!("attention");
    } else if card.color == GOOD {
        head["color"] = json!("good");
    }
    body.push(rich(vec![head]));
    if let Some(t) = &card.title {
        let mut r = run(cap(t, 300));
        r["weight"] = json!("bolder");
        if let Some(l) = &card.link {
            r["selectAction"] = json!({"type": "Action.OpenUrl", "url": l});
        }
        body.push(rich(vec![r]));
    }
    for (k, v) in &card.facts {
        let mut label = run(format!("{}: ", cap(k, 100)));
        label["weight"] = json!("bolder");
        body.push(rich(vec![label, run(cap(v, 500))]));
    }
    if let Some(b) = &card.body {
        let mut r = run(cap(b, TEAMS_TEXT));
        r["italic"] = json!(true);
        body.push(json!({"type": "Container", "style": "emphasis", "items": [rich(vec![r])]}));
    }
    for s in &card.sections {
        let mut h = run(cap(&s.heading, 200));
        h["weight"] = json!("bolder");
        body.push(rich(vec![h]));
        for it in s.items.iter().take(SECTION_ITEMS) {
            let mut r = run(format!("• {}", cap(&it.text, 300)));
            if let Some(l) = &it.link {
                r["selectAction"] = json!({"type": "Action.OpenUrl", "url": l});
                r["color"] = json!("accent");
            }
            body.push(rich(vec![r]));
        }
        if s.items.len() > SECTION_ITEMS {
            body.push(rich(vec![run(more(s.items.len() - SECTION_ITEMS))]));
        }
    }
    for (k, v) in &card.notes {
        let mut label = run(format!("{}: ", cap(k, 200)));
        label["weight"] = json!("bolder");
        body.push(rich(vec![label, run(cap(v, TEAMS_TEXT))]));
    }
    let mut footer = run(cap(&card.footer, 300));
    footer["isSubtle"] = json!(true);
    footer["size"] = json!("small");
    body.push(rich(vec![footer]));
    let mut content = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": body,
    });
    if let Some(l) = &card.link {
        content["actions"] =
            json!([{"type": "Action.OpenUrl", "title": cap(&card.link_label, 100), "url": l}]);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": content,
        }],
    })
}

// --- Discord ---

/// Discord limits: content 2000, embed title 256, description 4096, ≤25 fields
/// (name 256, value 1024), footer 2048, and 6000 for an embed's text in all.
const DISCORD_CONTENT: usize = 2000;
const DISCORD_TITLE: usize = 256;
const DISCORD_DESCRIPTION: usize = 4096;
const DISCORD_FIELD_NAME: usize = 256;
const DISCORD_FIELD_VALUE: usize = 1024;
const DISCORD_FOOTER: usize = 2048;
const DISCORD_EMBED_TOTAL: usize = 6000;

fn discord(card: &Card) -> Value {
    let content = discord_text(&card.headline, DISCORD_CONTENT);
    let title = card
        .title
        .as_deref()
        .map(|t| discord_text(t, DISCORD_TITLE))
        .unwrap_or_default();
    let footer = cap(&card.footer, DISCORD_FOOTER.min(300));
    let mut fields: Vec<Value> = Vec::new();
    let mut used = units(&title) + units(&footer);
    for (k, v) in card.facts.iter().chain(card.notes.iter()).take(25) {
        let name = discord_text(k, DISCORD_FIELD_NAME);
        let value = discord_text(v, DISCORD_FIELD_VALUE);
        used += units(&name) + units(&value);
        fields.push(json!({"name": name, "value": value, "inline": units(&value) <= 40}));
    }
    let mut description = String::new();
    if let Some(b) = &card.body {
        description.push_str(&discord_text(b, DISCORD_DESCRIPTION));
    }
    for s in &card.sections {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&format!("**{}**", cap(&s.heading, 200)));
        for it in s.items.iter().take(SECTION_ITEMS) {
            description.push_str("\n- ");
            match &it.link {
                Some(l) => description.push_str(&format!(
                    "[{}]({})",
                    discord_text(&it.text, 200),
                    md_url(l)
                )),
                None => description.push_str(&discord_text(&it.text, 250)),
            }
        }
        if s.items.len() > SECTION_ITEMS {
            description.push_str(&format!("\n{}", more(s.items.len() - SECTION_ITEMS)));
        }
    }
    // What is left of the embed's 6000 after title, fields and footer.
    let room = DISCORD_DESCRIPTION.min(DISCORD_EMBED_TOTAL.saturating_sub(used));
    let description = cap_markdown(&description, room);
    let mut embed = json!({
        "title": title,
        "description": description,
        "color": color_int(card.color),
        "fields": fields,
        "footer": {"text": footer},
    });
    if let Some(l) = &card.link {
        embed["url"] = json!(l);
    }
    json!({
        "content": content,
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    })
}

/// Cap already-escaped markdown without leaving a dangling backslash.
fn cap_markdown(s: &str, max: usize) -> String {
    if units(s) <= max {
        return s.to_string();
    }
    let mut out = cap(s, max);
    out.pop(); // the ellipsis
    let backslashes = out.chars().rev().take_while(|c| *c == '\\').count();
    if backslashes % 2 == 1 {
        out.pop();
    }
    out.push('…');
    out
}

fn color_int(hex: &str) -> u32 {
    u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0)
}

// --- Mattermost ---

/// Mattermost posts hold up to 16383 characters; attachments' text counts too.
const MATTERMOST_TEXT: usize = 4000;

fn mattermost(card: &Card) -> Value {
    let mut text = format!("#### {}", mattermost_text(&card.headline, 1000));
    if card.is_digest {
        // Everything in the post's markdown: one list per section.
        if let Some(b) = &card.body {
            text.push_str(&format!("\n\n{}", mattermost_text(b, MATTERMOST_TEXT)));
        }
        for s in &card.sections {
            text.push_str(&format!("\n\n**{}**", cap(&s.heading, 200)));
            for it in s.items.iter().take(SECTION_ITEMS) {
                text.push_str("\n- ");
                match &it.link {
                    Some(l) => text.push_str(&format!(
                        "[{}]({})",
                        mattermost_text(&it.text, 200),
                        md_url(l)
                    )),
                    None => text.push_str(&mattermost_text(&it.text, 250)),
                }
            }
            if s.items.len() > SECTION_ITEMS {
                text.push_str(&format!("\n{}", more(s.items.len() - SECTION_ITEMS)));
            }
        }
        text.push_str(&format!("\n\n{}", mattermost_text(&card.footer, 300)));
        return json!({"text": cap_markdown(&text, 12_000)});
    }
    // An alert: the headline as the post, the review as an attachment.
    let mut fields: Vec<Value> = card
        .facts
        .iter()
        .map(|(k, v)| {
            json!({"short": true, "title": mattermost_plain(k, 100), "value": mattermost_text(v, 500)})
        })
        .collect();
    fields.extend(card.notes.iter().map(|(k, v)| {
        json!({"short": false, "title": mattermost_plain(k, 200), "value": mattermost_text(v, 2000)})
    }));
    let mut att = json!({
        "fallback": mattermost_plain(&card.headline, 500),
        "color": card.color,
        "title": mattermost_plain(card.title.as_deref().unwrap_or_default(), 250),
        "text": card.body.as_deref().map(|b| mattermost_text(b, MATTERMOST_TEXT)).unwrap_or_default(),
        "fields": fields,
        "footer": mattermost_plain(&card.footer, 300),
    });
    if let Some(l) = &card.link {
        att["title_link"] = json!(l);
    }
    json!({"text": text, "attachments": [att]})
}

/// Plain (not markdown) Mattermost fields: only the cap and the mention break.
fn mattermost_plain(s: &str, max: usize) -> String {
    escape_capped(s, max, |c, _, out| {
        out.push(c);
        if c == '@' {
            out.push('\u{200b}');
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::message::samples::alert;
    use crate::alert::message::{EVENT_NEGATIVE, EVENTS};

    fn hostile() -> Alert {
        let mut a = alert(EVENT_NEGATIVE);
        a.mention.title =
            Some("<!channel> @everyone **FREE** [click](https://evil.example)".into());
        a.mention.text = "@here <@123456> <!everyone> & <https://evil.example|bank> \
                          # Heading\n- list\n> quote `code` ~~strike~~ _it_ :smile: \\"
            .into();
        a.mention.author = Some("@channel".into());
        a
    }

    fn all_strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| all_strings(x, out)),
            Value::Object(o) => o.values().for_each(|x| all_strings(x, out)),
            _ => {}
        }
    }

    #[test]
    fn slack_shape_and_escaping() {
        let b = body(WebhookFormat::Slack, &alert_card(Language::En, &hostile()));
        assert_eq!(b["text"], "A negative mention on trustpilot needs a human.");
        let blocks = b["blocks"].as_array().unwrap();
        assert!(blocks.len() >= 4 && blocks.len() <= 50);
        assert_eq!(blocks[0]["type"], "section");
        assert_eq!(blocks[0]["text"]["type"], "mrkdwn");
        assert!(
            blocks[0]["text"]["text"]
                .as_str()
                .unwrap()
                .contains("<https://www.trustpilot.com/reviews/663a1f|&lt;!channel&gt; @everyone"),
            "{}",
            blocks[0]
        );
        assert_eq!(blocks[1]["fields"][0]["text"], "*Rating*\n1/5 ★");
        assert_eq!(blocks.last().unwrap()["type"], "context");
        let mut strings = vec![];
        all_strings(&b, &mut strings);
        for s in &strings {
            assert!(!s.contains("<!"), "Slack special mention survived: {s}");
            assert!(!s.contains("<@"), "user mention survived: {s}");
            assert!(!s.contains("<https://evil"), "link survived: {s}");
        }
        let quote = blocks[2]["text"]["text"].as_str().unwrap();
        assert!(
            quote.starts_with(
                "> @here &lt;@123456&gt; &lt;!everyone&gt; &amp; &lt;https://evil.example|bank&gt;"
            ),
            "{quote}"
        );
        assert!(quote.contains("\n> &gt; quote"), "{quote}");
    }

    #[test]
    fn discord_shape_escaping_and_no_mentions() {
        let b = body(
            WebhookFormat::Discord,
            &alert_card(Language::En, &hostile()),
        );
        assert_eq!(b["allowed_mentions"], json!({"parse": []}));
        assert_eq!(
            b["content"],
            "A negative mention on trustpilot needs a human."
        );
        let e = &b["embeds"][0];
        assert_eq!(e["url"], "https://www.trustpilot.com/reviews/663a1f");
        assert_eq!(e["color"], 0xb3261e);
        assert_eq!(
            e["title"],
            "\\<\\!channel\\> \\@everyone \\*\\*FREE\\*\\* \\[click\\]\\(https\\://evil.example\\)"
        );
        let d = e["description"].as_str().unwrap();
        assert!(
            d.starts_with("\\@here \\<\\@123456\\> \\<\\!everyone\\> & "),
            "{d}"
        );
        assert!(
            d.contains(
                "\n\\- list\n\\> quote \\`code\\` \\~\\~strike\\~\\~ \\_it\\_ \\:smile\\: \\\\"
            ),
            "{d}"
        );
        let author = e["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "Author")
            .unwrap();
        assert_eq!(author["value"], "\\@channel");
        let mut strings = vec![];
        all_strings(&b, &mut strings);
        for s in &strings {
            let unescaped_at = s
                .char_indices()
                .any(|(i, c)| c == '@' && !s[..i].ends_with('\\'));
            assert!(!unescaped_at, "bare @ in {s}");
        }
    }

    #[test]
    fn discord_caps_every_field() {
        let mut a = alert(EVENT_NEGATIVE);
        a.mention.text = "ä*".repeat(5000);
        a.mention.title = Some("😀".repeat(400));
        a.mention.author = Some("x".repeat(3000));
        let b = body(WebhookFormat::Discord, &alert_card(Language::En, &a));
        let e = &b["embeds"][0];
        let u = |v: &Value| units(v.as_str().unwrap());
        assert!(u(&b["content"]) <= DISCORD_CONTENT);
        assert!(u(&e["title"]) <= DISCORD_TITLE, "{}", u(&e["title"]));
        assert!(u(&e["description"]) <= DISCORD_DESCRIPTION);
        assert!(e["title"].as_str().unwrap().ends_with('…'));
        let mut total = u(&e["title"]) + u(&e["description"]) + u(&e["footer"]["text"]);
        for f in e["fields"].as_array().unwrap() {
            assert!(u(&f["name"]) <= DISCORD_FIELD_NAME);
            assert!(u(&f["value"]) <= DISCORD_FIELD_VALUE);
            total += u(&f["name"]) + u(&f["value"]);
        }
        assert!(total <= DISCORD_EMBED_TOTAL, "{total}");
        // Cut between characters and escapes: the description ends in whole "ä\*" pairs.
        let d = e["description"].as_str().unwrap().trim_end_matches('…');
        assert!(
            d.ends_with("ä\\*") || d.ends_with('ä'),
            "{}",
            &d[d.len() - 10..]
        );
    }

    #[test]
    fn mattermost_shape_and_mentions_broken() {
        let b = body(
            WebhookFormat::Mattermost,
            &alert_card(Language::En, &hostile()),
        );
        assert_eq!(
            b["text"],
            "#### A negative mention on trustpilot needs a human."
        );
        let att = &b["attachments"][0];
        assert_eq!(att["color"], "#b3261e");
        assert_eq!(
            att["title_link"],
            "https://www.trustpilot.com/reviews/663a1f"
        );
        let text = att["text"].as_str().unwrap();
        assert!(
            text.starts_with("@\u{200b}here \\<@\u{200b}123456\\>"),
            "{text}"
        );
        let mut strings = vec![];
        all_strings(&b, &mut strings);
        for s in &strings {
            for m in ["@here", "@channel", "@all", "@everyone"] {
                assert!(!s.contains(m), "{m} in {s}");
            }
        }
        assert!(
            att["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["title"] == "What to do")
        );
    }

    #[test]
    fn teams_shape_and_text_runs() {
        let b = body(WebhookFormat::Teams, &alert_card(Language::De, &hostile()));
        assert_eq!(b["type"], "message");
        let att = &b["attachments"][0];
        assert_eq!(
            att["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let c = &att["content"];
        assert_eq!(c["type"], "AdaptiveCard");
        assert_eq!(c["version"], "1.4");
        assert_eq!(c["actions"][0]["type"], "Action.OpenUrl");
        assert_eq!(c["actions"][0]["title"], "Bewertung öffnen");
        assert_eq!(c["body"][0]["type"], "RichTextBlock");
        assert_eq!(
            c["body"][0]["inlines"][0]["text"],
            "Eine negative Erwähnung auf trustpilot braucht Ihre Aufmerksamkeit."
        );
        // Text runs carry review text as written: Teams does not read them as markdown.
        let mut strings = vec![];
        all_strings(c, &mut strings);
        assert!(strings.iter().any(|s| s.starts_with("@here <@123456>")));
        let mut blocks = vec![];
        fn types(v: &Value, out: &mut Vec<String>) {
            if let Some(t) = v.get("type").and_then(Value::as_str) {
                out.push(t.to_string());
            }
            if let Some(a) = v.as_array() {
                a.iter().for_each(|x| types(x, out));
            }
            if let Some(o) = v.as_object() {
                o.values().for_each(|x| types(x, out));
            }
        }
        types(&c["body"], &mut blocks);
        assert!(!blocks.contains(&"TextBlock".to_string()), "{blocks:?}");
    }

    #[test]
    fn every_event_and_language_renders_in_every_chat_format() {
        let mut n = 0;
        for e in EVENTS {
            for lang in Language::ALL {
                let a = alert(e);
                let card = alert_card(lang, &a);
                for f in [
                    WebhookFormat::Slack,
                    WebhookFormat::Teams,
                    WebhookFormat::Discord,
                    WebhookFormat::Mattermost,
                ] {
                    let b = body(f, &card);
                    let mut strings = vec![];
                    all_strings(&b, &mut strings);
                    for s in strings {
                        assert!(
                            !s.contains('{') || s.contains("{\""),
                            "{e} {lang} {f:?}: unfilled {s}"
                        );
                    }
                    n += 1;
                }
            }
        }
        assert_eq!(n, 6 * 6 * 4);
    }

    #[test]
    fn digests_in_chat_formats() {
        let d = crate::alert::digest::samples::digest();
        let card = digest_card(Language::En, &d);
        let s = body(WebhookFormat::Slack, &card);
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains("New negative reviews (2)"), "{text}");
        assert!(text.contains(
            "Waited 40 minutes &lt;b&gt;for&lt;/b&gt; a table &amp; nobody @everyone cared."
        ));
        let dc = body(WebhookFormat::Discord, &card);
        let desc = dc["embeds"][0]["description"].as_str().unwrap();
        assert!(desc.contains("**Open cases, oldest first (3)**"), "{desc}");
        assert!(desc.contains("[open for 1d 23h, open\\: 1/5 ★ trustpilot\\: Never again](https://www.trustpilot.com/reviews/663a1f)"), "{desc}");
        assert!(desc.contains("nobody \\@everyone cared"));
        let mm = body(WebhookFormat::Mattermost, &card);
        assert!(mm["text"].as_str().unwrap().contains("**Response times**"));
        let tm = body(WebhookFormat::Teams, &digest_card(Language::Et, &d));
        assert!(
            serde_json::to_string(&tm)
                .unwrap()
                .contains("Reageerimisajad")
        );
        let empty = body(
            WebhookFormat::Mattermost,
            &digest_card(Language::En, &crate::alert::digest::samples::empty()),
        );
        assert!(
            empty["text"]
                .as_str()
                .unwrap()
                .contains("Nothing to report"),
            "{empty}"
        );
    }
}
