//! Plain-text helpers for structured data: values are text, not markup, so only
//! character references are decoded (a reviewer's literal `<script>` stays text).

use crate::mention::{cut, fold_whitespace};

/// Longest entity name in the HTML table (`&CounterClockwiseContourIntegral;`).
const MAX_ENTITY_LEN: usize = 33;

/// Decode HTML character references (`&amp;`, `&#39;`, `&#x27;`, `&auml;`...) when
/// present; tags are left alone. Unknown or malformed references stay literal.
pub(crate) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        match decode_one(rest) {
            Some((decoded, used)) => {
                out.push_str(&decoded);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `s` starts with '&'. The decoded text and the bytes consumed, if it is a reference.
fn decode_one(s: &str) -> Option<(String, usize)> {
    let window = &s[1..];
    let semi = window
        .char_indices()
        .take(MAX_ENTITY_LEN + 1)
        .find(|(_, c)| *c == ';')?
        .0;
    let name = &window[..semi];
    let used = 1 + semi + 1;
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        let c = match code {
            0 => '\u{fffd}',
            // Windows-1252 bytes written as numeric references (&#150; for a dash).
            0x80..=0x9f => {
                html5ever::data::C1_REPLACEMENTS[(code - 0x80) as usize].unwrap_or('\u{fffd}')
            }
            _ => char::from_u32(code).unwrap_or('\u{fffd}'),
        };
        return Some((c.to_string(), used));
    }
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let key = &s[1..used];
    // The table also maps every name prefix to (0, 0).
    let &(a, b) = html5ever::data::NAMED_ENTITIES
        .get(key)
        .filter(|e| e.0 != 0)?;
    let mut decoded = String::new();
    decoded.push(char::from_u32(a)?);
    if b != 0 {
        decoded.push(char::from_u32(b)?);
    }
    Some((decoded, used))
}

/// Plain text value: entities decoded, whitespace folded, capped.
pub(crate) fn plain(s: &str, max: usize) -> String {
    let s = cut(s, 8 * max);
    let text = fold_whitespace(&decode_entities(s));
    cut(&text, max).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_references_only() {
        assert_eq!(
            decode_entities("doesn&#x27;t &amp; &lt;script&gt; &auml;&#228;&#150; <b>x</b>"),
            "doesn't & <script> ää– <b>x</b>"
        );
        assert_eq!(
            decode_entities("a & b &unknown; &#xZZ; &;&#;"),
            "a & b &unknown; &#xZZ; &;&#;"
        );
        assert_eq!(decode_entities("&#1114112;&#0;"), "\u{fffd}\u{fffd}");
        assert_eq!(decode_entities("trailing &"), "trailing &");
        assert_eq!(decode_entities("ü&amp"), "ü&amp");
    }

    #[test]
    fn plain_folds_and_caps() {
        assert_eq!(plain("  a \n b&nbsp;c ", 100), "a b c");
        assert_eq!(plain("ääää", 3), "ä");
    }
}
