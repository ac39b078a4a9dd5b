//! Recognize the pages that come back instead of content: cookie-consent
//! interstitials, login forms, bot checks and plain HTML error pages served 200.
//!
//! Used by the feed source (any HTML is wrong there) and the JSON-LD source (an HTML
//! page without review markup is only an error when it is one of these walls).

/// How much of a document is inspected. Walls put their markers near the top.
const SNIFF_BYTES: usize = 64 * 1024;

/// True when the document starts like HTML (after a BOM, whitespace and comments).
pub(crate) fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = lower(&head[start..]);
    head.starts_with("<!doctype html") || head.starts_with("<html") || {
        // `<?xml ...?>` or a comment first, then `<html`: look a bit further.
        !head.contains("<rss")
            && !head.contains("<feed")
            && !head.contains("<rdf")
            && head.contains("<html")
    }
}

/// If `html` is a consent, login or bot-check page, a short reason saying which.
pub(crate) fn wall_reason(html: &str) -> Option<&'static str> {
    let head = lower(
        html.as_bytes()
            .get(..html.len().min(SNIFF_BYTES))
            .unwrap_or_default(),
    );
    let has = |needle: &str| head.contains(needle);
    if has("consent.") || (has("consent") && has("<form") && has("cookie")) || has("cookie-wall") {
        return Some("cookie-consent page");
    }
    if has("captcha") || has("cf-chl") || has("are you a robot") || has("unusual traffic") {
        return Some("bot check / captcha page");
    }
    if has("type=\"password\"") || has("type='password'") || has("type=password") {
        return Some("login page");
    }
    None
}

/// Why an HTML page is not the feed we asked for: a wall, or an HTML page with its
/// title (and the feed it advertises, when it links one).
pub(crate) fn html_instead_of_feed(html: &str) -> String {
    if let Some(reason) = wall_reason(html) {
        return format!("{reason} instead of a feed");
    }
    let doc = scraper::Html::parse_document(html);
    let title = scraper::Selector::parse("title")
        .ok()
        .and_then(|s| doc.select(&s).next())
        .map(|t| crate::mention::html_to_text(&t.inner_html()))
        .filter(|t| !t.is_empty());
    let advertised = scraper::Selector::parse(
        r#"link[rel~="alternate"][type="application/rss+xml"], link[rel~="alternate"][type="application/atom+xml"]"#,
    )
    .ok()
    .and_then(|s| doc.select(&s).find_map(|l| l.value().attr("href").map(str::to_owned)));
    let mut reason = String::from("HTML page instead of a feed");
    if let Some(title) = title {
        let title: String = title.chars().take(120).collect();
        reason.push_str(&format!(" (title {title:?})"));
    }
    if let Some(href) = advertised {
        let href: String = href.chars().take(300).collect();
        reason.push_str(&format!("; it advertises a feed at {href}"));
    }
    reason
}

fn lower(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_ascii_lowercase()
}
