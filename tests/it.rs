//! Integration tests: the real binary against local HTTP fixture servers, a local
//! webhook receiver and a real SMTP server on loopback. No internet.

mod support;

use std::time::{Duration, Instant};

use chrono::Duration as Age;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use support::*;

fn hook_config(server: &Server, secret_file: Option<&std::path::Path>) -> String {
    let secret = secret_file
        .map(|p| format!("secret_file = \"{}\"\n", p.display()))
        .unwrap_or_default();
    format!(
        "[notifiers.hook]\ntype = \"webhook\"\nurl = \"{}\"\ntimeout = \"5s\"\n{secret}\n[notifiers.hook.retry]\ninitial = \"100ms\"\nmax = \"400ms\"\ngive_up_after = \"1h\"\n",
        server.url("/hook")
    )
}

fn feed_source(id: &str, url: &str) -> String {
    format!("[sources.{id}]\ntype = \"feed\"\nurl = \"{url}\"\ninterval = \"1m\"\n")
}

fn jsonld_source(id: &str, url: &str) -> String {
    format!("[sources.{id}]\ntype = \"jsonld\"\nurl = \"{url}\"\ninterval = \"1m\"\n")
}

/// `/feed.xml`: one recent, clearly negative forum post.
fn serve_one_complaint(server: &Server) {
    server.ok(
        "/feed.xml",
        rss(&[(
            "x1",
            "https://forum.example/x1",
            "Scam",
            ANGRY_EN,
            &rfc2822_ago(Age::hours(2)),
        )]),
        "application/rss+xml",
    );
}

fn hooks(server: &Server) -> Vec<serde_json::Value> {
    accepted_webhooks(server, "/hook", &[200])
}

const ANGRY_EN: &str = "Ordered three weeks ago, still nothing arrived. Four emails to support unanswered. I want a refund, this shop is a scam.";
const HAPPY_EN: &str = "Lovely kettle, boils fast and quietly. Great service, highly recommended!";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_poll_respects_backfill_and_repoll_is_conditional() {
    let server = Server::start().await;
    let feed = |extra: bool| {
        let old = rfc2822_ago(Age::days(30));
        let new = rfc2822_ago(Age::hours(1));
        let mut items = vec![
            (
                "old-1",
                "https://forum.example/t/1",
                "Old complaint",
                ANGRY_EN,
                old.as_str(),
            ),
            (
                "new-1",
                "https://forum.example/t/2",
                "Never again",
                "The kettle arrived broken and support never answered. Terrible, I want my money back.",
                new.as_str(),
            ),
            (
                "new-2",
                "https://forum.example/t/3",
                "Great kettle",
                HAPPY_EN,
                new.as_str(),
            ),
        ];
        if extra {
            items.push((
                "new-3",
                "https://forum.example/t/4",
                "Still waiting",
                "Paid a month ago and the parcel never arrived. No answer to my emails. Awful.",
                new.as_str(),
            ));
        }
        rss(&items
            .iter()
            .map(|(a, b, c, d, e)| (*a, *b, *c, *d, *e))
            .collect::<Vec<_>>())
    };
    server.ok("/feed.xml", feed(false), "application/rss+xml");
    server.route("/hook", Reply::Status(200, vec![]));
    let secret_dir = tempfile::tempdir().unwrap();
    let secret_path = secret_dir.path().join("secret");
    std::fs::write(&secret_path, "s3cret\n").unwrap();
    let env = Env::with_daemon(
        "backfill = \"7d\"",
        &format!(
            "{}\n{}",
            feed_source("alerts", &server.url("/feed.xml")),
            hook_config(&server, Some(&secret_path))
        ),
    );

    env.once().await;
    let got = hooks(&server);
    assert_eq!(
        got.len(),
        1,
        "only the new negative mention alerts: {got:#?}"
    );
    assert_eq!(got[0]["event"], "review.negative");
    assert_eq!(got[0]["mention"]["title"], "Never again");
    assert_eq!(got[0]["mention"]["negative"], true);
    assert_eq!(
        env.mentions().await.len(),
        3,
        "the old one is stored silently as the baseline"
    );

    // The webhook is signed over the exact body, and names its delivery.
    let req = &server.requests("/hook")[0];
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(&req.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(req.headers.get("x-reviewradar-signature"), Some(&expected));
    assert_eq!(
        req.headers
            .get("x-reviewradar-delivery")
            .map(String::as_str),
        got[0]["delivery_id"].as_str()
    );
    assert!(
        req.headers
            .get("user-agent")
            .is_some_and(|u| u.starts_with("reviewradar-test/"))
    );

    // Re-poll: a conditional GET, answered 304, alerting nothing.
    env.once().await;
    let reqs = server.requests("/feed.xml");
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs[1].headers.contains_key("if-none-match"),
        "second poll is conditional: {:?}",
        reqs[1].headers
    );
    assert_eq!(hooks(&server).len(), 1);

    // After the baseline, a new negative item alerts.
    server.ok("/feed.xml", feed(true), "application/rss+xml");
    env.once().await;
    let got = hooks(&server);
    assert_eq!(got.len(), 2);
    assert_eq!(got[1]["mention"]["title"], "Still waiting");
    assert_eq!(env.mentions().await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_alert_echo_and_tracking_repost_are_the_same_mention() {
    let server = Server::start().await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let long_de = "Nach zwei Wochen springt der Deckel beim Kochen auf und der Wasserkocher schaltet nicht mehr ab. Gefährlich! Die Reklamation läuft seit zehn Tagen und niemand meldet sich.";
    server.ok(
        "/product",
        jsonld_page(&[
            ("r1", 1, "Deckel springt auf", long_de, &today),
            ("r2", 1, "Never arrived", ANGRY_EN, &today),
            ("r3", 5, "Lovely", HAPPY_EN, &today),
        ]),
        "text/html; charset=utf-8",
    );
    server.route("/hook", Reply::Status(200, vec![]));
    let body = format!(
        "{}\n{}",
        jsonld_source("shop", &server.url("/product")),
        hook_config(&server, None)
    );
    let env = Env::new(&body);
    env.once().await;
    assert_eq!(hooks(&server).len(), 2, "two negative reviews, two alerts");

    // A Google Alert quoting a snippet of r1 (wrapped link to the product page), and
    // a repost of r2 under a tracking URL.
    let now = chrono::Utc::now().to_rfc3339();
    let atom = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><id>tag:google.com,2005:reader/alerts/1</id><title>Google Alert - Kettlewerk</title><updated>{now}</updated>
<entry><id>tag:google.com,2013:googlealerts/feed:1</id><title type="html">&lt;b&gt;Kettlewerk&lt;/b&gt; Wasserkocher</title><link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://blog.example/wasserkocher-erfahrungen%3Futm_source%3Dx&amp;ct=ga&amp;usg=AOvVaw1"/><published>{now}</published><updated>{now}</updated><content type="html">... springt der Deckel beim Kochen auf und der Wasserkocher schaltet nicht mehr ab. Gefährlich! Die Reklamation l&amp;nbsp;...</content><author><name></name></author></entry>
<entry><id>tag:google.com,2013:googlealerts/feed:2</id><title type="html">Never arrived</title><link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://shop.example/reviews/r2%3Futm_source%3Dalerts%26fbclid%3Dabc&amp;ct=ga&amp;usg=AOvVaw2"/><published>{now}</published><updated>{now}</updated><content type="html">Ordered three weeks ago ...</content><author><name></name></author></entry>
</feed>"#
    );
    server.ok("/alerts.atom", atom, "application/atom+xml");
    let repost = rss(&[(
        "repost-1",
        "https://shop.example/reviews/r2?utm_medium=social&utm_campaign=x&gclid=123",
        "Never arrived (repost)",
        "Shared from the shop's review page.",
        &rfc2822_ago(Age::minutes(5)),
    )]);
    server.ok("/repost.xml", repost, "application/rss+xml");
    env.write_config(&format!(
        "{}\n{}\n{}",
        std::fs::read_to_string(&env.config).unwrap(),
        feed_source("google-alerts", &server.url("/alerts.atom")),
        feed_source("reposts", &server.url("/repost.xml"))
    ));
    env.once().await;
    assert_eq!(
        hooks(&server).len(),
        2,
        "echoes and reposts make no second alert"
    );
    let ms = env.mentions().await;
    assert_eq!(
        ms.len(),
        3,
        "still three mentions: {:#?}",
        ms.iter().map(|m| &m["title"]).collect::<Vec<_>>()
    );
    let r1 = ms
        .iter()
        .find(|m| m["title"] == "Deckel springt auf")
        .unwrap();
    let r2 = ms.iter().find(|m| m["title"] == "Never arrived").unwrap();
    assert_eq!(
        r1["sightings"].as_array().unwrap().len(),
        1,
        "the alert is recorded as a sighting of r1"
    );
    assert_eq!(
        r2["sightings"].as_array().unwrap().len(),
        2,
        "alert and repost are sightings of r2"
    );
    assert_eq!(r1["revision"], 1, "a snippet does not revise the full text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_revise_the_mention_and_alert_only_when_turning_negative() {
    let server = Server::start().await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    server.ok(
        "/p",
        jsonld_page(&[
            ("a", 5, "Great", HAPPY_EN, &today),
            (
                "b",
                2,
                "Meh",
                "Took long to arrive and the lid rattles.",
                &today,
            ),
        ]),
        "text/html",
    );
    server.route("/hook", Reply::Status(200, vec![]));
    let env = Env::new(&format!(
        "{}\n{}",
        jsonld_source("shop", &server.url("/p")),
        hook_config(&server, None)
    ));
    env.once().await;
    let got = hooks(&server);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["mention"]["title"], "Meh");

    // a: 5 stars -> 1 star (alerts); b: 2 stars -> 5 stars (no new alert: its case
    // is resolved, which receivers hear as review.resolved).
    server.ok(
        "/p",
        jsonld_page(&[
            (
                "a",
                1,
                "Broke after a week",
                "Stopped working after a week. Very disappointed.",
                &today,
            ),
            (
                "b",
                5,
                "Sorted out",
                "Support replaced the lid quickly. Happy now.",
                &today,
            ),
        ]),
        "text/html",
    );
    env.once().await;
    let got = hooks(&server);
    let negatives: Vec<_> = got
        .iter()
        .filter(|h| h["event"] == "review.negative")
        .collect();
    assert_eq!(negatives.len(), 2, "{got:#?}");
    assert_eq!(negatives[1]["mention"]["title"], "Broke after a week");
    assert_eq!(negatives[1]["mention"]["rating"], 1.0);
    let resolved: Vec<_> = got
        .iter()
        .filter(|h| h["event"] == "review.resolved")
        .collect();
    assert_eq!(resolved.len(), 1, "{got:#?}");
    assert_eq!(resolved[0]["mention"]["title"], "Sorted out");
    let ms = env.mentions().await;
    assert_eq!(ms.len(), 2, "edits are revisions, not new mentions");
    for m in &ms {
        assert_eq!(m["revision"], 2);
    }
    // Same content again: nothing new.
    env.once().await;
    assert_eq!(hooks(&server).len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_failing_three_times_then_succeeding_is_delivered_once() {
    let server = Server::start().await;
    serve_one_complaint(&server);
    let statuses = [500, 503, 429, 200];
    server.route("/hook", Reply::Sequence(statuses.to_vec()));
    let env = Env::new(&format!(
        "{}\n{}",
        feed_source("f", &server.url("/feed.xml")),
        hook_config(&server, None)
    ));
    let out = env.once().await;
    let reqs = server.requests("/hook");
    assert_eq!(
        reqs.len(),
        4,
        "three failures and one success:\n{}",
        out.stderr
    );
    let ids: Vec<_> = reqs
        .iter()
        .map(|r| r.headers["x-reviewradar-delivery"].clone())
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "one delivery id across retries"
    );
    assert_eq!(accepted_webhooks(&server, "/hook", &statuses).len(), 1);
    env.once().await;
    assert_eq!(server.requests("/hook").len(), 4, "delivered means done");
    let ob = env.run(&["outbox", "--json"]).await;
    let v: serde_json::Value = serde_json::from_str(&ob.stdout).unwrap();
    assert_eq!(v["pending"].as_array().unwrap().len(), 0);
    assert_eq!(v["dead"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_webhook_is_dead_lettered_and_reported() {
    let server = Server::start().await;
    serve_one_complaint(&server);
    server.route("/hook", Reply::Status(400, vec![]));
    let env = Env::new(&format!(
        "{}\n{}",
        feed_source("f", &server.url("/feed.xml")),
        hook_config(&server, None)
    ));
    let out = env.once().await;
    assert_eq!(server.requests("/hook").len(), 1, "a 400 is not retried");
    assert!(out.stderr.contains("1 dead-lettered"), "{}", out.stderr);
    let ob = env.run(&["outbox"]).await;
    assert!(
        ob.stdout.contains("1 dead-lettered") && ob.stdout.contains("400"),
        "{}",
        ob.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_delivery_burst_loses_nothing() {
    let server = Server::start().await;
    let date = rfc2822_ago(Age::hours(1));
    let items: Vec<(String, String, String)> = (0..30)
        .map(|i| {
            (
                format!("burst-{i}"),
                format!("https://forum.example/burst/{i}"),
                format!("Order {i} never arrived, no answer from support, I want a refund. Complaint number {i}."),
            )
        })
        .collect();
    let feed = rss(&items
        .iter()
        .map(|(g, l, d)| {
            (
                g.as_str(),
                l.as_str(),
                "Never arrived",
                d.as_str(),
                date.as_str(),
            )
        })
        .collect::<Vec<_>>());
    server.ok("/feed.xml", feed, "application/rss+xml");
    server.route(
        "/hook",
        Reply::Slow {
            delay: Duration::from_millis(150),
        },
    );
    let env = Env::new(&format!(
        "{}\n{}",
        feed_source("burst", &server.url("/feed.xml")),
        hook_config(&server, None)
    ));

    let mut child = env.command(&["run"]).spawn().unwrap();
    let start = Instant::now();
    while server.requests("/hook").len() < 8 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "deliveries started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    let before = server.requests("/hook").len();
    assert!(before < 30, "killed mid-burst ({before} delivered)");

    env.once().await;
    let reqs = server.requests("/hook");
    let mut ids: Vec<String> = reqs
        .iter()
        .map(|r| r.headers["x-reviewradar-delivery"].clone())
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30, "every alert delivered after the restart");
    assert!(
        total - 30 <= 2,
        "at most a duplicate or two, got {}",
        total - 30
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_sources_beside_good_ones() {
    let server = Server::start().await;
    server.ok(
        "/good.xml",
        rss(&[(
            "g1",
            "https://forum.example/g1",
            "Broken kettle",
            ANGRY_EN,
            &rfc2822_ago(Age::hours(1)),
        )]),
        "application/rss+xml",
    );
    server.ok(
        "/latin1.xml",
        fixture("synthetic/broken/iso-8859-1-feed.xml"),
        "application/rss+xml",
    );
    server.route("/endless", Reply::Endless);
    server.route(
        "/drip",
        Reply::Drip {
            every: Duration::from_millis(200),
        },
    );
    server.route("/hang", Reply::Hang);
    server.route("/500", Reply::Status(500, vec![]));
    server.route(
        "/429",
        Reply::Status(429, vec![("Retry-After".into(), "120".into())]),
    );
    server.ok(
        "/garbage",
        fixture("synthetic/broken/garbage.bin"),
        "application/octet-stream",
    );
    server.ok(
        "/bomb",
        fixture("synthetic/broken/billion-laughs.xml"),
        "application/rss+xml",
    );
    server.ok(
        "/consent",
        fixture("synthetic/broken/consent-wall.html"),
        "text/html",
    );
    server.ok(
        "/notfeed",
        fixture("synthetic/broken/not-a-feed.html"),
        "text/html",
    );
    server.ok(
        "/nested",
        fixture("synthetic/broken/deeply-nested.json"),
        "application/json",
    );
    server.ok(
        "/truncated",
        fixture("synthetic/broken/truncated-trustpilot.html"),
        "text/html",
    );
    server.route("/hook", Reply::Status(200, vec![]));
    let mut body = String::new();
    for (id, path) in [
        ("good", "/good.xml"),
        ("latin1", "/latin1.xml"),
        ("endless", "/endless"),
        ("drip", "/drip"),
        ("hang", "/hang"),
        ("e500", "/500"),
        ("e429", "/429"),
        ("garbage", "/garbage"),
        ("bomb", "/bomb"),
        ("consent", "/consent"),
        ("notfeed", "/notfeed"),
        ("nested", "/nested"),
        ("refused", "/nothing-listens-here"),
    ] {
        body.push_str(&feed_source(id, &server.url(path)));
    }
    body.push_str(&jsonld_source("truncated", &server.url("/truncated")));
    body.push_str(&jsonld_source("nested-page", &server.url("/nested")));
    body.push_str(&feed_source("closed-port", "http://127.0.0.1:9/feed"));
    body.push_str(&hook_config(&server, None));
    let env = Env::new(&body);
    std::fs::write(
        &env.config,
        std::fs::read_to_string(&env.config)
            .unwrap()
            .replace("[http]\n", "[http]\nmax_body_bytes = 1048576\n"),
    )
    .unwrap();

    let started = Instant::now();
    let out = env.once().await;
    let elapsed = started.elapsed();
    let got = hooks(&server);
    assert!(
        got.iter().any(|h| h["mention"]["title"] == "Broken kettle"),
        "the good source alerted: {}",
        out.stderr
    );
    for id in [
        "endless",
        "drip",
        "hang",
        "e500",
        "e429",
        "garbage",
        "bomb",
        "consent",
        "notfeed",
        "refused",
        "closed-port",
    ] {
        assert!(
            out.stderr.contains(&format!("source {id} failed")),
            "{id} reported on stderr:\n{}",
            out.stderr
        );
    }
    assert!(
        !out.stderr.contains("source good failed") && !out.stderr.contains("source latin1 failed"),
        "{}",
        out.stderr
    );
    // Hostile sources are bounded by the 3 s timeout, polled concurrently.
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
    let ms = env.mentions().await;
    let latin = ms.iter().filter(|m| m["source"] == "latin1").count();
    assert_eq!(latin, 3, "the ISO-8859-1 feed is read");
    assert!(ms.iter().any(|m| {
        m["source"] == "latin1"
            && m["text"]
                .as_str()
                .unwrap()
                .contains(['ä', 'ö', 'ü', 'Ä', 'Ö', 'Ü', 'ß'])
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_google_alerts_feed_is_unwrapped_and_cleaned() {
    let server = Server::start().await;
    server.ok(
        "/alerts",
        fixture("real/google-alerts.atom"),
        "application/atom+xml",
    );
    let env = Env::new(&feed_source("ga", &server.url("/alerts")));
    env.once().await;
    let ms = env.mentions().await;
    assert_eq!(ms.len(), 20);
    for m in &ms {
        let url = m["url"].as_str().unwrap();
        assert!(!url.contains("google.com/url"), "unwrapped: {url}");
        assert!(!url.contains("utm_"), "{url}");
        let title = m["title"].as_str().unwrap();
        assert!(!title.contains("<b>") && !title.contains("&lt;"), "{title}");
        assert!(!m["text"].as_str().unwrap().contains("&nbsp;"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_alert_over_real_smtp() {
    let smtp = Smtp::start();
    let server = Server::start().await;
    server.ok(
        "/feed.xml",
        rss(&[(
            "e1",
            "https://forum.example/e1",
            "Refund <script>alert(1)</script>",
            "Never arrived and no refund. <script>alert(1)</script> This is a scam.",
            &rfc2822_ago(Age::hours(1)),
        )]),
        "application/rss+xml",
    );
    let env = Env::new(&format!(
        "{}\n[notifiers.mail]\ntype = \"email\"\nsmtp = \"smtp://127.0.0.1:{}\"\nfrom = \"Review Radar <radar@shop.example>\"\nto = [\"support@shop.example\"]\n[notifiers.mail.retry]\ninitial = \"100ms\"\nmax = \"500ms\"\n",
        feed_source("f", &server.url("/feed.xml")),
        smtp.port
    ));
    env.once().await;
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    let out = env.run(&["outbox", "--json"]).await;
    assert!(out.stdout.contains("\"pending\": []"), "{}", out.stdout);
    assert!(
        m.contains("Message-ID: <") || m.contains("Message-Id: <"),
        "{m}"
    );
    assert!(
        m.contains("multipart/alternative") && m.contains("text/plain") && m.contains("text/html"),
        "{m}"
    );
    assert!(m.contains("Subject:"), "{m}");
    assert!(
        !m.contains("<script>alert(1)</script>\r\n") || m.contains("&lt;script&gt;"),
        "HTML part escapes review content"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_errors_name_file_line_and_key() {
    let env = Env::new(
        "[sources.shop]\ntype = \"feed\"\nurl = \"https://shop.example/feed\"\nintervall = \"15m\"\n\n[sources.Bad_ID]\ntype = \"feed\"\nurl = \"https://shop.example/feed\"\n\n[notifiers.hook]\ntype = \"webhook\"\n",
    );
    let out = env.run(&["check-config"]).await;
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    let cfg = env.config.display().to_string();
    assert!(
        out.stderr
            .contains(&format!("{cfg}:17: sources.shop.intervall: unknown key")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("sources.Bad_ID"), "{}", out.stderr);
    assert!(
        out.stderr.contains("notifiers.hook.url: required"),
        "{}",
        out.stderr
    );

    env.write_config("[daemon]\nbackfill = \"a week\"\n");
    let out = env.run(&["check-config"]).await;
    assert_eq!(out.code, Some(78));
    assert!(
        out.stderr.contains(":2: daemon.backfill:"),
        "{}",
        out.stderr
    );

    env.write_config("[daemon\nstate_dir = 1\n");
    let out = env.run(&["once"]).await;
    assert_eq!(out.code, Some(78), "run and once refuse a bad config too");
    assert!(out.stderr.contains(":1:"), "{}", out.stderr);

    let out = env.run(&["frobnicate"]).await;
    assert_eq!(out.code, Some(2), "usage error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_polls_and_stops_on_sigterm() {
    let server = Server::start().await;
    server.ok(
        "/feed.xml",
        rss(&[(
            "d1",
            "https://forum.example/d1",
            "Scam",
            ANGRY_EN,
            &rfc2822_ago(Age::hours(1)),
        )]),
        "application/rss+xml",
    );
    server.route("/hang", Reply::Hang);
    server.route("/hook", Reply::Status(200, vec![]));
    let env = Env::new(&format!(
        "{}\n{}\n{}",
        feed_source("f", &server.url("/feed.xml")).replace("1m", "1s"),
        feed_source("slow", &server.url("/hang")),
        hook_config(&server, None)
    ));
    let mut child = env.command(&["run"]).spawn().unwrap();
    let start = Instant::now();
    while hooks(&server).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "alert within one interval"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // It keeps polling on its 1 s schedule (conditional GETs).
    while server.requests("/feed.xml").len() < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "polls on schedule"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().unwrap().to_string();
    let t = Instant::now();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(12), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "within 10 s: {:?}",
        t.elapsed()
    );
    assert_eq!(hooks(&server).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_configs_validate_and_the_demo_runs_offline() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_reviewradar"));
    c.args(["check-config", "--config"])
        .arg(root.join("config/example.toml"));
    c.env("REVIEWRADAR_SMTP_PASSWORD", "x")
        .env("REVIEWRADAR_WEBHOOK_SECRET", "y")
        .env("REVIEWRADAR_REVIEWS_API_TOKEN", "z");
    let out = c.output().await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The demo, copied so the test leaves the checkout alone.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(root.join("config/demo.toml"), tmp.path().join("demo.toml")).unwrap();
    std::fs::create_dir(tmp.path().join("demo")).unwrap();
    for f in ["google-alerts.atom", "kettle-product.html"] {
        std::fs::copy(
            root.join("config/demo").join(f),
            tmp.path().join("demo").join(f),
        )
        .unwrap();
    }
    let run = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_reviewradar"));
        c.args(args)
            .arg("--config")
            .arg(tmp.path().join("demo.toml"));
        c.output().unwrap()
    };
    let out = run(&["once"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts = std::fs::read_to_string(tmp.path().join("demo/state/alerts.jsonl")).unwrap();
    let n = alerts.lines().count();
    assert!(n >= 3, "the demo alerts on its negative mentions: {alerts}");
    let out = run(&["mentions", "--json"]);
    let ms: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        ms.len(),
        9,
        "the echo of the shop review is not a second mention"
    );
    // A second run changes nothing.
    let out = run(&["once"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("demo/state/alerts.jsonl"))
            .unwrap()
            .lines()
            .count(),
        n
    );
}

// --- Configurable sources: html and json (issue 3) -----------------------------------

/// Everything in the fixtures is older than any sensible backfill: alert on all of it.
const BACKFILL_ALL: &str = "backfill = \"36500d\"";

/// The Trustpilot review cards, read by CSS selectors, paged by the pagination button.
fn trustpilot_html_source(id: &str, url: &str, max_pages: u32) -> String {
    format!(
        r#"[sources.{id}]
type = "html"
url = "{url}"
interval = "1m"
platform = "trustpilot"
max_pages = {max_pages}
item = "article[data-service-review-card-paper]"
next = 'a[name="pagination-button-next"]'
[sources.{id}.fields]
url = {{ selector = 'a[href^="/reviews/"]', attr = "href" }}
author = "[data-consumer-name-typography]"
title = "[data-service-review-title-typography]"
text = "[data-service-review-text-typography]"
rating = {{ selector = "[data-service-review-rating]", attr = "data-service-review-rating" }}
date = {{ selector = "time[data-service-review-date-time-ago]", attr = "datetime" }}
reply = "[data-service-review-business-reply-text-typography]"
reply_date = {{ selector = "time[data-service-review-business-reply-date-time-ago]", attr = "datetime" }}
"#
    )
}

/// The Google Business Profile API, with a bearer token from a file.
fn google_json_source(id: &str, url: &str, secret: Option<&std::path::Path>) -> String {
    let auth = secret
        .map(|p| {
            format!(
                "secret_file = \"{}\"\nheaders = {{ Authorization = \"Bearer {{secret}}\" }}\n",
                p.display()
            )
        })
        .unwrap_or_default();
    format!(
        r#"[sources.{id}]
type = "json"
url = "{url}"
interval = "1m"
platform = "google_business"
max_pages = 5
{auth}items = "/reviews"
next_cursor = "/nextPageToken"
cursor_param = "pageToken"
[sources.{id}.fields]
id = "/reviewId"
author = "/reviewer/displayName"
text = "/comment"
rating = {{ pointer = "/starRating", map = {{ ONE = 1, TWO = 2, THREE = 3, FOUR = 4, FIVE = 5 }} }}
date = "/createTime"
updated = "/updateTime"
reply = "/reviewReply/comment"
reply_date = "/reviewReply/updateTime"
"#
    )
}

const TP_PAGE_1: &str = "/review/kettlewerk.example";
const TP_PAGE_2: &str = "/review/kettlewerk.example?page=2";
const TP_PAGE_3: &str = "/review/kettlewerk.example?page=3";

fn negative_count(ms: &[serde_json::Value], source: &str) -> usize {
    ms.iter()
        .filter(|m| m["source"] == source && m["negative"] == true)
        .count()
}

/// Negative mentions the shop has not answered yet: the ones that alert.
fn unanswered_negative_count(ms: &[serde_json::Value], source: &str) -> usize {
    ms.iter()
        .filter(|m| m["source"] == source && m["negative"] == true && m["reply"].is_null())
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_source_reads_two_pages_bounded_by_max_pages_and_alerts_once() {
    let server = Server::start().await;
    let page1 = fixture_str("synthetic/trustpilot-page-1.html");
    // Page 2 links a page 3, which max_pages = 2 must never fetch.
    let page2 = fixture_str("synthetic/trustpilot-page-2.html").replace(
        r#"rel="next" name="pagination-button-next" aria-disabled="true""#,
        r#"href="/review/kettlewerk.example?page=3" rel="next" name="pagination-button-next""#,
    );
    assert!(page2.contains("page=3"), "the fixture still has its button");
    server.ok(TP_PAGE_1, page1.clone(), "text/html; charset=utf-8");
    server.ok(TP_PAGE_2, page2, "text/html; charset=utf-8");
    server.ok(TP_PAGE_3, page1.clone(), "text/html; charset=utf-8");
    server.route("/hook", Reply::Status(200, vec![]));
    let env = Env::with_daemon(
        BACKFILL_ALL,
        &format!(
            "{}\n{}",
            trustpilot_html_source("tp", &server.url(TP_PAGE_1), 2),
            hook_config(&server, None)
        ),
    );

    env.once().await;
    assert_eq!(server.requests(TP_PAGE_1).len(), 1);
    assert_eq!(
        server.requests(TP_PAGE_2).len(),
        1,
        "page 2 via the next link"
    );
    assert!(server.requests(TP_PAGE_3).is_empty(), "max_pages = 2");
    let ms = env.mentions().await;
    let tp: Vec<_> = ms.iter().filter(|m| m["source"] == "tp").collect();
    assert_eq!(tp.len(), 12 + 8, "both pages are stored");
    assert!(tp.iter().all(|m| m["platform"] == "trustpilot"));
    assert!(
        tp.iter().any(|m| m["author"] == "Aoife O'Brien"),
        "a page-2 reviewer"
    );
    let negative = negative_count(&ms, "tp");
    assert_eq!(negative, 6 + 4, "1 and 2 stars of 5");
    let unanswered = unanswered_negative_count(&ms, "tp");
    assert!(
        unanswered < negative,
        "some negative reviews carry the shop's reply"
    );
    let got = hooks(&server);
    assert_eq!(
        got.len(),
        unanswered,
        "one alert per negative review not answered yet"
    );
    assert!(got.iter().all(|h| h["mention"]["platform"] == "trustpilot"));

    // Unchanged: page 1 answers 304 and nothing else is fetched.
    env.once().await;
    let reqs = server.requests(TP_PAGE_1);
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].headers.contains_key("if-none-match"));
    assert_eq!(server.requests(TP_PAGE_2).len(), 1, "no page 2 after a 304");

    // Page 1 re-rendered (a new ETag): both pages are read again, nothing is new.
    server.ok(
        TP_PAGE_1,
        page1.replace("</body>", "<!-- re-rendered --></body>"),
        "text/html; charset=utf-8",
    );
    env.once().await;
    assert_eq!(server.requests(TP_PAGE_2).len(), 2);
    assert!(
        !server.requests(TP_PAGE_2)[1]
            .headers
            .contains_key("if-none-match"),
        "later pages are plain GETs"
    );
    assert_eq!(env.mentions().await.len(), 20, "deduplicated on re-poll");
    assert_eq!(hooks(&server).len(), unanswered, "and alerted once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_source_with_a_secret_header_and_cursor_pages_beside_failing_ones() {
    let server = Server::start().await;
    let token = "t0ken-7f3a9c1e";
    let authed = |body: Vec<u8>| Reply::Authed {
        header: "authorization",
        value: format!("Bearer {token}"),
        reply: Box::new(Reply::Ok {
            body,
            content_type: "application/json; charset=utf-8",
        }),
    };
    let first = "/v4/locations/4417/reviews?pageSize=50";
    let second = "/v4/locations/4417/reviews?pageSize=50&pageToken=ACYDBNjTgoDItiiFEcdaY3rVz8uiYOKWMl20w1roNlK5NOzqRqRJJV44s5mKzmoON9U1hPfawxwTY%3D%3D";
    server.route(
        first,
        authed(fixture("synthetic/google-business-reviews.json")),
    );
    server.route(
        second,
        authed(fixture("synthetic/google-business-reviews-page2.json")),
    );
    // A truncated response: a malformed page.
    let whole = fixture_str("synthetic/google-business-reviews.json");
    server.ok(
        "/broken",
        whole[..whole.len() / 2].to_string(),
        "application/json",
    );
    server.route("/hook", Reply::Status(200, vec![]));
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("google-token");
    std::fs::write(&secret, format!("{token}\n")).unwrap();
    let env = Env::with_daemon(
        BACKFILL_ALL,
        &format!(
            "{}\n{}\n{}\n{}",
            google_json_source("gbp", &server.url(first), Some(&secret)),
            google_json_source("no-token", &server.url(first), None),
            google_json_source("broken", &server.url("/broken"), None),
            hook_config(&server, None)
        ),
    );
    let check = env.run(&["check-config"]).await;
    assert_eq!(check.code, Some(0), "{}", check.stderr);

    let out = env.once().await;
    assert!(
        out.stderr.contains("source no-token failed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("HTTP 401"), "{}", out.stderr);
    assert!(
        out.stderr.contains("source broken failed"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("source gbp failed"), "{}", out.stderr);
    assert!(
        !out.stderr.contains(token),
        "the secret never reaches a log line"
    );
    // The server saw the token on both pages of gbp.
    let pages = server.all_requests();
    let with_token = pages
        .iter()
        .filter(|r| r.headers.get("authorization") == Some(&format!("Bearer {token}")))
        .count();
    assert_eq!(with_token, 2, "page 1 and page 2 of gbp");
    assert_eq!(server.requests(second).len(), 1, "the cursor page");

    let ms = env.mentions().await;
    let gbp: Vec<_> = ms.iter().filter(|m| m["source"] == "gbp").collect();
    assert_eq!(gbp.len(), 6 + 4, "both pages are stored");
    assert!(gbp.iter().all(|m| m["platform"] == "google_business"));
    assert!(ms.iter().all(|m| m["source"] == "gbp"));
    let negative = negative_count(&ms, "gbp");
    assert_eq!(negative, 3 + 2);
    assert_eq!(
        hooks(&server).len(),
        unanswered_negative_count(&ms, "gbp"),
        "answered reviews do not alert"
    );

    // Re-poll: page 1 answers 304 (the token is sent again), nothing new.
    env.once().await;
    let reqs: Vec<_> = server
        .requests(first)
        .into_iter()
        .filter(|r| r.headers.contains_key("authorization"))
        .collect();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].headers.contains_key("if-none-match"));
    assert_eq!(server.requests(second).len(), 1);
    assert_eq!(env.mentions().await.len(), 10);
    assert_eq!(
        hooks(&server).len(),
        unanswered_negative_count(&ms, "gbp"),
        "no second alert"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_later_page_keeps_the_first_and_the_next_poll_reads_all_again() {
    let server = Server::start().await;
    let page1 = fixture_str("synthetic/trustpilot-page-1.html");
    server.ok(TP_PAGE_1, page1, "text/html; charset=utf-8");
    server.route(TP_PAGE_2, Reply::Status(503, vec![]));
    let env = Env::with_daemon(
        BACKFILL_ALL,
        &trustpilot_html_source("tp", &server.url(TP_PAGE_1), 5),
    );
    let out = env.once().await;
    assert!(!out.stderr.contains("source tp failed"), "{}", out.stderr);
    assert!(out.stderr.contains("A later page failed"), "{}", out.stderr);
    assert_eq!(env.mentions().await.len(), 12, "page 1 is kept");

    // Page 2 is back: the next poll is not conditional, so it reads page 2 too.
    server.ok(
        TP_PAGE_2,
        fixture_str("synthetic/trustpilot-page-2.html"),
        "text/html; charset=utf-8",
    );
    env.once().await;
    let reqs = server.requests(TP_PAGE_1);
    assert!(
        !reqs[1].headers.contains_key("if-none-match"),
        "{:?}",
        reqs[1]
    );
    assert_eq!(env.mentions().await.len(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_names_file_line_and_key_of_type_options() {
    let env = Env::new(
        "[sources.shop]\ntype = \"html\"\nurl = \"https://reviews.example/kettlewerk\"\nitem = \"div.review\"\n[sources.shop.fields]\ntext = \".body\"\nratng = \".stars\"\n\n[sources.api]\ntype = \"json\"\nurl = \"https://api.example/reviews?key={secret}\"\nmax_pages = 99\nitems = \"/reviews\"\n[sources.api.fields]\ntext = \"/text\"\n",
    );
    let out = env.run(&["check-config"]).await;
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    let cfg = env.config.display().to_string();
    for want in [
        format!("{cfg}:20: sources.shop.fields.ratng: unknown key"),
        format!("{cfg}:22: sources.api.secret_file: url or headers use {{secret}}"),
        format!("{cfg}:25: sources.api.max_pages: must be between 1 and 50"),
    ] {
        assert!(out.stderr.contains(&want), "{want}\n{}", out.stderr);
    }
}

/// `reviewradar sources --json`, by source id.
async fn source_health(env: &Env) -> std::collections::HashMap<String, serde_json::Value> {
    let o = env.run(&["sources", "--json"]).await;
    assert_eq!(o.code, Some(0), "sources failed:\n{}", o.stderr);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&o.stdout).expect("a JSON array");
    rows.into_iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_show_health_broken_blocked_and_failing() {
    let server = Server::start().await;
    let items: Vec<(String, String, String)> = (0..5)
        .map(|i| {
            (
                format!("g{i}"),
                format!("https://forum.example/g{i}"),
                format!("Order {i}: {HAPPY_EN}"),
            )
        })
        .collect();
    let date = rfc2822_ago(Age::days(20));
    let full = rss(&items
        .iter()
        .map(|(g, l, t)| (g.as_str(), l.as_str(), "Fine", t.as_str(), date.as_str()))
        .collect::<Vec<_>>());
    server.ok("/shrinks.xml", full, "application/rss+xml");
    server.ok("/steady.xml", rss(&[]), "application/rss+xml");
    server.ok(
        "/wall.html",
        fixture("synthetic/broken/consent-wall.html"),
        "text/html; charset=utf-8",
    );
    server.route("/down.xml", Reply::Status(503, vec![]));
    let env = Env::new(&format!(
        "{}{}{}{}[sources.idle]\ntype = \"feed\"\nurl = \"{}\"\nenabled = false\n",
        feed_source("shrinks", &server.url("/shrinks.xml")),
        feed_source("steady", &server.url("/steady.xml")),
        jsonld_source("walled", &server.url("/wall.html")),
        feed_source("down", &server.url("/down.xml")),
        server.url("/idle.xml"),
    ));
    env.once().await;
    let h = source_health(&env).await;
    assert_eq!(h["shrinks"]["health"], "ok");
    assert_eq!(h["shrinks"]["items_last"], 5);
    assert_eq!(h["shrinks"]["new_last"], 5);
    assert_eq!(
        h["steady"]["health"], "ok",
        "a source that never had items is not broken"
    );
    assert_eq!(h["walled"]["health"], "blocked", "{:?}", h["walled"]);
    assert_eq!(h["walled"]["last_error_kind"], "blocked");
    assert_eq!(h["down"]["health"], "failing");
    assert_eq!(h["down"]["consecutive_failures"], 1);
    assert!(h["down"]["last_error"].as_str().unwrap().contains("503"));
    assert_eq!(h["idle"]["health"], "disabled");

    // The feed now answers with no items at all: broken, not silent.
    server.ok("/shrinks.xml", rss(&[]), "application/rss+xml");
    let o = env.once().await;
    assert!(
        o.stderr.contains("Source looks broken"),
        "a warning is logged:\n{}",
        o.stderr
    );
    let h = source_health(&env).await;
    assert_eq!(h["shrinks"]["health"], "broken");
    assert!(
        h["shrinks"]["problem"]
            .as_str()
            .unwrap()
            .contains("up to 5")
    );
    assert_eq!(h["down"]["consecutive_failures"], 2);
    assert_eq!(env.mentions().await.len(), 5, "nothing stored is lost");

    let table = env.run(&["sources"]).await;
    assert!(table.stdout.contains("broken") && table.stdout.contains("blocked"));
}

// ---------------------------------------------------------------------------------
// Presets: trusted_shops, amazon, ebay, etsy

/// The same string as the client's form encoding of a query value.
fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_shops_gets_a_token_refreshes_it_on_401_and_follows_the_cursor() {
    let server = Server::start().await;
    let token = |t: &str| Reply::Ok {
        body: format!(r#"{{"access_token":"{t}","expires_in":600,"token_type":"Bearer"}}"#)
            .into_bytes(),
        content_type: "application/json",
    };
    // The first token is refused by the API (401): the source asks for a new one.
    server.route(
        "/oauth/token",
        Reply::Turns(vec![token("tok-stale-0001"), token("tok-fresh-0002")]),
    );
    let authed = |body: Vec<u8>| Reply::Authed {
        header: "authorization",
        value: "Bearer tok-fresh-0002".into(),
        reply: Box::new(Reply::Ok {
            body,
            content_type: "application/json",
        }),
    };
    let channel = "chl-ec49f390-3edb-4a95-987c-63cf93d56de2";
    let first = format!("/reviews?channels={channel}&count=50");
    let page1: serde_json::Value =
        serde_json::from_slice(&fixture("synthetic/etrusted-reviews.json")).unwrap();
    let cursor = page1["paging"]["cursor"]["after"]
        .as_str()
        .unwrap()
        .to_string();
    let second = format!("{first}&after={}", query_escape(&cursor));
    server.route(&first, authed(fixture("synthetic/etrusted-reviews.json")));
    server.route(
        &second,
        authed(fixture("presets/etrusted-reviews-page2.json")),
    );
    server.route("/hook", Reply::Status(200, vec![]));
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("etrusted-secret");
    std::fs::write(&secret, "cl!ent s3cret\n").unwrap();
    let env = Env::with_daemon(
        BACKFILL_ALL,
        &format!(
            r#"[sources.ts]
type = "trusted_shops"
channel_id = "{channel}"
client_id = "kettlewerk-radar"
client_secret_file = "{}"
api_base = "{}"
token_url = "{}"
interval = "1m"

{}"#,
            secret.display(),
            server.url(""),
            server.url("/oauth/token"),
            hook_config(&server, None)
        ),
    );
    let check = env.run(&["check-config"]).await;
    assert_eq!(check.code, Some(0), "{}", check.stderr);

    let out = env.once().await;
    assert!(!out.stderr.contains("source ts failed"), "{}", out.stderr);
    let tokens = server.requests("/oauth/token");
    assert_eq!(tokens.len(), 2, "one token, then a fresh one after the 401");
    let form = String::from_utf8(tokens[0].body.clone()).unwrap();
    assert_eq!(tokens[0].method, "POST");
    assert_eq!(
        tokens[0].headers.get("content-type").map(String::as_str),
        Some("application/x-www-form-urlencoded")
    );
    for part in [
        "grant_type=client_credentials",
        "client_id=kettlewerk-radar",
        "client_secret=cl%21ent+s3cret",
        "audience=https%3A%2F%2Fapi.etrusted.com",
    ] {
        assert!(form.split('&').any(|p| p == part), "{part} in {form}");
    }
    assert_eq!(server.requests(&first).len(), 2, "401, then again");
    let p2 = server.requests(&second);
    assert_eq!(p2.len(), 1, "the cursor page, with the cached token");
    assert_eq!(
        p2[0].headers.get("authorization").map(String::as_str),
        Some("Bearer tok-fresh-0002")
    );
    for leak in [
        "cl!ent s3cret",
        "s3cret",
        "tok-stale-0001",
        "tok-fresh-0002",
    ] {
        assert!(!out.stderr.contains(leak), "{leak} in the log");
    }
    let ms = env.mentions().await;
    assert_eq!(ms.len(), 6 + 2);
    assert!(ms.iter().all(|m| m["platform"] == "trusted_shops"));
    assert!(
        ms.iter().all(|m| m["author"].is_null()),
        "no e-mail addresses"
    );
    let negative = negative_count(&ms, "ts");
    let unanswered = unanswered_negative_count(&ms, "ts");
    assert_eq!(negative, 3 + 1, "1 and 2 of 5");
    assert_eq!(hooks(&server).len(), unanswered);

    // A new run: a new token, page 1 is unchanged (304), nothing new.
    env.once().await;
    assert_eq!(server.requests("/oauth/token").len(), 3);
    let reqs = server.requests(&first);
    assert!(reqs[2].headers.contains_key("if-none-match"));
    assert_eq!(server.requests(&second).len(), 1);
    assert_eq!(env.mentions().await.len(), 8);
    assert_eq!(hooks(&server).len(), unanswered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amazon_reads_the_public_product_page_and_reports_a_captcha_as_blocked() {
    let server = Server::start().await;
    server.ok(
        "/dp/B0DKW7R2QX",
        fixture("synthetic/amazon-de-product.html"),
        "text/html;charset=UTF-8",
    );
    server.ok(
        "/dp/B0CAPTCHA1",
        fixture("presets/amazon-captcha.html"),
        "text/html;charset=UTF-8",
    );
    server.route("/hook", Reply::Status(200, vec![]));
    let amazon = |id: &str, asin: &str| {
        format!(
            "[sources.{id}]\ntype = \"amazon\"\nasin = \"{asin}\"\napi_base = \"{}\"\ninterval = \"1m\"\n",
            server.url("")
        )
    };
    let env = Env::with_daemon(
        BACKFILL_ALL,
        &format!(
            "{}\n{}\n{}",
            amazon("amz", "B0DKW7R2QX"),
            amazon("amz-blocked", "B0CAPTCHA1"),
            hook_config(&server, None)
        ),
    );
    let check = env.run(&["check-config"]).await;
    assert_eq!(check.code, Some(0), "{}", check.stderr);

    let out = env.once().await;
    assert!(
        out.stderr.contains("source amz-blocked failed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("captcha"), "{}", out.stderr);
    assert!(!out.stderr.contains("source amz failed"), "{}", out.stderr);
    assert_eq!(
        server.requests("/dp/B0CAPTCHA1").len(),
        1,
        "asked once, not retried around"
    );
    let ms = env.mentions().await;
    assert_eq!(ms.len(), 5);
    assert!(
        ms.iter()
            .all(|m| m["platform"] == "amazon" && m["source"] == "amz")
    );
    let negative = negative_count(&ms, "amz");
    let unanswered = unanswered_negative_count(&ms, "amz");
    assert_eq!(
        negative, 3,
        "1, 2 and 1 star: Amazon counts up to 3 as critical"
    );
    let got = hooks(&server);
    assert_eq!(got.len(), unanswered);
    assert!(
        got.iter()
            .any(|h| h["mention"]["url"]
                == server.url("/gp/customer-reviews/RU7RCVMI9YWZ8").as_str())
    );
    assert!(
        got.iter()
            .all(|h| h["mention"]["rating"].as_f64() <= Some(3.0))
    );

    env.once().await;
    let reqs = server.requests("/dp/B0DKW7R2QX");
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs[1].headers.contains_key("if-none-match"),
        "conditional re-poll"
    );
    assert_eq!(env.mentions().await.len(), 5);
    assert_eq!(hooks(&server).len(), unanswered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ebay_posts_getfeedback_pages_and_names_an_api_failure() {
    let server = Server::start().await;
    let token = "v^1.1#i^1#p^3#r^1#I^3#t^TEST-TOKEN-ebay";
    let page1 = fixture_str("synthetic/ebay-getfeedback.xml");
    // Page 2: two older entries in the same envelope.
    let (head, rest) = page1.split_once("<FeedbackDetailArray>").unwrap();
    let (_, tail) = rest.split_once("</FeedbackDetailArray>").unwrap();
    let detail = |id: &str, kind: &str, text: &str| {
        format!(
            "<FeedbackDetail><CommentingUser>buyer_{id}</CommentingUser><CommentText>{text}</CommentText><CommentTime>2026-01-1{}T10:00:00.000Z</CommentTime><CommentType>{kind}</CommentType><ItemID>315204718836</ItemID><FeedbackID>{id}</FeedbackID><TransactionID>77{id}</TransactionID></FeedbackDetail>",
            &id[id.len() - 1..]
        )
    };
    let page2 = format!(
        "{head}<FeedbackDetailArray>{}{}</FeedbackDetailArray>{}",
        detail(
            "3300000000001",
            "Negative",
            "Kocher nach einer Woche kaputt, Rücksendung abgelehnt."
        ),
        detail(
            "3300000000002",
            "Positive",
            "Sehr schnell geliefert, danke!"
        ),
        tail.replace("<PageNumber>1</PageNumber>", "<PageNumber>2</PageNumber>")
    );
    let authed = |body: String| Reply::Authed {
        header: "x-ebay-api-iaf-token",
        value: token.into(),
        reply: Box::new(Reply::Ok {
            body: body.into_bytes(),
            content_type: "text/xml;charset=utf-8",
        }),
    };
    server.route(
        "/ws/api.dll",
        Reply::Turns(vec![authed(page1), authed(page2)]),
    );
    server.ok(
        "/expired/ws/api.dll",
        fixture("presets/ebay-getfeedback-failure.xml"),
        "text/xml",
    );
    server.route("/hook", Reply::Status(200, vec![]));
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("ebay-token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let ebay = |id: &str, base: &str| {
        format!(
            "[sources.{id}]\ntype = \"ebay\"\ntoken_file = \"{}\"\nuser_id = \"kettlewerk_de\"\nsite_id = 77\nmax_pages = 2\napi_base = \"{}\"\ninterval = \"1m\"\n",
            token_file.display(),
            server.url(base)
        )
    };
    let env = Env::with_daemon(
        BACKFILL_ALL,
        &format!(
            "{}\n{}\n{}",
            ebay("bay", ""),
            ebay("bay-expired", "/expired"),
            hook_config(&server, None)
        ),
    );
    let check = env.run(&["check-config"]).await;
    assert_eq!(check.code, Some(0), "{}", check.stderr);

    let out = env.once().await;
    assert!(
        out.stderr.contains("source bay-expired failed"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("IAF token supplied is expired. (error 21917053)"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("source bay failed"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("TEST-TOKEN"),
        "the token is never logged"
    );
    let reqs = server.requests("/ws/api.dll");
    assert_eq!(reqs.len(), 2, "max_pages = 2 of 62");
    for (i, r) in reqs.iter().enumerate() {
        let h = |k: &str| r.headers.get(k).map(String::as_str);
        assert_eq!(r.method, "POST");
        assert_eq!(h("x-ebay-api-call-name"), Some("GetFeedback"));
        assert_eq!(h("x-ebay-api-siteid"), Some("77"));
        assert_eq!(h("x-ebay-api-compatibility-level"), Some("1355"));
        assert_eq!(h("x-ebay-api-iaf-token"), Some(token));
        let body = String::from_utf8(r.body.clone()).unwrap();
        assert!(
            body.contains(&format!("<PageNumber>{}</PageNumber>", i + 1)),
            "{body}"
        );
        assert!(body.contains("<UserID>kettlewerk_de</UserID>"), "{body}");
    }
    let ms = env.mentions().await;
    assert_eq!(ms.len(), 8 + 2);
    assert!(ms.iter().all(|m| m["platform"] == "ebay"));
    assert!(
        ms.iter()
            .any(|m| m["text"] == "<script>alert(1)</script> Deckel defekt, keine Antwort!"),
        "the hostile comment is stored as literal text"
    );
    let negative = negative_count(&ms, "bay");
    let unanswered = unanswered_negative_count(&ms, "bay");
    assert_eq!(
        negative,
        2 + 1,
        "CommentType Negative; Neutral is not negative"
    );
    assert_eq!(hooks(&server).len(), unanswered);

    env.once().await;
    assert_eq!(env.mentions().await.len(), 10);
    assert_eq!(hooks(&server).len(), unanswered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etsy_pages_by_offset_with_the_api_key_header() {
    let server = Server::start().await;
    let key = "k3ystr1ng:sh4red";
    let all: serde_json::Value =
        serde_json::from_slice(&fixture("synthetic/etsy-shop-reviews.json")).unwrap();
    let results = all["results"].as_array().unwrap();
    let page = |items: &[serde_json::Value]| {
        serde_json::json!({ "count": 7, "results": items })
            .to_string()
            .into_bytes()
    };
    let authed = |body: Vec<u8>| Reply::Authed {
        header: "x-api-key",
        value: key.into(),
        reply: Box::new(Reply::Ok {
            body,
            content_type: "application/json",
        }),
    };
    let first = "/v3/application/shops/38471203/reviews?limit=4";
    let second = "/v3/application/shops/38471203/reviews?limit=4&offset=4";
    server.route(first, authed(page(&results[..4])));
    server.route(second, authed(page(&results[4..])));
    server.route("/hook", Reply::Status(200, vec![]));
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("etsy-key");
    std::fs::write(&good, format!("{key}\n")).unwrap();
    let wrong = dir.path().join("etsy-wrong-key");
    std::fs::write(&wrong, "nope\n").unwrap();
    let etsy = |id: &str, key_file: &std::path::Path| {
        format!(
            "[sources.{id}]\ntype = \"etsy\"\nshop_id = 38471203\napi_key_file = \"{}\"\napi_base = \"{}\"\npage_size = 4\nmax_pages = 5\ninterval = \"1m\"\n",
            key_file.display(),
            server.url("")
        )
    };
    let env = Env::with_daemon(
        BACKFILL_ALL,
        &format!(
            "{}\n{}\n{}",
            etsy("shop", &good),
            etsy("shop-wrong-key", &wrong),
            hook_config(&server, None)
        ),
    );
    let check = env.run(&["check-config"]).await;
    assert_eq!(check.code, Some(0), "{}", check.stderr);

    let out = env.once().await;
    assert!(
        out.stderr.contains("source shop-wrong-key failed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("HTTP 401"), "{}", out.stderr);
    assert!(!out.stderr.contains("source shop failed"), "{}", out.stderr);
    assert!(!out.stderr.contains("sh4red"), "the key is never logged");
    let with_key = server
        .all_requests()
        .into_iter()
        .filter(|r| r.headers.get("x-api-key").map(String::as_str) == Some(key))
        .count();
    assert_eq!(with_key, 2, "both pages carry the key");
    assert_eq!(server.requests(second).len(), 1);
    assert!(
        server
            .all_requests()
            .iter()
            .all(|r| !r.path.contains("offset=7")),
        "a short page is the last"
    );
    let ms = env.mentions().await;
    assert_eq!(ms.len(), 7, "the rating-only review is kept");
    assert!(ms.iter().all(|m| m["platform"] == "etsy"));
    assert!(ms.iter().any(|m| m["text"]
        == "Ordered a gift, received the wrong colour <b>twice</b>. Seller keeps sending the same template reply."));
    let negative = negative_count(&ms, "shop");
    let unanswered = unanswered_negative_count(&ms, "shop");
    assert_eq!(negative, 3, "1, 2 and 1 of 5");
    assert_eq!(hooks(&server).len(), unanswered);

    env.once().await;
    let reqs: Vec<_> = server
        .requests(first)
        .into_iter()
        .filter(|r| r.headers.get("x-api-key").map(String::as_str) == Some(key))
        .collect();
    assert!(reqs[1].headers.contains_key("if-none-match"));
    assert_eq!(server.requests(second).len(), 1, "no page 2 after a 304");
    assert_eq!(env.mentions().await.len(), 7);
    assert_eq!(hooks(&server).len(), unanswered);
}

// --- Mention-search presets and facebook (issue 3) ---------------------------------

/// A JSON reply, given only when `header` carries exactly `value` (else 401).
fn authed_json(header: &'static str, value: &str, body: impl Into<Vec<u8>>) -> Reply {
    Reply::Authed {
        header,
        value: value.to_string(),
        reply: Box::new(Reply::Ok {
            body: body.into(),
            content_type: "application/json; charset=utf-8",
        }),
    }
}

fn ids_of(ms: &[serde_json::Value], platform: &str) -> Vec<String> {
    let mut ids: Vec<String> = ms
        .iter()
        .filter(|m| m["platform"] == platform)
        .map(|m| m["external_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn ids_of_negative(ms: &[serde_json::Value]) -> Vec<String> {
    ms.iter()
        .filter(|m| m["negative"] == true)
        .map(|m| m["external_id"].as_str().unwrap().to_string())
        .collect()
}

/// One webhook per negative mention the business has not answered yet, and none for
/// the others.
fn assert_alerted_exactly_the_negative(ms: &[serde_json::Value], server: &Server) {
    let mut negative: Vec<&str> = ms
        .iter()
        .filter(|m| m["negative"] == true && m["reply"].is_null())
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    let got = hooks(server);
    let mut alerted: Vec<&str> = got
        .iter()
        .map(|h| h["mention"]["id"].as_str().unwrap())
        .collect();
    negative.sort();
    alerted.sort();
    assert_eq!(alerted, negative);
}

fn secret_file(dir: &std::path::Path, name: &str, value: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, format!("{value}\n")).unwrap();
    p.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mention_search_presets_end_to_end() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let base = server.url("");

    // google_alerts: the real feed.
    server.ok(
        "/alerts/feeds/0417/4428",
        fixture("real/google-alerts.atom"),
        "application/atom+xml",
    );
    // talkwalker: the token is the last path segment.
    let tw_token = "5RQ2KX8MZ1T0C7B4NV3WLEAG9HYJ6DPF";
    server.ok(
        &format!("/alerts/rss/{tw_token}"),
        fixture("synthetic/talkwalker-alerts.rss"),
        "application/rss+xml",
    );
    // reddit with an app-only OAuth token (the first one handed out is refused, as a
    // revoked token would be); raw_json=1 answers are unescaped.
    let reddit_token = "reddit-access-9f2c";
    let token_body = |t: &str| {
        format!(r#"{{"access_token": "{t}", "token_type": "bearer", "expires_in": 86400, "scope": "*"}}"#)
            .into_bytes()
    };
    server.route(
        "/api/v1/access_token",
        Reply::Bodies {
            bodies: vec![token_body("reddit-revoked-0000"), token_body(reddit_token)],
            content_type: "application/json",
        },
    );
    let raw_listing = fixture_str("synthetic/reddit-search.json")
        .replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&amp;", "&");
    let reddit_first = "/search?q=kettlewerk&sort=new&raw_json=1&limit=100";
    let reddit_second = format!("{reddit_first}&after=t3_1j1u4ka");
    let reddit_third = format!("{reddit_first}&after=t3_zzzzzzz");
    let bearer = format!("bearer {reddit_token}");
    server.route(
        reddit_first,
        authed_json("authorization", &bearer, raw_listing),
    );
    server.route(
        &reddit_second,
        authed_json(
            "authorization",
            &bearer,
            r#"{"kind":"Listing","data":{"after":"t3_zzzzzzz","children":[{"kind":"t3","data":{"name":"t3_1j0aaaa","title":"Kettlewerk lid","selftext":"Fine so far.","author":"a","created_utc":1772300000.0,"permalink":"/r/x/comments/1j0aaaa/k/"}}]}}"#,
        ),
    );
    server.route(&reddit_third, Reply::Status(500, vec![]));
    // mastodon: the same statuses seen through two instances.
    let tag_path = "/api/v1/timelines/tag/kettlewerk?limit=40";
    let timeline = fixture_str("synthetic/mastodon-tag-timeline.json");
    server.ok(
        &format!("/a{tag_path}"),
        timeline.clone(),
        "application/json",
    );
    server.ok(
        &format!("/b{tag_path}"),
        // Instance b knows the statuses under its own local ids.
        timeline.replace("\"id\": \"1161", "\"id\": \"9991"),
        "application/json",
    );
    // hackernews
    server.ok(
        "/api/v1/search_by_date?query=kettlewerk&tags=%28story%2Ccomment%29&hitsPerPage=50&page=0",
        fixture("synthetic/hn-algolia-search_by_date.json"),
        "application/json",
    );
    // bluesky: a session whose first access token the search refuses, renewed by
    // refreshSession.
    server.ok(
        "/xrpc/com.atproto.server.createSession",
        r#"{"did":"did:plc:shop","handle":"kettlewerk.example","accessJwt":"access-1","refreshJwt":"refresh-1","active":true}"#,
        "application/json",
    );
    server.route(
        "/xrpc/com.atproto.server.refreshSession",
        authed_json(
            "authorization",
            "Bearer refresh-1",
            r#"{"did":"did:plc:shop","handle":"kettlewerk.example","accessJwt":"access-2","refreshJwt":"refresh-2"}"#,
        ),
    );
    server.route(
        "/xrpc/app.bsky.feed.searchPosts?q=kettlewerk&sort=latest&limit=25",
        authed_json(
            "authorization",
            "Bearer access-2",
            fixture("synthetic/bluesky-searchPosts.json"),
        ),
    );
    server.route("/hook", Reply::Status(200, vec![]));

    let tw_file = secret_file(dir.path(), "tw", tw_token);
    let reddit_file = secret_file(dir.path(), "reddit", "reddit-app-secret-77");
    let bsky_file = secret_file(dir.path(), "bsky", "abcd-efgh-ijkl-mnop");
    let body = format!(
        r##"[sources.ga]
type = "google_alerts"
feed_url = "{base}/alerts/feeds/0417/4428"

[sources.tw]
type = "talkwalker"
api_base = "{base}"
feed_token_file = "{tw_file}"

[sources.rd]
type = "reddit"
query = "kettlewerk"
api_base = "{base}"
token_url = "{base}/api/v1/access_token"
client_id = "p-jcoLKBynTLew"
client_secret_file = "{reddit_file}"
reddit_username = "kettlewerk_shop"
max_pages = 2

[sources.md-a]
type = "mastodon"
tag = "kettlewerk"
api_base = "{base}/a"

[sources.md-b]
type = "mastodon"
tag = "#kettlewerk"
api_base = "{base}/b"

[sources.hn]
type = "hackernews"
query = "kettlewerk"
api_base = "{base}"

[sources.bs]
type = "bluesky"
query = "kettlewerk"
identifier = "kettlewerk.example"
app_password_file = "{bsky_file}"
api_base = "{base}"

{}"##,
        hook_config(&server, None)
    );
    let env = Env::with_daemon(BACKFILL_ALL, &body);
    let check = env.run(&["check-config"]).await;
    assert_eq!(check.code, Some(0), "{}", check.stderr);

    let out = env.once().await;
    assert!(
        out.stderr.contains("7 sources ok, 0 failed"),
        "{}",
        out.stderr
    );
    for secret in [
        tw_token,
        reddit_token,
        "reddit-app-secret-77",
        "abcd-efgh-ijkl-mnop",
        "access-2",
        "refresh-1",
    ] {
        assert!(
            !out.stderr.contains(secret),
            "{secret} reached the log:\n{}",
            out.stderr
        );
    }

    // Credentials as each platform expects them.
    let token_reqs = server.requests("/api/v1/access_token");
    assert_eq!(token_reqs.len(), 2, "a refused token is replaced once");
    let token_req = &token_reqs[1];
    assert_eq!(token_req.method, "POST");
    assert_eq!(token_req.body, b"grant_type=client_credentials");
    assert_eq!(
        token_req.headers["authorization"],
        "Basic cC1qY29MS0J5blRMZXc6cmVkZGl0LWFwcC1zZWNyZXQtNzc=",
        "base64 of client_id:client_secret"
    );
    let ua = format!(
        "{}:reviewradar:{} (by /u/kettlewerk_shop)",
        std::env::consts::OS,
        env!("CARGO_PKG_VERSION")
    );
    for r in server
        .all_requests()
        .iter()
        .filter(|r| r.path.starts_with("/search") || r.path.starts_with("/api/v1/access"))
    {
        assert_eq!(r.headers["user-agent"], ua, "{}", r.path);
    }
    assert_eq!(
        server
            .requests(reddit_first)
            .iter()
            .map(|r| r.headers["authorization"].as_str())
            .collect::<Vec<_>>(),
        ["bearer reddit-revoked-0000", bearer.as_str()]
    );
    assert_eq!(server.requests(&reddit_second).len(), 1, "the `after` page");
    assert!(server.requests(&reddit_third).is_empty(), "max_pages = 2");
    let session = &server.requests("/xrpc/com.atproto.server.createSession")[0];
    assert_eq!(session.method, "POST");
    let login: serde_json::Value = serde_json::from_slice(&session.body).unwrap();
    assert_eq!(
        login,
        serde_json::json!({"identifier": "kettlewerk.example", "password": "abcd-efgh-ijkl-mnop"})
    );
    let refresh = server.requests("/xrpc/com.atproto.server.refreshSession");
    assert_eq!(refresh.len(), 1, "a refused access token is renewed once");
    assert!(refresh[0].body.is_empty());
    let searches =
        server.requests("/xrpc/app.bsky.feed.searchPosts?q=kettlewerk&sort=latest&limit=25");
    assert_eq!(
        searches
            .iter()
            .map(|r| r.headers["authorization"].as_str())
            .collect::<Vec<_>>(),
        ["Bearer access-1", "Bearer access-2"]
    );

    // Stored, each under its platform, with the platform's ids.
    let ms = env.mentions().await;
    let count = |p: &str| ms.iter().filter(|m| m["platform"] == p).count();
    assert_eq!(count("google_alerts"), 20);
    assert_eq!(count("talkwalker"), 5);
    assert_eq!(count("reddit"), 5 + 1);
    assert_eq!(
        count("mastodon"),
        6,
        "one mention per status uri, whichever instance"
    );
    assert_eq!(count("hackernews"), 6);
    assert_eq!(count("bluesky"), 5);
    assert!(ids_of(&ms, "reddit").iter().all(|id| id.starts_with("t3_")));
    assert!(
        ids_of(&ms, "mastodon")
            .iter()
            .all(|id| id.contains("/statuses/"))
    );
    assert!(
        ids_of(&ms, "bluesky")
            .iter()
            .all(|id| id.starts_with("at://"))
    );
    let reddit_de = ms
        .iter()
        .find(|m| m["external_id"] == "t3_1j4kq2m")
        .unwrap();
    assert_eq!(
        reddit_de["url"],
        "https://www.reddit.com/r/de/comments/1j4kq2m/kettlewerk_wasserkocher_nach_3_wochen_undicht/"
    );
    let frieda = ms
        .iter()
        .find(|m| {
            m["external_id"] == "https://mastodon.example/users/frieda/statuses/116169774071834032"
        })
        .unwrap();
    // Polled concurrently: whichever instance came first stored it, the other is a
    // sighting.
    let other = if frieda["source"] == "md-a" {
        "md-b"
    } else {
        "md-a"
    };
    let sightings = frieda["sightings"].as_array().unwrap();
    assert_eq!(sightings.len(), 1, "{sightings:?}");
    assert_eq!(sightings[0]["source"], other);
    let hn = ms.iter().find(|m| m["external_id"] == "43192004").unwrap();
    assert_eq!(hn["url"], "https://news.ycombinator.com/item?id=43192004");
    assert!(hn["text"].as_str().unwrap().contains("<script>"));
    assert!(
        ms.iter()
            .filter(|m| m["platform"] == "google_alerts")
            .all(|m| {
                !m["url"].as_str().unwrap().contains("google.com/url")
                    && !m["title"].as_str().unwrap().contains("<b>")
            })
    );
    assert!(ms.iter().all(|m| m["rating"].is_null()));

    // Negative ones are alerted, once each; the classifier decides from the text.
    assert_alerted_exactly_the_negative(&ms, &server);
    let negative_ids = ids_of_negative(&ms);
    for complaint in [
        "t3_1j4kq2m",
        "https://mastodon.example/users/frieda/statuses/116169774071834032",
        "at://did:plc:iflcqvudap6dojzxorvmxw55/app.bsky.feed.post/3mg3wksor222x",
        "307a7a26079b74dd8d5eee304433a10a4e1d0ba3",
    ] {
        assert!(
            negative_ids.contains(&complaint.to_string()),
            "{complaint}: {negative_ids:#?}"
        );
    }
    let negative = negative_ids.len();

    // Again: nothing new, nothing alerted twice.
    env.once().await;
    assert_eq!(env.mentions().await.len(), ms.len());
    assert_eq!(hooks(&server).len(), negative);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn youtube_and_facebook_presets_end_to_end() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let base = server.url("");
    let key = "AIzaSyTest-key_0123456789";
    let page_token = "EAAGtestPageToken0123456789";

    // youtube: the channel feed names the uploads; comments per video.
    server.ok(
        "/feeds/videos.xml?channel_id=UCzwZWdfRLgxL-Z1bvxbT7Wg",
        fixture("synthetic/youtube-channel.atom"),
        "application/atom+xml; charset=UTF-8",
    );
    let threads = |video: &str| {
        format!(
            "/youtube/v3/commentThreads?part=snippet,replies&videoId={video}&maxResults=100&order=time&key={key}"
        )
    };
    let first = threads("KL8ozFiA2as");
    let second = format!(
        "{first}&pageToken=Z2V0X25ld2VzdF9maXJzdC0tfoeHfg3OKWAYo-xuRdb26j1Z5dkEbr7aMEWEZi3BJLVCfLPJIKCivvW4xG2X8Z7p"
    );
    let third = format!("{first}&pageToken=page3");
    let thread = |id: &str, video: &str, text: &str, replies: serde_json::Value| {
        serde_json::json!({
            "kind": "youtube#commentThread", "id": id,
            "snippet": {"videoId": video, "topLevelComment": {"id": id, "snippet": {
                "videoId": video, "textDisplay": text, "textOriginal": text,
                "authorDisplayName": "@viewer", "publishedAt": "2026-03-01T08:00:00Z", "updatedAt": "2026-03-01T08:00:00Z"}},
                "totalReplyCount": 1},
            "replies": replies
        })
    };
    server.ok(
        &first,
        fixture("synthetic/youtube-commentThreads.json"),
        "application/json",
    );
    server.ok(
        &second,
        serde_json::to_vec(&serde_json::json!({
            "nextPageToken": "page3",
            "items": [thread("UgzOlder000000000000001", "KL8ozFiA2as", "Older comment: works fine.", serde_json::Value::Null)]
        }))
        .unwrap(),
        "application/json",
    );
    server.ok(&third, b"{\"items\": []}".to_vec(), "application/json");
    // Comments disabled on the second upload: that video fails, the others count.
    server.route(&threads("K7Z7GtQbU4U"), Reply::Status(403, vec![]));
    server.ok(
        &threads("Qz9Xy8Wv7Ut"),
        serde_json::to_vec(&serde_json::json!({"items": [thread(
            "UgzListed00000000000001",
            "Qz9Xy8Wv7Ut",
            "Der Deckel ist nach einer Woche gebrochen und auf meine drei E-Mails antwortet niemand. Sehr enttäuschend!",
            serde_json::json!({"comments": [{"id": "UgzListed00000000000001.r1", "snippet": {
                "textOriginal": "Das tut uns leid! Wir schicken Ihnen heute einen neuen Deckel.",
                "authorChannelId": {"value": "UCzwZWdfRLgxL-Z1bvxbT7Wg"},
                "publishedAt": "2026-03-01T09:00:00Z"}}]})
        )]}))
        .unwrap(),
        "application/json",
    );

    // facebook: the feed (two pages) and the visitor posts.
    let fields =
        reviewradar::config::mention_presets::q(reviewradar::config::FacebookOptions::FIELDS);
    let page_id = "104958162837491";
    let feed = format!("/v22.0/{page_id}/feed?fields={fields}&limit=25&access_token={page_token}");
    let feed2 = format!(
        "/v22.0/{page_id}/feed?pretty=0&fields=id%2Cmessage%2Ccreated_time%2Cfrom%2Cpermalink_url&limit=25&after=QVFIUmVZAZ&access_token={page_token}"
    );
    let visitors = format!(
        "/v22.0/{page_id}/visitor_posts?fields={fields}&limit=25&access_token={page_token}"
    );
    server.ok(
        &feed,
        fixture("presets/facebook-page-feed.json"),
        "application/json",
    );
    server.ok(
        &feed2,
        serde_json::to_vec(&serde_json::json!({"data": [{
            "id": "104958162837491_810000000000001",
            "message": "Bestellung 20931 seit drei Wochen nicht da, keine Antwort vom Support. Ich will mein Geld zurück!",
            "created_time": "2026-02-20T10:00:00+0000",
            "from": {"name": "Tom R.", "id": "4400000000000001"},
            "permalink_url": "https://www.facebook.com/104958162837491/posts/810000000000001/"
        }], "paging": {"cursors": {"before": "a", "after": "b"}}}))
        .unwrap(),
        "application/json",
    );
    // Visitor posts repeat the feed's visitor post: one mention.
    let fixture_doc: serde_json::Value =
        serde_json::from_slice(&fixture("presets/facebook-page-feed.json")).unwrap();
    server.ok(
        &visitors,
        serde_json::to_vec(&serde_json::json!({"data": [fixture_doc["data"][1].clone()]})).unwrap(),
        "application/json",
    );
    server.route("/hook", Reply::Status(200, vec![]));

    let key_file = secret_file(dir.path(), "yt", key);
    let fb_file = secret_file(dir.path(), "fb", page_token);
    let body = format!(
        r#"[sources.yt]
type = "youtube"
url = "{base}/feeds/videos.xml?channel_id=UCzwZWdfRLgxL-Z1bvxbT7Wg"
channel_id = "UCzwZWdfRLgxL-Z1bvxbT7Wg"
recent_uploads = 2
video_ids = ["Qz9Xy8Wv7Ut"]
api_key_file = "{key_file}"
api_base = "{base}"
max_pages = 2

[sources.fb]
type = "facebook"
page_id = "{page_id}"
page_access_token_file = "{fb_file}"
api_base = "{base}"
max_pages = 3

{}"#,
        hook_config(&server, None)
    );
    let env = Env::with_daemon(BACKFILL_ALL, &body);
    let check = env.run(&["check-config"]).await;
    assert_eq!(check.code, Some(0), "{}", check.stderr);

    let out = env.once().await;
    assert!(
        out.stderr.contains("2 sources ok, 0 failed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("An endpoint failed"), "{}", out.stderr);
    assert!(
        out.stderr.contains("key={api_key}"),
        "the key is shown as a placeholder:\n{}",
        out.stderr
    );
    for secret in [key, page_token, "EAAGm0PX4ZCpsBAFAKE"] {
        assert!(
            !out.stderr.contains(secret),
            "{secret} reached the log:\n{}",
            out.stderr
        );
    }
    // Credentials: the key and the page token in the query, on every page.
    for path in [
        &first,
        &second,
        &threads("Qz9Xy8Wv7Ut"),
        &feed,
        &feed2,
        &visitors,
    ] {
        assert_eq!(server.requests(path).len(), 1, "{path}");
    }
    assert!(
        server.requests(&third).is_empty(),
        "max_pages = 2 per video"
    );
    assert_eq!(
        server
            .requests("/feeds/videos.xml?channel_id=UCzwZWdfRLgxL-Z1bvxbT7Wg")
            .len(),
        1
    );
    // Only the two newest uploads (of four) were read.
    assert!(server.requests(&threads("WEOCV81K2LQ")).is_empty());

    let ms = env.mentions().await;
    let yt = ids_of(&ms, "youtube");
    assert_eq!(yt.len(), 6 + 1 + 1, "{yt:?}");
    assert!(
        !yt.iter().any(|id| id.starts_with("yt:video:")),
        "uploads are not mentions"
    );
    let fb = ids_of(&ms, "facebook");
    assert_eq!(
        fb,
        [
            "104958162837491_810000000000001",
            "104958162837491_811302777245519",
            "811244503918265_1187733516021489",
            "811244503918265_1549028311647320",
            "811244503918265_902117834565211",
            "811302777245519_1922416958247733",
        ]
    );
    let hostile = ms
        .iter()
        .find(|m| m["external_id"] == "UgzpbaNB3kXRkW1NnX1xM4AaABAg")
        .unwrap();
    assert_eq!(
        hostile["text"],
        "<script>alert(1)</script> just checking if your site escapes comments lol"
    );
    assert_eq!(
        hostile["url"],
        "https://www.youtube.com/watch?lc=UgzpbaNB3kXRkW1NnX1xM4AaABAg&v=KL8ozFiA2as",
        "canonical: parameters sorted"
    );

    assert_alerted_exactly_the_negative(&ms, &server);
    let negative = ids_of_negative(&ms);
    for complaint in [
        "UgzListed00000000000001",
        "UgzvUd-aM3ZWR8fWgVJee4AaABAg",
        "104958162837491_811302777245519",
        "104958162837491_810000000000001",
    ] {
        assert!(
            negative.contains(&complaint.to_string()),
            "{complaint}: {negative:#?}"
        );
    }

    env.once().await;
    assert_eq!(env.mentions().await.len(), ms.len());
    assert_eq!(
        hooks(&server).len(),
        ms.iter()
            .filter(|m| m["negative"] == true && m["reply"].is_null())
            .count(),
        "answered complaints (the page replied) do not alert"
    );
}

// --- Review-platform presets: trustpilot, google_business, google_places, yelp, kiyoh

const TP_API: &str =
    "/v1/business-units/5f3a9c1e7b2d4e0a1c8b6f42/reviews?orderBy=createdat.desc&perPage=8";
const GBP_1: &str =
    "/v4/accounts/107462918350274619382/locations/4417093382615098271/reviews?pageSize=50";
const GBP_2: &str = "/v4/accounts/107462918350274619382/locations/4417093382615098271/reviews?pageSize=50&pageToken=ACYDBNjTgoDItiiFEcdaY3rVz8uiYOKWMl20w1roNlK5NOzqRqRJJV44s5mKzmoON9U1hPfawxwTY%3D%3D";

/// `reply` only when the request carries `header: value` (else 401).
fn authed(header: &'static str, value: &str, body: Vec<u8>, content_type: &'static str) -> Reply {
    Reply::Authed {
        header,
        value: value.to_string(),
        reply: Box::new(Reply::Ok { body, content_type }),
    }
}

fn preset_source(id: &str, kind: &str, base: &str, keys: &str) -> String {
    format!("[sources.{id}]\ntype = \"{kind}\"\ninterval = \"1m\"\napi_base = \"{base}\"\n{keys}\n")
}

fn file_notifier(path: &std::path::Path) -> String {
    format!(
        "[notifiers.log]\ntype = \"file\"\npath = \"{}\"\n",
        path.display()
    )
}

/// Negative mentions without the shop's reply (the ones that alert), any source.
fn all_unanswered_negative(ms: &[serde_json::Value]) -> usize {
    ms.iter()
        .filter(|m| m["negative"] == true && m["reply"].is_null())
        .count()
}

fn lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The API (two pages, the key in the `apikey` header) and the public page give the
/// same twelve reviews: stored once each, alerted once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trustpilot_api_and_page_forms_store_and_alert_each_review_once() {
    let server = Server::start().await;
    let key = "tp-k3y-5f3a9c1e";
    server.route(
        TP_API,
        authed(
            "apikey",
            key,
            fixture("synthetic/trustpilot-api-reviews.json"),
            "application/json",
        ),
    );
    server.route(
        &format!("{TP_API}&page=2"),
        authed(
            "apikey",
            key,
            fixture("presets/trustpilot-api-reviews-page2.json"),
            "application/json",
        ),
    );
    server.ok(
        TP_PAGE_1,
        fixture_str("synthetic/trustpilot-page-1.html"),
        "text/html; charset=utf-8",
    );
    server.ok(
        TP_PAGE_2,
        fixture_str("synthetic/trustpilot-page-2.html"),
        "text/html; charset=utf-8",
    );
    server.route("/hook", Reply::Status(200, vec![]));
    let dir = tempfile::tempdir().unwrap();
    let good = secret_file(dir.path(), "tp-key", key);
    let wrong = secret_file(dir.path(), "tp-old-key", "tp-revoked");
    let base = server.url("");
    let env = Env::with_daemon(
        BACKFILL_ALL,
        &format!(
            "{}\n{}\n{}\n{}",
            preset_source(
                "tp-api",
                "trustpilot",
                &base,
                &format!(
                    "business_unit_id = \"5f3a9c1e7b2d4e0a1c8b6f42\"\napi_key_file = \"{good}\"\nper_page = 8\nmax_pages = 5"
                ),
            ),
            preset_source(
                "tp-page",
                "trustpilot",
                &base,
                "mode = \"page\"\ndomain = \"kettlewerk.example\"",
            ),
            preset_source(
                "tp-revoked",
                "trustpilot",
                &base,
                &format!(
                    "business_unit_id = \"5f3a9c1e7b2d4e0a1c8b6f42\"\napi_key_file = \"{wrong}\"\nper_page = 8"
                ),
            ),
            hook_config(&server, None)
        ),
    );
    let check = env.run(&["check-config"]).await;
    assert_eq!(check.code, Some(0), "{}", check.stderr);

    let out = env.once().await;
    assert!(
        out.stderr.contains("source tp-revoked failed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("HTTP 401"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("source tp-api failed"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("source tp-page failed"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains(key),
        "the key never reaches a log line"
    );
    // The key travels in the apikey header, to the API only.
    let api = server.requests(TP_API);
    assert_eq!(api.len(), 2, "tp-api and tp-revoked");
    assert!(
        api.iter()
            .any(|r| r.headers.get("apikey").map(String::as_str) == Some(key))
    );
    assert_eq!(server.requests(&format!("{TP_API}&page=2")).len(), 1);
    assert!(!server.requests(TP_PAGE_1)[0].headers.contains_key("apikey"));
    assert!(
        server.requests(TP_PAGE_2).is_empty(),
        "page mode reads max_pages = 1 page"
    );

    let ms = env.mentions().await;
    assert_eq!(ms.len(), 12, "API and page give the same 12 reviews");
    assert!(ms.iter().all(|m| m["platform"] == "trustpilot"));
    assert!(
        ms.iter()
            .any(|m| m["external_id"] == "69a726b40a09dbab77fa4a99"
                && m["url"] == "https://www.trustpilot.com/reviews/69a726b40a09dbab77fa4a99")
    );
    let negative = ms.iter().filter(|m| m["negative"] == true).count();
    assert_eq!(negative, 6);
    // The shop's replies are kept; answered negative reviews do not alert.
    let dieter = ms
        .iter()
        .find(|m| m["external_id"] == "69a726b40a09dbab77fa4a99")
        .unwrap();
    assert!(
        dieter["reply"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Hallo Dieter, das tut uns leid.")
    );
    assert_eq!(dieter["reply"]["at"], "2026-03-04T09:05:11Z");
    let unanswered = all_unanswered_negative(&ms);
    assert_eq!(unanswered, 3);
    let got = hooks(&server);
    assert_eq!(
        got.len(),
        unanswered,
        "one alert per unanswered negative review, not one per form"
    );

    // Unchanged: nothing new, nothing re-alerted.
    env.once().await;
    assert_eq!(env.mentions().await.len(), 12);
    assert_eq!(hooks(&server).len(), unanswered);
}

/// Business Profile (bearer token, cursor pages), Places legacy (key in the query)
/// and Places New (key and field mask in headers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_business_and_places_send_their_credentials_as_google_expects() {
    let server = Server::start().await;
    let token = "ya29.gbp-t0ken";
    let maps_key = "AIza-places-k3y_0042";
    server.route(
        GBP_1,
        authed(
            "authorization",
            &format!("Bearer {token}"),
            fixture("synthetic/google-business-reviews.json"),
            "application/json; charset=utf-8",
        ),
    );
    server.route(
        GBP_2,
        authed(
            "authorization",
            &format!("Bearer {token}"),
            fixture("synthetic/google-business-reviews-page2.json"),
            "application/json; charset=utf-8",
        ),
    );
    let legacy = format!(
        "/maps/api/place/details/json?place_id=ChIJN1t_tDeuEmsRUsoyG83frY4&fields=reviews&reviews_sort=newest&reviews_no_translations=true&key={maps_key}"
    );
    server.ok(
        &legacy,
        fixture("real/google-places-details-sydney.json"),
        "application/json; charset=UTF-8",
    );
    let new = "/v1/places/ChIJ2b7Qx9T4pkcR5Wkq0mVd4Ao";
    server.route(
        new,
        authed(
            "x-goog-api-key",
            maps_key,
            fixture("synthetic/google-places-new.json"),
            "application/json; charset=UTF-8",
        ),
    );
    server.route("/hook", Reply::Status(200, vec![]));
    let dir = tempfile::tempdir().unwrap();
    let token_file = secret_file(dir.path(), "google-token", token);
    let key_file = secret_file(dir.path(), "maps-key", maps_key);
    let base = server.url("");
    let env = Env::with_daemon(
        BACKFILL_ALL,
        &format!(
            "{}\n{}\n{}\n{}\n{}",
            preset_source(
                "gbp",
                "google_business",
                &base,
                &format!(
                    "account_id = \"107462918350274619382\"\nlocation_id = \"locations/4417093382615098271\"\naccess_token_file = \"{token_file}\"\nmax_pages = 5"
                ),
            ),
            // The same location, one page per poll.
            preset_source(
                "gbp-first-page",
                "google_business",
                &base,
                &format!(
                    "account_id = \"107462918350274619382\"\nlocation_id = \"4417093382615098271\"\naccess_token_file = \"{token_file}\""
                ),
            ),
            preset_source(
                "places",
                "google_places",
                &base,
                &format!(
                    "place_id = \"ChIJN1t_tDeuEmsRUsoyG83frY4\"\napi_key_file = \"{key_file}\""
                ),
            ),
            preset_source(
                "places-new",
                "google_places",
                &base,
                &format!(
                    "mode = \"new\"\nplace_id = \"ChIJ2b7Qx9T4pkcR5Wkq0mVd4Ao\"\napi_key_file = \"{key_file}\""
                ),
            ),
            hook_config(&server, None)
        ),
    );
    let out = env.once().await;
    assert!(out.stderr.contains(", 0 failed;"), "{}", out.stderr);
    for secret in [token, maps_key] {
        assert!(!out.stderr.contains(secret), "a secret in the log");
    }
    assert_eq!(server.requests(GBP_1).len(), 2);
    assert_eq!(
        server.requests(GBP_2).len(),
        1,
        "the cursor page, for gbp only (gbp-first-page has max_pages = 1)"
    );
    assert_eq!(server.requests(&legacy).len(), 1, "the key in the query");
    let n = &server.requests(new)[0];
    assert_eq!(
        n.headers.get("x-goog-fieldmask").map(String::as_str),
        Some("reviews")
    );

    let ms = env.mentions().await;
    assert_eq!(ms.len(), 20, "gbp-first-page found nothing new");
    // Page 1 of the location was stored by whichever of the two sources came first.
    let count = |source: &str| ms.iter().filter(|m| m["source"] == source).count();
    assert_eq!(
        (
            count("gbp") + count("gbp-first-page"),
            count("places"),
            count("places-new")
        ),
        (10, 5, 5)
    );
    let platform = |p: &str| ms.iter().filter(|m| m["platform"] == p).count();
    assert_eq!(
        (platform("google_business"), platform("google_places")),
        (10, 10)
    );
    let negative = (
        negative_count(&ms, "gbp") + negative_count(&ms, "gbp-first-page"),
        negative_count(&ms, "places"),
        negative_count(&ms, "places-new"),
    );
    assert_eq!(negative, (5, 5, 3));
    // Three of the location's negative reviews carry the shop's reply; Places has
    // no replies.
    assert_eq!(all_unanswered_negative(&ms), 2 + 5 + 3);
    assert_eq!(hooks(&server).len(), 10);
    // The reviewer's own words: no appended Google translation.
    assert!(
        !ms.iter().any(|m| m["text"]
            .as_str()
            .unwrap()
            .contains("(Translated by Google)")),
        "translations are dropped"
    );

    env.once().await;
    assert_eq!(env.mentions().await.len(), 20);
    assert_eq!(hooks(&server).len(), 10, "nothing alerted twice");
}

/// The access token file is read again at every poll: a helper replaces it, and the
/// running daemon sends the new token without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_business_rereads_its_access_token_at_every_poll() {
    let server = Server::start().await;
    let body = fixture("synthetic/google-business-reviews-page2.json");
    server.route(
        GBP_1,
        authed(
            "authorization",
            "Bearer first-t0ken",
            body.clone(),
            "application/json",
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let token_file = secret_file(dir.path(), "token", "first-t0ken");
    let alerts = dir.path().join("alerts.jsonl");
    let env = Env::with_daemon(
        BACKFILL_ALL,
        &format!(
            "{}\n{}",
            preset_source(
                "gbp",
                "google_business",
                &server.url(""),
                &format!("account_id = \"107462918350274619382\"\nlocation_id = \"4417093382615098271\"\naccess_token_file = \"{token_file}\""),
            )
            .replace("interval = \"1m\"", "interval = \"1s\""),
            file_notifier(&alerts)
        ),
    );
    let mut child = env.command(&["run"]).spawn().unwrap();
    let start = Instant::now();
    while lines(&alerts).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "alerts with the first token"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The helper refreshes the token; the old one stops working.
    secret_file(dir.path(), "token", "second-t0ken");
    server.route(
        GBP_1,
        authed(
            "authorization",
            "Bearer second-t0ken",
            body,
            "application/json",
        ),
    );
    let seen_second = || {
        server.requests(GBP_1).iter().any(|r| {
            r.headers.get("authorization").map(String::as_str) == Some("Bearer second-t0ken")
        })
    };
    while !seen_second() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the new token is sent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(12), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        lines(&alerts).len(),
        1,
        "the unanswered negative review (of two), once"
    );
}

/// Yelp (bearer key, Pacific times) and Kiyoh (token header, 10-point scale,
/// negative at 4 or less), alerting through the file notifier.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yelp_and_kiyoh_store_and_alert_through_the_file_notifier() {
    let server = Server::start().await;
    let yelp_key = "yelp-k3y-77";
    let kiyoh_token = "kiyoh-t0ken-1087342";
    let yelp = "/v3/businesses/kettlewerk-amsterdam/reviews?locale=nl_NL";
    let kiyoh = "/v1/publication/review/external?locationId=1087342&orderBy=CREATE_DATE&sortOrder=DESC&limit=50";
    server.route(
        yelp,
        authed(
            "authorization",
            &format!("Bearer {yelp_key}"),
            fixture("synthetic/yelp-reviews.json"),
            "application/json",
        ),
    );
    server.route(
        kiyoh,
        authed(
            "x-publication-api-token",
            kiyoh_token,
            fixture("synthetic/kiyoh-reviews.json"),
            "application/json;charset=UTF-8",
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let yelp_file = secret_file(dir.path(), "yelp", yelp_key);
    let alerts = dir.path().join("alerts.jsonl");
    let base = server.url("");
    let env = Env::with_daemon(
        BACKFILL_ALL,
        &format!(
            "{}\n{}\n{}",
            preset_source(
                "yelp",
                "yelp",
                &base,
                &format!(
                    "business_id = \"kettlewerk-amsterdam\"\nlocale = \"nl_NL\"\napi_key_file = \"{yelp_file}\""
                ),
            ),
            preset_source(
                "kiyoh",
                "kiyoh",
                &base,
                "location_id = \"1087342\"\napi_token_env = \"REVIEWRADAR_TEST_KIYOH_TOKEN\"",
            ),
            file_notifier(&alerts)
        ),
    );
    // The token comes from the environment, for every command that reads the config.
    let run = |args: &'static [&'static str]| {
        let mut c = env.command(args);
        c.env("REVIEWRADAR_TEST_KIYOH_TOKEN", kiyoh_token);
        async move {
            let o = c.output().await.unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
            assert_eq!(o.status.code(), Some(0), "{stderr}");
            (String::from_utf8_lossy(&o.stdout).into_owned(), stderr)
        }
    };
    let mentions = || async {
        let (out, _) = run(&["mentions", "--json"]).await;
        serde_json::from_str::<Vec<serde_json::Value>>(&out).unwrap()
    };
    let (_, stderr) = run(&["once"]).await;
    assert!(stderr.contains("2 sources ok, 0 failed;"), "{stderr}");
    assert!(!stderr.contains(yelp_key) && !stderr.contains(kiyoh_token));
    assert_eq!(server.requests(yelp).len(), 1);
    assert_eq!(server.requests(kiyoh).len(), 1);

    let ms = mentions().await;
    let by_source = |s: &str| ms.iter().filter(|m| m["source"] == s).collect::<Vec<_>>();
    let (y, k) = (by_source("yelp"), by_source("kiyoh"));
    assert_eq!((y.len(), k.len()), (3, 6));
    assert!(y.iter().all(|m| m["platform"] == "yelp"));
    assert!(
        k.iter()
            .all(|m| m["platform"] == "kiyoh" && m["rating_max"] == 10.0)
    );
    let femke = y
        .iter()
        .find(|m| m["external_id"] == "uVqxunyauN2zIszznCtP6f")
        .unwrap();
    assert_eq!(
        femke["published_at"], "2026-03-02T17:14:51Z",
        "PST read as UTC-8"
    );
    // 4 of 10 is negative, 6 of 10 is not.
    let rated = |r: f64| k.iter().find(|m| m["rating"] == r).unwrap()["negative"].clone();
    assert_eq!((rated(4.0), rated(6.0)), (true.into(), false.into()));
    assert_eq!(
        (negative_count(&ms, "yelp"), negative_count(&ms, "kiyoh")),
        (2, 3)
    );
    // Kiyoh's company responses are replies: those reviews do not alert.
    let marloes = k
        .iter()
        .find(|m| m["external_id"] == "0b153a85-ea42-49db-8a75-c7fae0236836")
        .unwrap();
    assert!(
        marloes["reply"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Beste Marloes")
    );
    assert_eq!(all_unanswered_negative(&ms), 2 + 1);
    let got = lines(&alerts);
    assert_eq!(got.len(), 3);
    assert!(got.iter().any(|a| a["mention"]["platform"] == "kiyoh"));

    run(&["once"]).await;
    assert_eq!(mentions().await.len(), 9);
    assert_eq!(lines(&alerts).len(), 3, "nothing alerted twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_names_preset_ids_credentials_and_keys() {
    let env = Env::new(
        "[sources.tp]\ntype = \"trustpilot\"\napi_key_env = \"REVIEWRADAR_TEST_UNSET_TP_KEY\"\n\n[sources.gbp]\ntype = \"google_business\"\naccount_id = \"1\"\nlocation_id = \"2\"\n\n[sources.yelp]\ntype = \"yelp\"\nbusiness_id = \"kettlewerk-amsterdam\"\napi_key_file = \"/nonexistent/yelp-key\"\nmax_pages = 2\n",
    );
    let out = env.run(&["check-config"]).await;
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    let cfg = env.config.display().to_string();
    for want in [
        format!("{cfg}:14: sources.tp.url: missing: a trustpilot source needs `business_unit_id`"),
        format!(
            "{cfg}:18: sources.gbp.access_token_file: missing: set access_token_file or access_token_env"
        ),
        format!("{cfg}:27: sources.yelp.max_pages: not a key of a yelp source (it belongs to"),
    ] {
        assert!(out.stderr.contains(&want), "{want}\n{}", out.stderr);
    }
    // With the stray key gone, the unreadable key file is named.
    env.write_config(
        "[sources.yelp]\ntype = \"yelp\"\nbusiness_id = \"kettlewerk-amsterdam\"\napi_key_file = \"/nonexistent/yelp-key\"\n",
    );
    let out = env.run(&["check-config"]).await;
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(":4: sources.yelp.api_key_file: cannot read /nonexistent/yelp-key"),
        "{}",
        out.stderr
    );
}

/// A negative mention opens a case; people move it with `case` while the daemon
/// runs (over its control socket) and after it stopped (on the store directly);
/// every step is stored with time, actor and note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_are_followed_from_alert_to_resolved_with_and_without_the_daemon() {
    let server = Server::start().await;
    serve_one_complaint(&server);
    server.route("/hook", Reply::Status(200, vec![]));
    let env = Env::new(&format!(
        "{}\n{}",
        feed_source("f", &server.url("/feed.xml")),
        hook_config(&server, None)
    ));
    env.once().await;
    let o = env.run(&["cases", "--json"]).await;
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let cases: Vec<serde_json::Value> = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(cases.len(), 1, "{}", o.stdout);
    assert_eq!(cases[0]["state"], "open");
    assert_eq!(cases[0]["mention"]["title"], "Scam");
    let id = cases[0]["id"].as_str().unwrap().to_string();
    // The table shows the last 12 digits; any unique part of the id works.
    let prefix = &id[id.len() - 12..];

    // With the daemon running (it holds the store), commands go through its socket.
    let mut child = env.command(&["run"]).spawn().unwrap();
    let socket = env.dir.path().join("state/control.sock");
    let start = Instant::now();
    while !socket.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "control socket appears"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let o = env
        .run(&[
            "case",
            "ack",
            prefix,
            "--by",
            "anna",
            "--note",
            "looking into it",
        ])
        .await;
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert_eq!(
        o.stdout.trim(),
        format!("case {id} is now acknowledged (by anna)")
    );
    let o = env.run(&["cases", "--state", "acknowledged"]).await;
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(
        o.stdout.contains(prefix) && o.stdout.contains("anna"),
        "{}",
        o.stdout
    );
    let o = env.run(&["case", "ack", prefix]).await;
    assert_eq!(o.code, Some(2), "a repeated step is refused");
    assert!(o.stderr.contains("is already acknowledged"), "{}", o.stderr);
    let o = env
        .run(&[
            "case",
            "contact",
            prefix,
            "--by",
            "anna",
            "--note",
            "phoned, refund sent",
        ])
        .await;
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let o = env.run(&["case", "nonsense", prefix]).await;
    assert_eq!(o.code, Some(2));

    assert_eq!(terminate(&mut child).await.code(), Some(0));
    assert!(!socket.exists(), "the socket is removed on shutdown");

    // Without the daemon the CLI opens the store itself.
    let o = env.run(&["case", "ack", prefix]).await;
    assert_eq!(o.code, Some(2));
    assert!(
        o.stderr.contains("cannot go back to acknowledged"),
        "{}",
        o.stderr
    );
    let o = env
        .run(&[
            "case",
            "reply",
            prefix,
            "--by",
            "ben",
            "--note",
            "answered publicly",
        ])
        .await;
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let o = env.run(&["case", "resolve", prefix, "--by", "ben"]).await;
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let o = env.run(&["case", "ignore", prefix]).await;
    assert_eq!(o.code, Some(2), "a closed case stays closed");
    let o = env.run(&["case", "show", prefix, "--json"]).await;
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let case: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let steps: Vec<(String, String, String)> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["to"].as_str().unwrap().to_string(),
                t["actor"].as_str().unwrap().to_string(),
                t["note"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("open".into(), "platform".into(), "".into()),
            (
                "acknowledged".into(),
                "anna".into(),
                "looking into it".into()
            ),
            (
                "contacted".into(),
                "anna".into(),
                "phoned, refund sent".into()
            ),
            ("replied".into(), "ben".into(), "answered publicly".into()),
            ("resolved".into(), "ben".into(), "".into()),
        ]
    );
    for k in [
        "acknowledged_at",
        "contacted_at",
        "replied_at",
        "resolved_at",
    ] {
        assert!(case[k].is_string(), "{k} recorded");
    }
    let o = env.run(&["case", "show", prefix]).await;
    eprintln!("{}", o.stdout);
    assert!(o.stdout.contains("state    resolved"), "{}", o.stdout);
    let o = env.run(&["cases", "--state", "bogus"]).await;
    assert_eq!(o.code, Some(2));
}

/// A review API whose answer changes between polls: the reply appears, the rating
/// goes up and down, and the review disappears. Each change reaches the webhook as
/// its event, once, and the case follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_changes_move_the_case_and_send_their_events() {
    let server = Server::start().await;
    server.route("/hook", Reply::Status(200, vec![]));
    let today = chrono::Utc::now().to_rfc3339();
    let older = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    let api = |reviews: &[(&str, u32, Option<&str>)]| {
        let data: Vec<serde_json::Value> = reviews
            .iter()
            .map(|(id, stars, reply)| {
                serde_json::json!({
                    "id": id, "stars": stars, "headline": format!("Review {id}"),
                    "body": format!("Order {id}: the parcel came late and the box was dented."),
                    "created_at": if *id == "r1" { &older } else { &today },
                    "reply": reply.map(|t| serde_json::json!({"text": t, "created_at": today})),
                })
            })
            .collect();
        serde_json::json!({ "data": data }).to_string()
    };
    let source = format!(
        "[sources.api]\ntype = \"json\"\nurl = \"{}\"\ninterval = \"1m\"\nplatform = \"reviews_api\"\nitems = \"/data\"\n[sources.api.fields]\nid = \"/id\"\ntitle = \"/headline\"\ntext = \"/body\"\nrating = \"/stars\"\ndate = \"/created_at\"\nreply = \"/reply/text\"\nreply_date = \"/reply/created_at\"\n",
        server.url("/reviews")
    );
    let env = Env::new(&format!("{source}\n{}", hook_config(&server, None)));
    let events = |server: &Server| -> Vec<(String, String)> {
        hooks(server)
            .iter()
            .map(|h| {
                (
                    h["event"].as_str().unwrap().to_string(),
                    h["mention"]["title"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let case_of = |cases: &[serde_json::Value], title: &str| -> serde_json::Value {
        cases
            .iter()
            .find(|c| c["mention"]["title"] == title)
            .cloned()
            .unwrap_or_else(|| panic!("no case for {title}: {cases:#?}"))
    };

    // Two negative reviews: two alerts, two open cases.
    server.ok(
        "/reviews",
        api(&[("r1", 1, None), ("r2", 2, None), ("r3", 5, None)]),
        "application/json",
    );
    env.once().await;
    let mut first = events(&server);
    first.sort();
    assert_eq!(
        first,
        [
            ("review.negative".to_string(), "Review r1".to_string()),
            ("review.negative".to_string(), "Review r2".to_string())
        ]
    );

    // The shop answers r1 publicly; r2's customer raises the rating to 4.
    server.ok(
        "/reviews",
        api(&[
            ("r1", 1, Some("Sorry, refund sent.")),
            ("r2", 4, None),
            ("r3", 5, None),
        ]),
        "application/json",
    );
    env.once().await;
    let got = events(&server);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.contains(&("review.replied".into(), "Review r1".into())));
    assert!(got.contains(&("review.resolved".into(), "Review r2".into())));
    let resolved = hooks(&server)
        .into_iter()
        .find(|h| h["event"] == "review.resolved")
        .unwrap();
    assert_eq!(resolved["mention"]["rating"], 4.0);
    let cs = cases_json(&env).await;
    assert_eq!(case_of(&cs, "Review r1")["state"], "replied");
    assert_eq!(case_of(&cs, "Review r2")["state"], "resolved");

    // r2 drops back to 1 star: the case reopens with a second review.negative.
    server.ok(
        "/reviews",
        api(&[
            ("r1", 1, Some("Sorry, refund sent.")),
            ("r2", 1, None),
            ("r3", 5, None),
        ]),
        "application/json",
    );
    env.once().await;
    let got = events(&server);
    assert_eq!(got.len(), 5, "{got:?}");
    assert_eq!(
        got.iter()
            .filter(|e| **e == ("review.negative".to_string(), "Review r2".to_string()))
            .count(),
        2
    );
    let cs = cases_json(&env).await;
    assert_eq!(case_of(&cs, "Review r2")["state"], "open");
    assert_eq!(case_of(&cs, "Review r2")["round"], 2);
    let r2 = case_of(&cs, "Review r2")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let o = env.run(&["case", "show", &r2]).await;
    eprintln!("{}", o.stdout);
    assert!(
        o.stdout
            .contains("resolved     by platform [review.resolved]: rating 2 → 4"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains(
            "open         by platform [review.negative]: the review turned negative again"
        ),
        "{}",
        o.stdout
    );

    // r1 vanishes (its page still reaches back to its date): removed after 3 polls,
    // not before. The page keeps r2 and r3 and an older review, so it reaches back.
    server.ok(
        "/reviews",
        api(&[("r2", 1, None), ("r3", 5, None), ("r0", 5, None)]).replace(
            &format!("\"created_at\":\"{today}\",\"headline\":\"Review r0\""),
            "\"created_at\":\"2020-01-01T00:00:00Z\",\"headline\":\"Review r0\"",
        ),
        "application/json",
    );
    env.once().await;
    env.once().await;
    assert_eq!(events(&server).len(), 5, "not on the first misses");
    env.once().await;
    let got = events(&server);
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(got[5], ("review.removed".into(), "Review r1".into()));
    let removed = hooks(&server)
        .into_iter()
        .find(|h| h["event"] == "review.removed")
        .unwrap();
    assert_eq!(removed["delivery_id"].as_str().unwrap().len(), 32);
    env.once().await;
    assert_eq!(events(&server).len(), 6, "once");
}

async fn cases_json(env: &Env) -> Vec<serde_json::Value> {
    let o = env.run(&["cases", "--json"]).await;
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    serde_json::from_str::<Vec<serde_json::Value>>(&o.stdout).unwrap()
}

/// Store cases the way the daemon does (`c/<id>` in the store's tree), without a
/// daemon: the report reads them back.
fn store_cases(env: &Env, cases: &[reviewradar::case::Case]) {
    let state = env.dir.path().join("state");
    drop(reviewradar::store::Store::open(&state, 1 << 20).expect("create the store"));
    let db = sled::open(state.join("db")).unwrap();
    let tree = db.open_tree("reviewradar").unwrap();
    for c in cases {
        tree.insert(
            format!("c/{}", c.id).as_bytes(),
            serde_json::to_vec(c).unwrap(),
        )
        .unwrap();
    }
    db.flush().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_prints_response_times_of_stored_cases() {
    use reviewradar::case::{Action, Case};
    let env = Env::new(
        "[notifiers.hook]\ntype = \"file\"\npath = \"alerts.jsonl\"\n\n[routes.urgent]\nnotifiers = [\"hook\"]\n",
    );
    let now = chrono::Utc::now();
    let mk = |id: &str, days_ago: i64, steps: &[(Action, i64)]| {
        let opened = now - Age::days(days_ago);
        let mut c = Case::open(
            id,
            "tp",
            "trustpilot",
            opened,
            vec!["urgent".into()],
            vec!["hook".into()],
        );
        for (a, mins) in steps {
            c.apply(*a, opened + Age::minutes(*mins), "anna", None, None)
                .unwrap();
        }
        c
    };
    store_cases(
        &env,
        &[
            mk("a", 3, &[(Action::Ack, 60), (Action::Reply, 120)]),
            mk("b", 2, &[(Action::Ack, 180)]),
            mk("c", 1, &[]),
            mk("old", 40, &[(Action::Ack, 1)]),
        ],
    );

    let out = env.run(&["report", "--since", "30d", "--json"]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("report --json");
    assert_eq!(v["all"]["cases"], 3, "{v}");
    assert_eq!(
        v["all"]["acknowledge"],
        serde_json::json!({"reached": 2, "median_secs": 3600, "p90_secs": 10800, "pending": 1, "never": 0})
    );
    assert_eq!(v["all"]["reply"]["reached"], 1);
    assert_eq!(v["by_route"][0]["key"], "urgent");
    assert_eq!(v["unrouted"], 0);

    let out = env.run(&["report"]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.starts_with("Response times of 3 cases opened "),
        "{}",
        out.stdout
    );
    let ack = out
        .stdout
        .lines()
        .find(|l| l.starts_with("all "))
        .expect("an `all` row");
    let cols: Vec<&str> = ack.split_whitespace().collect();
    assert_eq!(
        cols,
        ["all", "3", "3", "acknowledge", "2", "1h", "3h", "1", "0"]
    );

    let out = env.run(&["report", "--since", "last week"]).await;
    assert_eq!(out.code, Some(2), "a bad --since is a usage error");
    assert!(out.stderr.contains("neither a duration"), "{}", out.stderr);
}

/// Run `reviewradar <args>` with `stdin` as input; the config is `config` if given,
/// else none at all (the default path, which does not exist in the test sandbox or
/// is not read when absent).
fn run_with_stdin(args: &[&str], config: Option<&std::path::Path>, stdin: Vec<u8>) -> Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut c = Command::new(env!("CARGO_BIN_EXE_reviewradar"));
    c.args(args);
    if let Some(p) = config {
        c.arg("--config").arg(p);
    }
    c.env_remove("REVIEWRADAR_CONFIG").env_remove("RUST_LOG");
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn reviewradar");
    let mut input = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().unwrap();
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn classify_reads_json_lines_and_answers_every_line_in_order() {
    let mut input = Vec::new();
    input.extend_from_slice(
        "{\"text\": \"Bestellt vor drei Wochen, immer noch nichts. Vier Mails unbeantwortet.\"}\n"
            .as_bytes(),
    );
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"{\"text\": \"Great kettle, love it!\", \"title\": \"Top\", \"lang\": \"en\", \"rating\": 5, \"rating_max\": 5}\n");
    input.extend_from_slice(b"{\"text\": \"broken\xc3\x28 bytes\"}\n");
    input.extend_from_slice(b"[1, 2]\n");
    input.extend_from_slice(b"   \r\n");
    input.extend_from_slice(b"{\"text\": \"\", \"rating\": 6, \"rating_max\": 10}\n");
    let mut huge = b"{\"text\": \"".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 2 * 1024 * 1024));
    huge.extend_from_slice(b"\"}\n");
    input.extend_from_slice(&huge);
    input.extend_from_slice("{\"text\": \"No está mal, la verdad.\"}".as_bytes());
    let out = run_with_stdin(&["classify"], None, input);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let got = json_lines(&out.stdout);
    assert_eq!(got.len(), 9, "{}", out.stdout);
    assert_eq!(got[0]["negative"], true);
    assert_eq!(got[0]["lang"], "de");
    assert!(got[0]["reasons"].as_array().unwrap().len() >= 2);
    assert!(got[1]["error"].as_str().unwrap().starts_with("line 2: "));
    assert_eq!(got[2]["negative"], false);
    assert!(got[2]["score"].as_f64().unwrap() > 0.5);
    assert!(got[3]["error"].as_str().unwrap().contains("UTF-8"));
    assert!(got[4]["error"].as_str().unwrap().starts_with("line 5: "));
    assert!(got[5]["error"].as_str().unwrap().starts_with("line 6: "));
    assert_eq!(got[6]["negative"], false, "6/10 is above 4/10");
    assert!(got[7]["error"].as_str().unwrap().contains("longer than"));
    assert_eq!(got[8]["negative"], false, "{}", got[8]);
    assert_eq!(got[8]["lang"], "es");
    for g in got.iter().filter(|g| g.get("error").is_none()) {
        assert_eq!(g["severity"], "normal");
        assert!(g["rules"].as_array().unwrap().is_empty());
    }
}

#[test]
fn classify_applies_the_config_rules_markets_and_sources() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[rules.fraud]\nkeywords = [\"Betrug\", \"estafa\", \"oplichting\", \"scam\", \"Anwalt\", \"lawyer\"]\nregex = ['(?i)charge\\s*back']\nseverity = \"critical\"\n\n[rules.staff]\naction = \"never\"\nauthors = [\"Shop Team\"]\npatterns = ['(?i)^antwort des shops']\n\n[markets.eu]\nrating_shift = -1\n\n[sources.survey]\ntype = \"feed\"\nurl = \"https://shop.example/nps.xml\"\nrating_scale = \"nps\"\nmarket = \"eu\"\n\n[sources.tp]\ntype = \"feed\"\nurl = \"https://shop.example/tp.xml\"\non_disagreement = \"either\"\n",
    )
    .unwrap();
    let input = [
        r#"{"text": "Lovely lamp. My lawyer loved it too."}"#,
        r#"{"text": "Antwort des Shops: Das tut uns leid, Betrug ist das nicht.", "author": "Kundenservice"}"#,
        r#"{"text": "Never arrived, total scam.", "author": "shop team"}"#,
        r#"{"text": "", "rating": 6, "source": "survey"}"#,
        r#"{"text": "", "rating": 5, "source": "survey"}"#,
        r#"{"text": "Absolutely terrible, broken on arrival, no refund, avoid!", "rating": 5, "source": "tp"}"#,
        r#"{"text": "Absolutely terrible, broken on arrival, no refund, avoid!", "rating": 5}"#,
    ]
    .join("\n");
    let out = run_with_stdin(&["classify"], Some(&config), input.into_bytes());
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let got = json_lines(&out.stdout);
    assert_eq!(got.len(), 7, "{}", out.stdout);
    assert_eq!(got[0]["negative"], true);
    assert_eq!(got[0]["severity"], "critical");
    assert_eq!(got[0]["rules"], serde_json::json!(["fraud"]));
    assert!(
        got[0]["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("rule fraud: keyword \"lawyer\""),
        "{}",
        got[0]
    );
    assert_eq!(got[1]["negative"], false, "never wins: {}", got[1]);
    assert_eq!(got[1]["rules"], serde_json::json!(["fraud", "staff"]));
    assert_eq!(got[2]["negative"], false, "{}", got[2]);
    assert_eq!(
        got[3]["negative"], false,
        "European NPS: 6 is passive: {}",
        got[3]
    );
    assert!(
        got[3]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("shifted by -1")
    );
    assert_eq!(got[4]["negative"], true, "{}", got[4]);
    assert_eq!(got[5]["negative"], true, "either: {}", got[5]);
    assert_eq!(got[6]["negative"], false, "the rating decides by default");
    assert!(got[6]["reasons"].to_string().contains("disagree"));

    // A bad regex is a config error naming its key, exit 78.
    std::fs::write(&config, "[rules.bad]\nregex = ['(unclosed']\n").unwrap();
    let out = run_with_stdin(
        &["classify"],
        Some(&config),
        b"{\"text\": \"x\"}\n".to_vec(),
    );
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    assert!(
        out.stderr.contains(":2: rules.bad.regex: "),
        "{}",
        out.stderr
    );
}

#[test]
fn eval_prints_figures_per_language_and_kind() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files: Vec<String> = ["de", "en"]
        .iter()
        .map(|l| {
            root.join(format!("tests/fixtures/devset/{l}.jsonl"))
                .display()
                .to_string()
        })
        .collect();
    let mut args = vec!["eval"];
    args.extend(files.iter().map(String::as_str));
    let out = run_with_stdin(&args, None, Vec::new());
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for needle in [
        "accuracy",
        "precision",
        "recall",
        "F1",
        "\nde ",
        "\nen ",
        "\nall ",
        "\nnegation ",
        "\nsarcasm ",
        "reviews/s",
    ] {
        assert!(out.stdout.contains(needle), "{needle:?} in\n{}", out.stdout);
    }
    args.push("--json");
    let out = run_with_stdin(&args, None, Vec::new());
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["overall"]["tp"].as_u64().unwrap() + v["overall"]["fn"].as_u64().unwrap(),
        48
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_rules_set_severity_and_silence_staff() {
    let server = Server::start().await;
    server.ok(
        "/feed.xml",
        rss(&[
            (
                "a1",
                "https://forum.example/a1",
                "Question about a kettle",
                "Nice kettle, but I will ask my lawyer about the warranty terms.",
                &rfc2822_ago(Age::hours(1)),
            ),
            (
                "a2",
                "https://forum.example/a2",
                "Antwort des Shops",
                "Antwort des Shops: Es tut uns leid, dass die Lieferung nie angekommen ist. Geld zurück ist veranlasst.",
                &rfc2822_ago(Age::hours(1)),
            ),
        ]),
        "application/rss+xml",
    );
    let env = Env::new(&format!(
        "{}{}\n[rules.legal]\nkeywords = [\"lawyer\", \"Anwalt\"]\nseverity = \"critical\"\n\n[rules.staff]\naction = \"never\"\nregex = ['(?i)^antwort des shops']\n",
        feed_source("forum", &server.url("/feed.xml")),
        hook_config(&server, None)
    ));
    env.once().await;
    let hooks = hooks(&server);
    assert_eq!(hooks.len(), 1, "{hooks:#?}");
    let m = &hooks[0]["mention"];
    assert_eq!(m["severity"], "critical");
    assert_eq!(m["rules"], serde_json::json!(["legal"]));
    assert!(m["reasons"][0].as_str().unwrap().starts_with("rule legal:"));
    let stored = env.mentions().await;
    let staff = stored
        .iter()
        .find(|m| m["title"] == "Antwort des Shops")
        .unwrap();
    assert_eq!(staff["negative"], false);
    assert_eq!(staff["rules"], serde_json::json!(["staff"]));
}

/// Reminders and the escalation reach their notifiers once each, on time, through a
/// restart; a digest notifier gets no per-alert messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_and_escalation_fire_once_each_and_survive_a_restart() {
    let server = Server::start().await;
    serve_one_complaint(&server);
    server.route("/hook", Reply::Status(200, vec![]));
    server.route("/boss", Reply::Status(200, vec![]));
    let env = Env::new(&format!(
        "[triage]\nremind_after = \"2s\"\nmax_reminders = 2\nescalate_after = \"5s\"\nescalate_to = [\"boss\"]\n\n[routes.team]\nnotifiers = [\"hook\"]\n\n{}\n{}\n[notifiers.boss]\ntype = \"webhook\"\nurl = \"{}\"\n\n[notifiers.daily]\ntype = \"file\"\npath = \"digest.jsonl\"\ndigest = \"daily 08:00 Europe/Berlin\"\n",
        feed_source("f", &server.url("/feed.xml")),
        hook_config(&server, None),
        server.url("/boss")
    ));
    let events = |path: &str| -> Vec<(String, serde_json::Value)> {
        accepted_webhooks(&server, path, &[200])
            .into_iter()
            .map(|h| {
                (
                    h["event"].as_str().unwrap().to_string(),
                    h["details"].clone(),
                )
            })
            .collect()
    };
    let mut child = env.command(&["run"]).spawn().unwrap();
    let start = Instant::now();
    while events("/hook")
        .iter()
        .filter(|e| e.0 == "review.reminder")
        .count()
        < 1
    {
        assert!(start.elapsed() < Duration::from_secs(30), "first reminder");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A restart in the middle: nothing is repeated, nothing lost.
    terminate(&mut child).await;
    let mut child = env.command(&["run"]).spawn().unwrap();
    while events("/boss").is_empty() {
        assert!(start.elapsed() < Duration::from_secs(40), "escalation");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    terminate(&mut child).await;

    let hook = events("/hook");
    let kinds: Vec<&str> = hook.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "review.negative").count(),
        1,
        "{kinds:?}"
    );
    let steps: Vec<u64> = hook
        .iter()
        .filter(|e| e.0 == "review.reminder")
        .map(|e| e.1["step"].as_u64().unwrap())
        .collect();
    assert_eq!(steps, [1, 2], "each step once, capped at max_reminders");
    assert!(
        hook.iter()
            .filter(|e| e.0 == "review.reminder")
            .all(|e| e.1["reminder"] == "unseen")
    );
    let boss = events("/boss");
    assert_eq!(boss.len(), 1, "{boss:?}");
    assert_eq!(boss[0].0, "review.escalated");
    assert!(boss[0].1["open_for_secs"].as_i64().unwrap() >= 5);
    assert!(
        !env.dir.path().join("digest.jsonl").exists(),
        "a digest notifier gets no per-alert messages"
    );
}
