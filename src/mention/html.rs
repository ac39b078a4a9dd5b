//! HTML fragments to plain text.
//!
//! Feed fields typed as HTML (Atom `type="html"`, RSS descriptions, Mastodon status
//! bodies) are turned into plain text by a small single-pass scanner that follows the
//! HTML tokenizer's rules for what is a tag, a comment or a character reference
//! (entity table from html5ever), without building a DOM. It runs on every feed entry,
//! so it is written for speed: text runs are copied as slices, and inputs without `<`
//! or `&` skip the scan entirely.

use html5ever::data::{C1_REPLACEMENTS, NAMED_ENTITIES};

/// Longest entity name in the HTML table (`CounterClockwiseContourIntegral;`).
const MAX_ENTITY_NAME: usize = 32;

/// Turn an HTML fragment into plain text: tags removed, entities decoded, script and
/// style content dropped, block boundaries kept as spaces, whitespace folded.
///
/// Never panics; text that merely looks like markup (`a < b`, `<3`) is kept, as a
/// browser would show it.
pub fn html_to_text(html: &str) -> String {
    if !html.contains(['<', '&']) {
        return super::fold_whitespace(html);
    }
    let mut out = String::with_capacity(html.len());
    let b = html.as_bytes();
    let mut i = 0;
    let mut run = 0; // start of the pending text run
    while i < b.len() {
        match b[i] {
            b'&' => {
                out.push_str(&html[run..i]);
                i += decode_reference(&html[i..], &mut out);
                run = i;
            }
            b'<' => {
                let Some((tag, end)) = markup(html, i) else {
                    i += 1; // a literal '<'
                    continue;
                };
                out.push_str(&html[run..i]);
                i = end;
                if let Some(t) = tag.as_ref().filter(|t| t.start) {
                    let name = t.name();
                    match content_model(name) {
                        Content::Normal => {}
                        Content::Dropped => i = skip_to_end_tag(html, i, name).1,
                        Content::Text => {
                            let (text_end, after) = skip_to_end_tag(html, i, name);
                            out.push(' ');
                            decode_all(&html[i..text_end], &mut out);
                            i = after;
                        }
                        Content::Plaintext => {
                            out.push(' ');
                            out.push_str(&html[i..]);
                            i = html.len();
                        }
                    }
                }
                if tag.as_ref().is_some_and(|t| is_boundary(t.name())) {
                    out.push(' ');
                }
                run = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&html[run.min(html.len())..]);
    super::fold_whitespace(&out)
}

/// A tag's lowercased name, kept inline (no allocation per tag). Names longer than
/// any element we treat specially are stored empty.
struct Tag {
    buf: [u8; 12],
    len: usize,
    start: bool,
}

impl Tag {
    fn new(raw: &[u8], start: bool) -> Self {
        let mut buf = [0u8; 12];
        let len = if raw.len() <= buf.len() { raw.len() } else { 0 };
        for (dst, src) in buf.iter_mut().zip(&raw[..len]) {
            *dst = src.to_ascii_lowercase();
        }
        Tag { buf, len, start }
    }

    fn name(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// What `<` at `at` opens: `Some((Some(tag), end))` for a tag, `Some((None, end))` for
/// a comment or other ignorable markup, `None` when the `<` is just text. `end` is the
/// index after the markup (the input's end when it is not closed).
fn markup(html: &str, at: usize) -> Option<(Option<Tag>, usize)> {
    let b = html.as_bytes();
    let next = *b.get(at + 1)?;
    match next {
        c if c.is_ascii_alphabetic() => {
            let (name, end) = tag_body(html, at + 1);
            Some((Some(Tag::new(name, true)), end))
        }
        b'/' => match b.get(at + 2) {
            Some(c) if c.is_ascii_alphabetic() => {
                let (name, end) = tag_body(html, at + 2);
                Some((Some(Tag::new(name, false)), end))
            }
            Some(b'>') => Some((None, at + 3)),
            // `</` at the very end is text; `</ x>` is a bogus comment.
            None => None,
            Some(_) => Some((None, find_from(b, at + 2, b">").map_or(b.len(), |p| p + 1))),
        },
        b'!' => {
            if b[at..].starts_with(b"<!--") {
                let body = at + 4;
                // `<!-->` and `<!--->` are (empty) comments too.
                for short in [&b"<!-->"[..], b"<!--->"] {
                    if b[at..].starts_with(short) {
                        return Some((None, at + short.len()));
                    }
                }
                Some((None, find_from(b, body, b"-->").map_or(b.len(), |p| p + 3)))
            } else {
                Some((None, find_from(b, at + 2, b">").map_or(b.len(), |p| p + 1)))
            }
        }
        b'?' => Some((None, find_from(b, at + 2, b">").map_or(b.len(), |p| p + 1))),
        _ => None,
    }
}

/// Read a tag from its name at `from` to its `>`, honouring quoted attribute values.
fn tag_body(html: &str, from: usize) -> (&[u8], usize) {
    let b = html.as_bytes();
    let name_end = b[from..]
        .iter()
        .position(|c| c.is_ascii_whitespace() || *c == b'/' || *c == b'>')
        .map_or(b.len(), |p| from + p);
    let name = &b[from..name_end];
    let mut i = name_end;
    let mut after_eq = false;
    while i < b.len() {
        match b[i] {
            b'>' => return (name, i + 1),
            q @ (b'"' | b'\'') if after_eq => {
                i = find_from(b, i + 1, &[q]).map_or(b.len(), |p| p + 1);
                after_eq = false;
                continue;
            }
            b'=' => after_eq = true,
            c if c.is_ascii_whitespace() => {}
            _ => after_eq = false,
        }
        i += 1;
    }
    // EOF inside a tag: the tag is dropped, and so is the rest.
    (name, b.len())
}

enum Content {
    Normal,
    /// Raw text that is never shown (script, style...).
    Dropped,
    /// Text-only elements: entities decoded, no tags inside.
    Text,
    Plaintext,
}

fn content_model(name: &str) -> Content {
    match name {
        "script" | "style" | "iframe" | "noembed" | "noframes" | "xmp" | "template" => {
            Content::Dropped
        }
        "title" | "textarea" => Content::Text,
        "plaintext" => Content::Plaintext,
        _ => Content::Normal,
    }
}

/// From `from`, find `</name` (any case) followed by whitespace, `/` or `>`. Returns
/// (index of `</`, index after the end tag); both the input's end when absent.
fn skip_to_end_tag(html: &str, from: usize, name: &str) -> (usize, usize) {
    let b = html.as_bytes();
    let n = name.len();
    let mut i = from;
    while let Some(p) = find_from(b, i, b"</") {
        let name_at = p + 2;
        let matches = b
            .get(name_at..name_at + n)
            .is_some_and(|s| s.eq_ignore_ascii_case(name.as_bytes()));
        let delimited = matches!(
            b.get(name_at + n),
            None | Some(b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>')
        );
        if matches && delimited {
            let end = find_from(b, name_at + n, b">").map_or(b.len(), |q| q + 1);
            return (p, end);
        }
        i = p + 2;
    }
    (b.len(), b.len())
}

fn find_from(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= hay.len() || needle.is_empty() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// Decode every character reference in `s` into `out`.
fn decode_all(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        let used = decode_reference(&rest[p..], out);
        rest = &rest[p + used..];
    }
    out.push_str(rest);
}

/// `s` starts with `&`. Push its decoding (or the literal `&`) and return the bytes
/// used. Follows the HTML rules for text content: numeric references with or without
/// `;`, named ones with `;`, and the legacy names (`&amp`, `&nbsp`...) without it.
fn decode_reference(s: &str, out: &mut String) -> usize {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let (hex, digits_at) = match b.get(2) {
            Some(b'x' | b'X') => (true, 3),
            _ => (false, 2),
        };
        let len = b[digits_at.min(b.len())..]
            .iter()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count();
        if len == 0 {
            out.push('&');
            return 1;
        }
        let digits = &s[digits_at..digits_at + len];
        let code = u32::from_str_radix(digits, if hex { 16 } else { 10 }).unwrap_or(u32::MAX);
        out.push(numeric_char(code));
        let end = digits_at + len;
        return if b.get(end) == Some(&b';') {
            end + 1
        } else {
            end
        };
    }
    let name_len = b[1..]
        .iter()
        .take(MAX_ENTITY_NAME + 1)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if name_len == 0 {
        out.push('&');
        return 1;
    }
    if b.get(1 + name_len) == Some(&b';')
        && let Some(&(c1, c2)) = NAMED_ENTITIES.get(&s[1..name_len + 2]).filter(|e| e.0 != 0)
    {
        push_entity(out, c1, c2);
        return name_len + 2;
    }
    // Legacy names work without `;`: the longest one that prefixes the run.
    for len in (2..=name_len.min(6)).rev() {
        // The table also holds every name prefix, mapped to (0, 0): skip those.
        if let Some(&(c1, c2)) = NAMED_ENTITIES.get(&s[1..1 + len]).filter(|e| e.0 != 0) {
            push_entity(out, c1, c2);
            return 1 + len;
        }
    }
    out.push('&');
    1
}

fn push_entity(out: &mut String, c1: u32, c2: u32) {
    for c in [c1, c2] {
        if let Some(ch) = char::from_u32(c).filter(|_| c != 0) {
            out.push(ch);
        }
    }
}

fn numeric_char(code: u32) -> char {
    match code {
        0 => '\u{fffd}',
        // Windows-1252 bytes written as references (`&#150;` for a dash).
        0x80..=0x9f => C1_REPLACEMENTS[(code - 0x80) as usize].unwrap_or('\u{fffd}'),
        _ => char::from_u32(code).unwrap_or('\u{fffd}'),
    }
}

/// Elements that end a run of words: their boundaries become whitespace.
fn is_boundary(name: &str) -> bool {
    matches!(
        name,
        "p" | "br"
            | "div"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "tr"
            | "td"
            | "th"
            | "table"
            | "thead"
            | "tbody"
            | "caption"
            | "blockquote"
            | "pre"
            | "hr"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "nav"
            | "aside"
            | "main"
            | "figure"
            | "figcaption"
            | "address"
            | "details"
            | "summary"
            | "form"
            | "fieldset"
            | "legend"
            | "option"
            | "img"
            | "title"
            | "textarea"
            | "script"
            | "style"
    )
}

#[cfg(test)]
mod tests {
    use super::html_to_text;

    #[test]
    fn plain_text_is_only_folded() {
        assert_eq!(html_to_text("  hello \n\t world  "), "hello world");
        assert_eq!(html_to_text(""), "");
    }

    #[test]
    fn tags_are_removed() {
        assert_eq!(
            html_to_text("<b>Slack</b> Stock rises"),
            "Slack Stock rises"
        );
        assert_eq!(html_to_text("a<i>b</i>c"), "abc");
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            html_to_text("senior&nbsp;... Company&#39;s &amp; &lt;b&gt; &euro; &#x27;x&#x27;"),
            "senior ... Company's & <b> € 'x'"
        );
        // Missing semicolon on a legacy entity, as browsers do.
        assert_eq!(html_to_text("fish &amp chips"), "fish & chips");
        // Unknown entities stay literal.
        assert_eq!(html_to_text("&lol9;"), "&lol9;");
    }

    #[test]
    fn script_and_style_are_dropped() {
        assert_eq!(
            html_to_text(
                "before<script>alert('<b>x</b>')</script>after<style>p{color:red}</style>end"
            ),
            "before after end"
        );
        assert_eq!(html_to_text("a<script>never closed"), "a");
    }

    #[test]
    fn escaped_markup_stays_text() {
        assert_eq!(
            html_to_text("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "<script>alert(1)</script>"
        );
    }

    #[test]
    fn block_elements_separate_words() {
        assert_eq!(
            html_to_text(
                "<p>one</p><p>two</p>three<br>four<div>five</div><ul><li>six</li><li>seven</li></ul><h2>eight</h2>"
            ),
            "one two three four five six seven eight"
        );
    }

    #[test]
    fn text_that_looks_like_markup_survives() {
        assert_eq!(html_to_text("a < b and c<3"), "a < b and c<3");
        assert_eq!(html_to_text("x <!-- hidden --> y"), "x y");
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        for s in [
            "<",
            "&",
            "<<<<",
            "&&&#",
            "&#xFFFFFFFF;",
            "&#0;",
            "<a href='",
            "<!--",
            "<![CDATA[x",
            "</>",
            "<\u{0}>",
            "\u{feff}<p>",
            "<title>x",
            "<textarea><b>x</b>",
            "<plaintext>x",
        ] {
            let _ = html_to_text(s);
        }
        assert_eq!(html_to_text("<textarea><b>x</b></textarea>"), "<b>x</b>");
        assert_eq!(html_to_text("<title>a &amp; b</title>c"), "a & b c");
        assert_eq!(html_to_text("a<plaintext><b>x"), "a <b>x");
        assert_eq!(html_to_text("a<!-- x"), "a");
        assert_eq!(html_to_text("a<b title='x>y' class=\"p>q\">b</b>"), "ab");
        assert_eq!(html_to_text("a<SCRIPT type=x>1</Script >b"), "a b");
        assert_eq!(html_to_text("a<b"), "a");
        assert_eq!(html_to_text("a</"), "a</");
        assert_eq!(html_to_text("&#150;&#x41;&#65&#xZ;&#;"), "–AA&#xZ;&#;");
        assert_eq!(html_to_text("&ampx &notit; &copy2026"), "&x ¬it; ©2026");
    }

    #[test]
    fn random_markup_soup_does_not_panic() {
        let alphabet: Vec<char> = "<>&;#xX/!-?'\"= \tabsciptyleämp0123456789\u{1F600}"
            .chars()
            .collect();
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            let len = (seed % 24) as usize;
            let s: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            let _ = html_to_text(&s);
        }
    }

    #[test]
    fn fifty_thousand_entries_are_fast() {
        let entry = "In the run up to the IPO for &lt;b&gt;Slack&lt;/b&gt; Technologies Inc \
                     (NYSE:WORK), much of the news <b>coverage</b> centered on the Company&#39;s \
                     decision to go public via&nbsp;...";
        let start = std::time::Instant::now();
        let mut n = 0;
        for _ in 0..50_000 {
            n += html_to_text(entry).len();
        }
        let took = start.elapsed();
        assert!(n > 0);
        // Generous even for debug builds; release takes a fraction of this.
        eprintln!("html_to_text x 50k: {took:?}");
        assert!(took.as_secs() < 20, "took {took:?}");
    }
}
