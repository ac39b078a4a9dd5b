//! Languages the classifier has lexicons for, hints, and detection.
//!
//! A hint (`lang_hint`, e.g. `de`, `de-AT`, `nl_BE`) wins. Otherwise the caller
//! first takes a cheap vote (one lookup per word: which lexicons know it); a clear
//! vote (at least four known words, twice the runner-up) decides. Otherwise
//! `whatlang` detects among the supported languages only (an allowlist), on at
//! most the first [`DETECT_MAX_BYTES`] of the text; whatlang costs about 50 µs per
//! text, which alone would cap throughput near 20,000 reviews/s. When whatlang
//! says its guess is unreliable (typical for a few words), the language whose
//! lexicon knows the most words wins (ties go to whatlang's guess).

use std::sync::LazyLock;

/// Languages with a lexicon, in a fixed order (index into the lexicon table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    De,
    Es,
    Fr,
    Nl,
    Et,
}

impl Lang {
    pub const ALL: [Lang; 6] = [Lang::En, Lang::De, Lang::Es, Lang::Fr, Lang::Nl, Lang::Et];

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Es => "es",
            Lang::Fr => "fr",
            Lang::Nl => "nl",
            Lang::Et => "et",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Parse an ISO 639-1 code, tolerating a region (`de-AT`, `nl_BE`), case and
    /// the three-letter codes whatlang and some feeds use (`deu`, `ger`).
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code
            .trim()
            .split(['-', '_', '.', '@'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        Some(match primary.as_str() {
            "en" | "eng" => Lang::En,
            "de" | "deu" | "ger" => Lang::De,
            "es" | "spa" => Lang::Es,
            "fr" | "fra" | "fre" => Lang::Fr,
            "nl" | "nld" | "dut" => Lang::Nl,
            "et" | "est" => Lang::Et,
            _ => return None,
        })
    }

    fn from_whatlang(l: whatlang::Lang) -> Option<Lang> {
        Some(match l {
            whatlang::Lang::Eng => Lang::En,
            whatlang::Lang::Deu => Lang::De,
            whatlang::Lang::Spa => Lang::Es,
            whatlang::Lang::Fra => Lang::Fr,
            whatlang::Lang::Nld => Lang::Nl,
            whatlang::Lang::Est => Lang::Et,
            _ => return None,
        })
    }
}

/// Detection looks at no more than this many bytes: enough for a confident guess,
/// and it keeps a 1 MB review as cheap as a short one.
pub const DETECT_MAX_BYTES: usize = 1024;

static DETECTOR: LazyLock<whatlang::Detector> = LazyLock::new(|| {
    whatlang::Detector::with_allowlist(vec![
        whatlang::Lang::Eng,
        whatlang::Lang::Deu,
        whatlang::Lang::Spa,
        whatlang::Lang::Fra,
        whatlang::Lang::Nld,
        whatlang::Lang::Est,
    ])
});

/// whatlang's guess among the supported languages, and whether it calls it reliable.
pub(crate) fn detect(text: &str) -> Option<(Lang, bool)> {
    let text = prefix(text, DETECT_MAX_BYTES);
    let info = DETECTOR.detect(text)?;
    Some((Lang::from_whatlang(info.lang())?, info.is_reliable()))
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
pub(crate) fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(Lang::from_code("de-AT"), Some(Lang::De));
        assert_eq!(Lang::from_code(" NL_be "), Some(Lang::Nl));
        assert_eq!(Lang::from_code("est"), Some(Lang::Et));
        assert_eq!(Lang::from_code("it"), None);
        assert_eq!(Lang::from_code(""), None);
    }

    #[test]
    fn detects_clear_text() {
        let (l, _) = detect(
            "Das Paket kam nach zwei Wochen völlig zerdrückt an und die Maschine war kaputt.",
        )
        .unwrap();
        assert_eq!(l, Lang::De);
        let (l, _) = detect(
            "Tellisin kohvimasina, pakk jõudis kohale mõlkis ja masin ei lülitunud üldse sisse.",
        )
        .unwrap();
        assert_eq!(l, Lang::Et);
    }

    #[test]
    fn prefix_respects_char_boundaries() {
        assert_eq!(prefix("ääää", 3), "ä");
        assert_eq!(prefix("abc", 10), "abc");
    }
}
