//! The text scorer: a lexicon walk with negation scope, boosters, contrast,
//! title weight and complaint phrases. Language-specific knowledge lives in the
//! lexicon files; the rules here are shared by every language.
//!
//! **Irony.** Praise next to complaint facts is ironic when the writer marks it:
//! an irony marker from the lexicon (`iro`: "thanks a lot", "ganz großes Kino",
//! "knap hoor", "un lujo, vamos", 🙃, "lol") and at least [`IRONY_EVIDENCE`] of
//! negative content from words (complaint patterns, negative words, negations).
//! Then every positive word and symbol counts [`IRONY_FLIP`] of its valence,
//! negated. Without the marker, praise and complaint are weighed as they stand
//! (contrast and mixed reviews), and without complaint content a marker is
//! ordinary praise ("Geweldig hoor!").

use super::lexicon::{HashMap, HashSet};

use super::lang::Lang;
use super::lexicon::{Lexicon, Phrase};
use super::text::{Kind, Part, Token, Tokens};

/// Weight of title words (the headline is the writer's summary).
pub const TITLE_WEIGHT: f64 = 1.3;
/// Weight of body words before the last contrast word ("good, but ...").
pub const BEFORE_CONTRAST: f64 = 0.5;
/// Weight of body words after the last contrast word.
pub const AFTER_CONTRAST: f64 = 1.5;
/// Weight of a short closing verdict: a last body sentence of at most
/// [`VERDICT_MAX_WORDS`] words after at least one other ("Not impressed.",
/// "Nicht zufrieden.", "Knap hoor."), the writer's summary like the title.
pub const VERDICT_WEIGHT: f64 = 1.5;
/// See [`VERDICT_WEIGHT`].
pub const VERDICT_MAX_WORDS: usize = 3;
/// How many words a negator reaches forward (within its clause).
pub const NEGATION_SCOPE: u8 = 3;
/// A negated positive word flips to this share of its valence, negated.
pub const NEGATED_POSITIVE: f64 = -0.8;
/// A negated negative word ("not bad") flips to this share: mildly positive.
pub const NEGATED_NEGATIVE: f64 = -0.4;
/// A negator with nothing to negate in its clause ("it does not work",
/// "keiner meldet sich") leans negative by this much.
pub const BARE_NEGATION: f64 = -0.2;
/// Words in capitals in a text that is not all capitals weigh this much more.
pub const CAPS_BOOST: f64 = 1.25;
/// Elongated words ("soooo", "baaad") weigh this much more.
pub const ELONGATION_BOOST: f64 = 1.15;
/// Negative content (sum of negative word contributions, symbols excluded)
/// needed before an irony marker turns praise around.
pub const IRONY_EVIDENCE: f64 = 0.3;
/// Ironic praise counts this share of its valence, negated.
pub const IRONY_FLIP: f64 = 0.8;
/// Squashing constant: score = raw / sqrt(raw² + ALPHA).
pub const ALPHA: f64 = 1.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum What {
    Word,
    Complaint,
    Negated,
    BareNegation,
    Symbol,
    /// Praise read as irony.
    Ironic,
}

#[derive(Debug, Clone)]
pub(crate) struct Contrib {
    pub what: What,
    /// Original text span (part, start, end) for the reasons.
    pub span: (Part, u32, u32),
    /// Weighted valence.
    pub v: f64,
}

#[derive(Debug, Default)]
pub(crate) struct TextScore {
    pub raw: f64,
    /// -1..1.
    pub score: f64,
    pub contribs: Vec<Contrib>,
    /// The contrast word that split the body, if any.
    pub contrast: Option<(Part, u32, u32)>,
    /// The irony marker, when it turned the praise around.
    pub irony: Option<(Part, u32, u32)>,
}

struct NegScope {
    tok: usize,
    clause: u32,
    left: u8,
    used: bool,
}

pub(crate) fn score(
    tokens: &Tokens,
    lang: Option<Lang>,
    lex: Option<&Lexicon>,
    symbols: &HashMap<Box<str>, f32>,
    irony_symbols: &HashSet<Box<str>>,
) -> TextScore {
    let toks = &tokens.toks;
    let n = toks.len();
    let mut out = TextScore::default();
    let mut consumed = vec![false; n];
    let mut marker: Option<(Part, u32, u32)> = None;

    let words = toks
        .iter()
        .filter(|t| t.kind == Kind::Word && !t.numeric)
        .count();
    let caps_words = toks.iter().filter(|t| t.caps).count();
    let shouting = caps_words * 2 > words;

    // The last contrast word in the body splits it into a weaker and a stronger part.
    let last_contrast = lex.and_then(|lex| {
        (0..n).rev().find(|&i| {
            toks[i].part == Part::Body
                && toks[i].kind == Kind::Word
                && lex.contrast.contains(tokens.norm(&toks[i]))
        })
    });
    if let Some(c) = last_contrast {
        let t = &toks[c];
        out.contrast = Some((t.part, t.orig.0, t.orig.1));
    }
    // A short closing verdict weighs like a summary.
    let verdict = toks
        .last()
        .filter(|t| t.part == Part::Body)
        .and_then(|last| {
            let first_body = toks.iter().position(|t| t.part == Part::Body)?;
            let start = toks.iter().rposition(|t| t.sentence != last.sentence)? + 1;
            let words = toks[start..]
                .iter()
                .filter(|t| t.kind == Kind::Word && !t.numeric)
                .count();
            (start > first_body && words <= VERDICT_MAX_WORDS).then_some(last.sentence)
        });
    let weight = |i: usize| -> f64 {
        if toks[i].part == Part::Title {
            TITLE_WEIGHT
        } else if verdict == Some(toks[i].sentence) {
            VERDICT_WEIGHT
        } else {
            match last_contrast {
                Some(c) if i < c => BEFORE_CONTRAST,
                Some(_) => AFTER_CONTRAST,
                None => 1.0,
            }
        }
    };

    // Complaint phrases first: they carry their own negation ("never arrived").
    if let Some(lex) = lex {
        for i in 0..n {
            if consumed[i] || toks[i].kind != Kind::Word {
                continue;
            }
            let Some(ids) = lex.phrase_index.get(tokens.norm(&toks[i])) else {
                continue;
            };
            for &id in ids {
                let Some(p) = lex.phrases.get(id as usize) else {
                    continue;
                };
                if let Some(last) = match_phrase(tokens, lex, &consumed, i, p) {
                    // Mark only the matched words; gap words stay available.
                    mark_phrase(tokens, &mut consumed, i, last, p);
                    if p.irony {
                        marker.get_or_insert((toks[i].part, toks[i].orig.0, toks[last].orig.1));
                    }
                    let mut v = f64::from(p.v);
                    let mut what = if v < 0.0 { What::Complaint } else { What::Word };
                    let mut start = toks[i].orig.0;
                    // A positive phrase right after a negator flips: "niet aan te raden".
                    let before = (i.saturating_sub(2)..i).rev().find(|&k| {
                        !consumed[k]
                            && toks[k].clause == toks[i].clause
                            && toks[k].kind == Kind::Word
                            && lex.negators.contains(tokens.norm(&toks[k]))
                    });
                    if let Some(k) = before.filter(|_| v > 0.0) {
                        consumed[k] = true;
                        v *= NEGATED_POSITIVE;
                        what = What::Negated;
                        start = toks[k].orig.0;
                    }
                    out.contribs.push(Contrib {
                        what,
                        span: (toks[i].part, start, toks[last].orig.1),
                        v: v * weight(i),
                    });
                    break;
                }
            }
        }
    }

    let post_negation = matches!(lang, Some(Lang::De | Lang::Nl | Lang::Et));
    let mut neg: Option<NegScope> = None;
    let mut boost = 1.0f64;
    let mut boost_clause = u32::MAX;
    let mut boost_left = 0u8;

    for i in 0..n {
        if consumed[i] {
            continue;
        }
        let t = &toks[i];
        let w = tokens.norm(t);
        if t.kind == Kind::Symbol {
            if irony_symbols.contains(w) {
                marker.get_or_insert((t.part, t.orig.0, t.orig.1));
            }
            if let Some(&v) = symbols.get(w) {
                out.contribs.push(Contrib {
                    what: What::Symbol,
                    span: (t.part, t.orig.0, t.orig.1),
                    v: f64::from(v) * weight(i),
                });
            }
            continue;
        }
        if neg
            .as_ref()
            .is_some_and(|s| s.clause != t.clause || s.left == 0)
        {
            close_scope(neg.take(), toks, &mut out, &weight);
        }
        if boost_clause != t.clause || boost_left == 0 {
            boost = 1.0;
        }
        let Some(lex) = lex else { continue };
        if t.numeric {
            tick(&mut neg, &mut boost_left);
            continue;
        }
        if lex.negators.contains(w) {
            match neg.as_mut() {
                // "ne ... pas", "not ... no": one negation, reach extended.
                Some(s) if !s.used => s.left = NEGATION_SCOPE,
                _ => {
                    close_scope(neg.take(), toks, &mut out, &weight);
                    neg = Some(NegScope {
                        tok: i,
                        clause: t.clause,
                        left: NEGATION_SCOPE,
                        used: false,
                    });
                }
            }
            continue;
        }
        let degree = lex
            .degree
            .get(w)
            .copied()
            .filter(|_| sentiment_follows(tokens, lex, &consumed, i));
        if let Some(m) = degree.or_else(|| lex.boosters.get(w).copied()) {
            boost *= f64::from(m);
            boost_clause = t.clause;
            boost_left = 2;
            continue;
        }
        if lex.contrast.contains(w) {
            continue;
        }
        let found = lookup(lex, w, t);
        if found.is_some_and(|e| e.irony) {
            marker.get_or_insert((t.part, t.orig.0, t.orig.1));
        }
        let Some(entry) = found.filter(|e| e.v.abs() >= 0.05) else {
            tick(&mut neg, &mut boost_left);
            continue;
        };
        let mut v = f64::from(entry.v);
        if boost_clause == t.clause && boost_left > 0 {
            v *= boost;
            boost = 1.0;
            boost_left = 0;
        }
        if t.caps && !shouting {
            v *= CAPS_BOOST;
        }
        if t.elongated {
            v *= ELONGATION_BOOST;
        }
        let mut what = if entry.complaint {
            What::Complaint
        } else {
            What::Word
        };
        let mut span = (t.part, t.orig.0, t.orig.1);
        if let Some(s) = neg.as_mut() {
            v *= if v > 0.0 {
                NEGATED_POSITIVE
            } else {
                NEGATED_NEGATIVE
            };
            s.used = true;
            what = What::Negated;
            span.1 = toks[s.tok].orig.0;
            neg = None;
        } else if post_negation {
            // German, Dutch and Estonian may put the negator after the word:
            // "gefällt mir nicht", "bevalt me niet", "probleeme polnud".
            let ahead = (i + 1..n.min(i + 4)).find(|&k| {
                toks[k].clause == t.clause
                    && toks[k].kind == Kind::Word
                    && !consumed[k]
                    && lex.negators.contains(tokens.norm(&toks[k]))
                    && clause_ends_after(toks, k, t.clause, lang)
            });
            if let Some(k) = ahead {
                v *= if v > 0.0 {
                    NEGATED_POSITIVE
                } else {
                    NEGATED_NEGATIVE
                };
                consumed[k] = true;
                what = What::Negated;
                span.2 = toks[k].orig.1;
            }
        }
        out.contribs.push(Contrib {
            what,
            span,
            v: v * weight(i),
        });
    }
    close_scope(neg.take(), toks, &mut out, &weight);

    if let Some(m) = marker {
        let against: f64 = out
            .contribs
            .iter()
            .filter(|c| c.v < 0.0 && c.what != What::Symbol)
            .map(|c| c.v)
            .sum();
        if against <= -IRONY_EVIDENCE {
            for c in &mut out.contribs {
                if c.v > 0.0 && matches!(c.what, What::Word | What::Symbol) {
                    c.v *= -IRONY_FLIP;
                    c.what = What::Ironic;
                }
            }
            out.irony = Some(m);
        }
    }

    out.raw = out.contribs.iter().map(|c| c.v).sum();
    out.score = if out.raw.is_finite() {
        out.raw / (out.raw * out.raw + ALPHA).sqrt()
    } else {
        0.0
    };
    out
}

/// Whether the clause ends right after the post-negator at `k` (German, Dutch),
/// or one word later in Estonian, whose negator comes before the verb
/// ("probleeme ei olnud", "midagi ei puudunud").
fn clause_ends_after(toks: &[Token], k: usize, clause: u32, lang: Option<Lang>) -> bool {
    let ends_at = |j: usize| toks.get(j).is_none_or(|nx| nx.clause != clause);
    ends_at(k + 1) || (lang == Some(Lang::Et) && toks[k + 1].kind == Kind::Word && ends_at(k + 2))
}

/// Whether a sentiment word follows within two words of the same clause (for a
/// degree adverb: "insanely good", "belachelijk licht", "jube kerge").
fn sentiment_follows(tokens: &Tokens, lex: &Lexicon, consumed: &[bool], i: usize) -> bool {
    let toks = &tokens.toks;
    let clause = toks[i].clause;
    toks.iter()
        .enumerate()
        .skip(i + 1)
        .take(2)
        .take_while(|(_, t)| t.clause == clause && t.kind == Kind::Word)
        .any(|(k, t)| {
            !consumed[k]
                && !t.numeric
                && lookup(lex, tokens.norm(t), t).is_some_and(|e| e.v.abs() >= 0.05)
        })
}

fn tick(neg: &mut Option<NegScope>, boost_left: &mut u8) {
    if let Some(s) = neg.as_mut() {
        s.left = s.left.saturating_sub(1);
    }
    *boost_left = boost_left.saturating_sub(1);
}

fn close_scope(
    s: Option<NegScope>,
    toks: &[Token],
    out: &mut TextScore,
    weight: &dyn Fn(usize) -> f64,
) {
    if let Some(s) = s.filter(|s| !s.used) {
        let t = &toks[s.tok];
        out.contribs.push(Contrib {
            what: What::BareNegation,
            span: (t.part, t.orig.0, t.orig.1),
            v: BARE_NEGATION * weight(s.tok),
        });
    }
}

/// Look a word up, trying collapsed forms of elongated words ("soooo" → "soo", "so").
fn lookup(lex: &Lexicon, w: &str, t: &Token) -> Option<super::lexicon::Entry> {
    if let Some(e) = lex.lookup(w) {
        return Some(e);
    }
    if t.elongated {
        for keep in [2, 1] {
            if let Some(e) = lex.lookup(&super::text::collapse_runs(w, keep)) {
                return Some(e);
            }
        }
    }
    None
}

fn tok_matches(tokens: &Tokens, t: &Token, p: &super::lexicon::PhraseTok) -> bool {
    let w = tokens.norm(t);
    if p.prefix {
        w.starts_with(&*p.text)
    } else {
        w == &*p.text
    }
}

/// Match phrase `p` starting at token `i`; later phrase words may be up to two words
/// apart, within one sentence. Returns the index of the last matched token.
/// A negator may not sit in a gap ("je ne recommande" is not "je recommande").
fn match_phrase(
    tokens: &Tokens,
    lex: &Lexicon,
    consumed: &[bool],
    i: usize,
    p: &Phrase,
) -> Option<usize> {
    let toks = &tokens.toks;
    let sentence = toks[i].sentence;
    let mut j = i;
    for pt in p.toks.iter().skip(1) {
        let mut found = None;
        for k in j + 1..toks.len().min(j + 4) {
            let t = &toks[k];
            if t.sentence != sentence || consumed[k] {
                break;
            }
            if t.kind == Kind::Word && tok_matches(tokens, t, pt) {
                found = Some(k);
                break;
            }
            if lex.negators.contains(tokens.norm(t)) {
                break;
            }
        }
        j = found?;
    }
    Some(j)
}

fn mark_phrase(tokens: &Tokens, consumed: &mut [bool], i: usize, last: usize, p: &Phrase) {
    let toks = &tokens.toks;
    let mut pi = 0;
    for k in i..=last {
        if pi < p.toks.len() && tok_matches(tokens, &toks[k], &p.toks[pi]) {
            consumed[k] = true;
            pi += 1;
        }
    }
}
