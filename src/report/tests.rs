use super::*;
use crate::case::Action;
use chrono::TimeZone;

fn at(mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, mo, d, h, 0, 0).unwrap()
}

fn mins(m: i64) -> chrono::Duration {
    chrono::Duration::minutes(m)
}

fn case(
    id: &str,
    source: &str,
    platform: &str,
    routes: &[&str],
    opened: DateTime<Utc>,
    steps: &[(Action, i64)],
) -> Case {
    let routes = routes.iter().map(|r| r.to_string()).collect();
    let mut c = Case::open(id, source, platform, opened, routes, vec!["hook".into()]);
    for (a, m) in steps {
        let note = (*a == Action::Ignore).then_some("spam");
        c.apply(*a, opened + mins(*m), "anna", note, None).unwrap();
    }
    c
}

/// A known history: six cases in the window, one before it.
pub(super) fn history() -> Vec<Case> {
    use Action::*;
    vec![
        case(
            "c1",
            "tp",
            "trustpilot",
            &["urgent"],
            at(3, 2, 8),
            &[(Ack, 60), (Reply, 180), (Resolve, 300)],
        ),
        case(
            "c2",
            "tp",
            "trustpilot",
            &["urgent", "de"],
            at(3, 3, 8),
            &[(Ack, 120), (Contact, 240), (Reply, 600)],
        ),
        case("c3", "forum", "feed", &[], at(3, 4, 8), &[(Ack, 30)]),
        case(
            "c4",
            "forum",
            "feed",
            &["de"],
            at(3, 5, 8),
            &[(Ignore, 360)],
        ),
        case(
            "c5",
            "tp",
            "trustpilot",
            &["urgent"],
            at(3, 6, 8),
            &[(Reply, 240), (Resolve, 1440)],
        ),
        case(
            "c6",
            "tp",
            "trustpilot",
            &["urgent"],
            at(2, 20, 8),
            &[(Ack, 1)],
        ),
        case("c7", "tp", "trustpilot", &[], at(3, 30, 8), &[]),
    ]
}

pub(super) fn now() -> DateTime<Utc> {
    at(3, 31, 12)
}

fn m(reached: u64, median: Option<i64>, p90: Option<i64>, pending: u64, never: u64) -> Metric {
    Metric {
        reached,
        median_secs: median,
        p90_secs: p90,
        pending,
        never,
    }
}

#[test]
fn figures_on_a_known_history() {
    let since = Since::Ago(Duration::from_secs(30 * 86400)).resolve(now());
    assert_eq!(since, at(3, 1, 12));
    let r = compute(&history(), since, now());
    assert_eq!(r.percentile_method, "nearest-rank");
    let all = &r.all;
    assert_eq!(
        (all.key.as_str(), all.cases),
        ("all", 6),
        "c6 is before the window"
    );
    assert_eq!((all.open, all.unanswered, all.ignored), (3, 2, 1));
    // Acknowledge: 30m, 1h, 2h, 4h (c5's reply acknowledges it); c4 ignored, c7 open.
    assert_eq!(all.acknowledge, m(4, Some(3600), Some(4 * 3600), 1, 1));
    // Contact: only c2; c3 and c7 may still; c1, c4, c5 are closed without it.
    assert_eq!(all.contact, m(1, Some(4 * 3600), Some(4 * 3600), 2, 3));
    // Reply: 3h, 4h, 10h.
    assert_eq!(all.reply, m(3, Some(4 * 3600), Some(10 * 3600), 2, 1));
    // Resolve: 5h, 1d; c2, c3 and c7 are still open.
    assert_eq!(all.resolve, m(2, Some(5 * 3600), Some(86400), 3, 1));
    for g in std::iter::once(all)
        .chain(&r.by_source)
        .chain(&r.by_platform)
        .chain(&r.by_route)
    {
        for x in [&g.acknowledge, &g.contact, &g.reply, &g.resolve] {
            assert_eq!(x.reached + x.pending + x.never, g.cases, "{}", g.key);
        }
    }

    let keys = |gs: &[Group]| -> Vec<(String, u64)> {
        gs.iter().map(|g| (g.key.clone(), g.cases)).collect()
    };
    assert_eq!(keys(&r.by_source), [("forum".into(), 2), ("tp".into(), 4)]);
    assert_eq!(
        keys(&r.by_platform),
        [("feed".into(), 2), ("trustpilot".into(), 4)]
    );
    assert_eq!(keys(&r.by_route), [("de".into(), 2), ("urgent".into(), 3)]);
    assert_eq!(r.unrouted, 2);
    let urgent = &r.by_route[1];
    assert_eq!(urgent.acknowledge, m(3, Some(7200), Some(4 * 3600), 0, 0));
    assert_eq!(urgent.reply, m(3, Some(4 * 3600), Some(10 * 3600), 0, 0));
    assert_eq!(urgent.resolve, m(2, Some(5 * 3600), Some(86400), 1, 0));
    let forum = &r.by_source[0];
    assert_eq!(forum.acknowledge, m(1, Some(1800), Some(1800), 0, 1));
    assert_eq!(forum.reply, m(0, None, None, 1, 1));
}

#[test]
fn a_reopened_case_keeps_its_first_milestones() {
    let mut c = case(
        "r",
        "tp",
        "trustpilot",
        &[],
        at(3, 2, 8),
        &[(Action::Resolve, 120)],
    );
    c.apply(Action::Reopen, at(3, 3, 8), "platform", None, None)
        .unwrap();
    let r = compute(&[c], at(3, 1, 0), now());
    assert_eq!(r.all.open, 1);
    assert_eq!(r.all.resolve, m(1, Some(7200), Some(7200), 0, 0));
}

#[test]
fn nearest_rank_percentiles() {
    let v: Vec<i64> = (1..=10).collect();
    assert_eq!(nearest_rank(&v, 50), Some(5));
    assert_eq!(nearest_rank(&v, 90), Some(9));
    assert_eq!(nearest_rank(&v, 100), Some(10));
    let v: Vec<i64> = (1..=11).collect();
    assert_eq!(nearest_rank(&v, 50), Some(6));
    assert_eq!(nearest_rank(&v, 90), Some(10));
    assert_eq!(nearest_rank(&[7], 50), Some(7));
    assert_eq!(nearest_rank(&[7], 90), Some(7));
    assert_eq!(nearest_rank(&[], 50), None);
}

#[test]
fn human_durations() {
    assert_eq!(human(0), "0s");
    assert_eq!(human(45), "45s");
    assert_eq!(human(750), "12m 30s");
    assert_eq!(human(600), "10m");
    assert_eq!(human(3600), "1h");
    assert_eq!(human(3 * 3600 + 5 * 60 + 7), "3h 5m");
    assert_eq!(human(86400), "1d");
    assert_eq!(human(2 * 86400 + 4 * 3600 + 59), "2d 4h");
}

#[test]
fn since_accepts_durations_and_dates() {
    let n = now();
    let s = |x: &str| x.parse::<Since>().map(|s| s.resolve(n));
    assert_eq!(s("30d"), Ok(at(3, 1, 12)));
    assert_eq!(s("12h"), Ok(at(3, 31, 0)));
    assert_eq!(s("2026-03-10"), Ok(at(3, 10, 0)));
    assert_eq!(s("2026-03-10T08:00:00+02:00"), Ok(at(3, 10, 6)));
    assert!(s("last week").unwrap_err().contains("neither a duration"));
}

#[test]
fn text_output_golden() {
    let r = compute(&history(), at(3, 1, 12), now());
    let mut out = Vec::new();
    write_text(&mut out, &r).unwrap();
    let text = String::from_utf8(out).unwrap();
    let want = "\
Response times of 6 cases opened 2026-03-01 12:00 UTC to 2026-03-31 12:00 UTC.
Times run from opening; median and p90 by nearest rank over the cases that reached the step.
PENDING: not reached yet, still open. NEVER: closed without reaching it.

GROUP                        CASES  OPEN  STEP        REACHED   MEDIAN      P90 PENDING NEVER
all                              6     3  acknowledge       4       1h       4h       1     1
                                          contact           1       4h       4h       2     3
                                          reply             3       4h      10h       2     1
                                          resolve           2       5h       1d       3     1
source forum                     2     1  acknowledge       1      30m      30m       0     1
                                          contact           0        -        -       1     1
                                          reply             0        -        -       1     1
                                          resolve           0        -        -       1     1
source tp                        4     2  acknowledge       3       2h       4h       1     0
                                          contact           1       4h       4h       1     2
                                          reply             3       4h      10h       1     0
                                          resolve           2       5h       1d       2     0
platform feed                    2     1  acknowledge       1      30m      30m       0     1
                                          contact           0        -        -       1     1
                                          reply             0        -        -       1     1
                                          resolve           0        -        -       1     1
platform trustpilot              4     2  acknowledge       3       2h       4h       1     0
                                          contact           1       4h       4h       1     2
                                          reply             3       4h      10h       1     0
                                          resolve           2       5h       1d       2     0
route de                         2     1  acknowledge       1       2h       2h       0     1
                                          contact           1       4h       4h       0     1
                                          reply             1      10h      10h       0     1
                                          resolve           0        -        -       1     1
route urgent                     3     1  acknowledge       3       2h       4h       0     0
                                          contact           1       4h       4h       0     2
                                          reply             3       4h      10h       0     0
                                          resolve           2       5h       1d       1     0

2 case(s) matched no route.
";
    assert_eq!(text, want, "got:\n{text}");
}

#[test]
fn empty_window_says_so() {
    let r = compute(&history(), at(4, 1, 0), at(4, 2, 0));
    let mut out = Vec::new();
    write_text(&mut out, &r).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("Response times of 0 cases opened"),
        "{text}"
    );
    assert!(!text.contains("GROUP"));
}

#[test]
fn json_shape_is_stable() {
    let r = compute(&history(), at(3, 1, 12), now());
    let v = serde_json::to_value(&r).unwrap();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&v),
        [
            "all",
            "by_platform",
            "by_route",
            "by_source",
            "now",
            "percentile_method",
            "since",
            "unrouted"
        ]
    );
    assert_eq!(
        keys(&v["all"]),
        [
            "acknowledge",
            "cases",
            "contact",
            "ignored",
            "key",
            "open",
            "reply",
            "resolve",
            "unanswered"
        ]
    );
    assert_eq!(
        v["all"]["reply"],
        serde_json::json!({"reached": 3, "median_secs": 14400, "p90_secs": 36000, "pending": 2, "never": 1})
    );
    assert_eq!(v["since"], "2026-03-01T12:00:00Z");
    assert_eq!(
        v["by_source"][0]["reply"]["median_secs"],
        serde_json::Value::Null
    );
}
