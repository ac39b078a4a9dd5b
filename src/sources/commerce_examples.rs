//! The README's preset examples (`trusted_shops`, `amazon`, `ebay`, `etsy`) and the
//! commented ones in `config/example.toml` parse and build what they say.

use std::path::Path;

use crate::config::{Config, SourceKind};

/// The first ```toml block after `### <name>` in the README.
fn readme_block(name: &str) -> String {
    let readme = include_str!("../../README.md");
    let section = &readme[readme.find("## Presets").expect("a Presets section")..];
    let heading = format!("### {name}\n");
    let rest = &section[section.find(&heading).expect("the preset's heading")..];
    rest.split("```toml\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap()
        .to_string()
}

/// The commented `[sources.<id>]` block of `config/example.toml`, uncommented.
fn example_block(id: &str) -> String {
    let text = include_str!("../../config/example.toml");
    let start = text
        .find(&format!("# [sources.{id}]"))
        .expect("the example");
    text[start..]
        .lines()
        .take_while(|l| l.starts_with('#'))
        .filter(|l| !l.starts_with("# #"))
        .map(|l| l.trim_start_matches("# ").trim_start_matches('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` with every secret file path pointed at a readable file in `dir`.
fn load(text: &str, dir: &Path) -> Config {
    let secret = dir.join("secret");
    std::fs::write(&secret, "x\n").unwrap();
    let text: String = text
        .lines()
        .map(|l| match l.split_once(" = ") {
            Some((k, _)) if k.ends_with("_file") => {
                format!("{k} = \"{}\"", secret.display())
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    Config::from_str_at(&text, &dir.join("config.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn readme_and_example_presets_parse() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "trusted_shops",
            "trusted-shops-de",
            SourceKind::TrustedShops,
            "https://api.etrusted.com/reviews?channels=chl-",
        ),
        (
            "amazon",
            "amazon-de-aurora",
            SourceKind::Amazon,
            "https://www.amazon.de/dp/B0DKW7R2QX",
        ),
        (
            "ebay",
            "ebay-seller",
            SourceKind::Ebay,
            "https://api.ebay.com/ws/api.dll",
        ),
        (
            "etsy",
            "etsy-shop",
            SourceKind::Etsy,
            "https://openapi.etsy.com/v3/application/shops/38471203/reviews?limit=100",
        ),
    ];
    for (name, id, kind, url) in cases {
        for text in [readme_block(name), example_block(id)] {
            let c = load(&text, dir.path());
            let s = &c.sources[id];
            assert_eq!(s.kind, kind);
            assert!(s.url.as_str().starts_with(url), "{name}: {}", s.url);
            crate::sources::build(id, s).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
