//! Normalization and tokenization for the lexicon classifier.
//!
//! Every token is lowercased and folded (diacritics removed, `ß` → `ss`), so
//! `ENTTÄUSCHT`, `enttäuscht` and `enttauscht` look up the same entry. Runs of three
//! or more equal letters are remembered (`soooo`), and lookups try the collapsed
//! forms. Emoji are single-code-point tokens; emoticons (`:-(`) are whole
//! whitespace-separated chunks. Punctuation ends clauses (`,` `;` `:`) and
//! sentences (`.` `!` `?` newline), which bound negation scope and phrase matches.
//!
//! Folded token text lives in one shared `String` per review (one allocation), and
//! each token keeps its byte range in the original text for the reasons.

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Title,
    Body,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    /// An emoji or emoticon; looked up in the language-independent table.
    Symbol,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: Kind,
    pub part: Part,
    /// Byte range of the folded form in [`Tokens::folded`].
    pub norm: (u32, u32),
    /// Byte range in the original title or body.
    pub orig: (u32, u32),
    /// Sentence number (increases at `.`, `!`, `?`, newline and between title and body).
    pub sentence: u32,
    /// Clause number (increases at every sentence end and at `,`, `;`, `:`, brackets, dashes).
    pub clause: u32,
    /// Written in capitals (at least two letters, none lower case).
    pub caps: bool,
    /// Contains a run of three or more equal letters.
    pub elongated: bool,
    /// Only digits.
    pub numeric: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Tokens {
    pub folded: String,
    pub toks: Vec<Token>,
}

impl Tokens {
    pub fn norm(&self, t: &Token) -> &str {
        self.folded
            .get(t.norm.0 as usize..t.norm.1 as usize)
            .unwrap_or("")
    }
}

/// Append the folded, lower-case form of `c` to `out`.
pub(crate) fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    for l in c.to_lowercase() {
        match l {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => out.push('a'),
            'æ' => out.push_str("ae"),
            'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => out.push('c'),
            'ď' | 'đ' => out.push('d'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => out.push('e'),
            'ğ' | 'ĝ' | 'ġ' | 'ģ' => out.push('g'),
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => out.push('i'),
            'ķ' => out.push('k'),
            'ĺ' | 'ļ' | 'ľ' | 'ł' => out.push('l'),
            'ñ' | 'ń' | 'ņ' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => out.push('o'),
            'œ' => out.push_str("oe"),
            'ŕ' | 'ř' => out.push('r'),
            'ś' | 'š' | 'ş' | 'ș' => out.push('s'),
            'ß' => out.push_str("ss"),
            'ť' | 'ţ' | 'ț' => out.push('t'),
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            // Combining diacritical marks (decomposed input): drop.
            '\u{0300}'..='\u{036f}' => {}
            other => out.push(other),
        }
    }
}

/// Fold a whole string (used for lexicon keys, so they match tokens).
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// Collapse runs of three or more equal characters to `keep` (1 or 2) characters.
pub(crate) fn collapse_runs(s: &str, keep: usize) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut j = i;
        while j < chars.len() && chars[j] == c {
            j += 1;
        }
        let len = j - i;
        let n = if len >= 3 { keep.min(len) } else { len };
        for _ in 0..n {
            out.push(c);
        }
        i = j;
    }
    out
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '‘' | '`' | '´')
}

fn is_sentence_end(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '\n' | '\r' | '…' | '¡' | '¿' | '。' | '！' | '？'
    )
}

fn is_clause_end(c: char) -> bool {
    matches!(
        c,
        ',' | ';'
            | ':'
            | '('
            | ')'
            | '['
            | ']'
            | '–'
            | '—'
            | '/'
            | '|'
            | '"'
            | '„'
            | '“'
            | '”'
            | '«'
            | '»'
    )
}

/// Is `c` possibly an emoji or pictograph (looked up in the symbol table)?
fn maybe_symbol(c: char) -> bool {
    let u = c as u32;
    (0x2190..=0x2bff).contains(&u) || (0x1f000..=0x1faff).contains(&u) || u == 0x2764 || u == 0x2665
}

struct Builder<'a> {
    out: &'a mut Tokens,
    part: Part,
    sentence: u32,
    clause: u32,
}

impl Builder<'_> {
    fn sentence_break(&mut self) {
        if self
            .out
            .toks
            .last()
            .is_some_and(|t| t.sentence == self.sentence)
        {
            self.sentence += 1;
            self.clause += 1;
        }
    }

    fn clause_break(&mut self) {
        if self
            .out
            .toks
            .last()
            .is_some_and(|t| t.clause == self.clause)
        {
            self.clause += 1;
        }
    }

    fn push(
        &mut self,
        kind: Kind,
        norm_start: usize,
        orig: (usize, usize),
        caps: bool,
        elongated: bool,
        numeric: bool,
    ) {
        let norm_end = self.out.folded.len();
        if norm_end == norm_start {
            return;
        }
        self.out.toks.push(Token {
            kind,
            part: self.part,
            norm: (sat(norm_start), sat(norm_end)),
            orig: (sat(orig.0), sat(orig.1)),
            sentence: self.sentence,
            clause: self.clause,
            caps,
            elongated,
            numeric,
        });
    }
}

fn sat(x: usize) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// Tokenize `text` (a title or body) and append to `out`. Inputs longer than
/// `u32::MAX` bytes are never passed (the caller caps the text).
pub(crate) fn tokenize_into(
    text: &str,
    part: Part,
    out: &mut Tokens,
    is_symbol: &dyn Fn(&str) -> bool,
) {
    let (sentence, clause) = out
        .toks
        .last()
        .map(|t| (t.sentence + 1, t.clause + 1))
        .unwrap_or((0, 0));
    let mut b = Builder {
        out,
        part,
        sentence,
        clause,
    };
    let bytes_len = text.len();
    // Split on whitespace first so emoticons can be recognized as whole chunks.
    let mut iter = text.char_indices().peekable();
    while let Some(&(i, c)) = iter.peek() {
        if c.is_whitespace() {
            if c == '\n' || c == '\r' {
                b.sentence_break();
            }
            iter.next();
            continue;
        }
        // Find the chunk end.
        let end = text[i..]
            .find(char::is_whitespace)
            .map(|e| i + e)
            .unwrap_or(bytes_len);
        let chunk = &text[i..end];
        if chunk.len() <= 8 && chunk.bytes().any(|x| x.is_ascii_punctuation()) {
            let trimmed = chunk.trim_end_matches(['.', ',', '!', '?']);
            let lower = trimmed.to_ascii_lowercase();
            if !lower.is_empty() && lower.len() >= 2 && is_symbol(&lower) {
                let start = b.out.folded.len();
                b.out.folded.push_str(&lower);
                b.push(
                    Kind::Symbol,
                    start,
                    (i, i + trimmed.len()),
                    false,
                    false,
                    false,
                );
                if trimmed.len() < chunk.len() {
                    b.sentence_break();
                }
                // Skip the chunk.
                while iter.peek().is_some_and(|&(j, _)| j < end) {
                    iter.next();
                }
                continue;
            }
        }
        words_in_chunk(&mut b, text, i, end, is_symbol);
        while iter.peek().is_some_and(|&(j, _)| j < end) {
            iter.next();
        }
    }
    b.sentence_break();
}

fn words_in_chunk(
    b: &mut Builder<'_>,
    text: &str,
    start: usize,
    end: usize,
    is_symbol: &dyn Fn(&str) -> bool,
) {
    let chunk = &text[start..end];
    let mut word: Option<WordState> = None;
    let mut chars = chunk.char_indices().peekable();
    while let Some((off, c)) = chars.next() {
        let pos = start + off;
        if c.is_alphanumeric() || ('\u{0300}'..='\u{036f}').contains(&c) {
            let w = word.get_or_insert_with(|| WordState::new(b.out.folded.len(), pos));
            w.add(c, &mut b.out.folded);
            w.orig_end = pos + c.len_utf8();
            continue;
        }
        // English contraction "n't": join ("don't" → "dont"); other apostrophes split.
        if is_apostrophe(c) && word.is_some() {
            let next = chars.peek().map(|&(_, n)| n);
            let after = chunk[off..].chars().nth(2);
            if matches!(next, Some('t' | 'T')) && !after.is_some_and(char::is_alphanumeric) {
                continue;
            }
        }
        if let Some(w) = word.take() {
            w.finish(b);
        }
        if is_sentence_end(c) {
            b.sentence_break();
        } else if is_clause_end(c) {
            b.clause_break();
        } else if maybe_symbol(c) {
            let mut s = [0u8; 4];
            let e = c.encode_utf8(&mut s);
            if is_symbol(e) {
                let ns = b.out.folded.len();
                b.out.folded.push_str(e);
                b.push(
                    Kind::Symbol,
                    ns,
                    (pos, pos + c.len_utf8()),
                    false,
                    false,
                    false,
                );
            }
        }
    }
    if let Some(w) = word.take() {
        w.finish(b);
    }
}

struct WordState {
    norm_start: usize,
    orig_start: usize,
    orig_end: usize,
    upper: usize,
    lower: usize,
    digits: usize,
    last: Option<char>,
    run: usize,
    elongated: bool,
}

impl WordState {
    fn new(norm_start: usize, orig_start: usize) -> Self {
        WordState {
            norm_start,
            orig_start,
            orig_end: orig_start,
            upper: 0,
            lower: 0,
            digits: 0,
            last: None,
            run: 0,
            elongated: false,
        }
    }

    fn add(&mut self, c: char, folded: &mut String) {
        if c.is_uppercase() {
            self.upper += 1;
        } else if c.is_lowercase() {
            self.lower += 1;
        } else if c.is_numeric() {
            self.digits += 1;
        }
        let lc = c.to_lowercase().next().unwrap_or(c);
        if Some(lc) == self.last {
            self.run += 1;
            if self.run >= 3 && c.is_alphabetic() {
                self.elongated = true;
            }
        } else {
            self.last = Some(lc);
            self.run = 1;
        }
        fold_char(c, folded);
    }

    fn finish(self, b: &mut Builder<'_>) {
        let caps = self.upper >= 2 && self.lower == 0;
        let numeric = self.upper + self.lower == 0 && self.digits > 0;
        b.push(
            Kind::Word,
            self.norm_start,
            (self.orig_start, self.orig_end),
            caps,
            self.elongated,
            numeric,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        let mut t = Tokens::default();
        tokenize_into(s, Part::Body, &mut t, &|x| x == ":(" || x == "😡");
        t.toks.iter().map(|k| t.norm(k).to_string()).collect()
    }

    #[test]
    fn folds_case_and_diacritics() {
        assert_eq!(
            words("ENTTÄUSCHT, Straße! Café"),
            ["enttauscht", "strasse", "cafe"]
        );
        assert_eq!(words("jõudis kohale"), ["joudis", "kohale"]);
    }

    #[test]
    fn contractions_and_elisions() {
        assert_eq!(words("don't isn’t"), ["dont", "isnt"]);
        assert_eq!(
            words("n'envoient l'article"),
            ["n", "envoient", "l", "article"]
        );
    }

    #[test]
    fn emoji_and_emoticons() {
        assert_eq!(words("bad :( 😡😡 ok"), ["bad", ":(", "😡", "😡", "ok"]);
    }

    #[test]
    fn collapse() {
        assert_eq!(collapse_runs("soooo", 1), "so");
        assert_eq!(collapse_runs("goooood", 2), "good");
        assert_eq!(collapse_runs("Kaffee", 1), "Kaffee");
    }
}
