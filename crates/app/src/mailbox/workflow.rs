//! The case workflow as a pure state machine, with the deadlines of EU Directive
//! 2019/1937 (art. 9(1)(b) and (f)): acknowledge within 7 days of receipt, give
//! feedback within 3 months of the acknowledgement (or, without one, of the end of
//! the 7-day period). No I/O, no clock: callers pass `today`.

use chrono::{Days, Months, NaiveDate};
use serde::Serialize;

/// Where a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    Received,
    Acknowledged,
    Investigating,
    Substantiated,
    Unsubstantiated,
    Closed,
}

impl CaseState {
    pub const ALL: [CaseState; 6] = [
        CaseState::Received,
        CaseState::Acknowledged,
        CaseState::Investigating,
        CaseState::Substantiated,
        CaseState::Unsubstantiated,
        CaseState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Received => "received",
            CaseState::Acknowledged => "acknowledged",
            CaseState::Investigating => "investigating",
            CaseState::Substantiated => "substantiated",
            CaseState::Unsubstantiated => "unsubstantiated",
            CaseState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The facts of a case the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub state: CaseState,
    pub received_on: NaiveDate,
    pub acknowledged_on: Option<NaiveDate>,
    /// First day a handler replied to the reporter after acknowledging.
    pub feedback_on: Option<NaiveDate>,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkflowError {
    /// Not an edge of the workflow.
    NotAllowed { from: CaseState, to: CaseState },
    /// Closing before the reporter was given feedback.
    FeedbackMissing,
}

impl std::fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkflowError::NotAllowed { from, to } => write!(
                f,
                "a case cannot go from {} to {}",
                from.as_str(),
                to.as_str()
            ),
            WorkflowError::FeedbackMissing => {
                write!(
                    f,
                    "a case cannot be closed before the reporter was given feedback (send a reply first)"
                )
            }
        }
    }
}

/// Checks one transition. `Unsubstantiated` may follow `Acknowledged` directly (a
/// manifestly unfounded report); both decisions lead only to `Closed`, which needs
/// feedback to the reporter first.
pub fn check_transition(facts: &CaseFacts, to: CaseState) -> Result<(), WorkflowError> {
    use CaseState::*;
    let allowed = matches!(
        (facts.state, to),
        (Received, Acknowledged)
            | (Acknowledged, Investigating)
            | (Acknowledged, Unsubstantiated)
            | (Investigating, Substantiated)
            | (Investigating, Unsubstantiated)
            | (Substantiated, Closed)
            | (Unsubstantiated, Closed)
    );
    if !allowed {
        return Err(WorkflowError::NotAllowed {
            from: facts.state,
            to,
        });
    }
    if to == Closed && facts.feedback_on.is_none() {
        return Err(WorkflowError::FeedbackMissing);
    }
    Ok(())
}

/// Deadlines of a case and whether they are missed on `today`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    pub acknowledge_by: NaiveDate,
    pub feedback_by: NaiveDate,
    pub acknowledgement_overdue: bool,
    pub feedback_overdue: bool,
}

impl Deadlines {
    pub fn overdue(&self) -> bool {
        self.acknowledgement_overdue || self.feedback_overdue
    }
}

pub const ACKNOWLEDGE_DAYS: u64 = 7;
pub const FEEDBACK_MONTHS: u32 = 3;

pub fn deadlines(facts: &CaseFacts, today: NaiveDate) -> Deadlines {
    let acknowledge_by = facts
        .received_on
        .checked_add_days(Days::new(ACKNOWLEDGE_DAYS))
        .unwrap_or(facts.received_on);
    let start = facts.acknowledged_on.unwrap_or(acknowledge_by);
    let feedback_by = start
        .checked_add_months(Months::new(FEEDBACK_MONTHS))
        .unwrap_or(start);
    Deadlines {
        acknowledge_by,
        feedback_by,
        acknowledgement_overdue: facts.acknowledged_on.is_none() && today > acknowledge_by,
        feedback_overdue: facts.feedback_on.is_none()
            && facts.state != CaseState::Closed
            && today > feedback_by,
    }
}

#[cfg(test)]
mod tests {
    use super::CaseState::*;
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn facts(state: CaseState, feedback: bool) -> CaseFacts {
        CaseFacts {
            state,
            received_on: d("2026-01-10"),
            acknowledged_on: Some(d("2026-01-12")),
            feedback_on: feedback.then(|| d("2026-02-01")),
        }
    }

    #[test]
    fn transitions_table() {
        // (from, to, feedback given, allowed)
        let table: &[(CaseState, CaseState, bool, Result<(), WorkflowError>)] = &[
            (Received, Acknowledged, false, Ok(())),
            (
                Received,
                Investigating,
                false,
                Err(WorkflowError::NotAllowed {
                    from: Received,
                    to: Investigating,
                }),
            ),
            (
                Received,
                Closed,
                true,
                Err(WorkflowError::NotAllowed {
                    from: Received,
                    to: Closed,
                }),
            ),
            (Acknowledged, Investigating, false, Ok(())),
            (Acknowledged, Unsubstantiated, false, Ok(())),
            (
                Acknowledged,
                Substantiated,
                false,
                Err(WorkflowError::NotAllowed {
                    from: Acknowledged,
                    to: Substantiated,
                }),
            ),
            (Investigating, Substantiated, false, Ok(())),
            (Investigating, Unsubstantiated, false, Ok(())),
            (
                Investigating,
                Closed,
                true,
                Err(WorkflowError::NotAllowed {
                    from: Investigating,
                    to: Closed,
                }),
            ),
            (
                Substantiated,
                Closed,
                false,
                Err(WorkflowError::FeedbackMissing),
            ),
            (Substantiated, Closed, true, Ok(())),
            (
                Unsubstantiated,
                Closed,
                false,
                Err(WorkflowError::FeedbackMissing),
            ),
            (Unsubstantiated, Closed, true, Ok(())),
            (
                Closed,
                Received,
                true,
                Err(WorkflowError::NotAllowed {
                    from: Closed,
                    to: Received,
                }),
            ),
            (
                Substantiated,
                Unsubstantiated,
                true,
                Err(WorkflowError::NotAllowed {
                    from: Substantiated,
                    to: Unsubstantiated,
                }),
            ),
        ];
        for (from, to, feedback, want) in table {
            assert_eq!(
                check_transition(&facts(*from, *feedback), *to),
                *want,
                "{from:?} -> {to:?} (feedback {feedback})"
            );
        }
    }

    #[test]
    fn deadlines_table() {
        // (received, acknowledged, feedback, state, today, ack overdue, feedback overdue)
        type Row = (
            &'static str,
            Option<&'static str>,
            Option<&'static str>,
            CaseState,
            &'static str,
            bool,
            bool,
        );
        let table: &[Row] = &[
            (
                "2026-01-10",
                None,
                None,
                Received,
                "2026-01-17",
                false,
                false,
            ),
            (
                "2026-01-10",
                None,
                None,
                Received,
                "2026-01-18",
                true,
                false,
            ),
            (
                "2026-01-10",
                Some("2026-01-12"),
                None,
                Acknowledged,
                "2026-04-12",
                false,
                false,
            ),
            (
                "2026-01-10",
                Some("2026-01-12"),
                None,
                Investigating,
                "2026-04-13",
                false,
                true,
            ),
            (
                "2026-01-10",
                Some("2026-01-12"),
                Some("2026-03-01"),
                Investigating,
                "2026-06-01",
                false,
                false,
            ),
            ("2026-01-10", None, None, Received, "2026-04-18", true, true),
            (
                "2026-11-30",
                Some("2026-11-30"),
                None,
                Acknowledged,
                "2027-02-28",
                false,
                false,
            ),
            (
                "2026-11-30",
                Some("2026-11-30"),
                None,
                Acknowledged,
                "2027-03-01",
                false,
                true,
            ),
        ];
        for (rec, ack, fb, state, today, ack_late, fb_late) in table {
            let f = CaseFacts {
                state: *state,
                received_on: d(rec),
                acknowledged_on: ack.map(d),
                feedback_on: fb.map(d),
            };
            let dl = deadlines(&f, d(today));
            assert_eq!(
                (dl.acknowledgement_overdue, dl.feedback_overdue),
                (*ack_late, *fb_late),
                "{rec} {ack:?} {fb:?} {state:?} {today}: {dl:?}"
            );
        }
        let f = CaseFacts {
            state: Received,
            received_on: d("2026-01-10"),
            acknowledged_on: None,
            feedback_on: None,
        };
        let dl = deadlines(&f, d("2026-01-10"));
        assert_eq!(dl.acknowledge_by, d("2026-01-17"));
        assert_eq!(dl.feedback_by, d("2026-04-17"));
    }

    #[test]
    fn states_round_trip() {
        for s in CaseState::ALL {
            assert_eq!(CaseState::parse(s.as_str()), Some(s));
        }
        assert_eq!(CaseState::parse("open"), None);
    }
}
