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

    // a: 5 stars -> 1 star (alerts); b: 2 stars -> 5 stars (does not).
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
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[1]["mention"]["title"], "Broke after a week");
    assert_eq!(got[1]["mention"]["rating"], 1.0);
    let ms = env.mentions().await;
    assert_eq!(ms.len(), 2, "edits are revisions, not new mentions");
    for m in &ms {
        assert_eq!(m["revision"], 2);
    }
    // Same content again: nothing new.
    env.once().await;
    assert_eq!(hooks(&server).len(), 2);
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
