use super::*;
use crate::config::Config;

use chrono::TimeZone;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

const BASE: &str = r#"
[sources.tp]
type = "feed"
url = "https://x.example/tp"
platform = "trustpilot"
brand = "Aurora"

[sources.forum]
type = "feed"
url = "https://x.example/forum"

[notifiers.mail]
type = "file"
path = "mail.jsonl"

[notifiers.hook]
type = "file"
path = "hook.jsonl"

[notifiers.boss]
type = "file"
path = "boss.jsonl"

[notifiers.off]
type = "file"
path = "off.jsonl"
enabled = false
"#;

fn cfg(extra: &str) -> Config {
    Config::load_for_test(&format!("{BASE}\n{extra}")).unwrap_or_else(|e| panic!("{e}"))
}

fn problems(extra: &str) -> String {
    Config::load_for_test(&format!("{BASE}\n{extra}")).unwrap_err()
}

fn input<'a>(source: &'a str, platform: &'a str, text: &'a str) -> RouteInput<'a> {
    RouteInput {
        source,
        platform,
        text,
        ..RouteInput::default()
    }
}

fn berlin(spec: &str) -> QuietHours {
    QuietHours::parse(spec, chrono_tz::Europe::Berlin).unwrap()
}

// --- quiet hours ---

#[test]
fn quiet_hours_parse_and_reject() {
    let q = berlin("22:00-07:00");
    assert_eq!(q.to_string(), "22:00-07:00 Europe/Berlin");
    assert!(QuietWindow::parse("22:00").is_err());
    assert!(QuietWindow::parse("25:00-07:00").is_err());
    assert!(QuietWindow::parse("07:00-07:00").is_err());
    assert_eq!(
        QuietWindow::parse(" 9:30 - 17:00 ").unwrap().to_string(),
        "09:30-17:00"
    );
}

#[test]
fn window_within_a_day_in_utc() {
    let q = QuietHours::parse("09:00-17:00", Tz::UTC).unwrap();
    assert_eq!(q.hold_until(utc(2026, 6, 1, 8, 59)), None);
    assert_eq!(
        q.hold_until(utc(2026, 6, 1, 9, 0)),
        Some(utc(2026, 6, 1, 17, 0))
    );
    assert_eq!(
        q.hold_until(utc(2026, 6, 1, 17, 0)),
        None,
        "end is exclusive"
    );
}

#[test]
fn window_wrapping_midnight_in_summer_and_winter() {
    let q = berlin("22:00-07:00");
    // Summer (CEST, UTC+2): 22:00-07:00 local is 20:00-05:00 UTC.
    assert_eq!(q.hold_until(utc(2026, 7, 1, 19, 59)), None);
    assert_eq!(
        q.hold_until(utc(2026, 7, 1, 20, 0)),
        Some(utc(2026, 7, 2, 5, 0))
    );
    assert_eq!(
        q.hold_until(utc(2026, 7, 2, 3, 0)),
        Some(utc(2026, 7, 2, 5, 0))
    );
    assert_eq!(q.hold_until(utc(2026, 7, 2, 5, 0)), None);
    // Winter (CET, UTC+1): 21:00-06:00 UTC.
    assert_eq!(q.hold_until(utc(2026, 1, 15, 20, 59)), None);
    assert_eq!(
        q.hold_until(utc(2026, 1, 15, 21, 0)),
        Some(utc(2026, 1, 16, 6, 0))
    );
}

/// The night of Sat 28 to Sun 29 March 2026: clocks go from 02:00 CET to 03:00
/// CEST. The window opens at 22:00 CET (21:00 UTC) and ends at 07:00 CEST (05:00
/// UTC): eight hours, not nine.
#[test]
fn window_across_the_spring_forward_night() {
    let q = berlin("22:00-07:00");
    assert_eq!(q.hold_until(utc(2026, 3, 28, 20, 59)), None);
    let end = Some(utc(2026, 3, 29, 5, 0));
    assert_eq!(q.hold_until(utc(2026, 3, 28, 21, 0)), end);
    // Just before and after the jump (00:59 and 01:00 UTC).
    assert_eq!(q.hold_until(utc(2026, 3, 29, 0, 59)), end);
    assert_eq!(q.hold_until(utc(2026, 3, 29, 1, 0)), end);
    assert_eq!(q.hold_until(utc(2026, 3, 29, 4, 59)), end);
    // 06:00 UTC would be 07:00 at the old offset: already over.
    assert_eq!(q.hold_until(utc(2026, 3, 29, 5, 0)), None);
    assert_eq!(q.hold_until(utc(2026, 3, 29, 5, 30)), None);
}

/// The night of Sat 24 to Sun 25 October 2026: clocks go from 03:00 CEST back to
/// 02:00 CET. The window runs 20:00 to 06:00 UTC: ten hours.
#[test]
fn window_across_the_fall_back_night() {
    let q = berlin("22:00-07:00");
    assert_eq!(q.hold_until(utc(2026, 10, 24, 19, 59)), None);
    let end = Some(utc(2026, 10, 25, 6, 0));
    assert_eq!(q.hold_until(utc(2026, 10, 24, 20, 0)), end);
    // 02:30 local happens twice: 00:30 UTC (CEST) and 01:30 UTC (CET).
    assert_eq!(q.hold_until(utc(2026, 10, 25, 0, 30)), end);
    assert_eq!(q.hold_until(utc(2026, 10, 25, 1, 30)), end);
    // 05:00 UTC would be 07:00 at the summer offset: still quiet in winter time.
    assert_eq!(q.hold_until(utc(2026, 10, 25, 5, 0)), end);
    assert_eq!(q.hold_until(utc(2026, 10, 25, 6, 0)), None);
}

#[test]
fn window_ending_inside_the_gap_ends_when_the_clocks_jump() {
    // 02:30 does not exist on 29 March 2026 in Berlin: the clocks jump from 02:00
    // CET (01:00 UTC) to 03:00 CEST, which is past 02:30.
    let q = berlin("23:00-02:30");
    assert_eq!(
        q.hold_until(utc(2026, 3, 29, 0, 30)),
        Some(utc(2026, 3, 29, 1, 0))
    );
    assert_eq!(q.hold_until(utc(2026, 3, 29, 1, 0)), None);
}

#[test]
fn window_ending_in_the_repeated_hour_follows_the_wall_clock() {
    // 02:30 happens twice on 25 October 2026: the window ends at the first, and
    // the repeated half hour 02:00-02:30 CET is quiet again.
    let q = berlin("22:00-02:30");
    assert_eq!(
        q.hold_until(utc(2026, 10, 25, 0, 15)),
        Some(utc(2026, 10, 25, 0, 30))
    );
    assert_eq!(q.hold_until(utc(2026, 10, 25, 0, 45)), None);
    assert_eq!(
        q.hold_until(utc(2026, 10, 25, 1, 15)),
        Some(utc(2026, 10, 25, 1, 30))
    );
    assert_eq!(q.hold_until(utc(2026, 10, 25, 1, 30)), None);
}

#[test]
fn another_zone_changes_on_its_own_date() {
    // New York springs forward on 8 March 2026, three weeks before Berlin.
    let q = QuietHours::parse("22:00-07:00", chrono_tz::America::New_York).unwrap();
    // Sat 7 March 23:00 EST = 04:00 UTC; ends Sun 07:00 EDT = 11:00 UTC.
    assert_eq!(
        q.hold_until(utc(2026, 3, 8, 4, 0)),
        Some(utc(2026, 3, 8, 11, 0))
    );
}

// --- config ---

#[test]
fn triage_defaults_and_keys() {
    let c = cfg("");
    assert_eq!(c.triage, crate::config::TriageConfig::default());
    assert_eq!(c.triage.removed_after_polls, 3);
    assert_eq!(c.triage.max_reminders, 6);
    assert_eq!(c.triage.route_mode, RouteMode::First);
    let c = cfg(
        "[triage]\nremind_after = \"4h\"\nescalate_after = \"24h\"\nescalate_to = [\"boss\"]\nroute_mode = \"all\"\nremoved_after_polls = 5\nmax_reminders = 0\n",
    );
    assert_eq!(c.triage.remind_after, Some(Duration::from_secs(4 * 3600)));
    assert_eq!(c.triage.escalate_after, Some(Duration::from_secs(86400)));
    assert_eq!(c.triage.escalate_to, vec!["boss".to_string()]);
    assert_eq!(c.triage.route_mode, RouteMode::All);
    assert_eq!(c.triage.removed_after_polls, 5);
    assert_eq!(c.triage.max_reminders, 0);
    let c = cfg("[triage]\nremoved_after_polls = 0\n");
    assert_eq!(
        c.triage.removed_after_polls, 0,
        "0 turns removal tracking off"
    );
}

#[test]
fn triage_problems_name_their_keys() {
    // Serde stops at the first bad key of a table: one load each.
    for (line, want) in [
        (
            "remind_after = \"soon\"",
            "triage.remind_after: invalid duration",
        ),
        (
            "escalate_after = \"-1h\"",
            "triage.escalate_after: invalid duration",
        ),
        (
            "route_mode = \"some\"",
            "triage.route_mode: unknown variant",
        ),
        ("max_reminders = -1", "triage.max_reminders: "),
        ("colour = 1", "triage.colour: unknown key"),
    ] {
        let p = problems(&format!("[triage]\n{line}\n"));
        assert!(p.contains(want), "{line}: {p}");
    }
    let p = problems("[triage]\nescalate_after = \"1d\"\nescalate_to = [\"nobody\"]\n");
    assert!(
        p.contains(": triage.escalate_to: unknown notifier \"nobody\""),
        "{p}"
    );
    let p = problems("[triage]\nescalate_after = \"1d\"\n");
    assert!(
        p.contains("triage.escalate_to: needs at least one notifier"),
        "{p}"
    );
}

#[test]
fn problems_of_several_routes_come_together_with_lines() {
    let text = format!(
        "{BASE}\n[routes.bad]\nnotifiers = [\"mail\"]\ntimezone = \"Europe/Berln\"\n\n[routes.empty]\nnotifiers = []\nescalate_after = \"2h\"\n"
    );
    let line_of = |needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    let p = Config::load_for_test(&text).unwrap_err();
    assert!(
        p.contains(&format!(
            "{}: routes.bad.timezone: unknown time zone \"Europe/Berln\"; use an IANA name",
            line_of("timezone")
        )),
        "{p}"
    );
    assert!(
        p.contains(&format!(
            "{}: routes.empty.notifiers: needs at least one notifier",
            line_of("notifiers = []")
        )),
        "{p}"
    );
    assert!(
        p.contains("routes.empty.escalate_to: needs at least one notifier"),
        "{p}"
    );
}

#[test]
fn each_bad_route_key_is_named() {
    let cases = [
        (
            "timezone = \"Europe/Berln\"",
            "routes.r.timezone: unknown time zone",
        ),
        (
            "quiet_hours = \"22-7\"",
            "routes.r.quiet_hours: invalid quiet hours",
        ),
        (
            "quiet_hours = \"07:00-07:00\"",
            "routes.r.quiet_hours: quiet hours",
        ),
        (
            "severity = \"urgent\"",
            "routes.r.severity: unknown variant",
        ),
        (
            "remind_after = \"often\"",
            "routes.r.remind_after: invalid duration",
        ),
        ("colour = \"red\"", "routes.r.colour: unknown key"),
        (
            "sources = [\"nope\"]",
            "routes.r.sources: unknown source \"nope\"",
        ),
        (
            "languages = [\"german\"]",
            "routes.r.languages: \"german\" is not",
        ),
        (
            "rating_at_or_below = 7",
            "routes.r.rating_at_or_below: 7 is not",
        ),
        (
            "keywords = [\"*\"]",
            "routes.r.keywords: \"*\" has no letters",
        ),
        (
            "escalate_to = [\"ghost\"]",
            "routes.r.escalate_to: unknown notifier",
        ),
        (
            "platforms = [\" \"]",
            "routes.r.platforms: entries must not be empty",
        ),
    ];
    // The line of `[routes.r]` after BASE and the blank line `problems` adds.
    let header = BASE.matches('\n').count() + 2;
    for (line, want) in cases {
        let p = problems(&format!("[routes.r]\nnotifiers = [\"mail\"]\n{line}\n"));
        assert!(
            p.contains(&format!("{}: {want}", header + 2)),
            "{line}: {p}"
        );
    }
    let p = problems("[routes.r]\nnotifiers = [\"ghost\"]\n");
    assert!(
        p.contains(&format!(
            "{}: routes.r.notifiers: unknown notifier \"ghost\"",
            header + 1
        )),
        "{p}"
    );
    let p = problems("[routes.r]\nsources = [\"tp\"]\n");
    assert!(p.contains("routes.r: missing field `notifiers`"), "{p}");
    let p = problems("[routes.\"Bad Id\"]\nnotifiers = [\"mail\"]\n");
    assert!(p.contains("routes.Bad Id: invalid id"), "{p}");
}

#[test]
fn routes_keep_file_order() {
    let c = cfg(
        "[routes.zeta]\nnotifiers = [\"mail\"]\n[routes.alpha]\nnotifiers = [\"hook\"]\n[routes.mid]\nnotifiers = [\"boss\"]\n",
    );
    let ids: Vec<&str> = c.routes_in_order().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["zeta", "alpha", "mid"]);
    // The catch-all first makes later routes unreachable in "first" mode.
    assert!(
        c.warnings()
            .iter()
            .any(|w| w.starts_with("routes.alpha: never used: routes.zeta")),
        "{:?}",
        c.warnings()
    );
}

#[test]
fn warnings_for_disabled_notifiers_and_a_lonely_timezone() {
    let c = cfg(
        "[routes.r]\nnotifiers = [\"off\"]\ntimezone = \"Europe/Berlin\"\nsources = [\"tp\"]\n",
    );
    let w = c.warnings().join("\n");
    assert!(
        w.contains("routes.r.notifiers: every notifier is disabled"),
        "{w}"
    );
    assert!(w.contains("routes.r.timezone: has no effect"), "{w}");
}

// --- plan ---

#[test]
fn without_routes_everyone_enabled_hears() {
    let c = cfg("[triage]\nremind_after = \"4h\"\n");
    let p = plan(&c, &input("tp", "trustpilot", "bad"));
    assert_eq!(p.notifiers, ["boss", "hook", "mail"]);
    assert!(p.routes.is_empty());
    assert!(!p.fallback);
    assert_eq!(p.remind_after, Some(Duration::from_secs(4 * 3600)));
    assert!(p.quiet.is_empty());
}

const ROUTES: &str = r#"
[triage]
remind_after = "4h"
escalate_after = "1d"
escalate_to = ["boss"]

[routes.critical]
severity = "critical"
notifiers = ["boss", "hook"]
remind_after = "1h"

[routes.de-shop]
sources = ["tp"]
languages = ["de"]
rating_at_or_below = 2
notifiers = ["mail"]
quiet_hours = "22:00-07:00"
timezone = "Europe/Berlin"
escalate_after = "0s"

[routes.refunds]
keywords = ["Geld zurück", "refund*"]
notifiers = ["hook", "mail"]
quiet_hours = "20:00-08:00"
"#;

#[test]
fn first_mode_takes_the_first_match_in_file_order() {
    let c = cfg(ROUTES);
    let mut i = input("tp", "trustpilot", "Ich will mein GELD ZURUCK, sofort.");
    i.lang = Some("DE");
    i.rating = Some(1.0);
    let p = plan(&c, &i);
    assert_eq!(p.routes, ["de-shop"]);
    assert_eq!(p.notifiers, ["mail"]);
    assert_eq!(p.remind_after, Some(Duration::from_secs(4 * 3600)));
    assert_eq!(p.escalate_after, None, "0s switches escalation off");
    assert_eq!(p.escalation_due(utc(2026, 1, 1, 0, 0)), None);
    assert_eq!(p.quiet["mail"], vec![berlin("22:00-07:00")]);

    // Unrated: de-shop does not match; the keyword route does.
    i.rating = None;
    let p = plan(&c, &i);
    assert_eq!(p.routes, ["refunds"]);
    assert_eq!(p.notifiers, ["hook", "mail"]);
    assert_eq!(p.escalate_after, Some(Duration::from_secs(86400)));
    assert_eq!(p.escalate_to, ["boss"]);
    // boss only escalates: the matched route's quiet hours hold it too.
    assert_eq!(p.quiet.len(), 3);
}

#[test]
fn all_mode_unions_notifiers_and_takes_the_first_setting() {
    let c = cfg(&ROUTES.replace("[triage]", "[triage]\nroute_mode = \"all\""));
    let mut i = input("tp", "trustpilot", "Refunded after weeks.");
    i.lang = Some("de");
    i.rating = Some(2.0);
    i.severity = Severity::High;
    let p = plan(&c, &i);
    assert_eq!(p.routes, ["de-shop", "refunds"]);
    assert_eq!(p.notifiers, ["mail", "hook"]);
    assert_eq!(p.escalate_after, None, "de-shop sets it first");
    // mail is sent by both routes: held only while both are quiet.
    assert_eq!(
        p.quiet["mail"],
        vec![
            berlin("22:00-07:00"),
            QuietHours::parse("20:00-08:00", Tz::UTC).unwrap()
        ]
    );
    // 21:30 UTC in January: Berlin 22:30 (quiet until 06:00 UTC), UTC quiet until
    // 08:00: mail waits for the earlier end.
    let now = utc(2026, 1, 10, 21, 30);
    assert_eq!(p.hold_until("mail", now), Some(utc(2026, 1, 11, 6, 0)));
    assert_eq!(p.hold_until("hook", now), Some(utc(2026, 1, 11, 8, 0)));
    // 20:30 UTC: Berlin 21:30 is not quiet, so mail goes at once.
    assert_eq!(p.hold_until("mail", utc(2026, 1, 10, 20, 30)), None);

    // Critical: every route that matches sends, nothing is held.
    i.severity = Severity::Critical;
    let p = plan(&c, &i);
    assert_eq!(p.routes, ["critical", "de-shop", "refunds"]);
    assert_eq!(p.notifiers, ["boss", "hook", "mail"]);
    assert_eq!(p.remind_after, Some(Duration::from_secs(3600)));
    assert!(p.quiet.is_empty());
    assert_eq!(p.hold_until("mail", now), None);
}

#[test]
fn critical_bypasses_quiet_hours_in_first_mode() {
    let c = cfg("[routes.night]\nnotifiers = [\"mail\"]\nquiet_hours = \"00:00-23:59\"\n");
    let mut i = input("forum", "feed", "x");
    let now = utc(2026, 5, 5, 12, 0);
    assert_eq!(
        plan(&c, &i).hold_until("mail", now),
        Some(utc(2026, 5, 5, 23, 59))
    );
    i.severity = Severity::Critical;
    assert_eq!(plan(&c, &i).hold_until("mail", now), None);
}

#[test]
fn no_match_falls_back_to_every_enabled_notifier() {
    let c = cfg(ROUTES);
    let p = plan(&c, &input("forum", "feed", "slow delivery"));
    assert!(p.fallback);
    assert!(p.routes.is_empty());
    assert_eq!(p.notifiers, ["boss", "hook", "mail"]);
    assert!(p.quiet.is_empty());
    assert_eq!(p.escalate_to, ["boss"]);
    // A catch-all route last takes the rest instead.
    let c = cfg(&format!(
        "{ROUTES}\n[routes.rest]\nnotifiers = [\"hook\"]\n"
    ));
    let p = plan(&c, &input("forum", "feed", "slow delivery"));
    assert!(!p.fallback);
    assert_eq!(p.routes, ["rest"]);
    assert_eq!(p.notifiers, ["hook"]);
}

#[test]
fn disabled_routes_and_notifiers_are_skipped() {
    let c = cfg(
        "[routes.a]\nnotifiers = [\"off\"]\n[routes.b]\nnotifiers = [\"mail\"]\nenabled = false\n",
    );
    let p = plan(&c, &input("tp", "trustpilot", "x"));
    assert!(
        p.fallback,
        "a names only a disabled notifier; b is disabled"
    );
    assert_eq!(p.notifiers, ["boss", "hook", "mail"]);
}

#[test]
fn match_keys_each_narrow() {
    let one = |keys: &str, i: &RouteInput<'_>| {
        let c = cfg(&format!("[routes.r]\nnotifiers = [\"mail\"]\n{keys}\n"));
        plan(&c, i).routes == ["r"]
    };
    let rules = vec!["shipping".to_string()];
    let mut i = input("tp", "trustpilot", "The parcel was lost; I want a refund!");
    i.title = Some("Très déçu");
    i.brand = Some("aurora");
    i.rules = &rules;
    i.rating = Some(1.25);
    assert!(one("", &i), "no keys: everything");
    assert!(one("sources = [\"tp\", \"forum\"]", &i));
    assert!(!one("sources = [\"forum\"]", &i));
    assert!(one("platforms = [\"TrustPilot\"]", &i));
    assert!(!one("platforms = [\"yelp\"]", &i));
    assert!(one("brands = [\"Aurora\"]", &i));
    assert!(!one("brands = [\"Boreal\"]", &i));
    assert!(!one("languages = [\"en\"]", &i), "no language: no match");
    assert!(one("severity = \"normal\"", &i));
    assert!(!one("severity = \"high\"", &i));
    assert!(one("rating_at_or_below = 1.25", &i));
    assert!(!one("rating_at_or_below = 1", &i));
    assert!(
        one("keywords = [\"tres DECU\"]", &i),
        "title, accents folded"
    );
    assert!(one("keywords = [\"refund\"]", &i));
    assert!(one("keywords = [\"ref*\"]", &i));
    assert!(!one("keywords = [\"fund\"]", &i), "whole words only");
    assert!(
        !one("keywords = [\"lost refund\"]", &i),
        "phrases in sequence"
    );
    assert!(one("keywords = [\"was lost\"]", &i));
    assert!(one("rules = [\"fraud\", \"shipping\"]", &i));
    assert!(!one("rules = [\"fraud\"]", &i));
    assert!(one(
        "sources = [\"tp\"]\nkeywords = [\"lost\"]\nseverity = \"normal\"",
        &i
    ));
    assert!(
        !one("sources = [\"tp\"]\nkeywords = [\"found\"]", &i),
        "all keys must match"
    );
    i.rating = None;
    assert!(!one("rating_at_or_below = 5", &i), "unrated never matches");
}

#[test]
fn stars_scale_like_triage() {
    assert_eq!(stars(2.0, None, None), Some(2.0));
    assert_eq!(stars(4.0, None, Some(10.0)), Some(2.0));
    assert_eq!(stars(1.0, Some(1.0), Some(5.0)), Some(0.0));
    assert_eq!(stars(3.0, Some(1.0), Some(5.0)), Some(2.5));
    assert_eq!(stars(f64::NAN, None, None), None);
    assert_eq!(stars(3.0, Some(5.0), Some(5.0)), None);
}

#[test]
fn reminder_and_escalation_timing() {
    let c = cfg(
        "[triage]\nremind_after = \"4h\"\nmax_reminders = 2\nescalate_after = \"1d\"\nescalate_to = [\"boss\", \"off\"]\n",
    );
    let p = plan(&c, &input("tp", "trustpilot", "x"));
    let opened = utc(2026, 3, 2, 8, 0);
    assert_eq!(p.reminder_due(opened, 0), None);
    assert_eq!(p.reminder_due(opened, 1), Some(utc(2026, 3, 2, 12, 0)));
    assert_eq!(p.reminder_due(opened, 2), Some(utc(2026, 3, 2, 16, 0)));
    assert_eq!(p.reminder_due(opened, 3), None, "max_reminders = 2");
    assert_eq!(p.escalation_due(opened), Some(utc(2026, 3, 3, 8, 0)));
    assert_eq!(p.escalate_to, ["boss"], "disabled notifiers are left out");
    let unlimited = Plan {
        max_reminders: 0,
        ..p.clone()
    };
    assert_eq!(
        unlimited.reminder_due(opened, 100),
        Some(opened + chrono::Duration::hours(400))
    );
    let none = plan(
        &cfg("[triage]\nremind_after = \"0s\"\n"),
        &input("tp", "t", "x"),
    );
    assert_eq!(none.remind_after, None);
    assert_eq!(none.reminder_due(opened, 1), None);
}

#[test]
fn for_mention_reads_brand_and_scales_the_rating() {
    let c = cfg("");
    let m = crate::mention::Mention {
        id: "m1".into(),
        source: "tp".into(),
        platform: "trustpilot".into(),
        external_id: "e".into(),
        url: None,
        author: None,
        title: Some("Bad".into()),
        text: "Broken".into(),
        rating: Some(4.0),
        rating_max: Some(10.0),
        rating_min: None,
        published_at: None,
        updated_at: None,
        lang: Some("de".into()),
        first_seen: utc(2026, 1, 1, 0, 0),
        last_seen: utc(2026, 1, 1, 0, 0),
        revision: 1,
        negative: true,
        score: -0.5,
        reasons: vec![],
        severity: Severity::High,
        rules: vec![],
        sightings: vec![],
        reply: None,
    };
    let i = RouteInput::for_mention(&c, &m, Severity::High, &[]);
    assert_eq!(i.brand, Some("Aurora"));
    assert_eq!(i.rating, Some(2.0));
    assert_eq!(i.lang, Some("de"));
    assert_eq!(i.severity, Severity::High);
}

#[test]
fn routing_for_the_store_holds_each_target_by_its_quiet_hours() {
    let c = cfg(&ROUTES.replace("[triage]", "[triage]\nroute_mode = \"all\""));
    let mut i = input("tp", "trustpilot", "Refunded after weeks.");
    i.lang = Some("de");
    i.rating = Some(2.0);
    let p = plan(&c, &i);
    let r = p.routing(utc(2026, 1, 10, 21, 30));
    assert_eq!(r.routes, ["de-shop", "refunds"]);
    let held: Vec<(&str, Option<DateTime<Utc>>)> = r
        .targets
        .iter()
        .map(|t| (t.notifier.as_str(), t.hold_until))
        .collect();
    assert_eq!(
        held,
        [
            ("mail", Some(utc(2026, 1, 11, 6, 0))),
            ("hook", Some(utc(2026, 1, 11, 8, 0)))
        ]
    );
    assert_eq!(r.remind_after, Some(Duration::from_secs(4 * 3600)));
    assert_eq!(r.max_reminders, 6);
    assert_eq!(r.escalate_after, None);
    // At noon nothing is held.
    let r = p.routing(utc(2026, 1, 11, 12, 0));
    assert!(r.targets.iter().all(|t| t.hold_until.is_none()));
}

#[test]
fn digest_notifiers_get_nothing_one_by_one() {
    let c = cfg(
        "[notifiers.daily]\ntype = \"file\"\npath = \"d.jsonl\"\ndigest = \"daily 08:00\"\n\n[routes.r]\nnotifiers = [\"hook\", \"daily\"]\nsources = [\"tp\"]\n",
    );
    let w = c.warnings().join("\n");
    assert!(
        w.contains("routes.r: notifier \"daily\" sends digests"),
        "{w}"
    );
    let p = plan(&c, &input("tp", "trustpilot", "bad"));
    assert_eq!(p.notifiers, ["hook"]);
    let p = plan(&c, &input("other", "trustpilot", "bad"));
    assert!(p.fallback);
    assert!(
        !p.notifiers.contains(&"daily".to_string()),
        "{:?}",
        p.notifiers
    );
}
