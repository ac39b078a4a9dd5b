//! `type = "amazon"`: the customer reviews an Amazon product page shows to anyone,
//! without signing in (`https://www.amazon.<marketplace>/dp/<asin>`).
//!
//! Amazon's full review list (`/product-reviews/<asin>`) asks visitors to sign in;
//! reviewradar does not log in, so it reads what the product page itself shows: the
//! top reviews (about eight) and the page's overall rating. The page is read with
//! the html engine ([`html::extract`]) through the `data-hook` attributes Amazon
//! marks its review cards with:
//!
//! * each `div[data-hook="review"]` is a review, its `id` (`R…`) the review id;
//! * `.a-profile-name` the reviewer, `[data-hook="review-star-rating"]` the stars as
//!   text in the page's language ("1,0 von 5 Sternen", "1,0 de 5 estrellas", "1.0 out
//!   of 5 stars"), the last `span` of `[data-hook="review-title"]` the title (the stars
//!   may sit inside the title link), `[data-hook="review-date"]` the date in prose
//!   ("Rezension aus Deutschland vom 3. März 2026");
//! * the text is `[data-hook="review-collapsed"]` when the card folds it (leaving out
//!   the "Weiterlesen" prompt), else the `span` inside `[data-hook="review-body"]`.
//!
//! Sellers cannot answer reviews on Amazon, so there are no replies. A bot check
//! (captcha) or sign-in page is reported as [`SourceError::Blocked`]; reviewradar
//! never tries to get around one.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use scraper::{Html, Selector};
use serde::Deserialize;
use url::Url;

use super::html::{self, FieldSpec, Fields, HtmlMapping};
use super::localize::rating_from_text;
use super::{Page, PollContext, PollOutcome, Source, SourceError, api_base};
use crate::config::{SourceConfig, SourceOptions};
use crate::fetch::Request;
use crate::mention::AggregateRating;

/// The platform label and `type` name.
pub const NAME: &str = "amazon";
/// The keys of an `amazon` source beyond the common ones.
pub const KEYS: &[&str] = &["asin", "marketplace", "api_base"];
/// The marketplaces (the host's ending after `www.amazon.`) reviewradar knows.
pub const MARKETPLACES: &[&str] = &[
    "com", "de", "es", "fr", "it", "nl", "co.uk", "ie", "pl", "se", "com.be", "com.tr", "ca",
    "com.mx", "com.br", "com.au", "co.jp", "in", "sg", "ae", "sa", "eg",
];

/// `type = "amazon"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmazonOptions {
    /// The product's ASIN: ten letters and digits, as in `/dp/B0DKW7R2QX`.
    pub asin: String,
    /// The store: `"de"`, `"es"`, `"fr"`, `"nl"`, `"it"`, `"co.uk"`, `"com"`, ...
    /// (the end of `www.amazon.<marketplace>`). Required unless `api_base` is set.
    pub marketplace: Option<String>,
    /// The site to read instead of `https://www.amazon.<marketplace>` (a local mirror,
    /// a test server).
    pub api_base: Option<Url>,
}

impl AmazonOptions {
    /// `{api_base}/dp/<asin>`, `api_base` defaulting to the marketplace's site.
    pub fn default_url(&self) -> Result<Url, String> {
        let base = match (&self.api_base, &self.marketplace) {
            (Some(base), _) => base.clone(),
            (None, Some(m)) => Url::parse(&format!("https://www.amazon.{}/", m.trim()))
                .map_err(|_| format!("marketplace {m:?} does not make a host name"))?,
            (None, None) => {
                return Err(
                    "missing: an amazon source needs marketplace (e.g. \"de\") or api_base"
                        .to_string(),
                );
            }
        };
        api_base::endpoint(&base, &["dp", self.asin.trim()])
    }

    /// Problems with their keys (relative to the source table). No I/O.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut p = Vec::new();
        let asin = self.asin.trim();
        if !(asin.len() == 10 && asin.bytes().all(|b| b.is_ascii_alphanumeric())) {
            p.push((
                "asin".to_string(),
                format!("{asin:?} is not an ASIN (ten letters and digits, as in /dp/B0DKW7R2QX)"),
            ));
        }
        if let Some(m) = &self.marketplace
            && !MARKETPLACES.contains(&m.trim())
        {
            p.push((
                "marketplace".to_string(),
                format!(
                    "{m:?} is not a known Amazon store; use one of {} (or api_base)",
                    MARKETPLACES.join(", ")
                ),
            ));
        }
        if let Some(base) = &self.api_base {
            p.extend(api_base::check("api_base", base));
        }
        p
    }
}

/// The html mapping of Amazon review cards.
pub fn mapping() -> HtmlMapping {
    HtmlMapping::new(
        r#"div[data-hook="review"]"#,
        Fields {
            id: Some(FieldSpec::item_attr("id")),
            author: Some(FieldSpec::css(".a-profile-name")),
            title: Some(FieldSpec::css(
                r#"[data-hook="review-title"] > span:last-of-type, span[data-hook="review-title"]"#,
            )),
            text: Some(FieldSpec::css(
                r#"[data-hook="review-collapsed"], [data-hook="review-body"] > span"#,
            )),
            rating: Some(
                FieldSpec::css(
                    r#"[data-hook="review-star-rating"] .a-icon-alt, [data-hook="cmps-review-star-rating"] .a-icon-alt"#,
                )
                .with_max(5.0),
            ),
            date: Some(FieldSpec::css(r#"[data-hook="review-date"]"#)),
            ..Fields::default()
        },
    )
}

/// A `type = "amazon"` source.
pub struct AmazonSource {
    id: String,
    url: Url,
    platform: String,
    mapping: HtmlMapping,
}

impl AmazonSource {
    pub fn new(id: &str, cfg: &SourceConfig) -> Result<Self, String> {
        if !matches!(cfg.options, SourceOptions::Amazon(_)) {
            return Err("not an amazon source".to_string());
        }
        Ok(Self {
            id: id.to_string(),
            url: cfg.url.clone(),
            platform: cfg.platform.clone().unwrap_or_else(|| NAME.to_string()),
            mapping: mapping(),
        })
    }
}

#[async_trait]
impl Source for AmazonSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        &self.platform
    }
    async fn poll(&self, cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        let now = Utc::now();
        super::poll_pages(
            cx,
            &self.url,
            1,
            |u| Request::get(u.clone()),
            |body| {
                let page = super::jsonld::decode_page(&body.bytes, body.content_type.as_deref());
                parse(&page, &body.final_url, &self.mapping, now)
            },
        )
        .await
    }
}

/// Read one product page (`page_url` after redirects): its reviews and overall
/// rating, or why it is not a product page.
pub fn parse(
    page: &str,
    page_url: &Url,
    map: &HtmlMapping,
    now: DateTime<Utc>,
) -> Result<Page, SourceError> {
    let blocked = |reason: &str| SourceError::Blocked {
        url: page_url.to_string(),
        reason: reason.to_string(),
    };
    if page_url.path().starts_with("/ap/signin") {
        return Err(blocked(
            "Amazon sent a sign-in page; reviewradar reads only what the product page shows without logging in",
        ));
    }
    if !page.contains(r#"data-hook="review""#) && is_bot_check(page) {
        return Err(blocked(
            "Amazon bot check (captcha page); reviewradar does not solve or avoid captchas: poll less often, or read the reviews by hand for a while",
        ));
    }
    let extracted =
        html::extract(page, page_url, map, now).map_err(|e| e.into_source_error(page_url))?;
    let mut mentions = extracted.mentions;
    for m in &mut mentions {
        // The review's own page, without the tracking `ref` and query of the link.
        if let Some(id) = m.external_id.as_deref()
            && is_review_id(id)
            && matches!(page_url.scheme(), "http" | "https")
            && let Ok(u) = page_url.join(&format!("/gp/customer-reviews/{id}"))
        {
            m.url = Some(u.to_string());
        }
    }
    Ok(Page {
        mentions,
        next: None,
        items_seen: extracted.items_seen,
        aggregate: aggregate(page),
    })
}

/// Amazon's bot-check page: the captcha form and its wording.
fn is_bot_check(page: &str) -> bool {
    let head = crate::mention::cut(page, 256 * 1024);
    head.contains("/errors/validateCaptcha")
        || head.contains("Enter the characters you see below")
        || head.contains("api-services-support@amazon.com")
}

fn is_review_id(id: &str) -> bool {
    id.len() >= 8
        && id.len() <= 32
        && id.starts_with('R')
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// "3,4 von 5" and "187 globale Bewertungen" of the page's rating summary.
fn aggregate(page: &str) -> Option<AggregateRating> {
    let doc = Html::parse_document(page);
    let text = |css: &str| {
        let sel = Selector::parse(css).ok()?;
        let el = doc.select(&sel).next()?;
        Some(crate::mention::fold_whitespace(
            &el.text().collect::<String>(),
        ))
    };
    let (rating, best) = text(r#"[data-hook="rating-out-of-text"]"#)
        .as_deref()
        .and_then(rating_from_text)?;
    let best = best.unwrap_or(5.0);
    if !(1.0..=best).contains(&rating) {
        return None;
    }
    let count = text(r#"[data-hook="total-review-count"]"#).and_then(|t| {
        let digits: String = t
            .split_whitespace()
            .next()?
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        digits.parse::<u64>().ok()
    });
    Some(AggregateRating {
        rating,
        best: Some(best),
        worst: Some(1.0),
        rating_count: count,
        review_count: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, SourceKind};

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name),
        )
        .unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-04T12:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn utc(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap().to_utc())
    }

    fn read(name: &str, url: &str) -> Page {
        parse(&fixture(name), &Url::parse(url).unwrap(), &mapping(), now()).unwrap()
    }

    #[test]
    fn amazon_de_product_page() {
        let page = read(
            "synthetic/amazon-de-product.html",
            "https://www.amazon.de/dp/B0DKW7R2QX",
        );
        assert_eq!(page.items_seen, 5);
        let m = &page.mentions;
        assert_eq!(m.len(), 5);
        let first = &m[0];
        assert_eq!(first.external_id.as_deref(), Some("RU7RCVMI9YWZ8"));
        assert_eq!(
            first.url.as_deref(),
            Some("https://www.amazon.de/gp/customer-reviews/RU7RCVMI9YWZ8")
        );
        assert_eq!(first.author.as_deref(), Some("Jürgen P."));
        assert_eq!(first.title.as_deref(), Some("Undicht nach drei Wochen"));
        assert_eq!(
            (first.rating, first.rating_min, first.rating_max),
            (Some(1.0), Some(1.0), Some(5.0))
        );
        assert_eq!(first.published_at, utc("2026-03-03T00:00:00Z"));
        assert_eq!(
            first.text,
            "Sieht toll aus, aber nach drei Wochen steht unter dem Sockel jedes Mal eine Pfütze. Der Verkäufer (Kettlewerk) antwortet nicht auf Nachrichten. Rücksendung über Amazon läuft, mal sehen."
        );
        assert!(
            m.iter().all(|m| !m.text.contains("Weiterlesen")),
            "the expander prompt is not text"
        );
        assert!(m.iter().all(|m| m.reply.is_none()), "no seller replies");
        let ratings: Vec<f64> = m.iter().filter_map(|m| m.rating).collect();
        assert_eq!(ratings, [1.0, 5.0, 2.0, 1.0, 4.0]);
        assert_eq!(
            m[2].published_at,
            utc("2026-02-12T00:00:00Z"),
            "\"aus Österreich\""
        );
        assert!(m[1].text.ends_with("für grünen Tee. 🍵"));
        assert_eq!(
            page.aggregate,
            Some(AggregateRating {
                rating: 3.4,
                best: Some(5.0),
                worst: Some(1.0),
                rating_count: Some(187),
                review_count: None,
            })
        );
        assert_eq!(page.next, None);
    }

    #[test]
    fn amazon_es_product_page_keeps_hostile_text_as_text() {
        let page = read(
            "synthetic/amazon-es-product.html",
            "https://www.amazon.es/dp/B0DKW7R2QX",
        );
        let m = &page.mentions;
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].external_id.as_deref(), Some("RBV012A7NHBYFY"));
        assert_eq!(m[0].author.as_deref(), Some("Carmen R."));
        assert_eq!(
            m[0].title.as_deref(),
            Some("Llegó roto y sin respuesta"),
            "the stars inside the title link are not the title"
        );
        assert_eq!(m[0].rating, Some(1.0));
        assert_eq!(m[0].published_at, utc("2026-03-03T00:00:00Z"));
        assert!(m[0].text.starts_with("La base llegó rajada."));
        let hostile: Vec<_> = m
            .iter()
            .filter(|m| {
                m.title.as_deref().is_some_and(|t| t.contains("<script>"))
                    || m.text.contains("<script>alert(1)</script>")
            })
            .collect();
        assert!(!hostile.is_empty(), "literal <script> kept as text");
        assert!(m.iter().all(|m| !m.text.contains("Leer más")));
        let ratings: Vec<f64> = m.iter().filter_map(|m| m.rating).collect();
        assert_eq!(
            ratings,
            [1.0, 5.0, 1.0, 3.0],
            "3 of 4 critical by Amazon's count"
        );
        assert_eq!(m[1].published_at, utc("2026-02-25T00:00:00Z"));
    }

    #[test]
    fn real_amazon_com_review_page() {
        let page = read(
            "real/amazon-customer-reviews.html",
            "https://www.amazon.com/product-reviews/B0BBPNPZTC",
        );
        assert_eq!(page.items_seen, 10);
        let m = &page.mentions;
        assert_eq!(m.len(), 10);
        assert_eq!(m[0].external_id.as_deref(), Some("RIY0N097PYR7K"));
        assert_eq!(m[0].author.as_deref(), Some("Tina Haskett Cambar"));
        assert_eq!(m[0].title.as_deref(), Some("Name brand and performance"));
        assert_eq!(m[0].rating, Some(5.0));
        assert_eq!(m[0].published_at, utc("2024-07-01T00:00:00Z"));
        assert!(
            m[0].text
                .starts_with("This is the dish liquid I always buy")
        );
        assert!(
            m.iter()
                .all(|m| !m.text.is_empty() && m.published_at.is_some())
        );
        assert!(m.iter().all(|m| {
            m.title
                .as_deref()
                .is_some_and(|t| !t.contains("out of 5 stars"))
        }));
        assert!(page.aggregate.is_some());
    }

    #[test]
    fn bot_checks_and_sign_in_pages_are_blocked() {
        let captcha = r#"<!doctype html><html><head><title>Amazon.de</title></head><body>
<h4>Geben Sie die angezeigten Zeichen im Bild ein</h4>
<form method="get" action="/errors/validateCaptcha" name=""><input type=hidden name="amzn" value="x"/>
<img src="https://images-na.ssl-images-amazon.com/captcha/abc/Captcha_xyz.jpg"></form></body></html>"#;
        let url = Url::parse("https://www.amazon.de/dp/B0DKW7R2QX").unwrap();
        let e = parse(captcha, &url, &mapping(), now()).unwrap_err();
        assert_eq!(e.kind(), "blocked");
        assert!(e.to_string().contains("captcha"), "{e}");
        let e = parse(
            &fixture("presets/amazon-captcha.html"),
            &url,
            &mapping(),
            now(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), "blocked");
        assert!(
            e.to_string().contains("does not solve or avoid captchas"),
            "{e}"
        );
        let en = "<html><body><p>Enter the characters you see below</p><p>Sorry, we just need to make sure you're not a robot.</p></body></html>";
        assert_eq!(
            parse(en, &url, &mapping(), now()).unwrap_err().kind(),
            "blocked"
        );
        let signin = Url::parse("https://www.amazon.de/ap/signin?openid.return_to=x").unwrap();
        let e = parse(
            "<html><body><form><input type=\"email\"></form></body></html>",
            &signin,
            &mapping(),
            now(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("sign-in"), "{e}");
        // A product page without reviews is not an error.
        let empty = parse(
            "<html><body><span id=\"productTitle\">Kettle</span></body></html>",
            &url,
            &mapping(),
            now(),
        )
        .unwrap();
        assert_eq!((empty.items_seen, empty.mentions.len()), (0, 0));
    }

    #[test]
    fn a_truncated_page_gives_what_it_holds_without_panicking() {
        let whole = fixture("synthetic/amazon-de-product.html");
        let cut = &whole[..whole.find("RO2XFCX7EQVH0").unwrap()];
        let page = parse(
            cut,
            &Url::parse("https://www.amazon.de/dp/B0DKW7R2QX").unwrap(),
            &mapping(),
            now(),
        )
        .unwrap();
        assert_eq!(page.mentions.len(), 3);
    }

    fn load(text: &str) -> Result<Config, String> {
        Config::load_for_test(text)
    }

    const GOOD: &str =
        "[sources.amz]\ntype = \"amazon\"\nasin = \"B0DKW7R2QX\"\nmarketplace = \"de\"\n";

    #[test]
    fn config_builds_the_product_url_with_polite_defaults() {
        let c = load(GOOD).unwrap();
        let s = &c.sources["amz"];
        assert_eq!(s.kind, SourceKind::Amazon);
        assert_eq!(s.url.as_str(), "https://www.amazon.de/dp/B0DKW7R2QX");
        assert_eq!(s.interval, std::time::Duration::from_secs(6 * 3600));
        assert_eq!(s.negative_at_or_below, Some(3.0), "1 to 3 stars");
        assert_eq!(
            c.http.limits_for("www.amazon.de"),
            (1, std::time::Duration::from_secs(10))
        );
        let c = load(&GOOD.replace("\"de\"", "\"co.uk\"")).unwrap();
        assert_eq!(
            c.sources["amz"].url.as_str(),
            "https://www.amazon.co.uk/dp/B0DKW7R2QX"
        );
        let c = load(&GOOD.replace(
            "marketplace = \"de\"",
            "api_base = \"http://127.0.0.1:9/mirror\"\nnegative_at_or_below = 2",
        ))
        .unwrap();
        assert_eq!(
            c.sources["amz"].url.as_str(),
            "http://127.0.0.1:9/mirror/dp/B0DKW7R2QX"
        );
        assert_eq!(c.sources["amz"].negative_at_or_below, Some(2.0));
        assert_eq!(
            AmazonSource::new("amz", &c.sources["amz"])
                .unwrap()
                .platform(),
            "amazon"
        );
    }

    #[test]
    fn config_problems_name_their_keys() {
        let p = load(&GOOD.replace("asin = \"B0DKW7R2QX\"\n", "")).unwrap_err();
        assert!(p.contains("missing field `asin`"), "{p}");
        let p = load(&GOOD.replace("marketplace = \"de\"\n", "")).unwrap_err();
        assert!(
            p.contains("sources.amz.url: missing: an amazon source needs marketplace"),
            "{p}"
        );
        let p = load(&GOOD.replace("B0DKW7R2QX", "B0DKW7")).unwrap_err();
        assert!(
            p.starts_with("3: sources.amz.asin: \"B0DKW7\" is not an ASIN"),
            "{p}"
        );
        let p = load(&GOOD.replace("\"de\"", "\"xx\"")).unwrap_err();
        assert!(
            p.starts_with("4: sources.amz.marketplace: \"xx\" is not a known"),
            "{p}"
        );
        let p = load(&format!("{GOOD}max_pages = 2\n")).unwrap_err();
        assert!(
            p.contains("5: sources.amz.max_pages: not a key of a amazon source"),
            "{p}"
        );
        let p = load(&format!("{GOOD}password_file = \"x\"\n")).unwrap_err();
        assert!(
            p.starts_with("5: sources.amz.password_file: unknown key"),
            "{p}"
        );
    }
}
