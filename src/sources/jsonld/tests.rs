use super::*;

fn fixture(path: &str) -> String {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    decode_page(&bytes, Some("text/html; charset=utf-8"))
}

fn page(s: &str) -> url::Url {
    url::Url::parse(s).unwrap()
}

fn shop_base() -> url::Url {
    page("https://kettlewerk.example/products/aurora-wasserkocher")
}

#[test]
fn shop_product_jsonld_string_ratings() {
    let m = parse_jsonld(&fixture("synthetic/shop-product-jsonld.html"), &shop_base()).unwrap();
    assert_eq!(m.len(), 5);
    let ratings: Vec<f64> = m.iter().map(|m| m.rating.unwrap()).collect();
    assert_eq!(ratings, [1.0, 5.0, 2.0, 4.0, 5.0]);
    assert!(
        m.iter()
            .all(|m| m.rating_min == Some(1.0) && m.rating_max == Some(5.0))
    );
    let first = &m[0];
    assert_eq!(first.title.as_deref(), Some("Deckel springt auf"));
    assert_eq!(first.author.as_deref(), Some("Jürgen Pohl"));
    assert_eq!(first.lang.as_deref(), Some("de"));
    assert_eq!(
        first.published_at.unwrap().to_rfc3339(),
        "2026-02-27T00:00:00+00:00"
    );
    assert!(
        first
            .text
            .starts_with("Nach zwei Wochen springt der Deckel")
    );
    // No @id and no own url: the page URL, and a content hash as the id.
    assert_eq!(
        first.url.as_deref(),
        Some("https://kettlewerk.example/products/aurora-wasserkocher")
    );
    let id = first.external_id.as_deref().unwrap();
    assert!(id.starts_with("sha256:") && id.len() == 7 + 64, "{id}");
    // Ids are distinct and stable across parses.
    let again = parse_jsonld(&fixture("synthetic/shop-product-jsonld.html"), &shop_base()).unwrap();
    assert_eq!(m, again);
    let ids: HashSet<_> = m.iter().map(|m| m.external_id.clone()).collect();
    assert_eq!(ids.len(), 5);
    // The hostile body arrives as literal text.
    assert!(
        m[2].text
            .ends_with("doesn't strip tags: <img src=x onerror=alert(document.cookie)>"),
        "{}",
        m[2].text
    );
}

#[test]
fn shop_graph_jsonld_references_and_ten_point_scale() {
    let base = page("https://kettlewerk.example/showroom-leipzig/");
    let m = parse_jsonld(&fixture("synthetic/shop-graph-jsonld.html"), &base).unwrap();
    assert_eq!(m.len(), 5);
    let ratings: Vec<f64> = m.iter().map(|m| m.rating.unwrap()).collect();
    assert_eq!(ratings, [2.0, 9.0, 10.0, 4.0, 6.0]);
    assert!(
        m.iter()
            .all(|m| m.rating_max == Some(10.0) && m.rating_min == Some(1.0))
    );
    let first = &m[0];
    assert_eq!(
        first.external_id.as_deref(),
        Some("https://kettlewerk.example/showroom-leipzig/#review-101")
    );
    assert_eq!(first.author.as_deref(), Some("Heike Brandt"));
    assert_eq!(first.lang.as_deref(), Some("de-DE"));
    assert_eq!(
        first.published_at.unwrap().to_rfc3339(),
        "2026-02-28T13:12:00+00:00"
    );
    assert_eq!(
        first.text,
        "Verkäuferin unfreundlich, Umtausch nur gegen Gutschein. </script><script>alert(1)</script> Schade, die Produkte sind schön."
    );
    assert_eq!(m[2].author.as_deref(), Some("Familie Weißgerber"));
    assert_eq!(
        m[3].text,
        "Lang gewacht bij de kassa en de gereserveerde waterkoker was \"kwijt\". Uiteindelijk wel geholpen."
    );
}

#[test]
fn trustpilot_graph_reviews() {
    let base = page("https://www.trustpilot.com/review/kettlewerk.example");
    let m = parse_jsonld(&fixture("synthetic/trustpilot-page-1.html"), &base).unwrap();
    assert_eq!(m.len(), 12);
    assert_eq!(
        m[0].external_id.as_deref(),
        Some(
            "https://www.trustpilot.com/#/schema/Review/kettlewerk.example/69a7e4ad7fcff9b958f96fe5"
        )
    );
    assert_eq!(
        m[0].title.as_deref(),
        Some("Base started leaking after three weeks")
    );
    assert_eq!(m[0].author.as_deref(), Some("Harriet Moss"));
    assert_eq!(m[0].rating, Some(1.0));
    assert_eq!(m[0].rating_max, Some(5.0));
    assert_eq!(m[0].lang.as_deref(), Some("en"));
    assert_eq!(
        m[0].published_at.unwrap().to_rfc3339(),
        "2026-03-04T07:52:13+00:00"
    );
    assert!(
        m[1].text.ends_with("filtert: <script>alert(1)</script>"),
        "{}",
        m[1].text
    );
    // Empty headline is no title.
    assert_eq!(m[7].title, None);
    let ratings: Vec<f64> = m.iter().map(|m| m.rating.unwrap()).collect();
    assert_eq!(
        ratings,
        [1.0, 1.0, 2.0, 5.0, 1.0, 3.0, 2.0, 5.0, 4.0, 5.0, 1.0, 4.0]
    );
}

#[test]
fn truncated_trustpilot_still_reads_jsonld() {
    let base = page("https://www.trustpilot.com/review/kettlewerk.example");
    let m = parse_jsonld(
        &fixture("synthetic/broken/truncated-trustpilot.html"),
        &base,
    )
    .unwrap();
    assert_eq!(m.len(), 12);
}

#[test]
fn microdata_same_output_as_jsonld() {
    let md = parse_jsonld(
        &fixture("synthetic/shop-product-microdata.html"),
        &shop_base(),
    )
    .unwrap();
    let ld = parse_jsonld(&fixture("synthetic/shop-product-jsonld.html"), &shop_base()).unwrap();
    assert_eq!(md.len(), 5);
    for (a, b) in md.iter().zip(&ld) {
        assert_eq!(a.rating, b.rating);
        assert_eq!(a.rating_min, b.rating_min);
        assert_eq!(a.rating_max, b.rating_max);
        assert_eq!(a.author, b.author);
        assert_eq!(a.title, b.title);
        assert_eq!(a.text, b.text);
        assert_eq!(a.published_at, b.published_at);
        assert_eq!(a.lang, b.lang);
        assert_eq!(a.url, b.url);
        // Same content hash: the two forms dedup against each other.
        assert_eq!(a.external_id, b.external_id);
    }
    assert_eq!(md[4].author.as_deref(), Some("Andrus"), "plain-text author");
    assert_eq!(md[3].rating, Some(4.0), "visible ratingValue span");
}

#[test]
fn page_without_markup_is_empty() {
    let html = "<!doctype html><html><head><title>Hi</title></head><body><p>No reviews yet.</p></body></html>";
    assert_eq!(parse_jsonld(html, &shop_base()).unwrap(), vec![]);
    assert_eq!(parse_jsonld("", &shop_base()).unwrap(), vec![]);
}

#[test]
fn consent_wall_is_blocked() {
    let err =
        parse_jsonld(&fixture("synthetic/broken/consent-wall.html"), &shop_base()).unwrap_err();
    let SourceError::Blocked { reason, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("consent"), "{reason}");
    let login = r#"<html><body><form action="/login"><input name=u><input type="password" name=p></form></body></html>"#;
    assert_eq!(
        parse_jsonld(login, &shop_base()).unwrap_err().kind(),
        "blocked"
    );
}

#[test]
fn broken_fixtures_do_not_panic() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/synthetic/broken"
    );
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let _ = parse_jsonld(&decode_page(&bytes, None), &shop_base());
        seen += 1;
    }
    assert!(seen >= 8);
    // The deeply nested JSON as a JSON-LD block: refused by serde_json, skipped.
    let nested = fixture("synthetic/broken/deeply-nested.json");
    let html = format!(r#"<script type="application/ld+json">{nested}</script>"#);
    assert_eq!(parse_jsonld(&html, &shop_base()).unwrap(), vec![]);
}

#[test]
fn invalid_blocks_are_skipped_and_valid_ones_read() {
    let html = r#"<script type="application/ld+json">{ not json</script>
        <script type="application/ld+json">
        <!--
        {"@type":"https://schema.org/Review","reviewBody":"Fine &amp; dandy","author":"Ann",
         "reviewRating":{"ratingValue":"4,5"},"datePublished":"2026-01-02T03:04:05+02:00",
         "url":"/r/9#top"}
        -->
        </script>"#;
    let m = parse_jsonld(html, &shop_base()).unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].text, "Fine & dandy");
    assert_eq!(m[0].author.as_deref(), Some("Ann"));
    assert_eq!(m[0].rating, Some(4.5));
    assert_eq!(
        m[0].published_at.unwrap().to_rfc3339(),
        "2026-01-02T01:04:05+00:00"
    );
    assert_eq!(
        m[0].url.as_deref(),
        Some("https://kettlewerk.example/r/9#top")
    );
    assert_eq!(
        m[0].external_id.as_deref(),
        Some("https://kettlewerk.example/r/9#top")
    );
}

#[test]
fn types_as_arrays_nested_lists_and_cycles() {
    let html = r##"<script type="application/ld+json">[
        {"@type":["Product","Thing"],"@id":"#p","name":"Kettle",
         "reviews":[{"@type":["Review","CreativeWork"],"@id":"#r1","description":"One",
                     "author":{"@id":"#person"},"itemReviewed":{"@id":"#p"}},
                    {"@id":"#r2"}, {"@id":"#missing"}, {"@id":"#p"}],
         "isRelatedTo":{"@id":"#p"}},
        {"@type":"Person","@id":"#person","name":"Bea"},
        {"@type":"Review","@id":"#r2","reviewBody":"Two","author":[{"name":"Cy"}],
         "reviewRating":{"ratingValue":8,"bestRating":"10","worstRating":0}}
    ]</script>"##;
    let m = parse_jsonld(html, &shop_base()).unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].text, "One");
    assert_eq!(m[0].author.as_deref(), Some("Bea"));
    assert_eq!(m[0].rating, None);
    assert_eq!(
        m[0].external_id.as_deref(),
        Some("https://kettlewerk.example/products/aurora-wasserkocher#r1")
    );
    assert_eq!(m[1].text, "Two");
    assert_eq!(m[1].author.as_deref(), Some("Cy"));
    assert_eq!(
        (m[1].rating, m[1].rating_min, m[1].rating_max),
        (Some(8.0), Some(0.0), Some(10.0))
    );
}

#[test]
fn number_and_date_parsing() {
    assert_eq!(parse_number(" 4,5 "), Some(4.5));
    assert_eq!(parse_number("4"), Some(4.0));
    assert_eq!(parse_number("NaN"), None);
    assert_eq!(parse_number("four"), None);
    for (s, want) in [
        ("2026-02-27", "2026-02-27T00:00:00+00:00"),
        ("2026-02-28T14:12:00+01:00", "2026-02-28T13:12:00+00:00"),
        ("2026-03-04T07:52:13.000Z", "2026-03-04T07:52:13+00:00"),
        ("2026-03-04T07:52:13", "2026-03-04T07:52:13+00:00"),
        ("2026-03-04 07:52:13", "2026-03-04T07:52:13+00:00"),
        ("2026-03-04T07:52+0100", "2026-03-04T06:52:00+00:00"),
    ] {
        assert_eq!(
            parse_date(s).map(|d| d.to_rfc3339()).as_deref(),
            Some(want),
            "{s}"
        );
    }
    assert_eq!(parse_date("yesterday"), None);
    assert_eq!(parse_date("2026-13-45"), None);
    assert_eq!(parse_date("2026-02-2ä"), None);
}

#[test]
fn charset_from_content_type_or_meta() {
    let latin1 = b"<html><body>K\xfcche</body></html>";
    assert!(decode_page(latin1, Some("text/html; charset=ISO-8859-1")).contains("Küche"));
    let meta =
        b"<html><head><meta charset=\"windows-1252\"></head><body>K\xfcche \x80</body></html>";
    assert!(decode_page(meta, None).contains("Küche €"));
    assert!(decode_page("Küche".as_bytes(), None).contains("Küche"));
    assert_eq!(decode_page(b"a\xffb", Some("text/html")), "a\u{fffd}b");
}

// --- RDFa Lite, AggregateRating and the next page ---------------------------------

fn rdfa_base() -> url::Url {
    page("https://kettlewerk.example/products/aurora-wasserkocher/bewertungen")
}

#[test]
fn rdfa_lite_reviews() {
    let html = fixture("synthetic/shop-product-rdfa.html");
    let p = parse_page(&html, &rdfa_base(), None).unwrap();
    assert_eq!(p.items_seen, 3);
    let m = &p.mentions;
    assert_eq!(m.len(), 3);
    let ratings: Vec<_> = m
        .iter()
        .map(|m| (m.rating, m.rating_min, m.rating_max))
        .collect();
    assert_eq!(
        ratings,
        [
            (Some(1.0), Some(1.0), Some(5.0)),
            (Some(5.0), Some(1.0), Some(5.0)),
            (Some(2.0), Some(1.0), Some(5.0)),
        ]
    );
    let first = &m[0];
    assert_eq!(
        first.external_id.as_deref(),
        Some("https://kettlewerk.example/products/aurora-wasserkocher/bewertungen#bewertung-1001")
    );
    assert_eq!(
        first.title.as_deref(),
        Some("Kalkfilter fällt ständig heraus")
    );
    assert_eq!(first.author.as_deref(), Some("Renate Kowalczyk"));
    assert_eq!(first.lang.as_deref(), Some("de"));
    assert_eq!(
        first.published_at.unwrap().to_rfc3339(),
        "2026-02-26T00:00:00+00:00"
    );
    assert!(first.text.starts_with("Der Kalkfilter sitzt so locker"));
    // A plain-text author, an offset date-time.
    assert_eq!(m[1].author.as_deref(), Some("Tom Ashdown"));
    assert_eq!(
        m[1].published_at.unwrap().to_rfc3339(),
        "2026-02-20T17:04:00+00:00"
    );
    // Escaped markup arrives as literal text, never decoded twice.
    assert_eq!(m[2].title.as_deref(), Some("Lid hinge <snapped>"));
    assert!(
        m[2].text.ends_with("<script>alert(1)</script>"),
        "{}",
        m[2].text
    );
}

#[test]
fn rdfa_needs_the_schema_vocabulary() {
    let other = r#"<html><body vocab="https://example.org/terms/"><div typeof="Review"><p property="reviewBody">Not schema.org at all, so not read.</p></div></body></html>"#;
    assert!(parse_jsonld(other, &rdfa_base()).unwrap().is_empty());
    let prefixed = r#"<html><body prefix="schema: https://schema.org/"><div typeof="schema:Review" resource="/r/9"><p property="schema:reviewBody">Prefixed terms work too.</p><span property="schema:reviewRating" typeof="schema:Rating"><meta property="schema:ratingValue" content="4"></span></div></body></html>"#;
    let m = parse_jsonld(prefixed, &rdfa_base()).unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].text, "Prefixed terms work too.");
    assert_eq!(m[0].rating, Some(4.0));
    assert_eq!(
        m[0].external_id.as_deref(),
        Some("https://kettlewerk.example/r/9")
    );
}

#[test]
fn aggregate_rating_from_every_syntax() {
    let agg = |path: &str, base: &url::Url| {
        parse_page(&fixture(path), base, None)
            .unwrap()
            .aggregate
            .unwrap_or_else(|| panic!("{path}: no aggregate"))
    };
    // JSON-LD with string values.
    let a = agg("synthetic/shop-product-jsonld.html", &shop_base());
    assert_eq!(
        a,
        AggregateRating {
            rating: 3.6,
            best: Some(5.0),
            worst: Some(1.0),
            rating_count: None,
            review_count: Some(23),
        }
    );
    // JSON-LD @graph, 10-point scale, numbers.
    let a = agg(
        "synthetic/shop-graph-jsonld.html",
        &page("https://kettlewerk.example/leipzig"),
    );
    assert_eq!(
        (a.rating, a.best, a.worst, a.rating_count, a.review_count),
        (7.9, Some(10.0), Some(1.0), Some(42), Some(5))
    );
    // Microdata.
    let a = agg("synthetic/shop-product-microdata.html", &shop_base());
    assert_eq!(a.rating, 3.6);
    // RDFa Lite: `content` wins over the visible "3,6".
    let a = agg("synthetic/shop-product-rdfa.html", &rdfa_base());
    assert_eq!(
        a,
        AggregateRating {
            rating: 3.6,
            best: Some(5.0),
            worst: Some(1.0),
            rating_count: Some(31),
            review_count: Some(23),
        }
    );
    // A page without one, and one without a value.
    let none = r#"<html><script type="application/ld+json">{"@type":"Product","aggregateRating":{"@type":"AggregateRating","reviewCount":3}}</script></html>"#;
    assert_eq!(
        parse_page(none, &shop_base(), None).unwrap().aggregate,
        None
    );
}

#[test]
fn next_page_by_rel_next_or_page_param() {
    let html = fixture("synthetic/shop-product-rdfa.html");
    let p = parse_page(&html, &rdfa_base(), None).unwrap();
    assert_eq!(
        p.next.as_ref().map(url::Url::as_str),
        Some("https://kettlewerk.example/products/aurora-wasserkocher/bewertungen?seite=2")
    );
    let p = parse_page(&html, &rdfa_base(), Some("p")).unwrap();
    assert_eq!(
        p.next.as_ref().map(url::Url::as_str),
        Some("https://kettlewerk.example/products/aurora-wasserkocher/bewertungen?p=2")
    );
    // No reviews: no next page by number.
    let p = parse_page("<html><body>nothing</body></html>", &rdfa_base(), Some("p")).unwrap();
    assert_eq!(p.next, None);
    // A link back to the page itself is not a next page.
    let own = r#"<html><head><link rel="next" href="bewertungen#top"></head></html>"#;
    assert_eq!(parse_page(own, &rdfa_base(), None).unwrap().next, None);
}
