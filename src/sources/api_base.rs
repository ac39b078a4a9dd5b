//! `api_base`: the override of a preset's host (a proxy, a regional host, a local
//! test server). A preset builds its endpoint as `api_base` + its own path.

use url::Url;

/// `base` with `segments` appended to its path (a base path such as a proxy's
/// `/etsy` prefix is kept); query and fragment are dropped. Each segment is
/// percent-encoded as needed.
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Result<Url, String> {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut()
        .map_err(|()| format!("{base} cannot hold a path"))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Problems of an `api_base`-like key (`key` is its name): http(s) with a host, no
/// query or fragment (the preset adds its own).
pub(crate) fn check(key: &str, base: &Url) -> Vec<(String, String)> {
    let mut p = Vec::new();
    if !matches!(base.scheme(), "http" | "https") {
        p.push((
            key.to_string(),
            format!(
                "scheme {:?} is not supported; use http or https",
                base.scheme()
            ),
        ));
    } else if base.host_str().is_none_or(str::is_empty) {
        p.push((key.to_string(), "has no host".to_string()));
    }
    if base.query().is_some() || base.fragment().is_some() {
        p.push((
            key.to_string(),
            "must not have a query or fragment (the preset adds its own)".to_string(),
        ));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_a_base_path_and_encode_segments() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            endpoint(&u("https://api.example"), &["v3", "shops", "42"])
                .unwrap()
                .as_str(),
            "https://api.example/v3/shops/42"
        );
        assert_eq!(
            endpoint(
                &u("http://127.0.0.1:8080/proxy/etsy/?x=1#f"),
                &["v3", "a b"]
            )
            .unwrap()
            .as_str(),
            "http://127.0.0.1:8080/proxy/etsy/v3/a%20b"
        );
        assert!(check("api_base", &u("https://api.example")).is_empty());
        assert_eq!(check("api_base", &u("ftp://x.example")).len(), 1);
        assert_eq!(check("api_base", &u("https://x.example/?q=1")).len(), 1);
    }
}
