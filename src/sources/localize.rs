//! Ratings and dates as review pages print them, in the languages reviewradar meets:
//! "1,0 von 5 Sternen", "★★☆☆☆", "Rezension aus Deutschland vom 3. März 2026",
//! "hace 2 días".
//!
//! Both entry points are pure and bounded: they read at most [`MAX_INPUT`] bytes of
//! their input, never panic, and answer `None` rather than guess.
//!
//! Month names and relative-date words are known for de, en, es, fr, nl, it, pt, pl,
//! et, sv, da and fi. Month names are looked up in one table for all languages (no
//! name means a different month in two of them); relative words are restricted to the
//! given language when it is one of these, else every language is tried.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeDelta, Utc};

use crate::mention::{cut, fold_whitespace};

/// Bytes of input read; a rating or date label is far shorter.
pub const MAX_INPUT: usize = 512;
/// Tokens read from one input (bounds the pattern search).
const MAX_TOKENS: usize = 128;
/// Start positions tried when a strftime format is searched inside prose.
const MAX_FORMAT_STARTS: usize = 64;
/// The highest scale a rating may have ("87/100").
const MAX_SCALE: f64 = 100.0;

// ---------------------------------------------------------------------------------
// Ratings
// ---------------------------------------------------------------------------------

/// The rating in `s` and, when the text states it, the top of the scale.
///
/// * "1,0 von 5 Sternen", "4.0 out of 5 stars", "3,0 sur 5 étoiles", "Rated 4 out of
///   5", "4/5", "8/10", "4 tärni 5-st": `(rating, Some(max))`. The first number
///   followed by a connector word (von, of, out of, de, sur, van, su, di, z, av, af…,
///   star words ignored) or `/` and a second number; or a second number with the
///   Estonian/Finnish elative ending ("5-st", "5:stä").
/// * "4,5", "2 stars": `(rating, None)`; "80 %": `(80, Some(100))`.
/// * "★★☆☆☆": the filled stars (half stars count ½); the maximum is the number of
///   star glyphs when empty or half stars show it, else unknown.
///
/// Decimal comma or dot. `None` when no rating is found, or when it is negative, above
/// its maximum, or above 100.
pub fn rating_from_text(s: &str) -> Option<(f64, Option<f64>)> {
    let s = cut(s, MAX_INPUT);
    let lower = s.to_lowercase();
    let nums = numbers(&lower);
    for pair in nums.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let between = &lower[a.end..b.start];
        let after = &lower[b.end..];
        let scale =
            is_connector(between) || (strip_star_words(between).is_empty() && has_elative(after));
        if scale {
            // "7 von 5" contradicts itself: no rating rather than a guess.
            let valid = b.value > 0.0 && b.value <= MAX_SCALE && a.value <= b.value;
            return valid.then_some((a.value, Some(b.value)));
        }
    }
    if let Some(first) = nums.first() {
        if first.value > MAX_SCALE {
            return None;
        }
        let percent = lower[first.end..].trim_start().starts_with('%');
        return Some((first.value, percent.then_some(100.0)));
    }
    star_glyphs(s)
}

struct Number {
    value: f64,
    start: usize,
    end: usize,
}

/// ASCII numbers with an optional decimal part (`4`, `4.5`, `4,5`), at most 32.
fn numbers(s: &str) -> Vec<Number> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() && out.len() < 32 {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i + 1 < b.len() && matches!(b[i], b'.' | b',') && b[i + 1].is_ascii_digit() {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        // Only ASCII was consumed, so these are char boundaries.
        let text = s[start..i].replace(',', ".");
        if let Ok(value) = text.parse::<f64>()
            && value.is_finite()
        {
            out.push(Number {
                value,
                start,
                end: i,
            });
        }
    }
    out
}

/// Words that join a rating to its scale: "4 von 5", "4 out of 5", "4 / 5".
const CONNECTORS: &[&str] = &[
    "/", "of", "out of", "von", "aus", "de", "sur", "van", "uit", "su", "di", "z", "na", "av",
    "af", "ud af", "från", "sobre", "em", "из",
];

/// Words naming the unit, ignored between the numbers ("4 stars out of 5").
#[rustfmt::skip]
const STAR_WORDS: &[&str] = &[
    "star", "stars", "stern", "sterne", "sternen", "estrella", "estrellas", "étoile",
    "étoiles", "etoile", "etoiles", "ster", "sterren", "stella", "stelle", "estrela",
    "estrelas", "gwiazdka", "gwiazdki", "gwiazdek", "täht", "tähte", "tärn", "tärni",
    "tähteä", "tähti", "stjärna", "stjärnor", "stjerne", "stjerner", "point", "points",
    "punkt", "punkte", "punkten", "punto", "puntos", "punti", "ponto", "pontos",
];

/// `between` without star words and punctuation other than `/`, words joined by one
/// space.
fn strip_star_words(between: &str) -> String {
    let mut words: Vec<&str> = Vec::new();
    for w in between.split(|c: char| !(c.is_alphanumeric() || c == '/')) {
        for part in split_slash(w) {
            if !part.is_empty() && !STAR_WORDS.contains(&part) {
                words.push(part);
            }
        }
    }
    words.join(" ")
}

/// "stars/" → ["stars", "/"].
fn split_slash(w: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = w;
    while let Some(i) = rest.find('/') {
        out.push(&rest[..i]);
        out.push("/");
        rest = &rest[i + 1..];
    }
    out.push(rest);
    out
}

fn is_connector(between: &str) -> bool {
    let words = strip_star_words(between);
    CONNECTORS.contains(&words.as_str())
}

/// Estonian "5-st", "5st" and Finnish "5:stä", "5:sta" ("out of five").
fn has_elative(after: &str) -> bool {
    let a = after.strip_prefix(['-', ':']).unwrap_or(after);
    let ending = a.split(|c: char| !c.is_alphabetic()).next().unwrap_or("");
    matches!(ending, "st" | "stä" | "sta")
}

const FILLED_STARS: &[char] = &['★', '⭐', '🌟', '✭', '✮', '✯'];
const HALF_STARS: &[char] = &['⯨', '⯩', '⯪', '⯫'];
const EMPTY_STARS: &[char] = &['☆', '✩', '✰'];

fn star_glyphs(s: &str) -> Option<(f64, Option<f64>)> {
    let (mut filled, mut half, mut empty) = (0u32, 0u32, 0u32);
    for c in s.chars() {
        if FILLED_STARS.contains(&c) {
            filled += 1;
        } else if HALF_STARS.contains(&c) {
            half += 1;
        } else if EMPTY_STARS.contains(&c) {
            empty += 1;
        }
    }
    let total = filled + half + empty;
    if total == 0 || total > 20 {
        return None;
    }
    let rating = f64::from(filled) + 0.5 * f64::from(half);
    let max = (half + empty > 0).then_some(f64::from(total));
    Some((rating, max))
}

// ---------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------

/// A date as a page prints it, in UTC.
///
/// Tried in this order; the first that yields a date wins:
///
/// 1. Machine formats of the whole (trimmed) text: RFC 3339 (any fractional digits),
///    RFC 2822, `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.f]]` with an optional offset or
///    ` UTC`/` GMT` (no offset = UTC), `YYYYMMDD`, and unix time as 9–10 digits
///    (seconds) or 12–13 digits (milliseconds).
/// 2. With `format` (chrono strftime, e.g. `"%d. %B %Y"`): month names of any known
///    language (full, abbreviated, with or without a dot, any case) are turned into
///    English ones first, so `%B`/`%b` read "März", "marzo", "mars", "maart". The
///    format may match anywhere in the text ("Rezension vom 3. März 2026"). Weekday
///    names are not translated: leave them out of the format.
/// 3. A date inside prose: "3. März 2026", "3 de marzo de 2026", "March 3, 2026",
///    "le 3 mars 2026", "2026-03-03", "3.03.2026", "03/03/2026". Numeric dates:
///    * `.` separates day-first (D.M.Y) in every language;
///    * with `/` or `-`, a number above 12 is the day; when both could be the month,
///      `en-US` reads month-first, a language other than English (or English of
///      another region, `en-GB`) reads day-first, and plain `en` or no language gives
///      `None` (unless day and month are equal);
///    * two-digit years are 20xx; a year is required ("3. März" alone is `None`).
/// 4. A relative date in `language` (or any known language when `None` or unknown):
///    "vor 2 Tagen", "hace un año", "2 days ago", "il y a 3 semaines", "2 dagen
///    geleden", "3 päeva tagasi", "gestern", "ayer", "today"… Seconds, minutes and
///    hours are subtracted from `now` exactly; days, weeks, months and years (and
///    today/yesterday) give midnight UTC of that day, so a page polled twice the same
///    day yields the same date. French "hier" and Estonian "eile" (German and Dutch
///    words too) count in another or no language only when they are the whole text.
///
/// A date-only result is midnight UTC. Results outside 1970–2200 are `None`.
pub fn parse_date(
    s: &str,
    format: Option<&str>,
    language: Option<&str>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let s = fold_whitespace(cut(s, MAX_INPUT));
    if s.is_empty() {
        return None;
    }
    let lang = Lang::parse(language);
    machine_date(&s)
        .or_else(|| format.and_then(|f| formatted_date(&s, f)))
        .or_else(|| {
            let toks = tokens(&s);
            prose_date(&toks, &lang).or_else(|| relative_date(&toks, &lang, now))
        })
        .filter(plausible)
}

fn plausible(d: &DateTime<Utc>) -> bool {
    (1970..=2200).contains(&d.year())
}

fn midnight(d: NaiveDate) -> Option<DateTime<Utc>> {
    d.and_hms_opt(0, 0, 0).map(|dt| dt.and_utc())
}

/// The language tag split into lowercase primary subtag and region.
struct Lang {
    primary: Option<String>,
    region: Option<String>,
}

impl Lang {
    fn parse(tag: Option<&str>) -> Self {
        let mut parts = tag
            .unwrap_or("")
            .trim()
            .split(['-', '_'])
            .map(str::to_ascii_lowercase);
        let primary = parts.next().filter(|p| !p.is_empty());
        let region = parts.next().filter(|r| !r.is_empty());
        Lang { primary, region }
    }

    /// The relative-date word tables to use.
    fn tables(&self) -> Vec<&'static Words> {
        let known: Vec<&'static Words> = WORDS
            .iter()
            .filter(|w| self.primary.as_deref() == Some(w.code))
            .collect();
        if known.is_empty() {
            WORDS.iter().collect()
        } else {
            known
        }
    }

    /// For an ambiguous numeric date (both numbers ≤ 12): `Some(true)` month-first,
    /// `Some(false)` day-first, `None` when the language does not say.
    fn month_first(&self) -> Option<bool> {
        match (self.primary.as_deref(), self.region.as_deref()) {
            (Some("en"), Some("us")) => Some(true),
            (Some("en"), None) | (None, _) => None,
            _ => Some(false),
        }
    }
}

// --- 1. machine formats ----------------------------------------------------------

fn machine_date(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.len() {
            8 => NaiveDate::parse_from_str(s, "%Y%m%d")
                .ok()
                .and_then(midnight),
            9 | 10 => DateTime::from_timestamp(s.parse().ok()?, 0),
            12 | 13 => DateTime::from_timestamp_millis(s.parse().ok()?),
            _ => None,
        };
    }
    if !starts_with_iso_date(s) {
        return None;
    }
    let bare = ["UTC", "GMT", "Z"]
        .iter()
        .find_map(|z| s.strip_suffix(z))
        .map(str::trim_end)
        .unwrap_or(s);
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(bare, fmt) {
            return Some(d.and_utc());
        }
    }
    NaiveDate::parse_from_str(bare, "%Y-%m-%d")
        .ok()
        .and_then(midnight)
}

/// `YYYY-MM-DD` at the start.
fn starts_with_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

// --- 2. strftime formats ---------------------------------------------------------

fn formatted_date(s: &str, format: &str) -> Option<DateTime<Utc>> {
    let keep_dot = english_months(s, false);
    let drop_dot = english_months(s, true);
    let mut variants = vec![keep_dot.as_str()];
    if drop_dot != keep_dot {
        variants.push(drop_dot.as_str());
    }
    variants.into_iter().find_map(|v| {
        word_starts(v)
            .take(MAX_FORMAT_STARTS)
            .find_map(|i| parse_prefix(&v[i..], format))
    })
}

/// Byte offsets where a word or number starts.
fn word_starts(s: &str) -> impl Iterator<Item = usize> + '_ {
    let mut prev_alnum = false;
    s.char_indices().filter_map(move |(i, c)| {
        let alnum = c.is_alphanumeric();
        let start = alnum && !prev_alnum;
        prev_alnum = alnum;
        start.then_some(i)
    })
}

/// A date at the start of `s` in `format`; text after it is ignored.
fn parse_prefix(s: &str, format: &str) -> Option<DateTime<Utc>> {
    if let Ok((d, _)) = DateTime::parse_and_remainder(s, format) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok((d, _)) = NaiveDateTime::parse_and_remainder(s, format) {
        return Some(d.and_utc());
    }
    NaiveDate::parse_and_remainder(s, format)
        .ok()
        .and_then(|(d, _)| midnight(d))
}

/// `s` with every known month name replaced by its English abbreviation ("Mar"),
/// which chrono reads for both `%b` and `%B`. With `drop_dot`, a dot right after a
/// month name goes too ("3. Mär. 2026" → "3. Mar 2026").
fn english_months(s: &str, drop_dot: bool) -> String {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find(char::is_alphabetic) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(rest.len());
        let word = &rest[..end];
        rest = &rest[end..];
        match month_number(&word.to_lowercase()) {
            Some(m) => {
                out.push_str(EN[(m - 1) as usize]);
                if drop_dot && let Some(r) = rest.strip_prefix('.') {
                    rest = r;
                }
            }
            None => out.push_str(word),
        }
    }
    out.push_str(rest);
    out
}

// --- 3. dates in prose ---------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A run of ASCII digits: its value (saturating) and its number of digits.
    Num(u64, usize),
    /// A run of letters, lowercased.
    Word(String),
    /// Any other visible character.
    Punct(char),
}

fn tokens(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if out.len() >= MAX_TOKENS {
            break;
        }
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_digit() {
            let (mut value, mut digits) = (0u64, 0usize);
            while let Some(d) = chars
                .peek()
                .filter(|c| c.is_ascii_digit())
                .and_then(|c| c.to_digit(10))
            {
                value = value.saturating_mul(10).saturating_add(u64::from(d));
                digits += 1;
                chars.next();
            }
            out.push(Tok::Num(value, digits));
        } else if c.is_alphabetic() {
            let mut word = String::new();
            while let Some(&c) = chars.peek().filter(|c| c.is_alphabetic()) {
                word.extend(c.to_lowercase());
                chars.next();
            }
            out.push(Tok::Word(word));
        } else {
            out.push(Tok::Punct(if c == '’' { '\'' } else { c }));
            chars.next();
        }
    }
    out
}

/// Words allowed between a day and its month, or a month and its year
/// ("3 de marzo de 2026", "3rd of March").
const FILLERS: &[&str] = &["de", "del", "of", "the", "di"];
/// Ordinal endings after a day number ("3rd", "1er", "1º").
const ORDINALS: &[&str] = &[
    "st", "nd", "rd", "th", "er", "re", "e", "ème", "eme", "º", "ª", "o", "a",
];

/// The first date written out in `toks`: D M Y, M D Y (month as a word), Y-M-D, or
/// numeric D.M.Y / D/M/Y / M/D/Y.
fn prose_date(toks: &[Tok], lang: &Lang) -> Option<DateTime<Utc>> {
    (0..toks.len()).find_map(|i| {
        day_month_year(toks, i)
            .or_else(|| month_day_year(toks, i))
            .or_else(|| numeric_date(toks, i, lang))
            .and_then(midnight)
    })
}

struct Cursor<'a> {
    toks: &'a [Tok],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }
    fn num(&mut self, max_digits: usize) -> Option<(u64, usize)> {
        match self.peek()? {
            &Tok::Num(v, d) if d <= max_digits => {
                self.at += 1;
                Some((v, d))
            }
            _ => None,
        }
    }
    fn month(&mut self) -> Option<u32> {
        match self.peek()? {
            Tok::Word(w) => {
                let m = month_number(w)?;
                self.at += 1;
                Some(m)
            }
            _ => None,
        }
    }
    fn skip_punct(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(&Tok::Punct(c));
        if hit {
            self.at += 1;
        }
        hit
    }
    fn skip_words(&mut self, words: &[&str], max: usize) {
        for _ in 0..max {
            match self.peek() {
                Some(Tok::Word(w)) if words.contains(&w.as_str()) => self.at += 1,
                _ => return,
            }
        }
    }
    fn year(&mut self) -> Option<i32> {
        let (y, _) = self.num(4).filter(|&(_, d)| d == 4)?;
        i32::try_from(y).ok()
    }
}

fn ymd(y: i32, m: u64, d: u64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?)
}

/// "3. März 2026", "3 de marzo de 2026", "3rd of March, 2026", "3 mars 2026".
fn day_month_year(toks: &[Tok], at: usize) -> Option<NaiveDate> {
    let mut c = Cursor { toks, at };
    let (day, _) = c.num(2)?;
    c.skip_punct('.');
    c.skip_words(ORDINALS, 1);
    c.skip_words(FILLERS, 2);
    let month = c.month()?;
    c.skip_punct('.');
    c.skip_punct(',');
    c.skip_words(FILLERS, 1);
    let year = c.year()?;
    ymd(year, u64::from(month), day)
}

/// "March 3, 2026", "Mar. 3rd 2026".
fn month_day_year(toks: &[Tok], at: usize) -> Option<NaiveDate> {
    let mut c = Cursor { toks, at };
    let month = c.month()?;
    c.skip_punct('.');
    let (day, _) = c.num(2)?;
    c.skip_words(ORDINALS, 1);
    c.skip_punct(',');
    let year = c.year()?;
    ymd(year, u64::from(month), day)
}

/// "2026-03-03", "3.03.2026", "03/03/2026", "3.3.26" (see [`parse_date`] for the
/// day/month order).
fn numeric_date(toks: &[Tok], at: usize, lang: &Lang) -> Option<NaiveDate> {
    let Some(Tok::Num(first, first_digits)) = toks.get(at).cloned() else {
        return None;
    };
    let sep = match toks.get(at + 1)? {
        Tok::Punct(c @ ('.' | '/' | '-')) => *c,
        _ => return None,
    };
    let mut c = Cursor { toks, at: at + 2 };
    let (second, _) = c.num(2)?;
    if !c.skip_punct(sep) {
        return None;
    }
    if first_digits == 4 {
        let (day, _) = c.num(2)?;
        return ymd(i32::try_from(first).ok()?, second, day);
    }
    if first_digits > 2 {
        return None;
    }
    let (year, year_digits) = c.num(4)?;
    let year = match year_digits {
        4 => i32::try_from(year).ok()?,
        2 => 2000 + i32::try_from(year).ok()?,
        _ => return None,
    };
    // "1.2.2026.5" is a version number, not a date.
    if c.skip_punct(sep) && matches!(c.peek(), Some(Tok::Num(..))) {
        return None;
    }
    // Dots are day-first everywhere; otherwise a number above 12 is the day.
    let month_first = if sep == '.' || first > 12 {
        false
    } else if second > 12 || first == second {
        true
    } else {
        lang.month_first()?
    };
    if month_first {
        ymd(year, first, second)
    } else {
        ymd(year, second, first)
    }
}

/// Month names (lowercase, without a trailing dot) in every supported language.
#[rustfmt::skip]
const MONTHS: &[(&str, u32)] = &[
    // en
    ("january", 1), ("jan", 1), ("february", 2), ("feb", 2), ("march", 3), ("mar", 3),
    ("april", 4), ("apr", 4), ("may", 5), ("june", 6), ("jun", 6), ("july", 7), ("jul", 7),
    ("august", 8), ("aug", 8), ("september", 9), ("sep", 9), ("sept", 9), ("october", 10),
    ("oct", 10), ("november", 11), ("nov", 11), ("december", 12), ("dec", 12),
    // de
    ("januar", 1), ("jänner", 1), ("jän", 1), ("februar", 2), ("feber", 2), ("märz", 3),
    ("marz", 3), ("maerz", 3), ("mär", 3), ("mrz", 3), ("mai", 5), ("juni", 6),
    ("juli", 7), ("oktober", 10), ("okt", 10), ("dezember", 12), ("dez", 12),
    // es
    ("enero", 1), ("ene", 1), ("febrero", 2), ("marzo", 3), ("abril", 4), ("abr", 4),
    ("mayo", 5), ("junio", 6), ("julio", 7), ("agosto", 8), ("ago", 8),
    ("septiembre", 9), ("setiembre", 9), ("set", 9), ("octubre", 10), ("noviembre", 11),
    ("diciembre", 12), ("dic", 12),
    // fr
    ("janvier", 1), ("janv", 1), ("février", 2), ("fevrier", 2), ("févr", 2), ("fevr", 2),
    ("fév", 2), ("fev", 2), ("mars", 3), ("avril", 4), ("avr", 4), ("juin", 6),
    ("juillet", 7), ("juil", 7), ("août", 8), ("aout", 8), ("septembre", 9),
    ("octobre", 10), ("novembre", 11), ("décembre", 12), ("decembre", 12), ("déc", 12),
    // nl
    ("januari", 1), ("februari", 2), ("maart", 3), ("mrt", 3), ("mei", 5),
    ("augustus", 8),
    // it
    ("gennaio", 1), ("gen", 1), ("febbraio", 2), ("aprile", 4), ("maggio", 5), ("mag", 5),
    ("giugno", 6), ("giu", 6), ("luglio", 7), ("lug", 7), ("settembre", 9),
    ("ottobre", 10), ("ott", 10), ("dicembre", 12),
    // pt
    ("janeiro", 1), ("fevereiro", 2), ("março", 3), ("marco", 3), ("maio", 5),
    ("junho", 6), ("julho", 7), ("setembro", 9), ("outubro", 10), ("out", 10),
    ("novembro", 11), ("dezembro", 12),
    // pl (nominative, genitive, abbreviation)
    ("styczeń", 1), ("stycznia", 1), ("sty", 1), ("luty", 2), ("lutego", 2), ("lut", 2),
    ("marzec", 3), ("marca", 3), ("kwiecień", 4), ("kwietnia", 4), ("kwi", 4), ("maj", 5),
    ("maja", 5), ("czerwiec", 6), ("czerwca", 6), ("cze", 6), ("lipiec", 7), ("lipca", 7),
    ("lip", 7), ("sierpień", 8), ("sierpnia", 8), ("sie", 8), ("wrzesień", 9),
    ("września", 9), ("wrz", 9), ("październik", 10), ("października", 10), ("paź", 10),
    ("listopad", 11), ("listopada", 11), ("lis", 11), ("grudzień", 12), ("grudnia", 12),
    ("gru", 12),
    // et (nominative, adessive "märtsil", abbreviation)
    ("jaanuar", 1), ("jaanuaril", 1), ("jaan", 1), ("veebruar", 2), ("veebruaril", 2),
    ("veebr", 2), ("märts", 3), ("märtsil", 3), ("aprill", 4), ("aprillil", 4), ("mail", 5),
    ("juuni", 6), ("juunil", 6), ("juuli", 7), ("juulil", 7), ("augustil", 8),
    ("septembril", 9), ("oktoober", 10), ("oktoobril", 10), ("novembril", 11),
    ("detsember", 12), ("detsembril", 12), ("dets", 12),
    // sv, da (the rest are shared with de, en, nl)
    ("augusti", 8), ("marts", 3),
    // fi (nominative, partitive "maaliskuuta", abbreviation)
    ("tammikuu", 1), ("tammikuuta", 1), ("tammik", 1), ("helmikuu", 2), ("helmikuuta", 2),
    ("helmik", 2), ("maaliskuu", 3), ("maaliskuuta", 3), ("maalisk", 3), ("huhtikuu", 4),
    ("huhtikuuta", 4), ("huhtik", 4), ("toukokuu", 5), ("toukokuuta", 5), ("toukok", 5),
    ("kesäkuu", 6), ("kesäkuuta", 6), ("kesäk", 6), ("heinäkuu", 7), ("heinäkuuta", 7),
    ("heinäk", 7), ("elokuu", 8), ("elokuuta", 8), ("elok", 8), ("syyskuu", 9),
    ("syyskuuta", 9), ("syysk", 9), ("lokakuu", 10), ("lokakuuta", 10), ("lokak", 10),
    ("marraskuu", 11), ("marraskuuta", 11), ("marrask", 11), ("joulukuu", 12),
    ("joulukuuta", 12), ("jouluk", 12),
];

/// 1–12 for a lowercase month name of any supported language.
fn month_number(word: &str) -> Option<u32> {
    MONTHS
        .iter()
        .find(|(name, _)| *name == word)
        .map(|&(_, m)| m)
}

// --- 4. relative dates ---------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// Relative-date words of one language. Phrases are word sequences (punctuation
/// is ignored: "aujourd'hui" is `["aujourd", "hui"]`).
struct Words {
    code: &'static str,
    /// Before the amount: "vor", "hace", "il y a".
    before: &'static [&'static [&'static str]],
    /// After the unit: "ago", "geleden", "tagasi".
    after: &'static [&'static [&'static str]],
    /// Words for one: "a", "einer", "un".
    one: &'static [&'static str],
    units: &'static [(&'static str, Unit)],
    /// Day words and how many days back they are: "gestern" → 1.
    days: &'static [(&'static [&'static str], u32)],
    /// "just now".
    now: &'static [&'static [&'static str]],
}

use Unit::{Day, Hour, Minute, Month, Second, Week, Year};

#[rustfmt::skip]
const WORDS: &[Words] = &[
    Words {
        code: "de",
        before: &[&["vor"]],
        after: &[],
        one: &["ein", "eine", "einer", "einem", "einen"],
        units: &[
            ("sekunde", Second), ("sekunden", Second), ("sek", Second), ("minute", Minute),
            ("minuten", Minute), ("min", Minute), ("stunde", Hour), ("stunden", Hour),
            ("std", Hour), ("tag", Day), ("tage", Day), ("tagen", Day), ("woche", Week),
            ("wochen", Week), ("monat", Month), ("monate", Month), ("monaten", Month),
            ("jahr", Year), ("jahre", Year), ("jahren", Year),
        ],
        days: &[(&["vorgestern"], 2), (&["gestern"], 1), (&["heute"], 0)],
        now: &[&["gerade", "eben"], &["soeben"]],
    },
    Words {
        code: "en",
        before: &[],
        after: &[&["ago"]],
        one: &["a", "an", "one"],
        units: &[
            ("second", Second), ("seconds", Second), ("sec", Second), ("secs", Second),
            ("s", Second), ("minute", Minute), ("minutes", Minute), ("min", Minute),
            ("mins", Minute), ("m", Minute), ("hour", Hour), ("hours", Hour), ("hr", Hour),
            ("hrs", Hour), ("h", Hour), ("day", Day), ("days", Day), ("d", Day),
            ("week", Week), ("weeks", Week), ("wk", Week), ("wks", Week), ("w", Week),
            ("month", Month), ("months", Month), ("mo", Month), ("mos", Month),
            ("year", Year), ("years", Year), ("yr", Year), ("yrs", Year), ("y", Year),
        ],
        days: &[(&["yesterday"], 1), (&["today"], 0)],
        now: &[&["just", "now"], &["moments", "ago"]],
    },
    Words {
        code: "es",
        before: &[&["hace"]],
        after: &[],
        one: &["un", "una", "uno"],
        units: &[
            ("segundo", Second), ("segundos", Second), ("minuto", Minute),
            ("minutos", Minute), ("min", Minute), ("hora", Hour), ("horas", Hour),
            ("día", Day), ("días", Day), ("dia", Day), ("dias", Day), ("semana", Week),
            ("semanas", Week), ("mes", Month), ("meses", Month), ("año", Year),
            ("años", Year), ("ano", Year), ("anos", Year),
        ],
        days: &[
            (&["antes", "de", "ayer"], 2), (&["anteayer"], 2), (&["ayer"], 1), (&["hoy"], 0),
        ],
        now: &[&["ahora", "mismo"], &["justo", "ahora"]],
    },
    Words {
        code: "fr",
        before: &[&["il", "y", "a"]],
        after: &[],
        one: &["un", "une"],
        units: &[
            ("seconde", Second), ("secondes", Second), ("minute", Minute),
            ("minutes", Minute), ("min", Minute), ("heure", Hour), ("heures", Hour),
            ("h", Hour), ("jour", Day), ("jours", Day), ("semaine", Week),
            ("semaines", Week), ("mois", Month), ("an", Year), ("ans", Year),
            ("année", Year), ("années", Year),
        ],
        days: &[(&["avant", "hier"], 2), (&["hier"], 1), (&["aujourd", "hui"], 0)],
        now: &[&["à", "l", "instant"], &["a", "l", "instant"]],
    },
    Words {
        code: "nl",
        before: &[],
        after: &[&["geleden"]],
        one: &["een", "één"],
        units: &[
            ("seconde", Second), ("seconden", Second), ("minuut", Minute),
            ("minuten", Minute), ("min", Minute), ("uur", Hour), ("uren", Hour),
            ("dag", Day), ("dagen", Day), ("week", Week), ("weken", Week),
            ("maand", Month), ("maanden", Month), ("jaar", Year), ("jaren", Year),
        ],
        days: &[(&["eergisteren"], 2), (&["gisteren"], 1), (&["vandaag"], 0)],
        now: &[&["zojuist"], &["net", "nu"]],
    },
    Words {
        code: "it",
        before: &[],
        after: &[&["fa"]],
        one: &["un", "uno", "una"],
        units: &[
            ("secondo", Second), ("secondi", Second), ("minuto", Minute),
            ("minuti", Minute), ("ora", Hour), ("ore", Hour), ("giorno", Day),
            ("giorni", Day), ("settimana", Week), ("settimane", Week), ("mese", Month),
            ("mesi", Month), ("anno", Year), ("anni", Year),
        ],
        days: &[
            (&["l", "altro", "ieri"], 2), (&["altroieri"], 2), (&["ieri"], 1), (&["oggi"], 0),
        ],
        now: &[&["proprio", "ora"], &["poco", "fa"]],
    },
    Words {
        code: "pt",
        before: &[&["há"], &["ha"]],
        after: &[&["atrás"], &["atras"]],
        one: &["um", "uma"],
        units: &[
            ("segundo", Second), ("segundos", Second), ("minuto", Minute),
            ("minutos", Minute), ("hora", Hour), ("horas", Hour), ("dia", Day),
            ("dias", Day), ("semana", Week), ("semanas", Week), ("mês", Month),
            ("mes", Month), ("meses", Month), ("ano", Year), ("anos", Year),
        ],
        days: &[(&["anteontem"], 2), (&["ontem"], 1), (&["hoje"], 0)],
        now: &[&["agora", "mesmo"]],
    },
    Words {
        code: "pl",
        before: &[],
        after: &[&["temu"]],
        one: &["jeden", "jedna", "jedną", "jedno"],
        units: &[
            ("sekunda", Second), ("sekundę", Second), ("sekundy", Second),
            ("sekund", Second), ("minuta", Minute), ("minutę", Minute), ("minuty", Minute),
            ("minut", Minute), ("godzina", Hour), ("godzinę", Hour), ("godziny", Hour),
            ("godzin", Hour), ("dzień", Day), ("dni", Day), ("tydzień", Week),
            ("tygodnie", Week), ("tygodni", Week), ("miesiąc", Month), ("miesiące", Month),
            ("miesięcy", Month), ("rok", Year), ("lata", Year), ("lat", Year),
        ],
        days: &[
            (&["przedwczoraj"], 2), (&["wczoraj"], 1), (&["dzisiaj"], 0), (&["dziś"], 0),
        ],
        now: &[&["przed", "chwilą"]],
    },
    Words {
        code: "et",
        before: &[],
        after: &[&["tagasi"]],
        one: &["üks", "ühe"],
        units: &[
            ("sekund", Second), ("sekundit", Second), ("minut", Minute),
            ("minutit", Minute), ("tund", Hour), ("tundi", Hour), ("päev", Day),
            ("päeva", Day), ("nädal", Week), ("nädalat", Week), ("kuu", Month),
            ("kuud", Month), ("aasta", Year), ("aastat", Year),
        ],
        days: &[(&["üleeile"], 2), (&["eile"], 1), (&["täna"], 0)],
        now: &[&["just", "nüüd"]],
    },
    Words {
        code: "sv",
        before: &[&["för"]],
        after: &[&["sedan"]],
        one: &["en", "ett"],
        units: &[
            ("sekund", Second), ("sekunder", Second), ("minut", Minute),
            ("minuter", Minute), ("timme", Hour), ("timmar", Hour), ("dag", Day),
            ("dagar", Day), ("vecka", Week), ("veckor", Week), ("månad", Month),
            ("månader", Month), ("år", Year),
        ],
        days: &[
            (&["i", "förrgår"], 2), (&["igår"], 1), (&["i", "går"], 1), (&["idag"], 0),
            (&["i", "dag"], 0),
        ],
        now: &[&["nyss"]],
    },
    Words {
        code: "da",
        before: &[],
        after: &[&["siden"]],
        one: &["en", "et"],
        units: &[
            ("sekund", Second), ("sekunder", Second), ("minut", Minute),
            ("minutter", Minute), ("time", Hour), ("timer", Hour), ("dag", Day),
            ("dage", Day), ("uge", Week), ("uger", Week), ("måned", Month),
            ("måneder", Month), ("år", Year),
        ],
        days: &[
            (&["i", "forgårs"], 2), (&["i", "går"], 1), (&["igår"], 1), (&["i", "dag"], 0),
            (&["idag"], 0),
        ],
        now: &[&["lige", "nu"]],
    },
    Words {
        code: "fi",
        before: &[],
        after: &[&["sitten"]],
        one: &["yksi", "yhden"],
        units: &[
            ("sekunti", Second), ("sekuntia", Second), ("minuutti", Minute),
            ("minuuttia", Minute), ("tunti", Hour), ("tuntia", Hour), ("päivä", Day),
            ("päivää", Day), ("viikko", Week), ("viikkoa", Week), ("kuukausi", Month),
            ("kuukautta", Month), ("vuosi", Year), ("vuotta", Year),
        ],
        days: &[(&["toissapäivänä"], 2), (&["eilen"], 1), (&["tänään"], 0)],
        now: &[&["juuri", "nyt"]],
    },
];

/// Day words that are ordinary words in another language ("hier" is "here" in German
/// and Dutch): unless the language is theirs, they count only as the whole text.
const AMBIGUOUS_DAY_WORDS: &[&str] = &["hier", "eile"];

/// Words and numbers only: punctuation is no part of a relative date.
enum Rel<'a> {
    Num(u64, usize),
    Word(&'a str),
}

fn relative_date(toks: &[Tok], lang: &Lang, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let words: Vec<Rel<'_>> = toks
        .iter()
        .filter_map(|t| match t {
            Tok::Num(v, d) => Some(Rel::Num(*v, *d)),
            Tok::Word(w) => Some(Rel::Word(w)),
            Tok::Punct(_) => None,
        })
        .collect();
    let tables = lang.tables();
    let phrase_at = |i: usize, phrase: &[&str]| {
        phrase.len() <= words.len().saturating_sub(i)
            && phrase
                .iter()
                .zip(&words[i..])
                .all(|(p, w)| matches!(w, Rel::Word(w) if w == p))
    };
    let phrase_ends_at =
        |end: usize, phrase: &[&str]| end >= phrase.len() && phrase_at(end - phrase.len(), phrase);
    let word_at = |i: usize| match words.get(i) {
        Some(Rel::Word(w)) => Some(*w),
        _ => None,
    };
    let unit_at = |i: usize| {
        let w = word_at(i)?;
        tables
            .iter()
            .find_map(|t| t.units.iter().find(|(u, _)| *u == w).map(|&(_, u)| u))
    };
    let amount_at = |i: usize| match words.get(i)? {
        Rel::Num(v, digits) => Some(if *digits > 12 { u64::MAX } else { *v }),
        Rel::Word(w) => tables.iter().any(|t| t.one.contains(w)).then_some(1),
    };
    let marked = |before_end: usize, after_start: usize| {
        tables.iter().any(|t| {
            t.before.iter().any(|p| phrase_ends_at(before_end, p))
                || t.after.iter().any(|p| phrase_at(after_start, p))
        })
    };

    for i in 0..words.len() {
        for t in &tables {
            if t.now.iter().any(|p| phrase_at(i, p)) {
                return Some(now);
            }
            for (phrase, back) in t.days {
                if !phrase_at(i, phrase) {
                    continue;
                }
                let ambiguous = phrase.len() == 1 && AMBIGUOUS_DAY_WORDS.contains(&phrase[0]);
                let own_language = lang.primary.as_deref() == Some(t.code);
                if ambiguous && !own_language && words.len() != 1 {
                    continue;
                }
                return now
                    .date_naive()
                    .checked_sub_days(Days::new(u64::from(*back)))
                    .and_then(midnight);
            }
        }
        // "vor 2 Tagen", "2 days ago", "hace un año"
        if let Some(amount) = amount_at(i)
            && let Some(unit) = unit_at(i + 1)
            && marked(i, i + 2)
        {
            return back_from(now, amount, unit);
        }
        // "godzinę temu", "tunti sitten": a unit alone means one.
        if let Some(unit) = unit_at(i)
            && amount_at(i.wrapping_sub(1)).is_none()
            && tables
                .iter()
                .any(|t| t.after.iter().any(|p| phrase_at(i + 1, p)))
        {
            return back_from(now, 1, unit);
        }
    }
    None
}

/// `now` minus `amount` units; day-sized units and larger give midnight UTC.
fn back_from(now: DateTime<Utc>, amount: u64, unit: Unit) -> Option<DateTime<Utc>> {
    let n = i64::try_from(amount).ok()?;
    let months = |m: u64| {
        let m = u32::try_from(m).ok()?;
        now.date_naive()
            .checked_sub_months(Months::new(m))
            .and_then(midnight)
    };
    match unit {
        Second => now.checked_sub_signed(TimeDelta::try_seconds(n)?),
        Minute => now.checked_sub_signed(TimeDelta::try_minutes(n)?),
        Hour => now.checked_sub_signed(TimeDelta::try_hours(n)?),
        Day => now
            .date_naive()
            .checked_sub_days(Days::new(amount))
            .and_then(midnight),
        Week => now
            .date_naive()
            .checked_sub_days(Days::new(amount.checked_mul(7)?))
            .and_then(midnight),
        Month => months(amount),
        Year => months(amount.checked_mul(12)?),
    }
}

#[cfg(test)]
mod tests;
