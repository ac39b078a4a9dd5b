use std::collections::HashSet;

use super::*;

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn url(s: &str) -> url::Url {
    url::Url::parse(s).unwrap()
}

/// A mapping as a user writes it under `[sources.<id>]`; it must validate cleanly.
fn mapping(toml: &str) -> JsonMapping {
    let m = JsonMapping::from_toml_str(toml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.validate(), vec![], "{toml}");
    m
}

fn at(s: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

fn run(path: &str, request: &str, map: &JsonMapping) -> Page {
    extract(&fixture(path), &url(request), map).unwrap_or_else(|e| panic!("{path}: {e}"))
}

// ---------------------------------------------------------------------------
// Real-format fixtures

const TRUSTPILOT: &str = r#"
items = "/reviews"
page_param = "page"
[fields]
id = "/id"
url = { template = "https://www.trustpilot.com/reviews/{/id}" }
author = "/consumer/displayName"
title = "/title"
text = "/text"
rating = "/stars"
date = "/createdAt"
updated = "/updatedAt"
lang = "/language"
reply = "/companyReply/text"
reply_date = "/companyReply/createdAt"
"#;

const TRUSTPILOT_URL: &str = "https://api.trustpilot.com/v1/business-units/5f3a9c1e7b2d4e0a1c8b6f42/reviews?perPage=8&orderBy=createdat.desc";

#[test]
fn trustpilot_api_reviews() {
    let page = run(
        "synthetic/trustpilot-api-reviews.json",
        TRUSTPILOT_URL,
        &mapping(TRUSTPILOT),
    );
    assert_eq!(page.items_seen, 8);
    let m = &page.mentions;
    assert_eq!(m.len(), 8);
    assert_eq!(
        m[0],
        RawMention {
            external_id: Some("69a7e4ad7fcff9b958f96fe5".into()),
            url: Some("https://www.trustpilot.com/reviews/69a7e4ad7fcff9b958f96fe5".into()),
            author: Some("Harriet Moss".into()),
            title: Some("Base started leaking after three weeks".into()),
            text: "Bought the Aurora 1.7 l kettle in early February. Since last week water pools under the base every time I boil it. I sent photos to support on 24 Feb and again on 1 March – no answer apart from an automatic ticket number. For a €79 kettle that's not acceptable.".into(),
            rating: Some(1.0),
            rating_min: Some(1.0),
            rating_max: Some(5.0),
            published_at: at("2026-03-04T07:52:13Z"),
            updated_at: None,
            lang: Some("en".into()),
            reply: None,
        }
    );
    // The reviewer's literal <script> stays text; newlines are folded.
    let dieter = &m[1];
    assert_eq!(dieter.author.as_deref(), Some("Dieter W."));
    assert!(
        dieter.text.ends_with(
            "Support antwortet nicht & die Hotline ist dauerbesetzt. Mal sehen, ob ihr hier überhaupt filtert: <script>alert(1)</script>"
        ),
        "{}",
        dieter.text
    );
    let reply = dieter.reply.as_ref().unwrap();
    assert!(reply.text.starts_with("Hallo Dieter, das tut uns leid."));
    assert_eq!(reply.at, at("2026-03-04T09:05:11Z"));

    let ratings: Vec<f64> = m.iter().map(|m| m.rating.unwrap()).collect();
    assert_eq!(ratings, [1.0, 1.0, 2.0, 5.0, 1.0, 3.0, 2.0, 5.0]);
    let replied: Vec<usize> = (0..8).filter(|&i| m[i].reply.is_some()).collect();
    assert_eq!(replied, [1, 2, 5, 6]);
    assert_eq!(m[5].reply.as_ref().unwrap().at, at("2026-03-02T10:12:00Z"));
    // Empty title "" is absent; the text carries the review.
    assert_eq!(m[7].title, None);
    assert_eq!(m[7].author.as_deref(), Some("Priya N."));
    assert!(!m[7].text.is_empty());
    assert_eq!(m[3].title.as_deref(), Some("¡Me encanta! ☕😍"));

    // No page parameter in the URL: this was page 1.
    assert_eq!(
        page.next.unwrap().as_str(),
        "https://api.trustpilot.com/v1/business-units/5f3a9c1e7b2d4e0a1c8b6f42/reviews?perPage=8&orderBy=createdat.desc&page=2"
    );
}

#[test]
fn trustpilot_next_link_from_the_document() {
    let toml = TRUSTPILOT.replace("page_param = \"page\"", "next_url = \"/links/0/href\"");
    let page = run(
        "synthetic/trustpilot-api-reviews.json",
        TRUSTPILOT_URL,
        &mapping(&toml),
    );
    assert_eq!(
        page.next.unwrap().as_str(),
        "https://api.trustpilot.com/v1/business-units/5f3a9c1e7b2d4e0a1c8b6f42/reviews?page=2&perPage=8&orderBy=createdat.desc"
    );
}

const GOOGLE_BUSINESS: &str = r#"
items = "/reviews"
next_cursor = "/nextPageToken"
cursor_param = "pageToken"
[fields]
id = "/reviewId"
author = "/reviewer/displayName"
text = "/comment"
rating = { pointer = "/starRating", map = { ONE = 1, TWO = 2, THREE = 3, FOUR = 4, FIVE = 5 } }
date = "/createTime"
updated = "/updateTime"
reply = "/reviewReply/comment"
reply_date = "/reviewReply/updateTime"
"#;

#[test]
fn google_business_profile_two_pages() {
    let map = mapping(GOOGLE_BUSINESS);
    let first = "https://mybusiness.googleapis.com/v4/accounts/107462918350274619382/locations/4417093382615098271/reviews?pageSize=50";
    let page = run("synthetic/google-business-reviews.json", first, &map);
    let m = &page.mentions;
    assert_eq!(m.len(), 6);
    let ratings: Vec<f64> = m.iter().map(|m| m.rating.unwrap()).collect();
    assert_eq!(ratings, [1.0, 5.0, 2.0, 4.0, 1.0, 3.0]);
    assert_eq!(
        m[0].external_id.as_deref(),
        Some("AbFvOqR-DtrGmC2mqnXUEvX3NdjCRQMAAfPT8Pj82QPeMQcdoMtpah")
    );
    assert_eq!(m[0].published_at, at("2026-03-03T17:44:08.512Z"));
    assert_eq!(m[0].author.as_deref(), Some("Lennart Vogt"));
    // Rating-only review: kept, with empty text.
    assert_eq!(m[3].author.as_deref(), Some("A Google User"));
    assert_eq!(m[3].text, "");
    assert_eq!(m[3].rating, Some(4.0));
    // Google's \u003c escapes arrive as the literal text the reviewer typed.
    assert!(
        m[4].text
            .contains("Producto roto al abrir la caja. <img src=x onerror=alert('kw')> ¿Alguien")
    );
    assert!(m[4].text.contains("teléfono & el correo"));
    let replied: Vec<usize> = (0..6).filter(|&i| m[i].reply.is_some()).collect();
    assert_eq!(replied, [1, 2, 4]);
    assert_eq!(
        m[2].reply.as_ref().unwrap().at,
        at("2026-02-27T09:02:11.645Z")
    );
    assert_eq!(m[2].updated_at, at("2026-02-27T07:51:30.118Z"));

    let next = page.next.unwrap();
    assert_eq!(
        next.as_str(),
        "https://mybusiness.googleapis.com/v4/accounts/107462918350274619382/locations/4417093382615098271/reviews?pageSize=50&pageToken=ACYDBNjTgoDItiiFEcdaY3rVz8uiYOKWMl20w1roNlK5NOzqRqRJJV44s5mKzmoON9U1hPfawxwTY%3D%3D"
    );
    // The cursor travels intact.
    let token = next
        .query_pairs()
        .find(|(k, _)| k == "pageToken")
        .unwrap()
        .1;
    assert!(token.ends_with("TY=="));

    let page2 = run(
        "synthetic/google-business-reviews-page2.json",
        next.as_str(),
        &map,
    );
    assert_eq!(page2.mentions.len(), 4);
    assert_eq!(page2.next, None);
    let replies: Vec<&Reply> = page2
        .mentions
        .iter()
        .filter_map(|m| m.reply.as_ref())
        .collect();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].at, at("2026-01-31T10:26:58.870Z"));
    let negative = page2
        .mentions
        .iter()
        .filter(|m| m.rating.unwrap() <= 2.0)
        .count();
    assert_eq!(negative, 2);
}

#[test]
fn yelp_fusion_reviews() {
    let map = mapping(
        r#"
items = "/reviews"
[fields]
id = "/id"
url = "/url"
author = "/user/name"
text = "/text"
rating = "/rating"
date = "/time_created"
"#,
    );
    let page = run(
        "synthetic/yelp-reviews.json",
        "https://api.yelp.com/v3/businesses/kettlewerk-amsterdam/reviews?limit=20&sort_by=newest",
        &map,
    );
    let m = &page.mentions;
    assert_eq!(m.len(), 3);
    assert_eq!(page.next, None);
    let dates: Vec<_> = m.iter().map(|m| m.published_at).collect();
    assert_eq!(
        dates,
        [
            at("2026-03-02T09:14:51Z"),
            at("2026-02-24T14:37:06Z"),
            at("2026-01-18T11:02:44Z")
        ]
    );
    assert_eq!(m[0].external_id.as_deref(), Some("uVqxunyauN2zIszznCtP6f"));
    assert_eq!(m[0].author.as_deref(), Some("Femke V."));
    assert_eq!(m[1].rating, Some(2.0));
    assert!(
        m[0].url
            .as_deref()
            .unwrap()
            .contains("hrid=uVqxunyauN2zIszznCtP6f")
    );
    assert!(m[0].text.ends_with("Na..."));
}

#[test]
fn etsy_composite_ids_epoch_dates_and_rating_only_reviews() {
    let map = mapping(
        r#"
items = "/results"
[fields]
id = ["/shop_id", "/transaction_id"]
url = { template = "https://www.etsy.com/listing/{/listing_id}" }
text = "/review"
rating = "/rating"
date = "/create_timestamp"
updated = "/update_timestamp"
lang = "/language"
"#,
    );
    let page = run(
        "synthetic/etsy-shop-reviews.json",
        "https://openapi.etsy.com/v3/application/shops/38471203/reviews?limit=25",
        &map,
    );
    let m = &page.mentions;
    assert_eq!(page.items_seen, 7);
    assert_eq!(m.len(), 7, "the rating-only review is kept");
    assert_eq!(m[0].external_id.as_deref(), Some("38471203:4412890317"));
    assert_eq!(m[0].published_at, at("2026-03-03T09:57:25Z"));
    assert_eq!(
        m[0].url.as_deref(),
        Some("https://www.etsy.com/listing/1587234410")
    );
    assert_eq!(m[2].published_at, at("2026-02-26T11:14:15Z"));
    assert_eq!(m[2].updated_at, at("2026-02-27T11:14:31Z"));
    assert_eq!(m[2].lang.as_deref(), Some("nl"));
    // Plain JSON text: the buyer's <b> is literal.
    assert!(
        m[4].text
            .contains("received the wrong colour <b>twice</b>.")
    );
    assert_eq!(m[5].text, "");
    assert_eq!(m[5].rating, Some(5.0));
    assert_eq!(m[5].external_id.as_deref(), Some("38471203:4388790116"));
    let ids: HashSet<_> = m.iter().map(|m| m.external_id.clone()).collect();
    assert_eq!(ids.len(), 7);
    assert!(m.iter().all(|m| m.reply.is_none()));
}

#[test]
fn etrusted_cursor_paging() {
    let map = mapping(
        r#"
items = "/items"
next_cursor = "/paging/cursor/after"
cursor_param = "after"
[fields]
id = "/id"
title = "/title"
text = "/comment"
rating = "/rating"
date = "/submittedAt"
reply = "/reply/comment"
reply_date = "/reply/createdAt"
"#,
    );
    let page = run(
        "synthetic/etrusted-reviews.json",
        "https://api.etrusted.com/reviews?channels=chl-ec49f390-3edb-4a95-987c-63cf93d56de2&count=6&after=old",
        &map,
    );
    let m = &page.mentions;
    assert_eq!(m.len(), 6);
    assert_eq!(m[0].title.as_deref(), Some("Lieferung kam nie an"));
    assert_eq!(m[0].published_at, at("2026-03-03T20:41:09Z"));
    assert_eq!(m[3].title, None, "title null");
    assert_eq!(
        m.iter().filter(|m| m.reply.is_some()).count(),
        2,
        "two replies"
    );
    assert_eq!(m[2].reply.as_ref().unwrap().at, at("2026-03-01T10:40:03Z"));
    // The old cursor is replaced in place; other parameters keep their bytes.
    assert_eq!(
        page.next.unwrap().as_str(),
        "https://api.etrusted.com/reviews?channels=chl-ec49f390-3edb-4a95-987c-63cf93d56de2&count=6&after=c3VibWl0dGVkQXQ6MjAyNi0wMi0xN1QxMToxOTozOC4wMDBafHJldi0wMDBhMWRlMi0wNzE2LTQ2OGMtYTBlZS1mNmZkOTQ4ZTZjMTU%3D"
    );
}

#[test]
fn reddit_search_decodes_entities_to_text() {
    // Reddit (without raw_json=1) HTML-escapes & < > in title and selftext: the
    // values are escaped text, so they are read as HTML.
    let map = mapping(
        r#"
items = "/data/children"
next_cursor = "/data/after"
cursor_param = "after"
html = true
[fields]
id = "/data/name"
url = "/data/permalink"
author = "/data/author"
title = "/data/title"
text = "/data/selftext"
date = "/data/created_utc"
"#,
    );
    let page = run(
        "synthetic/reddit-search.json",
        "https://www.reddit.com/search.json?q=kettlewerk&sort=new",
        &map,
    );
    let m = &page.mentions;
    assert_eq!(m.len(), 5);
    assert_eq!(m[0].external_id.as_deref(), Some("t3_1j4kq2m"));
    assert_eq!(
        m[0].url.as_deref(),
        Some(
            "https://www.reddit.com/r/de/comments/1j4kq2m/kettlewerk_wasserkocher_nach_3_wochen_undicht/"
        )
    );
    assert_eq!(m[0].published_at, at("2026-03-03T16:43:31Z"));
    assert_eq!(m[0].author.as_deref(), Some("Brezelbaron"));
    assert!(
        m[0].text
            .contains("gekauft (79 €). Seit einer Woche läuft unten Wasser raus. > Wir melden uns")
    );
    assert!(
        m[0].text
            .contains("ob Gewährleistung & Rückbuchung bei denen klappt?")
    );
    assert!(
        m[2].text
            .contains("their review widget shows my <b>bold</b> text literally"),
        "{}",
        m[2].text
    );
    // The link post has no selftext: kept for its title.
    assert_eq!(m[3].text, "");
    assert_eq!(
        m[3].title.as_deref(),
        Some("Kettlewerk Gooseneck Pro after 6 months – review & comparison")
    );
    assert_eq!(
        page.next.unwrap().as_str(),
        "https://www.reddit.com/search.json?q=kettlewerk&sort=new&after=t3_1j1u4ka"
    );
}

#[test]
fn hn_algolia_comments_and_stories() {
    let map = mapping(
        r#"
items = "/hits"
page_param = "page"
html = true
[fields]
id = "/objectID"
url = { template = "https://news.ycombinator.com/item?id={/objectID}" }
author = "/author"
title = ["/title", "/story_title"]
text = ["/comment_text", "/story_text"]
date = "/created_at"
"#,
    );
    // Algolia counts pages from 0, so the URL names page 0.
    let page = run(
        "synthetic/hn-algolia-search_by_date.json",
        "https://hn.algolia.com/api/v1/search_by_date?query=kettlewerk&tags=(story,comment)&page=0",
        &map,
    );
    let m = &page.mentions;
    assert_eq!(m.len(), 6);
    assert_eq!(m[0].external_id.as_deref(), Some("43193518"));
    assert_eq!(
        m[0].url.as_deref(),
        Some("https://news.ycombinator.com/item?id=43193518")
    );
    assert_eq!(
        m[0].text,
        "The temperature characteristic is also documented here: https://kettlewerk.example/developer/ble They don't advertise it, but it's there."
    );
    assert_eq!(
        m[0].title.as_deref(),
        Some("Show HN: I reverse-engineered my Kettlewerk smart kettle's BLE protocol")
    );
    assert!(
        m[1].text
            .contains("used to render <script> tags from review text")
    );
    assert!(
        m[2].text
            .contains("best part of Kettlewerk / their support took five weeks")
    );
    // A story without text is kept for its title.
    assert_eq!(m[3].text, "");
    assert_eq!(m[3].author.as_deref(), Some("tinkerbeard"));
    assert!(m[5].text.starts_with("We're a 6-person shop"));
    assert!(m[5].text.contains("overkill & we'd rather"));
    assert_eq!(m[5].published_at, at("2026-02-28T14:13:23Z"));
    assert_eq!(
        page.next.unwrap().as_str(),
        "https://hn.algolia.com/api/v1/search_by_date?query=kettlewerk&tags=(story,comment)&page=1"
    );
}

#[test]
fn mastodon_root_array_of_html_statuses() {
    let map = mapping(
        r#"
items = ""
html = true
[fields]
id = "/uri"
url = "/url"
author = "/account/acct"
text = "/content"
date = "/created_at"
updated = "/edited_at"
lang = "/language"
"#,
    );
    let page = run(
        "synthetic/mastodon-tag-timeline.json",
        "https://mastodon.example/api/v1/timelines/tag/kettlewerk?limit=40",
        &map,
    );
    let m = &page.mentions;
    assert_eq!(m.len(), 6);
    assert_eq!(page.next, None);
    assert_eq!(
        m[0].external_id.as_deref(),
        Some("https://mastodon.example/users/frieda/statuses/116169774071834032")
    );
    assert_eq!(
        m[0].text,
        "Mein #Kettlewerk Wasserkocher leckt nach drei Wochen. Support meldet sich seit neun Tagen nicht. 😤 Hat noch jemand das Problem?"
    );
    assert_eq!(m[0].published_at, at("2026-03-04T07:41:18Z"));
    assert_eq!(m[0].lang.as_deref(), Some("de"));
    assert_eq!(m[1].author.as_deref(), Some("joost@norden.example"));
    assert_eq!(m[2].updated_at, at("2026-03-03T12:20:05Z"));
    assert_eq!(m[0].updated_at, None);
    assert!(
        m[4].text
            .contains("review page: <script>alert(1)</script> rendered as plain text.")
    );
    assert!(m.iter().all(|m| m.title.is_none() && m.rating.is_none()));
}

#[test]
fn bluesky_search_posts() {
    let map = mapping(
        r#"
items = "/posts"
next_cursor = "/cursor"
cursor_param = "cursor"
[fields]
id = "/uri"
author = ["/author/displayName", "/author/handle"]
text = "/record/text"
date = "/record/createdAt"
lang = "/record/langs/0"
"#,
    );
    let page = run(
        "synthetic/bluesky-searchPosts.json",
        "https://api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=kettlewerk&sort=latest&limit=5",
        &map,
    );
    let m = &page.mentions;
    assert_eq!(m.len(), 5);
    assert_eq!(
        m[0].external_id.as_deref(),
        Some("at://did:plc:oidg36j6oh56qzt6z3msracj/app.bsky.feed.post/3mg6qa7qfusxx")
    );
    assert_eq!(m[0].author.as_deref(), Some("Hannelore K."));
    assert_eq!(m[0].published_at, at("2026-03-03T21:40:12.551Z"));
    assert_eq!(m[2].lang.as_deref(), Some("nl"));
    assert!(m[3].text.contains("😬👨‍👩‍👧"));
    assert!(
        m[4].text
            .contains("Typed <script>alert(1)</script> as my review title")
    );
    assert_eq!(
        page.next.unwrap().as_str(),
        "https://api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=kettlewerk&sort=latest&limit=5&cursor=5"
    );
}

#[test]
fn youtube_comment_threads() {
    let map = mapping(
        r#"
items = "/items"
next_cursor = "/nextPageToken"
cursor_param = "pageToken"
[fields]
id = "/id"
url = { template = "https://www.youtube.com/watch?v={/snippet/videoId}&lc={/id}" }
author = "/snippet/topLevelComment/snippet/authorDisplayName"
text = { pointer = "/snippet/topLevelComment/snippet/textDisplay", html = true }
date = "/snippet/topLevelComment/snippet/publishedAt"
updated = "/snippet/topLevelComment/snippet/updatedAt"
"#,
    );
    let page = run(
        "synthetic/youtube-commentThreads.json",
        "https://www.googleapis.com/youtube/v3/commentThreads?part=snippet&videoId=KL8ozFiA2as&order=time",
        &map,
    );
    let m = &page.mentions;
    assert_eq!(m.len(), 6);
    assert_eq!(m[0].author.as_deref(), Some("@sabine.tee"));
    assert_eq!(
        m[0].url.as_deref(),
        Some("https://www.youtube.com/watch?v=KL8ozFiA2as&lc=UgzHQT0PMPSlWW0Sao_dg4AaABAg")
    );
    assert_eq!(m[2].published_at, at("2026-03-03T09:47:05Z"));
    assert_eq!(m[2].updated_at, at("2026-03-03T09:51:40Z"));
    assert!(m[2].text.ends_with("Jammer, want het \"Q&A\" klinkt mooi."));
    assert!(
        m[3].text
            .starts_with("<script>alert(1)</script> just checking")
    );
    assert_eq!(
        m[5].text,
        "Zwei Fragen: 1) Gibt es den Kalkfilter einzeln? 2) Wann kommt der Nordlicht wieder in Grün? Ich warte seit Dezember & finde nichts dazu."
    );
    assert!(page.next.unwrap().as_str().contains(
        "&order=time&pageToken=Z2V0X25ld2VzdF9maXJzdC0tfoeHfg3OKWAYo-xuRdb26j1Z5dkEbr7aMEWEZi3BJLVCfLPJIKCivvW4xG2X8Z7p"
    ));
}

const PLACES_LEGACY: &str = r#"
items = "/result/reviews"
[fields]
author = "/author_name"
text = "/text"
rating = "/rating"
date = "/time"
lang = "/language"
"#;

#[test]
fn google_places_legacy_real_sample_has_stable_fingerprints() {
    let map = mapping(PLACES_LEGACY);
    let request = "https://maps.googleapis.com/maps/api/place/details/json?place_id=ChIJN1t_tDeuEmsRUsoyG83frY4&fields=reviews";
    let page = run("real/google-places-details.json", request, &map);
    assert_eq!(page.mentions.len(), 1);
    let r = &page.mentions[0];
    assert_eq!(r.rating, Some(1.0));
    assert_eq!(r.author.as_deref(), Some("redacted"));
    assert_eq!(r.published_at, at("2023-02-06T22:35:32Z"));
    assert_eq!(r.url, None);
    let id = r.external_id.as_deref().unwrap();
    assert!(id.starts_with("sha256:") && id.len() == 7 + 64, "{id}");
    let again = run("real/google-places-details.json", request, &map);
    assert_eq!(page, again);

    for file in [
        "real/google-places-details-fr.json",
        "real/google-places-details-sydney.json",
    ] {
        let page = run(file, request, &map);
        assert_eq!(page.mentions.len(), 5, "{file}");
        let ids: HashSet<_> = page
            .mentions
            .iter()
            .map(|m| m.external_id.clone())
            .collect();
        assert_eq!(ids.len(), 5, "{file}");
        assert_eq!(page, run(file, request, &map));
    }
    let sydney = run("real/google-places-details-sydney.json", request, &map);
    assert_eq!(sydney.mentions[0].author.as_deref(), Some("Mark Sales"));
    assert_eq!(sydney.mentions[0].published_at, at("2017-06-08T00:11:55Z"));
}

#[test]
fn google_places_new_prefers_original_text() {
    let map = mapping(
        r#"
items = "/reviews"
[fields]
id = "/name"
url = "/googleMapsUri"
author = "/authorAttribution/displayName"
text = ["/originalText/text", "/text/text"]
lang = ["/originalText/languageCode", "/text/languageCode"]
rating = "/rating"
date = "/publishTime"
"#,
    );
    let page = run(
        "synthetic/google-places-new.json",
        "https://places.googleapis.com/v1/places/ChIJ2b7Qx9T4pkcR5Wkq0mVd4Ao?languageCode=de",
        &map,
    );
    let m = &page.mentions;
    assert_eq!(m.len(), 5);
    assert_eq!(
        m[0].external_id.as_deref(),
        Some(
            "places/ChIJ2b7Qx9T4pkcR5Wkq0mVd4Ao/reviews/Q0FJUUFDb2RDaHR5Y0prQ-OzET3sVaZdrWXShOeDFLQDEAE"
        )
    );
    assert_eq!(m[0].published_at, at("2026-02-25T08:41:17.203951Z"));
    assert_eq!(m[2].published_at, at("2026-02-11T15:03:12.4Z"));
    assert_eq!(m[3].published_at, at("2026-01-30T19:37:55.260013873Z"));
    assert_eq!(m[1].lang.as_deref(), Some("en"));
    // Rating-only review: no text at all, kept.
    assert_eq!((m[3].text.as_str(), m[3].rating), ("", Some(4.0)));
    assert_eq!(m[3].lang, None);
    assert_eq!(
        m[4].text,
        "Producto roto al llegar. <b>Nadie</b> contesta al teléfono & el correo rebota."
    );
    assert_eq!(m[4].lang.as_deref(), Some("es"));
    let ratings: Vec<f64> = m.iter().map(|m| m.rating.unwrap()).collect();
    assert_eq!(ratings, [1.0, 5.0, 2.0, 4.0, 1.0]);
}

// ---------------------------------------------------------------------------
// Broken and hostile input

fn expect_json_error(doc: &[u8]) -> ExtractError {
    let err = extract(doc, &url(TRUSTPILOT_URL), &mapping(TRUSTPILOT)).unwrap_err();
    assert!(matches!(err, ExtractError::Json { .. }), "{err:?}");
    err
}

#[test]
fn deeply_nested_json_is_a_clean_error() {
    let err = expect_json_error(&fixture("synthetic/broken/deeply-nested.json"));
    assert!(err.to_string().contains("recursion limit"), "{err}");
}

#[test]
fn garbage_and_invalid_utf8_are_errors() {
    expect_json_error(&fixture("synthetic/broken/garbage.bin"));
    expect_json_error(b"");
    expect_json_error(b"{\"reviews\": [\"\xff\xfe\"]}");
    expect_json_error(b"<html>Service unavailable</html>");
}

#[test]
fn truncated_json_names_the_position() {
    let doc = fixture("synthetic/trustpilot-api-reviews.json");
    let err = expect_json_error(&doc[..doc.len() / 2]);
    match &err {
        ExtractError::Json { line, message, .. } => {
            assert!(*line > 100, "{err}");
            assert!(message.contains("EOF"), "{err}");
        }
        _ => unreachable!(),
    }
}

#[test]
fn a_bom_is_skipped() {
    let mut doc = b"\xEF\xBB\xBF".to_vec();
    doc.extend(fixture("synthetic/yelp-reviews.json"));
    let map = mapping("items = \"/reviews\"\n[fields]\ntext = \"/text\"\n");
    let page = extract(&doc, &url("https://api.yelp.com/v3/x"), &map).unwrap();
    assert_eq!(page.mentions.len(), 3);
}

#[test]
fn items_pointer_must_reach_an_array() {
    let doc = fixture("synthetic/yelp-reviews.json");
    let base = url("https://api.yelp.com/v3/x");
    let shape = |items: &str| {
        let map = mapping(&format!("items = {items:?}\n[fields]\ntext = \"/text\"\n"));
        extract(&doc, &base, &map).unwrap_err().to_string()
    };
    assert_eq!(
        shape(""),
        "expected an array at the document root (items = \"\"), found object"
    );
    assert_eq!(
        shape("/reviews/0"),
        "expected an array at /reviews/0, found object"
    );
    assert_eq!(shape("/total"), "expected an array at /total, found number");
    assert_eq!(
        shape("/reviewz"),
        "expected an array at /reviewz, found nothing"
    );
    assert_eq!(
        extract(
            b"null",
            &base,
            &mapping("items = \"\"\n[fields]\ntext = \"/t\"\n")
        )
        .unwrap_err(),
        ExtractError::Shape {
            pointer: String::new(),
            found: "null"
        }
    );
}

const HOSTILE: &str = r#"
items = "/data/reviews"
rating_max = 5
[fields]
id = "/id"
url = "/link"
author = "/author"
title = "/title"
text = "/body"
rating = "/stars"
date = "/when"
"#;

#[test]
fn hostile_strings_stay_text_and_bad_items_are_skipped() {
    let base = url("https://reviews.example/api/v1/reviews");
    let page = extract(
        &fixture("json/hostile-strings.json"),
        &base,
        &mapping(HOSTILE),
    )
    .unwrap();
    assert_eq!(page.items_seen, 9);
    let m = &page.mentions;
    let ids: Vec<&str> = m
        .iter()
        .map(|m| m.external_id.as_deref().unwrap())
        .collect();
    // "nested" has objects and arrays where strings are expected: they are absent,
    // not stringified, so it has no text, title or rating and is skipped (but counted).
    assert_eq!(ids, ["123", "off-scale", "negative", "controls"]);

    let first = &m[0];
    assert_eq!(
        first.author.as_deref(),
        Some("Mallory <img src=x onerror=alert(1)>")
    );
    assert_eq!(
        first.title.as_deref(),
        Some("<script>alert('title')</script>")
    );
    assert_eq!(
        first.text,
        "Plain JSON text keeps markup as text: <script>alert(1)</script> &amp; stays &amp;"
    );
    assert_eq!(first.rating, Some(4.5));
    assert_eq!(first.url, None, "javascript: links are dropped");
    assert_eq!(
        first.published_at,
        at("2026-03-03T09:57:25Z"),
        "epoch millis"
    );

    assert_eq!(m[1].rating, None, "7 of 5 is dropped, not clamped");
    assert_eq!((m[1].rating_min, m[1].rating_max), (None, None));
    assert_eq!(
        m[1].url.as_deref(),
        Some("https://reviews.example/r/off-scale")
    );
    assert_eq!(m[1].published_at, None, "epoch 0 is unset");
    assert_eq!(m[2].rating, None);
    assert_eq!(m[2].published_at, None);
    assert_eq!(
        m[2].url.as_deref(),
        Some("https://other.example/r/negative")
    );
    assert_eq!(m[3].text, "line one line two with separators");
    assert_eq!(m[3].rating, Some(5.0));

    // The same body with the text marked as HTML.
    let html = HOSTILE.replace(
        "text = \"/body\"",
        "text = { pointer = \"/body_html\", html = true }",
    );
    let page = extract(
        &fixture("json/hostile-strings.json"),
        &base,
        &mapping(&html),
    )
    .unwrap();
    assert_eq!(
        page.mentions[0].text,
        "Kept after <script>alert(2)</script>"
    );
    // Only the first item has body_html; of the rest only "controls" has a rating
    // on the scale.
    assert_eq!(page.mentions.len(), 2);
}

#[test]
fn long_values_are_capped_on_char_boundaries() {
    let text = "ä".repeat(100_000);
    let author = "é".repeat(5_000);
    let doc = serde_json::json!([{ "t": text, "a": author, "id": "x".repeat(3000) }]).to_string();
    let map = mapping("items = \"\"\n[fields]\nid = \"/id\"\ntext = \"/t\"\nauthor = \"/a\"\n");
    let page = extract(doc.as_bytes(), &url("https://x.example/"), &map).unwrap();
    let m = &page.mentions[0];
    assert_eq!(m.text.len(), MAX_TEXT_BYTES);
    assert_eq!(m.author.as_ref().unwrap().len(), MAX_FIELD_BYTES);
    assert_eq!(m.external_id.as_ref().unwrap().len(), MAX_FIELD_BYTES);
}

#[test]
fn at_most_1000_items_per_page() {
    let items: Vec<_> = (0..1500)
        .map(|i| serde_json::json!({ "id": i, "t": format!("review {i}") }))
        .collect();
    let doc = serde_json::json!({ "items": items }).to_string();
    let map =
        mapping("items = \"/items\"\npage_param = \"p\"\n[fields]\nid = \"/id\"\ntext = \"/t\"\n");
    let page = extract(doc.as_bytes(), &url("https://x.example/r?p=4"), &map).unwrap();
    assert_eq!(page.items_seen, MAX_ITEMS);
    assert_eq!(page.mentions.len(), MAX_ITEMS);
    assert_eq!(page.mentions[999].external_id.as_deref(), Some("999"));
    assert_eq!(page.next.unwrap().as_str(), "https://x.example/r?p=5");
}

// ---------------------------------------------------------------------------
// Field reading

fn one(item: serde_json::Value, toml: &str) -> Option<RawMention> {
    let doc = serde_json::json!([item]).to_string();
    let map = mapping(&format!("items = \"\"\n{toml}"));
    let mut page = extract(
        doc.as_bytes(),
        &url("https://shop.example/api/reviews?x=1"),
        &map,
    )
    .unwrap();
    assert_eq!(page.items_seen, 1);
    page.mentions.pop()
}

#[test]
fn ratings_numbers_strings_maps_and_scales() {
    let r = |v: serde_json::Value, extra: &str| {
        one(
            serde_json::json!({ "r": v, "t": "x" }),
            &format!("{extra}\n[fields]\ntext = \"/t\"\nrating = {{ pointer = \"/r\", map = {{ gut = 4, POSITIVE = 5 }} }}\n"),
        )
        .unwrap()
        .rating
    };
    assert_eq!(r(serde_json::json!(4), ""), Some(4.0));
    assert_eq!(r(serde_json::json!("4"), ""), Some(4.0));
    assert_eq!(r(serde_json::json!(" 4,5 "), ""), Some(4.5));
    assert_eq!(
        r(serde_json::json!("Gut"), ""),
        Some(4.0),
        "map ignores ASCII case"
    );
    assert_eq!(r(serde_json::json!("positive"), ""), Some(5.0));
    assert_eq!(r(serde_json::json!("STAR_RATING_UNSPECIFIED"), ""), None);
    assert_eq!(r(serde_json::json!(0), ""), None);
    assert_eq!(r(serde_json::json!(true), ""), None);
    assert_eq!(r(serde_json::json!(9), "rating_max = 10"), Some(9.0));
    assert_eq!(
        r(serde_json::json!(0), "rating_min = 0\nrating_max = 10"),
        Some(0.0)
    );
    let m = one(
        serde_json::json!({ "r": 8, "t": "x" }),
        "rating_max = 10\n[fields]\ntext = \"/t\"\nrating = \"/r\"\n",
    )
    .unwrap();
    assert_eq!(
        (m.rating_min, m.rating, m.rating_max),
        (Some(1.0), Some(8.0), Some(10.0))
    );
    // Booleans count only through a map (Facebook-style recommendations).
    let rec = one(
        serde_json::json!({ "rec": true }),
        "[fields]\nrating = { pointer = \"/rec\", map = { true = 5, false = 1 } }\n",
    )
    .unwrap();
    assert_eq!(rec.rating, Some(5.0));
}

#[test]
fn map_renames_other_fields() {
    let m = one(
        serde_json::json!({ "t": "x", "l": "de_DE" }),
        "[fields]\ntext = \"/t\"\nlang = { pointer = \"/l\", map = { de_DE = \"de\" } }\n",
    )
    .unwrap();
    assert_eq!(m.lang.as_deref(), Some("de"));
}

#[test]
fn dates_in_every_supported_form() {
    let d = |v: serde_json::Value, format: &str| {
        let spec = if format.is_empty() {
            "\"/d\"".to_string()
        } else {
            format!("{{ pointer = \"/d\", format = {format:?} }}")
        };
        one(
            serde_json::json!({ "d": v, "t": "x" }),
            &format!("[fields]\ntext = \"/t\"\ndate = {spec}\n"),
        )
        .unwrap()
        .published_at
    };
    use serde_json::json;
    assert_eq!(
        d(json!("2026-03-04T07:52:13Z"), ""),
        at("2026-03-04T07:52:13Z")
    );
    assert_eq!(
        d(json!("2026-03-04T08:52:13+01:00"), ""),
        at("2026-03-04T07:52:13Z")
    );
    assert_eq!(
        d(json!("2026-03-02 09:14:51"), ""),
        at("2026-03-02T09:14:51Z")
    );
    assert_eq!(
        d(json!("2026-03-02 09:14:51 UTC"), ""),
        at("2026-03-02T09:14:51Z")
    );
    assert_eq!(d(json!("2026-03-02"), ""), at("2026-03-02T00:00:00Z"));
    assert_eq!(d(json!(1772531845), ""), at("2026-03-03T09:57:25Z"));
    assert_eq!(
        d(json!(1772531845123u64), ""),
        at("2026-03-03T09:57:25.123Z")
    );
    assert_eq!(d(json!("1772531845"), ""), at("2026-03-03T09:57:25Z"));
    assert_eq!(d(json!(1772556211.5), ""), at("2026-03-03T16:43:31.5Z"));
    assert_eq!(
        d(json!("04.03.2026"), "%d.%m.%Y"),
        at("2026-03-04T00:00:00Z")
    );
    assert_eq!(
        d(json!("04.03.2026 13:05"), "%d.%m.%Y %H:%M"),
        at("2026-03-04T13:05:00Z")
    );
    // The format is tried first, the built-in forms still apply.
    assert_eq!(
        d(json!("2026-03-04T07:52:13Z"), "%d.%m.%Y"),
        at("2026-03-04T07:52:13Z")
    );
    assert_eq!(d(json!("vor einer Woche"), ""), None);
    assert_eq!(d(json!(""), ""), None);
    assert_eq!(d(json!(null), ""), None);
    assert_eq!(d(json!(-5), ""), None);
    assert_eq!(d(json!(1e300), ""), None);
}

#[test]
fn text_title_and_rating_decide_whether_an_item_counts() {
    let toml = "[fields]\ntext = \"/t\"\ntitle = \"/h\"\nrating = \"/r\"\n";
    assert!(one(serde_json::json!({ "t": "  \n " }), toml).is_none());
    assert!(one(serde_json::json!({ "h": "only a title" }), toml).is_some());
    assert!(one(serde_json::json!({ "r": 3 }), toml).is_some());
    assert!(
        one(serde_json::json!({ "r": 30 }), toml).is_none(),
        "off-scale rating is no rating"
    );
    assert!(one(serde_json::json!("just a string"), toml).is_none());
}

#[test]
fn external_id_prefers_id_then_url_then_fingerprint() {
    let toml =
        "[fields]\nid = \"/id\"\nurl = \"/u\"\ntext = \"/t\"\nauthor = \"/a\"\ndate = \"/d\"\n";
    let m = one(
        serde_json::json!({ "id": 123, "u": "/r/1", "t": "x" }),
        toml,
    )
    .unwrap();
    assert_eq!(m.external_id.as_deref(), Some("123"));
    assert_eq!(m.url.as_deref(), Some("https://shop.example/r/1"));
    let m = one(serde_json::json!({ "u": "/r/1#top", "t": "x" }), toml).unwrap();
    assert_eq!(
        m.external_id.as_deref(),
        Some("https://shop.example/r/1#top")
    );
    // A link back to the request URL says nothing about the item.
    let m = one(serde_json::json!({ "u": "?x=1#r5", "t": "x" }), toml).unwrap();
    assert!(m.external_id.unwrap().starts_with("sha256:"));
    let fp = |v| one(v, toml).unwrap().external_id.unwrap();
    let a = fp(serde_json::json!({ "t": "same", "a": "Ann", "d": "2026-03-01" }));
    assert_eq!(
        a,
        fp(serde_json::json!({ "t": "same", "a": "Ann", "d": "2026-03-01" }))
    );
    assert_ne!(
        a,
        fp(serde_json::json!({ "t": "same", "a": "Bob", "d": "2026-03-01" }))
    );
    assert_ne!(
        a,
        fp(serde_json::json!({ "t": "same", "a": "Ann", "d": "2026-03-02" }))
    );
    // A composite id needs every part; otherwise the next choice applies.
    let composite = "[fields]\nid = [\"/s\", \"/n\"]\ntext = \"/t\"\n";
    let m = one(
        serde_json::json!({ "s": 7, "n": "a b", "t": "x" }),
        composite,
    )
    .unwrap();
    assert_eq!(m.external_id.as_deref(), Some("7:a b"));
    let m = one(serde_json::json!({ "s": 7, "t": "x" }), composite).unwrap();
    assert!(m.external_id.unwrap().starts_with("sha256:"));
}

#[test]
fn url_templates_encode_values_and_need_all_of_them() {
    let toml = "[fields]\ntext = \"/t\"\nurl = { template = \"https://site.example/r/{/id}?lang={/l}\" }\n";
    let m = one(
        serde_json::json!({ "id": "a/b c?d", "l": "de", "t": "x" }),
        toml,
    )
    .unwrap();
    assert_eq!(
        m.url.as_deref(),
        Some("https://site.example/r/a%2Fb%20c%3Fd?lang=de")
    );
    let m = one(serde_json::json!({ "id": "a", "t": "x" }), toml).unwrap();
    assert_eq!(m.url, None);
    // A pointer wins over the template when both give a URL.
    let both = "[fields]\ntext = \"/t\"\nurl = { pointer = \"/u\", template = \"/r/{/id}\" }\n";
    let m = one(
        serde_json::json!({ "id": 5, "u": "https://a.example/x", "t": "x" }),
        both,
    )
    .unwrap();
    assert_eq!(m.url.as_deref(), Some("https://a.example/x"));
    let m = one(serde_json::json!({ "id": 5, "t": "x" }), both).unwrap();
    assert_eq!(m.url.as_deref(), Some("https://shop.example/r/5"));
}

#[test]
fn replies_need_text_or_a_date() {
    let toml = "[fields]\ntext = \"/t\"\nreply = \"/re/text\"\nreply_date = \"/re/at\"\n";
    let reply = |v| one(v, toml).unwrap().reply;
    assert_eq!(reply(serde_json::json!({ "t": "x", "re": null })), None);
    assert_eq!(
        reply(serde_json::json!({ "t": "x", "re": { "text": " ", "at": null } })),
        None
    );
    assert_eq!(
        reply(serde_json::json!({ "t": "x", "re": { "text": "Danke!" } })),
        Some(Reply {
            text: "Danke!".into(),
            at: None
        })
    );
    // A platform that only says when it answered.
    assert_eq!(
        reply(serde_json::json!({ "t": "x", "re": { "at": "2026-03-04T09:00:00Z" } })),
        Some(Reply {
            text: String::new(),
            at: at("2026-03-04T09:00:00Z")
        })
    );
}

// ---------------------------------------------------------------------------
// Pagination

fn next(doc: serde_json::Value, request: &str, toml: &str) -> Option<String> {
    let map = mapping(&format!(
        "items = \"/items\"\n{toml}\n[fields]\ntext = \"/t\"\n"
    ));
    extract(doc.to_string().as_bytes(), &url(request), &map)
        .unwrap()
        .next
        .map(String::from)
}

#[test]
fn next_url_is_resolved_and_kept_on_the_same_host() {
    use serde_json::json;
    let n = |link: serde_json::Value| {
        next(
            json!({ "items": [], "next": link }),
            "https://api.example/v1/reviews?page=1",
            "next_url = \"/next\"",
        )
    };
    assert_eq!(
        n(json!("?page=2")).as_deref(),
        Some("https://api.example/v1/reviews?page=2")
    );
    assert_eq!(
        n(json!("/v1/reviews?after=x")).as_deref(),
        Some("https://api.example/v1/reviews?after=x")
    );
    assert_eq!(
        n(json!("https://api.example/v1/reviews?page=2")).as_deref(),
        Some("https://api.example/v1/reviews?page=2")
    );
    assert_eq!(
        n(json!("https://api.example/v1/reviews?page=1")),
        None,
        "same URL"
    );
    assert_eq!(
        n(json!("https://evil.example/v1/reviews?page=2")),
        None,
        "other host"
    );
    assert_eq!(
        n(json!("https://api.example:8443/v1/reviews?page=2")),
        None,
        "other port"
    );
    assert_eq!(n(json!("file:///etc/passwd")), None);
    assert_eq!(n(json!(null)), None);
    assert_eq!(n(json!("")), None);
    assert_eq!(n(json!({"href": "?page=2"})), None);
}

#[test]
fn next_cursor_sets_or_replaces_the_parameter() {
    use serde_json::json;
    let toml = "next_cursor = \"/c\"\ncursor_param = \"after\"";
    let n =
        |c: serde_json::Value, request: &str| next(json!({ "items": [], "c": c }), request, toml);
    assert_eq!(
        n(json!("abc"), "https://x.example/r").as_deref(),
        Some("https://x.example/r?after=abc")
    );
    assert_eq!(
        n(
            json!("a+b/c="),
            "https://x.example/r?after=old&q=a%20b&after=older"
        )
        .as_deref(),
        Some("https://x.example/r?after=a%2Bb%2Fc%3D&q=a%20b")
    );
    assert_eq!(
        n(json!(42), "https://x.example/r?q=1").as_deref(),
        Some("https://x.example/r?q=1&after=42")
    );
    assert_eq!(n(json!(null), "https://x.example/r"), None);
    assert_eq!(n(json!(""), "https://x.example/r"), None);
    assert_eq!(
        next(json!({ "items": [] }), "https://x.example/r", toml),
        None
    );
    // The same cursor again would loop.
    assert_eq!(n(json!("abc"), "https://x.example/r?after=abc"), None);
}

#[test]
fn page_param_counts_while_pages_bring_items() {
    use serde_json::json;
    let toml = "page_param = \"page\"";
    let with_items = json!({ "items": [{ "t": "x" }] });
    assert_eq!(
        next(with_items.clone(), "https://x.example/r?q=k", toml).as_deref(),
        Some("https://x.example/r?q=k&page=2")
    );
    assert_eq!(
        next(with_items.clone(), "https://x.example/r?page=7&q=k", toml).as_deref(),
        Some("https://x.example/r?page=8&q=k")
    );
    assert_eq!(
        next(with_items.clone(), "https://x.example/r?page=last", toml),
        None
    );
    assert_eq!(
        next(json!({ "items": [] }), "https://x.example/r?page=3", toml),
        None
    );
    // Items without text still mean the page was not empty.
    assert_eq!(
        next(json!({ "items": [{}] }), "https://x.example/r?page=3", toml).as_deref(),
        Some("https://x.example/r?page=4")
    );
    // No pagination configured: no next page.
    assert_eq!(next(with_items, "https://x.example/r?page=3", ""), None);
}

#[test]
fn offset_param_adds_the_items_of_each_page() {
    use serde_json::json;
    let toml = "offset_param = \"offset\"";
    let three = json!({ "items": [{ "t": "a" }, { "t": "b" }, {}] });
    assert_eq!(
        next(three.clone(), "https://x.example/r?limit=3", toml).as_deref(),
        Some("https://x.example/r?limit=3&offset=3")
    );
    assert_eq!(
        next(three.clone(), "https://x.example/r?limit=3&offset=3", toml).as_deref(),
        Some("https://x.example/r?limit=3&offset=6")
    );
    assert_eq!(
        next(three.clone(), "https://x.example/r?offset=x", toml),
        None
    );
    assert_eq!(
        next(json!({ "items": [] }), "https://x.example/r?offset=9", toml),
        None
    );
    // With page_size, a short page is the last; a full one is not.
    let sized = "offset_param = \"offset\"\npage_size = 4";
    assert_eq!(
        next(three.clone(), "https://x.example/r?offset=4", sized),
        None
    );
    let sized = "offset_param = \"offset\"\npage_size = 3";
    assert_eq!(
        next(three.clone(), "https://x.example/r?offset=4", sized).as_deref(),
        Some("https://x.example/r?offset=7")
    );
    let paged = "page_param = \"page\"\npage_size = 10";
    assert_eq!(next(three, "https://x.example/r?page=2", paged), None);
}

#[test]
fn offset_param_and_page_size_are_checked() {
    let problems = |toml: &str| -> Vec<String> {
        JsonMapping::from_toml_str(&format!(
            "items = \"/r\"\n{toml}\n[fields]\ntext = \"/t\"\n"
        ))
        .unwrap()
        .validate()
        .into_iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect()
    };
    assert_eq!(
        problems("page_size = 5"),
        ["page_size: has no effect without page_param or offset_param"]
    );
    assert_eq!(
        problems("page_param = \"p\"\noffset_param = \"o\""),
        [
            "offset_param: use only one of next_url, next_cursor, page_param and offset_param (found page_param, offset_param)"
        ]
    );
    assert_eq!(
        problems("offset_param = \" o\""),
        ["offset_param: must be a query parameter name without surrounding spaces"]
    );
    assert!(problems("offset_param = \"offset\"\npage_size = 100").is_empty());
    assert!(
        toml_error("items = \"/r\"\npage_size = 0\n[fields]\ntext = \"/t\"\n")
            .contains("page_size")
    );
}

// ---------------------------------------------------------------------------
// Config

#[test]
fn the_documented_example_parses() {
    let m = mapping(
        r#"
items = "/reviews"
next_url = "/links/next"
html = false
rating_max = 5
[fields]
id = "/id"
url = "/url"
author = "/consumer/displayName"
title = "/title"
text = "/text"
rating = { pointer = "/starRating", map = { ONE = 1, TWO = 2, THREE = 3, FOUR = 4, FIVE = 5 } }
date = "/createdAt"
updated = "/updatedAt"
lang = "/language"
reply = "/companyReply/text"
reply_date = { pointer = "/companyReply/createdAt", format = "%d.%m.%Y" }
"#,
    );
    assert_eq!(m.rating_max, Some(5.0));
    assert_eq!(
        m.fields.rating,
        Some(FieldSpec::pointer("/starRating").with_map([
            ("ONE", MapValue::Number(1.0)),
            ("TWO", MapValue::Number(2.0)),
            ("THREE", MapValue::Number(3.0)),
            ("FOUR", MapValue::Number(4.0)),
            ("FIVE", MapValue::Number(5.0)),
        ]))
    );
    assert_eq!(
        m.fields.reply_date,
        Some(FieldSpec::pointer("/companyReply/createdAt").with_format("%d.%m.%Y"))
    );
}

#[test]
fn built_in_code_equals_the_toml_form() {
    let from_code = JsonMapping {
        items: "/reviews".into(),
        next_cursor: Some("/nextPageToken".into()),
        cursor_param: Some("pageToken".into()),
        fields: Fields {
            id: Some(FieldSpec::pointer("/reviewId")),
            author: Some(FieldSpec::pointer("/reviewer/displayName")),
            text: Some(FieldSpec::pointer("/comment")),
            rating: Some(
                FieldSpec::pointer("/starRating").with_map(
                    ["ONE", "TWO", "THREE", "FOUR", "FIVE"]
                        .into_iter()
                        .zip(1..)
                        .map(|(k, v)| (k, MapValue::Number(v as f64))),
                ),
            ),
            date: Some(FieldSpec::pointer("/createTime")),
            updated: Some(FieldSpec::pointer("/updateTime")),
            reply: Some(FieldSpec::pointer("/reviewReply/comment")),
            reply_date: Some(FieldSpec::pointer("/reviewReply/updateTime")),
            ..Fields::default()
        },
        ..JsonMapping::default()
    };
    assert_eq!(from_code, mapping(GOOGLE_BUSINESS));
}

fn toml_error(toml: &str) -> String {
    JsonMapping::from_toml_str(toml).unwrap_err().to_string()
}

#[test]
fn unknown_keys_are_named() {
    let e = toml_error("items = \"/r\"\n[fields]\nrating = { pointr = \"/stars\" }\n");
    assert!(
        e.contains("unknown field `pointr`, expected one of `pointer`, `pointers`"),
        "{e}"
    );
    assert!(e.contains("rating"), "{e}");
    let e = toml_error("items = \"/r\"\npage_size_param = \"n\"\n[fields]\ntext = \"/t\"\n");
    assert!(e.contains("unknown field `page_size_param`"), "{e}");
    let e = toml_error("items = \"/r\"\n[fields]\nbody = \"/t\"\n");
    assert!(e.contains("unknown field `body`"), "{e}");
    let e =
        toml_error("items = \"/r\"\n[fields]\nid = { pointer = \"/a\", pointers = [\"/b\"] }\n");
    assert!(e.contains("either `pointer` or `pointers`"), "{e}");
    let e = toml_error("items = \"/r\"\n[fields]\ntext = { html = true }\n");
    assert!(e.contains("missing `pointer`"), "{e}");
    let e = toml_error("items = \"/r\"\n[fields]\ntext = 5\n");
    assert!(e.contains("a JSON pointer string"), "{e}");
    let e = toml_error("items = \"/r\"\n[fields]\nid = []\n");
    assert!(e.contains("at least one pointer"), "{e}");
    let e = toml_error("[fields]\ntext = \"/t\"\n");
    assert!(e.contains("missing field `items`"), "{e}");
}

#[test]
fn validate_reports_every_problem_with_its_key() {
    let m = JsonMapping::from_toml_str(
        r#"
items = "reviews"
next_url = "/next"
next_cursor = "/cursor"
page_param = " page"
rating_min = 5
rating_max = 5
[fields]
id = ["/a", "b~2"]
url = { template = "https://x.example/r" }
author = { pointer = "/a", html = true }
date = { pointer = "/d", format = "%Q" }
lang = { pointer = "/l", html = false, template = "{/x}" }
rating = { pointer = "/r", map = { good = "5" } }
updated = { pointer = "/u", format = "%Y" }
"#,
    )
    .unwrap();
    let got: Vec<String> = m
        .validate()
        .into_iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let expected = [
        "items: \"reviews\" is not a JSON pointer",
        "next_cursor: use only one of next_url, next_cursor, page_param and offset_param (found next_url, next_cursor, page_param)",
        "cursor_param: is required with next_cursor",
        "page_param: must be a query parameter name",
        "rating_max: must be greater than rating_min (5 <= 5)",
        "fields.id.pointers: \"b~2\" is not a JSON pointer",
        "fields.url.template: has no {/pointer} placeholder",
        "fields.lang.template: is only supported for fields.url",
        "fields.lang.html: applies only to author, title, text, reply",
        "fields.rating.map: \"good\" must map to a number",
        "fields.date.format: \"%Q\" is not a valid strftime format",
    ];
    for e in expected {
        assert!(
            got.iter().any(|g| g.starts_with(e)),
            "missing {e:?} in {got:#?}"
        );
    }
    assert_eq!(got.len(), expected.len(), "{got:#?}");

    let m = JsonMapping::from_toml_str(
        "items = \"/r\"\ncursor_param = \"after\"\n[fields]\ntext = \"/a~x\"\n",
    )
    .unwrap();
    let got = m.validate();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, "cursor_param");
    assert_eq!(got[1].0, "fields.text.pointer");
    assert!(
        got[1].1.contains("\"~\" must be followed by 0 or 1"),
        "{got:?}"
    );

    // Without text, title or rating a mapping reads nothing.
    let m = JsonMapping::from_toml_str("items = \"/r\"\n[fields]\nauthor = \"/a\"\n").unwrap();
    assert_eq!(
        m.validate(),
        [(
            "fields".to_string(),
            "map fields.text or fields.title (or fields.rating: ratings alone are kept)"
                .to_string()
        )]
    );
}

#[test]
fn fill_template_replaces_known_placeholders_only() {
    let vars = [("secret", "s3cr3t"), ("shop", "kettlewerk")];
    assert_eq!(
        fill_template(
            "https://api.example/v1/shops/{shop}/reviews?key={secret}&x={other}",
            &vars
        ),
        "https://api.example/v1/shops/kettlewerk/reviews?key=s3cr3t&x={other}"
    );
    assert_eq!(fill_template("Bearer {secret}", &vars), "Bearer s3cr3t");
    assert_eq!(
        fill_template("{/id} {{secret}} {secret", &vars),
        "{/id} {s3cr3t} {secret"
    );
    assert_eq!(fill_template("ä{shop}ö{}", &vars), "äkettlewerkö{}");
}
