//! Canonical URLs: one spelling per resource, so the same review reached through a
//! redirect wrapper or a tracking link is recognized.
//!
//! Rules, in order: resolve against the base; keep only http(s) with a host; unwrap
//! Google redirect wrappers (`https://www.google.<tld>/url?...&url=TARGET`, or
//! `q=TARGET`), at most [`MAX_UNWRAP`] deep; drop the fragment and known tracking
//! parameters; sort the remaining parameters. Scheme and host are lowercased, default
//! ports dropped and an empty path becomes `/` by the `url` crate's own normalization.
//! Parameter text is kept byte for byte (never decoded and re-encoded), so a server
//! that distinguishes `%20` from `+` still gets what it expects.

use url::Url;

/// How many nested redirect wrappers are unwrapped.
const MAX_UNWRAP: usize = 3;

/// Parameters that only say where a click came from. Conservative: nothing that may
/// select content (`id`, `p`, `page`, `v`, `ref`...) is in here.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "_hsenc",
    "_hsmi", "igshid", "yclid", "twclid", "ttclid", "_ga", "_gl", "ref_src", "spm", "srsltid",
];

/// Canonicalize `raw` (resolved against `base` when relative). None when it is not a
/// usable http(s) URL.
pub fn canonical_url(raw: &str, base: Option<&Url>) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let mut u = match base {
        Some(b) => b.join(raw).ok()?,
        None => Url::parse(raw).ok()?,
    };
    if !is_web(&u) {
        return None;
    }
    for _ in 0..MAX_UNWRAP {
        match unwrap_redirect(&u) {
            Some(inner) => u = inner,
            None => break,
        }
    }
    u.set_fragment(None);
    let query = u.query().map(clean_query);
    u.set_query(query.as_deref().filter(|q| !q.is_empty()));
    Some(u.into())
}

fn is_web(u: &Url) -> bool {
    matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
}

/// `www.google.com`, `google.de`, `www.google.co.uk`, `google.com.au`...
fn is_google_host(host: &str) -> bool {
    let host = host.strip_prefix("www.").unwrap_or(host);
    let mut labels = host.split('.');
    if labels.next() != Some("google") {
        return false;
    }
    let rest: Vec<&str> = labels.collect();
    (1..=2).contains(&rest.len()) && rest.iter().all(|l| (2..=3).contains(&l.len()))
}

/// The target of a Google redirect wrapper, if `u` is one and the target is usable.
fn unwrap_redirect(u: &Url) -> Option<Url> {
    if !is_google_host(u.host_str()?) || u.path() != "/url" {
        return None;
    }
    let pairs: Vec<_> = u.query_pairs().collect();
    let target = ["url", "q"]
        .iter()
        .find_map(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))?;
    let inner = Url::parse(target.trim()).ok()?;
    is_web(&inner).then_some(inner)
}

fn is_tracking(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("utm_") || TRACKING_PARAMS.contains(&key.as_str())
}

/// Drop tracking parameters and empty pieces, sort the rest (by key, then value).
fn clean_query(query: &str) -> String {
    let mut kept: Vec<(String, &str)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|pair| {
            let raw_key = pair.split('=').next().unwrap_or(pair);
            let key: String = form_decode(raw_key);
            (!is_tracking(&key)).then_some((key, pair))
        })
        .collect();
    kept.sort();
    kept.dedup();
    let mut out = String::with_capacity(query.len());
    for (_, pair) in kept {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(pair);
    }
    out
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(s.as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(raw: &str) -> Option<String> {
        canonical_url(raw, None)
    }

    #[test]
    fn resolves_relative_against_base() {
        let base = Url::parse("https://kettlewerk.example/products/aurora?x=1").unwrap();
        assert_eq!(
            canonical_url("/reviews?page=2", Some(&base)).as_deref(),
            Some("https://kettlewerk.example/reviews?page=2")
        );
        assert_eq!(
            canonical_url("r/7", Some(&base)).as_deref(),
            Some("https://kettlewerk.example/products/r/7")
        );
        assert_eq!(canonical_url("/x", None), None);
    }

    #[test]
    fn only_http_and_https() {
        assert_eq!(c("mailto:a@b.example"), None);
        assert_eq!(c("javascript:alert(1)"), None);
        assert_eq!(c("ftp://files.example/x"), None);
        assert_eq!(c("file:///etc/passwd"), None);
        assert_eq!(c(""), None);
        assert_eq!(c("not a url"), None);
        assert!(c("http://a.example/").is_some());
    }

    #[test]
    fn unwraps_google_redirects() {
        let raw = "https://www.google.com/url?rct=j&sa=t&url=https://investorplace.com/2019/07/slack-stock-truly-compelling/&ct=ga&cd=CAIy&usg=AFQj";
        assert_eq!(
            c(raw).as_deref(),
            Some("https://investorplace.com/2019/07/slack-stock-truly-compelling/")
        );
        assert_eq!(
            c("https://google.de/url?q=https%3A%2F%2Fshop.example%2Fp%3Fid%3D7%26utm_source%3Dx&sa=D")
                .as_deref(),
            Some("https://shop.example/p?id=7")
        );
        assert_eq!(
            c("https://www.google.co.uk/url?q=https://a.example/b").as_deref(),
            Some("https://a.example/b")
        );
    }

    #[test]
    fn unwraps_nested_google_redirects() {
        let inner = "https://www.google.com/url?url=https%3A%2F%2Fnews.example%2Fa";
        let outer = format!(
            "https://www.google.de/url?q={}",
            url::form_urlencoded::byte_serialize(inner.as_bytes()).collect::<String>()
        );
        assert_eq!(c(&outer).as_deref(), Some("https://news.example/a"));
    }

    #[test]
    fn keeps_non_wrapper_google_urls_and_bad_targets() {
        assert_eq!(
            c("https://www.google.com/search?q=kettlewerk").as_deref(),
            Some("https://www.google.com/search?q=kettlewerk")
        );
        // A wrapper whose target is not http(s) is kept as is (minus tracking).
        assert_eq!(
            c("https://www.google.com/url?q=javascript:alert(1)").as_deref(),
            Some("https://www.google.com/url?q=javascript:alert(1)")
        );
        // Not a google host.
        assert_eq!(
            c("https://google.evil.example/url?q=https://a.example/").as_deref(),
            Some("https://google.evil.example/url?q=https://a.example/")
        );
    }

    #[test]
    fn drops_tracking_params() {
        assert_eq!(
            c("https://a.example/p?utm_source=x&UTM_Medium=y&fbclid=1&gclid=2&id=5&_ga=3&srsltid=9&spm=a.b")
                .as_deref(),
            Some("https://a.example/p?id=5")
        );
        for p in TRACKING_PARAMS {
            assert_eq!(
                c(&format!("https://a.example/?{p}=1")).as_deref(),
                Some("https://a.example/"),
                "{p}"
            );
        }
    }

    #[test]
    fn keeps_content_params() {
        assert_eq!(
            c("https://www.youtube.com/watch?v=KL8ozFiA2as&t=10").as_deref(),
            Some("https://www.youtube.com/watch?t=10&v=KL8ozFiA2as")
        );
        assert_eq!(
            c("https://a.example/?ref=home&page=2").as_deref(),
            Some("https://a.example/?page=2&ref=home")
        );
    }

    #[test]
    fn sorts_params_and_keeps_their_encoding() {
        assert_eq!(
            c("https://a.example/s?q=a+b&b=%20x&a=1&&").as_deref(),
            Some("https://a.example/s?a=1&b=%20x&q=a+b")
        );
        assert_eq!(
            c("https://a.example/s?b=2&a=1"),
            c("https://a.example/s?a=1&b=2")
        );
    }

    #[test]
    fn lowercases_scheme_and_host() {
        assert_eq!(
            c("HTTPS://Kettlewerk.EXAMPLE/Path").as_deref(),
            Some("https://kettlewerk.example/Path")
        );
    }

    #[test]
    fn drops_default_ports_only() {
        assert_eq!(
            c("https://a.example:443/x").as_deref(),
            Some("https://a.example/x")
        );
        assert_eq!(
            c("http://a.example:80/x").as_deref(),
            Some("http://a.example/x")
        );
        assert_eq!(
            c("https://a.example:8443/x").as_deref(),
            Some("https://a.example:8443/x")
        );
    }

    #[test]
    fn drops_fragment() {
        assert_eq!(
            c("https://a.example/r#review-101").as_deref(),
            Some("https://a.example/r")
        );
    }

    #[test]
    fn empty_path_becomes_slash() {
        assert_eq!(
            c("https://a.example").as_deref(),
            Some("https://a.example/")
        );
        assert_eq!(
            c("https://a.example?utm_source=x").as_deref(),
            Some("https://a.example/")
        );
    }
}
