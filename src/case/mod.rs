//! Cases: every negative mention becomes a case that someone owns until it is closed.
//!
//! A case moves `open` → `acknowledged` → `contacted` (the customer was reached
//! privately) → `replied` (a public answer is posted) → `resolved`, or to `ignored`
//! with a reason. Steps may be skipped forward (a reply without an acknowledgement
//! is fine) but never taken backward by hand; only the platform can reopen a case
//! (a resolved review turning negative again). Every transition is kept with its
//! time, actor and note.
//!
//! This module is pure: it decides what a transition does to a [`Case`]. The store
//! persists cases (`c/<id>`) and queues the events transitions cause.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a case stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum CaseState {
    #[default]
    Open,
    Acknowledged,
    Contacted,
    Replied,
    Resolved,
    Ignored,
}

impl CaseState {
    pub const ALL: [CaseState; 6] = [
        CaseState::Open,
        CaseState::Acknowledged,
        CaseState::Contacted,
        CaseState::Replied,
        CaseState::Resolved,
        CaseState::Ignored,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Open => "open",
            CaseState::Acknowledged => "acknowledged",
            CaseState::Contacted => "contacted",
            CaseState::Replied => "replied",
            CaseState::Resolved => "resolved",
            CaseState::Ignored => "ignored",
        }
    }

    pub fn parse(s: &str) -> Option<CaseState> {
        CaseState::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Resolved or ignored: nothing more is expected.
    pub fn is_closed(self) -> bool {
        matches!(self, CaseState::Resolved | CaseState::Ignored)
    }

    /// No public answer yet: the "still unanswered" reminder applies.
    pub fn is_unanswered(self) -> bool {
        matches!(
            self,
            CaseState::Open | CaseState::Acknowledged | CaseState::Contacted
        )
    }
}

impl std::fmt::Display for CaseState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a person (or the platform) does to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Ack,
    Contact,
    Reply,
    Resolve,
    Ignore,
    /// Only the platform reopens (a resolved review turns negative again).
    Reopen,
}

impl Action {
    pub fn target(self) -> CaseState {
        match self {
            Action::Ack => CaseState::Acknowledged,
            Action::Contact => CaseState::Contacted,
            Action::Reply => CaseState::Replied,
            Action::Resolve => CaseState::Resolved,
            Action::Ignore => CaseState::Ignored,
            Action::Reopen => CaseState::Open,
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "ack" | "acknowledge" => Action::Ack,
            "contact" => Action::Contact,
            "reply" => Action::Reply,
            "resolve" => Action::Resolve,
            "ignore" => Action::Ignore,
            _ => return None,
        })
    }
}

/// The actor name the daemon uses for transitions it makes from what a platform shows.
pub const ACTOR_PLATFORM: &str = "platform";

/// One stored step of a case's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub at: DateTime<Utc>,
    /// None for the opening step.
    pub from: Option<CaseState>,
    pub to: CaseState,
    /// Who: `--by NAME`, the login user, or `platform` for automatic steps.
    pub actor: String,
    pub note: Option<String>,
    /// The event this step caused, if any (`review.replied`, ...).
    #[serde(default)]
    pub event: Option<String>,
}

/// A case: one per negative mention, keyed by the mention's id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Same as the mention id.
    pub id: String,
    pub source: String,
    pub platform: String,
    pub state: CaseState,
    pub opened_at: DateTime<Utc>,
    /// Route ids the opening alert matched (empty when no routes are configured).
    #[serde(default)]
    pub routes: Vec<String>,
    /// Notifiers the case's alerts go to.
    #[serde(default)]
    pub notifiers: Vec<String>,
    /// 1 for the first opening, +1 each time the platform reopens it. Reminder and
    /// escalation steps are counted per round.
    #[serde(default = "one")]
    pub round: u32,
    /// When the current round opened (== `opened_at` in round 1).
    pub round_opened_at: DateTime<Utc>,
    /// First time each milestone was reached (any round): the response-time figures.
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub replied_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Successful polls of the case's source in a row that did not show the review.
    #[serde(default)]
    pub misses: u32,
    /// Set once the review was reported removed (`review.removed`).
    #[serde(default)]
    pub removed_at: Option<DateTime<Utc>>,
    /// When the review was published, if the platform says (for removal tracking).
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
    pub history: Vec<Transition>,
}

const fn one() -> u32 {
    1
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("case {id} is already {state}")]
    Already { id: String, state: CaseState },
    #[error("case {id} is {state}; it cannot go back to {to}")]
    Backward {
        id: String,
        state: CaseState,
        to: CaseState,
    },
    #[error("case {id} is closed ({state}); nothing to do")]
    Closed { id: String, state: CaseState },
    #[error("ignoring case {id} needs a reason (--note)")]
    ReasonRequired { id: String },
    #[error("no case matches {0:?}")]
    NotFound(String),
    #[error("{0:?} matches several cases: {1}")]
    Ambiguous(String, String),
}

impl Case {
    /// A new case for a negative mention.
    pub fn open(
        id: &str,
        source: &str,
        platform: &str,
        at: DateTime<Utc>,
        routes: Vec<String>,
        notifiers: Vec<String>,
    ) -> Case {
        Case {
            id: id.to_string(),
            source: source.to_string(),
            platform: platform.to_string(),
            state: CaseState::Open,
            opened_at: at,
            routes,
            notifiers,
            round: 1,
            round_opened_at: at,
            acknowledged_at: None,
            contacted_at: None,
            replied_at: None,
            resolved_at: None,
            misses: 0,
            removed_at: None,
            published_at: None,
            history: vec![Transition {
                at,
                from: None,
                to: CaseState::Open,
                actor: ACTOR_PLATFORM.to_string(),
                note: None,
                event: Some("review.negative".to_string()),
            }],
        }
    }

    /// Apply `action` at `at` by `actor`. Refuses backward steps, repeats and
    /// changes to a closed case (except `Reopen`, and `Resolve`/`Ignore` which close
    /// from any open state).
    pub fn apply(
        &mut self,
        action: Action,
        at: DateTime<Utc>,
        actor: &str,
        note: Option<&str>,
        event: Option<&str>,
    ) -> Result<(), CaseError> {
        let to = action.target();
        let from = self.state;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        match action {
            Action::Reopen if !from.is_closed() => {
                return Err(CaseError::Already {
                    id: self.id.clone(),
                    state: from,
                });
            }
            Action::Reopen => {}
            _ if from == to => {
                return Err(CaseError::Already {
                    id: self.id.clone(),
                    state: from,
                });
            }
            _ if from.is_closed() => {
                return Err(CaseError::Closed {
                    id: self.id.clone(),
                    state: from,
                });
            }
            Action::Ignore if note.is_none() => {
                return Err(CaseError::ReasonRequired {
                    id: self.id.clone(),
                });
            }
            Action::Resolve | Action::Ignore => {}
            _ if to < from => {
                return Err(CaseError::Backward {
                    id: self.id.clone(),
                    state: from,
                    to,
                });
            }
            _ => {}
        }
        self.state = to;
        let first = |slot: &mut Option<DateTime<Utc>>| {
            if slot.is_none() {
                *slot = Some(at);
            }
        };
        match to {
            CaseState::Acknowledged => first(&mut self.acknowledged_at),
            CaseState::Contacted => {
                first(&mut self.acknowledged_at);
                first(&mut self.contacted_at);
            }
            CaseState::Replied => {
                first(&mut self.acknowledged_at);
                first(&mut self.replied_at);
            }
            CaseState::Resolved => first(&mut self.resolved_at),
            CaseState::Open => {
                self.round += 1;
                self.round_opened_at = at;
                self.misses = 0;
                self.removed_at = None;
            }
            CaseState::Ignored => {}
        }
        self.history.push(Transition {
            at,
            from: Some(from),
            to,
            actor: actor.to_string(),
            note: note.map(str::to_string),
            event: event.map(str::to_string),
        });
        Ok(())
    }

    /// Seconds from opening to a milestone, if reached.
    pub fn secs_to(&self, milestone: Option<DateTime<Utc>>) -> Option<i64> {
        milestone.map(|t| (t - self.opened_at).num_seconds().max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0).unwrap()
    }

    fn case() -> Case {
        Case::open("c1", "tp", "trustpilot", t(8), vec![], vec!["hook".into()])
    }

    #[test]
    fn full_life_forward_with_milestones() {
        let mut c = case();
        c.apply(Action::Ack, t(9), "anna", None, None).unwrap();
        c.apply(Action::Contact, t(10), "anna", Some("called her"), None)
            .unwrap();
        c.apply(
            Action::Reply,
            t(11),
            "platform",
            None,
            Some("review.replied"),
        )
        .unwrap();
        c.apply(
            Action::Resolve,
            t(12),
            "platform",
            None,
            Some("review.resolved"),
        )
        .unwrap();
        assert_eq!(c.state, CaseState::Resolved);
        assert_eq!(c.history.len(), 5);
        assert_eq!(c.secs_to(c.acknowledged_at), Some(3600));
        assert_eq!(c.secs_to(c.contacted_at), Some(7200));
        assert_eq!(c.secs_to(c.replied_at), Some(3 * 3600));
        assert_eq!(c.secs_to(c.resolved_at), Some(4 * 3600));
        assert_eq!(c.history[2].note.as_deref(), Some("called her"));
        assert_eq!(c.history[2].from, Some(CaseState::Acknowledged));
    }

    #[test]
    fn skipping_forward_fills_acknowledged() {
        let mut c = case();
        c.apply(Action::Reply, t(10), "bob", None, None).unwrap();
        assert_eq!(c.acknowledged_at, Some(t(10)));
        assert_eq!(c.replied_at, Some(t(10)));
    }

    #[test]
    fn refuses_backward_repeat_and_closed() {
        let mut c = case();
        c.apply(Action::Contact, t(9), "a", None, None).unwrap();
        assert!(matches!(
            c.apply(Action::Ack, t(10), "a", None, None),
            Err(CaseError::Backward { .. })
        ));
        assert!(matches!(
            c.apply(Action::Contact, t(10), "a", None, None),
            Err(CaseError::Already { .. })
        ));
        c.apply(Action::Resolve, t(11), "a", None, None).unwrap();
        assert!(matches!(
            c.apply(Action::Reply, t(12), "a", None, None),
            Err(CaseError::Closed { .. })
        ));
        assert_eq!(c.history.len(), 3, "refused steps are not recorded");
    }

    #[test]
    fn ignore_needs_a_reason() {
        let mut c = case();
        assert!(matches!(
            c.apply(Action::Ignore, t(9), "a", Some("  "), None),
            Err(CaseError::ReasonRequired { .. })
        ));
        c.apply(Action::Ignore, t(9), "a", Some("spam"), None)
            .unwrap();
        assert_eq!(c.state, CaseState::Ignored);
    }

    #[test]
    fn reopen_starts_a_new_round_and_keeps_first_milestones() {
        let mut c = case();
        c.apply(Action::Resolve, t(10), "platform", None, None)
            .unwrap();
        assert!(matches!(
            c.apply(Action::Reopen, t(10), "platform", None, None),
            Ok(())
        ));
        assert_eq!(c.state, CaseState::Open);
        assert_eq!(c.round, 2);
        assert_eq!(c.round_opened_at, t(10));
        assert_eq!(c.resolved_at, Some(t(10)));
        assert!(matches!(
            c.apply(Action::Reopen, t(11), "platform", None, None),
            Err(CaseError::Already { .. })
        ));
    }

    #[test]
    fn state_names_round_trip() {
        for s in CaseState::ALL {
            assert_eq!(CaseState::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(CaseState::parse("REPLIED"), Some(CaseState::Replied));
        assert_eq!(CaseState::parse("closed"), None);
    }
}
