use super::*;
use crate::sources::jsonld::decode_page;

fn fixture(path: &str) -> String {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    decode_page(&bytes, Some("text/html; charset=utf-8"))
}

fn url(s: &str) -> url::Url {
    url::Url::parse(s).unwrap()
}

/// "Now" of the synthetic fixtures.
fn now() -> DateTime<Utc> {
    at("2026-03-04T12:00:00Z")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn day(s: &str) -> Option<DateTime<Utc>> {
    Some(at(&format!("{s}T00:00:00Z")))
}

/// A mapping as a user writes it in the source table.
fn mapping(toml_text: &str) -> HtmlMapping {
    let map: HtmlMapping = toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(map.validate(), vec![], "{toml_text}");
    map
}

fn ids(page: &Page) -> Vec<&str> {
    page.mentions
        .iter()
        .map(|m| m.external_id.as_deref().unwrap())
        .collect()
}

fn ratings(page: &Page) -> Vec<f64> {
    page.mentions.iter().map(|m| m.rating.unwrap()).collect()
}

fn dates(page: &Page) -> Vec<DateTime<Utc>> {
    page.mentions
        .iter()
        .map(|m| m.published_at.unwrap())
        .collect()
}

fn assert_five_point_scale(page: &Page) {
    for m in &page.mentions {
        assert_eq!(
            (m.rating_min, m.rating_max),
            (Some(1.0), Some(5.0)),
            "{m:?}"
        );
    }
}

// --- Amazon --------------------------------------------------------------------------

const AMAZON_DE: &str = r#"
item = 'div[data-hook="review"]'
[fields]
id = { attr = "id" }
url = { selector = 'a[data-hook="review-title"]', attr = "href" }
author = ".a-profile-name"
title = 'a[data-hook="review-title"] > span:not(.a-letter-space)'
text = '[data-hook="review-collapsed"]'
rating = 'i[data-hook="review-star-rating"] span.a-icon-alt'
date = { selector = 'span[data-hook="review-date"]', language = "de" }
"#;

#[test]
fn amazon_de_product_page() {
    let page_url = url("https://www.amazon.de/dp/B0DKW7R2QX");
    let html = fixture("synthetic/amazon-de-product.html");
    let page = extract(&html, &page_url, &mapping(AMAZON_DE), now()).unwrap();
    assert_eq!(page.items_seen, 5);
    assert_eq!(
        ids(&page),
        [
            "RU7RCVMI9YWZ8",
            "RMJ4T1ALMB2980",
            "R1JYK752PYA7N",
            "RO2XFCX7EQVH0",
            "R65GIBWBYQNHB"
        ]
    );
    assert_eq!(ratings(&page), [1.0, 5.0, 2.0, 1.0, 4.0]);
    assert_five_point_scale(&page);
    assert_eq!(
        dates(&page),
        [
            at("2026-03-03T00:00:00Z"),
            at("2026-02-26T00:00:00Z"),
            at("2026-02-12T00:00:00Z"),
            at("2026-02-04T00:00:00Z"),
            at("2026-01-20T00:00:00Z"),
        ]
    );
    let first = &page.mentions[0];
    assert_eq!(first.author.as_deref(), Some("Jürgen P."));
    assert_eq!(first.title.as_deref(), Some("Undicht nach drei Wochen"));
    // <br><br> separates the sentences; the "Weiterlesen" prompt is not in the body.
    assert_eq!(
        first.text,
        "Sieht toll aus, aber nach drei Wochen steht unter dem Sockel jedes Mal eine Pfütze. \
         Der Verkäufer (Kettlewerk) antwortet nicht auf Nachrichten. \
         Rücksendung über Amazon läuft, mal sehen."
    );
    assert_eq!(
        first.url.as_deref(),
        Some(
            "https://www.amazon.de/gp/customer-reviews/RU7RCVMI9YWZ8/ref=cm_cr_dp_d_rvw_ttl?ie=UTF8&ASIN=B0DKW7R2QX"
        )
    );
    assert_eq!(first.reply, None);
    assert_eq!(first.lang, None);
    assert!(page.mentions[1].text.ends_with("für grünen Tee. 🍵"));
    assert_eq!(page.mentions[2].author.as_deref(), Some("K. Brandstätter"));
    assert!(
        page.mentions
            .iter()
            .all(|m| !m.text.contains("Weiterlesen"))
    );
    // No next link on a product page.
    assert_eq!(page.next, None);
}

#[test]
fn amazon_es_star_inside_the_title_link() {
    let map = mapping(&AMAZON_DE.replace(r#"language = "de""#, r#"language = "es""#));
    let page_url = url("https://www.amazon.es/dp/B0DKW7R2QX");
    let html = fixture("synthetic/amazon-es-product.html");
    let page = extract(&html, &page_url, &map, now()).unwrap();
    assert_eq!(
        ids(&page),
        [
            "RBV012A7NHBYFY",
            "RP64U264G2E760",
            "R8T1UN296HRPA",
            "RG1UFZEI6LQ71V"
        ]
    );
    assert_eq!(ratings(&page), [1.0, 5.0, 1.0, 3.0]);
    assert_five_point_scale(&page);
    assert_eq!(
        dates(&page),
        [
            at("2026-03-03T00:00:00Z"),
            at("2026-02-25T00:00:00Z"),
            at("2026-02-18T00:00:00Z"),
            at("2026-02-02T00:00:00Z"),
        ]
    );
    // The star's "1,0 de 5 estrellas" stays out of the title.
    assert_eq!(
        page.mentions[0].title.as_deref(),
        Some("Llegó roto y sin respuesta")
    );
    assert_eq!(page.mentions[1].title.as_deref(), Some("Precioso ☕"));
    assert_eq!(
        page.mentions[1].text,
        "Muy bonito y silencioso. Lo uso para el café de filtro cada mañana ☕"
    );
    // Hostile title and body come out as literal text.
    let hostile = &page.mentions[2];
    assert_eq!(hostile.author.as_deref(), Some("test_user_77"));
    assert_eq!(hostile.title.as_deref(), Some("<script>alert(1)</script>"));
    assert_eq!(
        hostile.text,
        "<script>alert(1)</script> No funciona el botón de mantener caliente."
    );
}

#[test]
fn amazon_com_real_reviews_page() {
    let map = mapping(
        r#"
item = 'div[data-hook="review"]'
next = "ul.a-pagination li.a-last a"
[fields]
id = { attr = "id" }
author = ".a-profile-name"
title = 'a[data-hook="review-title"] > span:not(.a-letter-space)'
text = 'span[data-hook="review-body"]'
rating = 'i[data-hook="review-star-rating"] span.a-icon-alt'
date = { selector = 'span[data-hook="review-date"]', language = "en-US" }
"#,
    );
    let page_url = url(
        "https://www.amazon.com/Dawn-Ultra-Dishwashing-Liquid-Original/product-reviews/B0BBPNPZTC",
    );
    let html = fixture("real/amazon-customer-reviews.html");
    let page = extract(&html, &page_url, &map, now()).unwrap();
    assert_eq!(page.items_seen, 10);
    assert_eq!(
        ids(&page),
        [
            "RIY0N097PYR7K",
            "R1RUZF3NO7Y1Q4",
            "RO2ELDP01KALS",
            "R10Z9DR9E2OT8X",
            "RCHIESXHQK6",
            "R1VAPTPR4CWOWK",
            "R1DA3S956E3N51",
            "R127U9U2HU8IX7",
            "R17KI0C8L7K5OT",
            "R1P6IWGF3BKZQT"
        ]
    );
    assert_eq!(
        ratings(&page),
        [5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 4.0, 5.0, 5.0]
    );
    assert_five_point_scale(&page);
    assert_eq!(
        dates(&page),
        [
            "2024-07-01",
            "2024-06-05",
            "2024-07-06",
            "2024-06-17",
            "2024-07-05",
            "2024-06-18",
            "2024-05-24",
            "2024-03-24",
            "2024-07-08",
            "2024-07-09"
        ]
        .map(|d| day(d).unwrap())
    );
    let first = &page.mentions[0];
    assert_eq!(first.author.as_deref(), Some("Tina Haskett Cambar"));
    assert_eq!(first.title.as_deref(), Some("Name brand and performance"));
    assert!(
        first
            .text
            .starts_with("This is the dish liquid I always buy was glad to see it"),
        "{}",
        first.text
    );
    assert!(first.text.ends_with("messes dropped on the carpet"));
    // Without its own url, a review points at the page.
    assert_eq!(first.url.as_deref(), Some(page_url.as_str()));
    assert_eq!(page.mentions[5].author.as_deref(), Some("Debbie"));
    assert_eq!(
        page.next.as_ref().map(url::Url::as_str),
        Some(
            "https://www.amazon.com/Dawn-Ultra-Dishwashing-Liquid-Original/product-reviews/B0BBPNPZTC/ref=cm_cr_arp_d_paging_btm_2?ie=UTF8&pageNumber=2"
        )
    );

    // The default next-page selector finds `<link rel="next">`.
    let mut default_next = map.clone();
    default_next.next = None;
    let page = extract(&html, &page_url, &default_next, now()).unwrap();
    assert_eq!(
        page.next.as_ref().map(url::Url::as_str),
        Some(
            "https://www.amazon.com/Dawn-Ultra-Dishwashing-Liquid-Original/product-reviews/B0BBPNPZTC?pageNumber=2"
        )
    );
}

// --- Trustpilot cards ----------------------------------------------------------------

const TRUSTPILOT: &str = r#"
item = "article[data-service-review-card-paper]"
[fields]
url = { selector = 'a[href^="/reviews/"]', attr = "href" }
author = "[data-consumer-name-typography]"
title = "[data-service-review-title-typography]"
text = "[data-service-review-text-typography]"
rating = { selector = "[data-service-review-rating]", attr = "data-service-review-rating" }
date = { selector = "time[data-service-review-date-time-ago]", attr = "datetime" }
reply = "[data-service-review-business-reply-text-typography]"
reply_date = { selector = "time[data-service-review-business-reply-date-time-ago]", attr = "datetime" }
"#;

#[test]
fn trustpilot_cards() {
    let page_url = url("https://www.trustpilot.com/review/kettlewerk.example");
    let html = fixture("synthetic/trustpilot-page-1.html");
    let page = extract(&html, &page_url, &mapping(TRUSTPILOT), now()).unwrap();
    assert_eq!(page.items_seen, 12);
    assert_eq!(page.mentions.len(), 12);
    assert_eq!(
        ratings(&page),
        [1.0, 1.0, 2.0, 5.0, 1.0, 3.0, 2.0, 5.0, 4.0, 5.0, 1.0, 4.0]
    );
    assert_five_point_scale(&page);
    // The review's own link is its id.
    assert_eq!(
        ids(&page)[..2],
        [
            "https://www.trustpilot.com/reviews/69a7e4ad7fcff9b958f96fe5",
            "https://www.trustpilot.com/reviews/69a726b40a09dbab77fa4a99"
        ]
    );
    let first = &page.mentions[0];
    assert_eq!(first.author.as_deref(), Some("Harriet Moss"));
    assert_eq!(
        first.title.as_deref(),
        Some("Base started leaking after three weeks")
    );
    assert_eq!(first.published_at, Some(at("2026-03-04T07:52:13Z")));
    assert!(
        first
            .text
            .ends_with("For a €79 kettle that's not acceptable.")
    );
    assert_eq!(first.reply, None);

    let hostile = &page.mentions[1];
    assert_eq!(
        hostile.text,
        "Bestellung KW-20417 vom 12.02. ist nie angekommen, die Sendungsverfolgung zeigt \
         seit zwei Wochen \"in Zustellung\". Support antwortet nicht & die Hotline ist \
         dauerbesetzt. Mal sehen, ob ihr hier überhaupt filtert: <script>alert(1)</script>"
    );
    let reply = hostile.reply.as_ref().unwrap();
    assert!(reply.text.starts_with("Hallo Dieter, das tut uns leid."));
    assert_eq!(reply.at, Some(at("2026-03-04T09:05:11Z")));

    let replied: Vec<usize> = page
        .mentions
        .iter()
        .enumerate()
        .filter(|(_, m)| m.reply.is_some())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(replied, [1, 2, 5, 6]);
    assert_eq!(page.mentions[3].title.as_deref(), Some("¡Me encanta! ☕😍"));
    // The 3,003-character review arrives whole (2,992 once its line breaks are folded).
    let long = &page.mentions[6].text;
    assert_eq!(long.chars().count(), 2992);
    assert!(long.ends_with("wie er sich schlägt."), "{long}");
    // Empty title: None, the body carries the review.
    assert_eq!(page.mentions[7].title, None);
    assert_eq!(
        page.mentions[7].text,
        "Quick delivery, lovely matte finish, boils quietly. Would buy again."
    );
    assert_eq!(
        page.next.as_ref().map(url::Url::as_str),
        Some("https://www.trustpilot.com/review/kettlewerk.example?page=2")
    );
}

// --- Plain shop HTML (the microdata page read by its classes) ----------------------------

const SHOP: &str = r#"
item = "div.kw-review"
[fields]
lang = { attr = "lang" }
author = '[itemprop="author"]'
title = "h4.kw-review__title"
text = "p.kw-review__body"
rating = ".kw-review__stars"
date = { selector = "time", language = "de" }
"#;

#[test]
fn shop_reviews_by_class() {
    let page_url = url("https://kettlewerk.example/products/aurora-wasserkocher");
    let html = fixture("synthetic/shop-product-microdata.html");
    let page = extract(&html, &page_url, &mapping(SHOP), now()).unwrap();
    assert_eq!(page.items_seen, 5);
    // Star glyphs (★☆☆☆☆) and "4/5".
    assert_eq!(ratings(&page), [1.0, 5.0, 2.0, 4.0, 5.0]);
    assert_five_point_scale(&page);
    // "27.02.2026", day-first.
    assert_eq!(
        dates(&page),
        [
            "2026-02-27",
            "2026-02-21",
            "2026-02-14",
            "2026-02-09",
            "2026-01-30"
        ]
        .map(|d| day(d).unwrap())
    );
    let langs: Vec<_> = page
        .mentions
        .iter()
        .map(|m| m.lang.as_deref().unwrap())
        .collect();
    assert_eq!(langs, ["de", "nl", "en", "fr", "et"]);
    assert_eq!(page.mentions[0].author.as_deref(), Some("Jürgen Pohl"));
    assert_eq!(page.mentions[4].author.as_deref(), Some("Andrus"));
    assert_eq!(
        page.mentions[2].text,
        "Arrived with a scratch across the front. Also, your review form doesn't strip \
         tags: <img src=x onerror=alert(document.cookie)>"
    );
    assert_eq!(
        page.mentions[4].text,
        "Väga hea veekeetja, vesi keeb kiiresti ja vaikselt. 😊"
    );
    // No id, no own URL: a content hash, distinct and stable.
    let fingerprints = ids(&page);
    assert!(
        fingerprints
            .iter()
            .all(|id| id.starts_with("sha256:") && id.len() == 7 + 64)
    );
    assert_eq!(fingerprints.iter().collect::<HashSet<_>>().len(), 5);
    let again = extract(&html, &page_url, &mapping(SHOP), at("2026-06-01T00:00:00Z")).unwrap();
    assert_eq!(ids(&again), fingerprints);
    assert!(
        page.mentions
            .iter()
            .all(|m| m.url.as_deref() == Some(page_url.as_str()))
    );
}

#[test]
fn machine_dates_from_an_attribute() {
    let map = mapping(&SHOP.replace(
        r#"date = { selector = "time", language = "de" }"#,
        r#"date = { selector = "time", attr = "datetime" }"#,
    ));
    let page_url = url("https://kettlewerk.example/products/aurora-wasserkocher");
    let html = fixture("synthetic/shop-product-microdata.html");
    let page = extract(&html, &page_url, &map, now()).unwrap();
    assert_eq!(page.mentions[0].published_at, day("2026-02-27"));
}

// --- Ratings, ids and values ---------------------------------------------------------

const CARDS: &str = r#"<!doctype html><html><body>
<div class="r" data-id="a1"><span class="star full"></span><span class="star full"></span><span class="star"></span>
  <p class="t">Two <b>stars</b>.<script>var tracking = 1;</script><style>.x{}</style></p><span class="d">vor 2 Tagen</span>
  <div class="reply"><p>Danke!</p><time>gestern</time></div></div>
<div class="r" data-id="a2"><p class="t">No stars at all</p><div class="reply"><p>   </p></div></div>
<div class="r"><p class="t">  </p></div>
<div class="r"><p class="t">Same text</p><span class="d">vor 2 Tagen</span></div>
</body></html>"#;

#[test]
fn counted_stars_relative_dates_and_replies() {
    let map = mapping(
        r#"
item = "div.r"
[fields]
id = { attr = "data-id" }
text = "p.t"
rating = { selector = ".star.full", count = true, max = 5 }
date = { selector = ".d", language = "de" }
reply = ".reply p"
reply_date = { selector = ".reply time", language = "de" }
"#,
    );
    let page_url = url("https://shop.example/reviews");
    let page = extract(CARDS, &page_url, &map, now()).unwrap();
    // The third item has neither text nor title: seen, skipped.
    assert_eq!(page.items_seen, 4);
    assert_eq!(page.mentions.len(), 3);
    let first = &page.mentions[0];
    assert_eq!(first.external_id.as_deref(), Some("a1"));
    // Script and style content is no text.
    assert_eq!(first.text, "Two stars.");
    assert_eq!(
        (first.rating, first.rating_min, first.rating_max),
        (Some(2.0), Some(1.0), Some(5.0))
    );
    assert_eq!(first.published_at, day("2026-03-02"));
    assert_eq!(
        first.reply,
        Some(Reply {
            text: "Danke!".into(),
            at: day("2026-03-03"),
        })
    );
    // No star icon: no rating; a blank reply is no reply.
    let second = &page.mentions[1];
    assert_eq!((second.rating, second.rating_max), (None, None));
    assert_eq!(second.reply, None);
    // The fingerprint leaves a relative date out, so it is the same tomorrow.
    let third = &page.mentions[2];
    let tomorrow = extract(CARDS, &page_url, &map, at("2026-03-05T12:00:00Z")).unwrap();
    assert_eq!(tomorrow.mentions[2].external_id, third.external_id);
    assert_eq!(tomorrow.mentions[2].published_at, day("2026-03-03"));
}

#[test]
fn html_values_and_item_attributes() {
    let html = r#"<html><body>
<section class="r" data-rating="4,5" data-body="&lt;p&gt;Gut &amp;amp; günstig&lt;/p&gt;&lt;p&gt;Gerne wieder&lt;/p&gt;">
<div class="b">Line one<br>line two<script>alert(1)</script> &lt;b&gt;literal&lt;/b&gt;</div></section>
</body></html>"#;
    let map = HtmlMapping::new(
        "section.r",
        Fields {
            title: Some(FieldSpec::item_attr("data-body").with_html()),
            text: Some(FieldSpec::css("div.b").with_html()),
            rating: Some(
                FieldSpec::item_attr("data-rating")
                    .with_max(10.0)
                    .with_min(0.0),
            ),
            ..Fields::default()
        },
    );
    assert_eq!(map.validate(), vec![]);
    let page = extract(html, &url("https://shop.example/"), &map, now()).unwrap();
    let m = &page.mentions[0];
    assert_eq!(m.title.as_deref(), Some("Gut & günstig Gerne wieder"));
    assert_eq!(m.text, "Line one line two <b>literal</b>");
    assert_eq!(
        (m.rating, m.rating_min, m.rating_max),
        (Some(4.5), Some(0.0), Some(10.0))
    );
}

#[test]
fn values_are_capped() {
    let body = "ä".repeat(100_000);
    let author = "b".repeat(5_000);
    let html = format!(
        r#"<div class="r"><span class="a">{author}</span><p class="t">{body}</p><span class="x">5</span></div>"#
    );
    let map = HtmlMapping::new(
        "div.r",
        Fields {
            author: Some(FieldSpec::css("span.a")),
            text: Some(FieldSpec::css("p.t")),
            rating: Some(FieldSpec::css("span.x").with_max(3.0)),
            ..Fields::default()
        },
    );
    let page = extract(&html, &url("https://shop.example/"), &map, now()).unwrap();
    let m = &page.mentions[0];
    assert_eq!(m.text.len(), MAX_TEXT_BYTES);
    assert_eq!(m.author.as_ref().unwrap().len(), MAX_FIELD_BYTES);
    // 5 on a scale of 3 is markup the mapping misreads: no rating.
    assert_eq!((m.rating, m.rating_max), (None, None));
}

#[test]
fn items_per_page_are_capped() {
    let html = "<p class=r>x</p>".repeat(MAX_ITEMS + 10);
    let map = HtmlMapping::new(
        "p.r",
        Fields {
            text: Some(FieldSpec::default()),
            ..Fields::default()
        },
    );
    let page = extract(&html, &url("https://shop.example/"), &map, now()).unwrap();
    assert_eq!(page.items_seen, MAX_ITEMS);
    assert_eq!(page.mentions.len(), MAX_ITEMS);
    assert_eq!(page.mentions[0].text, "x");
}

// --- Pages that are not review pages -----------------------------------------------

#[test]
fn consent_wall_is_blocked() {
    let html = fixture("synthetic/broken/consent-wall.html");
    let err = extract(
        &html,
        &url("https://www.youtube.com/"),
        &mapping(TRUSTPILOT),
        now(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ExtractError::Blocked(r) if r == "cookie-consent page"),
        "{err:?}"
    );
    let source_error = err.into_source_error(&url("https://www.youtube.com/"));
    assert_eq!(source_error.kind(), "blocked");
}

#[test]
fn empty_garbage_and_unrelated_pages_are_empty_not_errors() {
    let map = mapping(TRUSTPILOT);
    let page_url = url("https://shop.example/reviews");
    let garbage = std::fs::read(format!(
        "{}/tests/fixtures/synthetic/broken/garbage.bin",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let docs = [
        String::new(),
        String::from_utf8_lossy(&garbage).into_owned(),
        fixture("synthetic/broken/not-a-feed.html"),
        cut(&fixture("synthetic/broken/truncated-trustpilot.html"), 2000).to_string(),
        "<div class=".repeat(10_000),
        "\u{0}\u{feff}<<<>>>&&&;;".into(),
    ];
    for doc in &docs {
        let page = extract(doc, &page_url, &map, now()).unwrap();
        assert_eq!(page.mentions, vec![]);
        assert_eq!(page.items_seen, 0);
    }
}

#[test]
fn selectors_that_match_nothing() {
    let map = mapping(
        r#"
item = "article[data-service-review-card-paper]"
[fields]
title = "h6.nope"
text = ".nothing-here"
rating = ".nope"
date = ".nope"
"#,
    );
    let html = fixture("synthetic/trustpilot-page-1.html");
    let page = extract(&html, &url("https://example.org/"), &map, now()).unwrap();
    // Items are there but yield nothing: the caller sees a changed page.
    assert_eq!(page.items_seen, 12);
    assert_eq!(page.mentions, vec![]);

    let map = mapping(&TRUSTPILOT.replace("article[data-service-review-card-paper]", "nav.none"));
    let page = extract(&html, &url("https://example.org/"), &map, now()).unwrap();
    assert_eq!((page.items_seen, page.mentions.len()), (0, 0));
}

// --- Pagination ------------------------------------------------------------------------

const PAGED: &str = r##"<html><head><link rel="next" href="https://other.example/p2"></head><body>
<div class="r"><p>one</p></div>
<a class="self" href="#reviews">this page</a>
<a class="js" href="javascript:load(2)">more</a>
<a class="file" href="file:///etc/passwd">file</a>
<a class="next" href="?page=3#top">Next</a>
</body></html>"##;

fn paged(next: Option<&str>, page_param: Option<&str>) -> HtmlMapping {
    let mut map = HtmlMapping::new(
        "div.r",
        Fields {
            text: Some(FieldSpec::css("p")),
            ..Fields::default()
        },
    );
    map.next = next.map(str::to_string);
    map.page_param = page_param.map(str::to_string);
    map
}

fn next_of(html: &str, page: &str, map: &HtmlMapping) -> Option<String> {
    extract(html, &url(page), map, now())
        .unwrap()
        .next
        .map(String::from)
}

#[test]
fn next_link_from_a_selector() {
    let here = "https://shop.example/reviews?page=2";
    assert_eq!(
        next_of(PAGED, here, &paged(Some("a.next"), None)).as_deref(),
        Some("https://shop.example/reviews?page=3")
    );
    // Default: link/a rel=next.
    assert_eq!(
        next_of(PAGED, here, &paged(None, None)).as_deref(),
        Some("https://other.example/p2")
    );
    // Links to this page, to javascript: or to file: from a web page are no next page.
    for sel in ["a.self", "a.js", "a.file", "a.missing"] {
        assert_eq!(next_of(PAGED, here, &paged(Some(sel), None)), None, "{sel}");
    }
    // The first usable candidate wins.
    assert_eq!(
        next_of(PAGED, here, &paged(Some("a.self, a.js, a.next"), None)).as_deref(),
        Some("https://shop.example/reviews?page=3")
    );
    // A file page may link file pages (local mirrors, fixtures).
    assert_eq!(
        next_of(
            PAGED,
            "file:///srv/mirror/p1.html",
            &paged(Some("a.file"), None)
        )
        .as_deref(),
        Some("file:///etc/passwd")
    );
}

#[test]
fn next_page_from_a_query_parameter() {
    let map = paged(None, Some("page"));
    assert_eq!(
        next_of(PAGED, "https://shop.example/reviews", &map).as_deref(),
        Some("https://shop.example/reviews?page=2")
    );
    assert_eq!(
        next_of(
            PAGED,
            "https://shop.example/reviews?sort=new&page=2&x=a+b#r",
            &map
        )
        .as_deref(),
        Some("https://shop.example/reviews?sort=new&page=3&x=a+b")
    );
    assert_eq!(
        next_of(PAGED, "https://shop.example/reviews?page=abc", &map),
        None
    );
    assert_eq!(
        next_of(
            PAGED,
            "https://shop.example/reviews?page=18446744073709551615",
            &map
        ),
        None
    );
    // A page without items has no next page.
    assert_eq!(
        next_of("<html><body></body></html>", "https://shop.example/r", &map),
        None
    );
}

// --- Configuration ---------------------------------------------------------------------

#[test]
fn the_documented_toml_deserializes() {
    let map = mapping(
        r#"
item = "div.review"
next = "a.next"
[fields]
id = { attr = "data-review-id" }
url = { selector = "a.permalink", attr = "href" }
author = ".author"
title = "h3"
text = ".body"
rating = { selector = ".stars", attr = "aria-label" }
date = { selector = "span.date", format = "%d. %B %Y", language = "de" }
updated = { selector = "span.edited", html = true }
lang = { attr = "lang" }
reply = ".shop-reply .text"
reply_date = ".shop-reply time"
"#,
    );
    let want = HtmlMapping::new(
        "div.review",
        Fields {
            id: Some(FieldSpec::item_attr("data-review-id")),
            url: Some(FieldSpec::attr("a.permalink", "href")),
            author: Some(FieldSpec::css(".author")),
            title: Some(FieldSpec::css("h3")),
            text: Some(FieldSpec::css(".body")),
            rating: Some(FieldSpec::attr(".stars", "aria-label")),
            date: Some(
                FieldSpec::css("span.date")
                    .with_format("%d. %B %Y")
                    .with_language("de"),
            ),
            updated: Some(FieldSpec::css("span.edited").with_html()),
            lang: Some(FieldSpec::item_attr("lang")),
            reply: Some(FieldSpec::css(".shop-reply .text")),
            reply_date: Some(FieldSpec::css(".shop-reply time")),
        },
    )
    .with_next("a.next");
    assert_eq!(map, want);

    let counted: HtmlMapping = toml::from_str(
        r#"
item = "li"
page_param = "p"
fields = { text = "p", rating = { selector = ".star.full", count = true, max = 5, min = 1 } }
"#,
    )
    .unwrap();
    assert_eq!(
        counted.fields.rating,
        Some(FieldSpec::counted(".star.full").with_max(5.0).with_min(1.0))
    );
    assert_eq!(counted.page_param.as_deref(), Some("p"));
}

fn toml_error(text: &str) -> String {
    toml::from_str::<HtmlMapping>(text).unwrap_err().to_string()
}

#[test]
fn unknown_keys_are_named() {
    let err = toml_error(
        r#"
item = "li"
[fields]
text = "p"
rating = { selecter = ".stars" }
"#,
    );
    assert!(
        err.contains("unknown field `selecter`") && err.contains("selector"),
        "{err}"
    );
    let err = toml_error("item = \"li\"\n[fields]\ntext = \"p\"\nstars = \"x\"\n");
    assert!(err.contains("unknown field `stars`"), "{err}");
    let err = toml_error("item = \"li\"\nmax_pages = 3\n[fields]\ntext = \"p\"\n");
    assert!(err.contains("unknown field `max_pages`"), "{err}");
    let err = toml_error("item = \"li\"\n[fields]\ntext = 5\n");
    assert!(err.contains("a CSS selector string, or a table"), "{err}");
    let err = toml_error("item = \"li\"\n[fields]\ntext = { selector = \"p\", count = \"yes\" }\n");
    assert!(err.contains("invalid type"), "{err}");
    let err = toml_error("[fields]\ntext = \"p\"\n");
    assert!(err.contains("missing field `item`"), "{err}");
}

#[test]
fn validate_reports_every_problem_with_its_key() {
    let map: HtmlMapping = toml::from_str(
        r#"
item = "div..review"
next = "a["
page_param = "page"
[fields]
author = "p:nope(1)"
rating = { selector = ".stars >", count = true, attr = "title", max = 1, min = 2 }
url = { attr = "" }
id = { count = true }
date = { selector = "time", format = "%Q", language = "de_DE_x_waytoolong" }
lang = { format = "%Y", language = "de", max = 5 }
reply_date = { format = "dd.mm.yyyy" }
"#,
    )
    .unwrap();
    let problems = map.validate();
    let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "item",
            "next",
            "page_param",
            "fields",
            "fields.id.count",
            "fields.url.attr",
            "fields.author",
            "fields.rating.selector",
            "fields.rating.attr",
            "fields.rating.max",
            "fields.date.format",
            "fields.date.language",
            "fields.lang.format",
            "fields.lang.language",
            "fields.lang.max",
            "fields.reply_date.format",
        ],
        "{problems:#?}"
    );
    assert!(problems[0].1.contains("div..review"), "{}", problems[0].1);
    assert!(problems[4].1.contains("only `rating` can be counted"));
    assert!(problems[9].1.contains("must be above min"));

    // Extraction refuses an unusable mapping with the key.
    let err = extract("<p>x</p>", &url("https://shop.example/"), &map, now()).unwrap_err();
    assert!(
        matches!(&err, ExtractError::Selector { key, .. } if key == "item"),
        "{err:?}"
    );
    let no_body = HtmlMapping::new("p", Fields::default());
    assert_eq!(
        no_body.validate(),
        vec![(
            "fields".to_string(),
            "set `fields.text` or `fields.title` (or both)".to_string()
        )]
    );
    let err = extract("<p>x</p>", &url("https://shop.example/"), &no_body, now()).unwrap_err();
    assert!(matches!(err, ExtractError::Mapping { .. }), "{err:?}");
}
