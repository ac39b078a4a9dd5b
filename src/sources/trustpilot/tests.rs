use super::*;
use crate::mention::Reply;

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel),
    )
    .unwrap()
}

fn api_url() -> Url {
    Url::parse("https://api.trustpilot.com/v1/business-units/5f3a9c1e7b2d4e0a1c8b6f42/reviews?orderBy=createdat.desc&perPage=50").unwrap()
}

fn page_url() -> Url {
    Url::parse("https://www.trustpilot.com/review/kettlewerk.example").unwrap()
}

fn at(s: &str) -> Option<chrono::DateTime<Utc>> {
    Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc())
}

fn ids(p: &Page) -> Vec<String> {
    p.mentions
        .iter()
        .map(|m| m.external_id.clone().unwrap())
        .collect()
}

fn negative(p: &Page) -> usize {
    p.mentions
        .iter()
        .filter(|m| m.rating.is_some_and(|r| r <= 2.0))
        .count()
}

const DIETER: &str = "69a726b40a09dbab77fa4a99";

#[test]
fn api_reads_every_field_and_links_the_next_page() {
    let page = parse_api(
        fixture("synthetic/trustpilot-api-reviews.json").as_bytes(),
        &api_url(),
    )
    .unwrap();
    assert_eq!(page.mentions.len(), 8);
    assert_eq!(negative(&page), 5);
    let m = &page.mentions[1];
    assert_eq!(m.external_id.as_deref(), Some(DIETER));
    assert_eq!(
        m.url.as_deref(),
        Some("https://www.trustpilot.com/reviews/69a726b40a09dbab77fa4a99")
    );
    assert_eq!(m.author.as_deref(), Some("Dieter W."));
    assert_eq!(
        m.title.as_deref(),
        Some("Finger weg – Bestellung nie angekommen")
    );
    assert!(
        m.text
            .ends_with("Mal sehen, ob ihr hier überhaupt filtert: <script>alert(1)</script>"),
        "hostile text stays literal: {}",
        m.text
    );
    assert_eq!(
        (m.rating, m.rating_min, m.rating_max),
        (Some(1.0), Some(1.0), Some(5.0))
    );
    assert_eq!(m.published_at, at("2026-03-03T18:21:40Z"));
    assert_eq!(m.updated_at, None);
    assert_eq!(m.lang.as_deref(), Some("de"));
    assert_eq!(
        m.reply,
        Some(Reply {
            text: "Hallo Dieter, das tut uns leid. Ihr Paket wurde vom Versanddienstleister als verloren gemeldet. Wir haben heute kostenlos Ersatz verschickt und melden uns per E-Mail mit der neuen Sendungsnummer. Viele Grüße, Jana vom Kettlewerk-Service".into(),
            at: at("2026-03-04T09:05:11Z"),
        })
    );
    assert_eq!(page.mentions[0].reply, None);
    assert_eq!(
        page.mentions.iter().filter(|m| m.reply.is_some()).count(),
        4
    );
    // An empty title is no title.
    assert_eq!(page.mentions[7].title, None);
    // The next page stays on the configured host.
    assert_eq!(
        page.next.as_ref().map(Url::as_str),
        Some(
            "https://api.trustpilot.com/v1/business-units/5f3a9c1e7b2d4e0a1c8b6f42/reviews?orderBy=createdat.desc&perPage=50&page=2"
        )
    );
    let local = Url::parse("http://127.0.0.1:9/tp/v1/business-units/x/reviews?page=2").unwrap();
    let page = parse_api(
        fixture("synthetic/trustpilot-api-reviews.json").as_bytes(),
        &local,
    )
    .unwrap();
    assert_eq!(
        page.next.as_ref().map(Url::as_str),
        Some("http://127.0.0.1:9/tp/v1/business-units/x/reviews?page=3")
    );
}

#[test]
fn api_without_a_next_page_link_stops() {
    let doc = fixture("synthetic/trustpilot-api-reviews.json").replace("next-page", "prev-page");
    let page = parse_api(doc.as_bytes(), &api_url()).unwrap();
    assert_eq!(page.next, None);
    let empty = parse_api(
        br#"{"links": [{"rel": "next-page"}], "reviews": []}"#,
        &api_url(),
    )
    .unwrap();
    assert_eq!(empty.next, None, "no reviews, no further page");
}

#[test]
fn api_malformed_responses_are_parse_errors() {
    let whole = fixture("synthetic/trustpilot-api-reviews.json");
    let err = parse_api(&whole.as_bytes()[..whole.len() / 2], &api_url()).unwrap_err();
    assert_eq!(err.kind(), "parse");
    assert!(err.to_string().contains("not valid JSON"), "{err}");
    let err = parse_api(br#"{"message": "Unauthorized"}"#, &api_url()).unwrap_err();
    assert!(
        err.to_string().contains("expected an array at /reviews"),
        "{err}"
    );
}

#[test]
fn page_reads_next_data_with_pagination_and_trustscore() {
    let page = parse_page(&fixture("synthetic/trustpilot-page-1.html"), &page_url()).unwrap();
    assert_eq!(page.mentions.len(), 12);
    assert_eq!(negative(&page), 6);
    assert_eq!(
        page.mentions.iter().filter(|m| m.reply.is_some()).count(),
        4
    );
    let m = &page.mentions[1];
    assert_eq!(m.external_id.as_deref(), Some(DIETER));
    assert!(
        m.text.ends_with("filtert: <script>alert(1)</script>"),
        "Next.js \\u003c escaping decoded to the literal text: {}",
        m.text
    );
    let edited = page
        .mentions
        .iter()
        .find(|m| m.external_id.as_deref() == Some("6999b02df8b293232da8ddfb"))
        .unwrap();
    assert_eq!(edited.updated_at, at("2026-03-03T08:02:45Z"));
    let long = page
        .mentions
        .iter()
        .find(|m| m.external_id.as_deref() == Some("69a359988016f4bf357d3f60"))
        .unwrap();
    assert!(long.text.chars().count() > 2900, "{}", long.text.len());
    assert_eq!(
        page.next.as_ref().map(Url::as_str),
        Some("https://www.trustpilot.com/review/kettlewerk.example?page=2")
    );
    let agg = page.aggregate.unwrap();
    assert_eq!((agg.rating, agg.review_count), (2.8, Some(31)));

    let two = parse_page(
        &fixture("synthetic/trustpilot-page-2.html"),
        &Url::parse("https://www.trustpilot.com/review/kettlewerk.example?page=2").unwrap(),
    )
    .unwrap();
    assert_eq!(two.mentions.len(), 8);
    assert_eq!(negative(&two), 4);
    assert_eq!(two.next, None, "page 2 of 2");
    assert!(
        two.mentions
            .iter()
            .any(|m| m.author.as_deref() == Some("Aoife O'Brien"))
    );
}

/// The same review read through the page and through the API is the same mention:
/// same id, link, texts, rating, dates and reply.
#[test]
fn page_and_api_forms_agree() {
    let api = parse_api(
        fixture("synthetic/trustpilot-api-reviews.json").as_bytes(),
        &api_url(),
    )
    .unwrap();
    let page = parse_page(&fixture("synthetic/trustpilot-page-1.html"), &page_url()).unwrap();
    assert_eq!(ids(&api), ids(&page)[..8]);
    for (a, p) in api.mentions.iter().zip(&page.mentions) {
        assert_eq!(a, p);
    }
    // The API's last page holds reviews 9 to 12 of the public page.
    let last = parse_api(
        fixture("presets/trustpilot-api-reviews-page2.json").as_bytes(),
        &api_url(),
    )
    .unwrap();
    assert_eq!(last.next, None, "no next-page link");
    assert_eq!(last.mentions.len(), 4);
    for (a, p) in last.mentions.iter().zip(&page.mentions[8..]) {
        assert_eq!(a, p);
    }
}

#[test]
fn broken_next_data_falls_back_to_json_ld_with_the_cards_replies() {
    let html = fixture("synthetic/broken/truncated-trustpilot.html");
    assert!(next_data(&html).unwrap_err().contains("not valid JSON"));
    let page = parse_page(&html, &page_url()).unwrap();
    let whole = parse_page(&fixture("synthetic/trustpilot-page-1.html"), &page_url()).unwrap();
    assert_eq!(ids(&page), ids(&whole), "the same review ids");
    assert_eq!(negative(&page), 6);
    let m = &page.mentions[1];
    assert_eq!(
        m.url.as_deref(),
        Some("https://www.trustpilot.com/reviews/69a726b40a09dbab77fa4a99")
    );
    assert!(m.text.ends_with("<script>alert(1)</script>"), "{}", m.text);
    assert_eq!(m.published_at, at("2026-03-03T18:21:40Z"));
    assert_eq!(
        m.reply.as_ref().map(|r| (r.text.as_str(), r.at)),
        whole.mentions[1]
            .reply
            .as_ref()
            .map(|r| (r.text.as_str(), r.at)),
        "the reply comes from the card"
    );
    assert_eq!(
        page.mentions.iter().filter(|m| m.reply.is_some()).count(),
        4
    );
    assert_eq!(
        page.next.as_ref().map(Url::as_str),
        Some("https://www.trustpilot.com/review/kettlewerk.example?page=2")
    );
    assert_eq!(page.aggregate.map(|a| a.rating), Some(2.8));
}

#[test]
fn without_json_ld_the_cards_are_read() {
    let html = fixture("synthetic/broken/truncated-trustpilot.html");
    let start = html.find("<script type=\"application/ld+json\"").unwrap();
    let end = start + html[start..].find("</script>").unwrap() + "</script>".len();
    let html = format!("{}{}", &html[..start], &html[end..]);
    let page = parse_page(&html, &page_url()).unwrap();
    assert_eq!(page.mentions.len(), 12);
    let m = &page.mentions[1];
    assert_eq!(m.external_id.as_deref(), Some(DIETER));
    assert_eq!(m.author.as_deref(), Some("Dieter W."));
    assert_eq!(m.rating, Some(1.0));
    assert!(m.text.ends_with("<script>alert(1)</script>"), "{}", m.text);
    assert!(m.reply.is_some());
    assert_eq!(negative(&page), 6);
}

#[test]
fn a_page_with_nothing_readable_is_a_clear_error_and_a_wall_is_blocked() {
    let html = fixture("synthetic/broken/truncated-trustpilot.html");
    let body = html.find("<body").unwrap();
    let head_end = html.find("</head>").unwrap();
    let stripped = format!(
        "{}</head>{}",
        &html[..html[..head_end].find("<script").unwrap_or(head_end)],
        &html[body..].replace("data-service-review-card-paper", "data-x")
    );
    let err = parse_page(&stripped, &page_url()).unwrap_err();
    assert_eq!(err.kind(), "parse");
    let msg = err.to_string();
    assert!(msg.contains("__NEXT_DATA__ is not valid JSON"), "{msg}");
    assert!(msg.contains("no JSON-LD reviews or review cards"), "{msg}");

    let wall = fixture("synthetic/broken/consent-wall.html");
    let err = parse_page(&wall, &page_url()).unwrap_err();
    assert_eq!(err.kind(), "blocked", "{err}");
}
