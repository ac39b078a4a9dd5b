//! Triage tests: focused rules, hostile input, and the devset accuracy floor.

use super::*;

fn text(title: &str, body: &str, lang: Option<&str>) -> Verdict {
    triage(&TriageInput {
        title: Some(title),
        text: body,
        lang_hint: lang,
        ..Default::default()
    })
}

fn has_reason(v: &Verdict, needle: &str) -> bool {
    v.reasons.iter().any(|r| r.contains(needle))
}

#[derive(serde::Deserialize)]
struct DevItem {
    lang: String,
    stars: u8,
    title: String,
    text: String,
    kind: String,
}

/// Per-language accuracy on the devset, text only, stars 1-2 vs 4-5 (3 skipped).
/// Returns (lang, correct, total, errors).
pub(crate) fn devset_eval(use_hint: bool) -> Vec<(String, usize, usize, Vec<String>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/devset");
    let mut out = Vec::new();
    for lang in ["de", "en", "es", "et", "fr", "nl"] {
        let path = dir.join(format!("{lang}.jsonl"));
        let data =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (mut ok, mut total, mut errors, mut lang_ok) = (0, 0, Vec::new(), 0);
        for line in data.lines().filter(|l| !l.trim().is_empty()) {
            let item: DevItem = serde_json::from_str(line).expect("devset line");
            if item.stars == 3 {
                continue;
            }
            let hint = use_hint.then_some(item.lang.as_str());
            let v = text(&item.title, &item.text, hint);
            let want = item.stars <= 2;
            total += 1;
            lang_ok += usize::from(v.lang.as_deref() == Some(item.lang.as_str()));
            if v.negative == want {
                ok += 1;
            } else {
                errors.push(format!(
                    "{}★ {} [{:.2}] {} | {} :: {:?}",
                    item.stars, item.kind, v.score, item.title, item.text, v.reasons
                ));
            }
        }
        eprintln!("devset {lang}: language detected right for {lang_ok}/{total}");
        out.push((lang.to_string(), ok, total, errors));
    }
    out
}

#[test]
fn devset_accuracy_floor() {
    // Floors a little under what the classifier reaches (see the module docs);
    // they catch regressions, not tune the model.
    // The targets: 0.90 de, en, es, fr; 0.85 nl; 0.80 et.
    // Raised on the accuracy branch (devset then: de 0.979, en 0.958, es 0.979,
    // et 0.938, fr 0.917, nl 0.896), never below the targets.
    let floors = [
        ("de", 0.94),
        ("en", 0.92),
        ("es", 0.94),
        ("et", 0.90),
        ("fr", 0.90),
        ("nl", 0.875),
    ];
    let results = devset_eval(false);
    let mut failed = Vec::new();
    for (lang, ok, total, errors) in &results {
        assert!(*total >= 40, "{lang}: devset looks empty ({total} items)");
        let acc = *ok as f64 / *total as f64;
        eprintln!("devset {lang}: {ok}/{total} = {acc:.3}");
        if std::env::var_os("DEVSET_ERRORS").is_some() {
            for e in errors {
                eprintln!("  {e}");
            }
        }
        let floor = floors.iter().find(|f| f.0 == lang).map_or(1.0, |f| f.1);
        if acc < floor {
            failed.push(format!("{lang}: {acc:.3} < {floor}"));
        }
    }
    assert!(failed.is_empty(), "devset accuracy below floor: {failed:?}");
}

#[test]
fn negation_flips_polarity() {
    assert!(text("", "Nicht gut.", Some("de")).negative);
    assert!(!text("", "Gar nicht schlecht für den Preis!", Some("de")).negative);
    assert!(!text("", "Not bad at all, really.", Some("en")).negative);
    assert!(text("", "No funciona y no lo recomiendo.", Some("es")).negative);
    assert!(text("", "Ce n'est pas bon.", Some("fr")).negative);
    assert!(text("", "Het eten was niet goed.", Some("nl")).negative);
    assert!(text("", "Ei ole hea.", Some("et")).negative);
    let v = text("", "Das Essen war nicht gut.", Some("de"));
    assert!(has_reason(&v, "negation: nicht gut"), "{v:?}");
    // German puts the negator after the verb.
    assert!(text("", "Das Kleid gefällt mir nicht.", Some("de")).negative);
}

#[test]
fn contrast_weighs_the_second_clause() {
    let v = text(
        "",
        "Great lamp, but the shop never refunded me and support is useless.",
        Some("en"),
    );
    assert!(v.negative, "{v:?}");
    assert!(has_reason(&v, "contrast"), "{v:?}");
    let v = text(
        "",
        "Slow delivery, but the lamp is perfect and beautiful.",
        Some("en"),
    );
    assert!(!v.negative, "{v:?}");
    assert!(
        !text(
            "",
            "Lieferung langsam, aber die Lampe ist wunderschön.",
            Some("de")
        )
        .negative
    );
    assert!(
        text(
            "",
            "La lámpara es bonita, pero llegó rota y no contestan.",
            Some("es")
        )
        .negative
    );
}

#[test]
fn complaint_patterns_without_sentiment_words() {
    for (body, lang) in [
        (
            "Ordered in March, it never arrived. Four emails, no reply.",
            "en",
        ),
        (
            "Im März bestellt, nie angekommen. Keine Antwort auf drei Mails.",
            "de",
        ),
        ("Pedido en marzo, nunca llegó. Sin respuesta.", "es"),
        ("Commande en mars, jamais reçu. Aucune réponse.", "fr"),
        ("Besteld in maart, nooit aangekomen. Geen antwoord.", "nl"),
        ("Tellitud märtsis, pakk ei saabunud. Keegi ei vasta.", "et"),
    ] {
        let v = text("", body, Some(lang));
        assert!(v.negative, "{lang}: {v:?}");
        assert!(has_reason(&v, "complaint pattern"), "{lang}: {v:?}");
    }
    let v = text("", "Total scam, I filed a chargeback.", None);
    assert!(v.negative && has_reason(&v, "scam"), "{v:?}");
    assert!(text("", "Oplichting!", Some("nl")).negative);
    assert!(text("", "Puhas pettus.", Some("et")).negative);
}

#[test]
fn tokenization_survives_caps_accents_and_elongation() {
    assert!(text("", "ENTTÄUSCHT. KAPUTT ANGEKOMMEN!!!", Some("de")).negative);
    assert!(text("", "enttauscht, alles kaputt", Some("de")).negative);
    assert!(text("", "soooo baaaad", Some("en")).negative);
    assert!(!text("", "sooooo goooood", Some("en")).negative);
    assert!(text("", "decepcion total, llego roto", Some("es")).negative);
}

#[test]
fn title_counts() {
    let v = text("Terrible", "Ordered a lamp.", Some("en"));
    assert!(v.negative, "{v:?}");
}

#[test]
fn ratings_and_scales() {
    let r = |rating: f64, min: Option<f64>, max: Option<f64>| {
        triage(&TriageInput {
            rating: Some(rating),
            rating_min: min,
            rating_max: max,
            ..Default::default()
        })
    };
    assert!(r(2.0, None, None).negative);
    assert!(r(1.0, None, None).negative);
    assert!(!r(3.0, None, None).negative);
    assert!(r(4.0, None, Some(10.0)).negative);
    assert!(!r(5.0, None, Some(10.0)).negative);
    assert!(r(4.0, Some(1.0), Some(10.0)).negative);
    assert!(!r(5.0, Some(1.0), Some(10.0)).negative);
    assert!(r(40.0, Some(0.0), Some(100.0)).negative);
    assert!(!r(41.0, Some(0.0), Some(100.0)).negative);
    let v = r(1.0, None, None);
    assert_eq!(v.reasons[0], "rating 1/5 is at or below the threshold 2/5");
    assert!((r(5.0, None, None).score - 1.0).abs() < 1e-9);
    assert!(r(0.0, None, None).score <= -1.0 + 1e-9);

    // The source's own threshold wins.
    let v = triage(&TriageInput {
        rating: Some(3.0),
        negative_at_or_below: Some(3.0),
        ..Default::default()
    });
    assert!(
        v.negative && v.reasons[0].contains("source threshold 3"),
        "{v:?}"
    );

    // Unusable ratings fall back to the text.
    let v = triage(&TriageInput {
        rating: Some(f64::NAN),
        text: "Total scam.",
        ..Default::default()
    });
    assert!(v.negative, "{v:?}");
    let v = triage(&TriageInput {
        rating: Some(3.0),
        rating_min: Some(5.0),
        rating_max: Some(5.0),
        ..Default::default()
    });
    assert!(
        !v.negative && v.reasons.iter().any(|r| r.contains("not usable")),
        "{v:?}"
    );
}

#[test]
fn stars_and_text_disagreeing_is_reported() {
    let v = triage(&TriageInput {
        rating: Some(5.0),
        text: "Absolutely terrible. Total scam, never arrived, no refund. Avoid!",
        ..Default::default()
    });
    assert!(!v.negative, "the rating decides");
    assert!(has_reason(&v, "disagree"), "{v:?}");
    let v = triage(&TriageInput {
        rating: Some(5.0),
        text: "Great, love it!",
        ..Default::default()
    });
    assert!(!has_reason(&v, "disagree"), "{v:?}");
}

#[test]
fn language_hint_wins_and_detection_works() {
    let v = text(
        "",
        "Das Paket kam kaputt an und der Kundenservice antwortet nicht.",
        None,
    );
    assert_eq!(v.lang.as_deref(), Some("de"));
    let v = text("", "Das Paket kam kaputt an.", Some("nl"));
    assert_eq!(v.lang.as_deref(), Some("nl"));
    let v = text("", "Das Paket kam kaputt an.", Some("de-AT"));
    assert_eq!(v.lang.as_deref(), Some("de"));
    // A hint without a lexicon is reported as given; scoring uses the best lexicon.
    let v = text("", "Terrible, never arrived.", Some("it"));
    assert_eq!(v.lang.as_deref(), Some("it"));
    assert!(v.negative);
    // Short text: lexicon vote.
    let v = text("", "Estafa total.", None);
    assert_eq!(v.lang.as_deref(), Some("es"), "{v:?}");
    assert!(v.negative);
}

#[test]
fn hostile_input_never_panics() {
    let huge = "kaputt 😡 ".repeat(120_000); // > 1 MB
    let control: String = (0u8..32).map(char::from).collect();
    let inputs: Vec<String> = vec![
        String::new(),
        "   \n\t ".into(),
        huge,
        "😀😀😀🙃🙃".into(),
        "👎👎👎".into(),
        control,
        "\u{0}\u{feff}\u{200b}\u{202e}abc".into(),
        "Привет, это ужасно. 这是什么 ЖЖЖ".into(),
        "a\u{301}\u{301}\u{301}".into(),
        "'''''’’’---...!!!???".into(),
        ":( :-( :) <3 :D".into(),
        "ﬀ İstanbul ǅ ß ẞ".into(),
        "x".repeat(70_000) + "ä",
    ];
    for s in &inputs {
        for hint in [None, Some(""), Some("de"), Some("xx-YY"), Some("\u{0}")] {
            let v = triage(&TriageInput {
                title: Some(s),
                text: s,
                lang_hint: hint,
                ..Default::default()
            });
            assert!(
                v.score.is_finite() && (-1.0..=1.0).contains(&v.score),
                "{v:?}"
            );
        }
    }
    let v = triage(&TriageInput {
        text: "👎👎👎",
        ..Default::default()
    });
    assert!(v.negative, "{v:?}");
    let v = triage(&TriageInput::default());
    assert!(!v.negative && v.lang.is_none());
    for x in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -1e308, 1e308] {
        let v = triage(&TriageInput {
            rating: Some(x),
            rating_min: Some(x),
            rating_max: Some(x),
            negative_at_or_below: Some(x),
            ..Default::default()
        });
        assert!(v.score.is_finite());
    }
}

/// Throughput: `cargo test --release --lib classify::tests::throughput -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark; run in release"]
fn throughput() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/devset");
    let mut items = Vec::new();
    for lang in ["de", "en", "es", "et", "fr", "nl"] {
        let data = std::fs::read_to_string(dir.join(format!("{lang}.jsonl"))).expect("devset");
        for line in data.lines().filter(|l| !l.trim().is_empty()) {
            let item: DevItem = serde_json::from_str(line).expect("devset line");
            items.push((item.title, item.text));
        }
    }
    let _ = triage(&TriageInput::default()); // load the lexicons outside the timing
    let rounds = 50;
    let start = std::time::Instant::now();
    let mut negatives = 0usize;
    for _ in 0..rounds {
        for (title, body) in &items {
            let v = triage(&TriageInput {
                title: Some(title),
                text: body,
                ..Default::default()
            });
            negatives += usize::from(v.negative);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let n = rounds * items.len();
    eprintln!(
        "{n} reviews in {secs:.3}s: {:.0} reviews/s ({negatives} negative)",
        n as f64 / secs
    );
}

#[test]
fn marked_irony_turns_praise_around() {
    // An irony marker and complaint content: the praise is ironic.
    let v = text(
        "Oh great",
        "Oh great, the parcel is lost again and nobody answers my emails.",
        Some("en"),
    );
    assert!(v.negative, "{v:?}");
    assert!(has_reason(&v, "irony"), "{v:?}");
    for (body, lang) in [
        (
            "Super service 🙃 three weeks late and the box was crushed.",
            "en",
        ),
        (
            "Ganz großes Kino: sechs Wochen Lieferzeit und dann defekt.",
            "de",
        ),
        ("Knap hoor, weer een kapot pakket en geen reactie.", "nl"),
        (
            "Un lujo, vamos: tres semanas de retraso y la caja rota.",
            "es",
        ),
        (
            "Bravo, colis perdu et aucune réponse du service client.",
            "fr",
        ),
        ("No suurepärane, pakk jälle katki ja vastust pole.", "et"),
    ] {
        let v = text("", body, Some(lang));
        assert!(v.negative, "{body}: {v:?}");
    }
    // The same markers without complaint content are praise.
    for (body, lang) in [
        ("Geweldig hoor, snel geleverd en prima kwaliteit!", "nl"),
        ("Qualität vom Feinsten, schnelle Lieferung.", "de"),
        (
            "Oh great, it arrived a day early and works perfectly.",
            "en",
        ),
    ] {
        let v = text("", body, Some(lang));
        assert!(!v.negative && !has_reason(&v, "irony"), "{body}: {v:?}");
    }
}

#[test]
fn thanks_for_nothing_is_a_complaint() {
    for (body, lang) in [
        ("Thanks for nothing.", "en"),
        ("Danke für nichts.", "de"),
        ("Gracias por nada.", "es"),
        ("Bedankt voor niks.", "nl"),
    ] {
        assert!(text("", body, Some(lang)).negative, "{body}");
    }
}

#[test]
fn degree_adverbs_from_negative_words_boost_what_follows() {
    for (body, lang) in [
        ("Insanely comfortable and ridiculously light.", "en"),
        ("Die Jacke ist wahnsinnig warm und irre bequem.", "de"),
        ("Belachelijk goede prijs.", "nl"),
        ("Jube mugav tool.", "et"),
    ] {
        let v = text("", body, Some(lang));
        assert!(!v.negative, "{body}: {v:?}");
    }
    // Alone, the word keeps its own meaning.
    assert!(text("", "Jube.", Some("et")).negative);
}

#[test]
fn estonian_negator_before_a_final_verb() {
    for body in [
        "Probleeme ei olnud, kõik jõudis kohale.",
        "Midagi katki ei olnud.",
        "Polegi paha.",
    ] {
        let v = text("", body, Some("et"));
        assert!(!v.negative, "{body}: {v:?}");
    }
    assert!(text("", "Ei ole rahul.", Some("et")).negative);
}

#[test]
fn a_short_closing_verdict_weighs_more() {
    for (body, lang) in [
        (
            "Worked well for a week, then the battery died. Not happy.",
            "en",
        ),
        (
            "Lief anfangs gut, dann ging nichts mehr. Nicht zufrieden.",
            "de",
        ),
    ] {
        let v = text("", body, Some(lang));
        assert!(v.negative, "{body}: {v:?}");
    }
}
