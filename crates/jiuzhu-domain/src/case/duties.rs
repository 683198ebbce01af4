//! 职责分离 separation of duties and 近亲属回避 near-relative recusal.
//!
//! The delegated procedure rests on 谁受理、谁审核、谁确认、谁负责 (seed 003 一、(二); seed 001
//! 谁调查、谁签字、谁负责): every step is signed by the official accountable for it, and the
//! signatures are only worth something if they are different people. A confirming official
//! who investigated would confirm his own findings; a reviewer who investigated would review
//! his own visit. So, on one case:
//!
//! | who                         | may not also be                                         |
//! |-----------------------------|---------------------------------------------------------|
//! | an investigator (调查)       | a reviewer (审核) or a confirming official (确认)        |
//! | a reviewer (审核)            | an investigator or a confirming official                |
//! | a confirming official (确认) | an investigator or a reviewer                           |
//!
//! Intake (受理) and investigation may be the same caseworker: the plans give both to the
//! township's 经办 staff and the home visit needs two people anyway. Roles already keep the
//! reviewer (township_reviewer) and the confirming official (township_head / county_admin)
//! apart; what roles cannot prevent is naming a reviewer or the head among the home visit's
//! investigators, or a head who went on the visit confirming the case. The checks run in
//! both directions, whatever the order of the steps (a re-investigation after an objection
//! comes after a review, a re-decision after a decision).
//!
//! 近亲属备案 (seed 001 四、(二)3.): when the household is related to a staff member or village
//! cadre, the relation is filed with the county and that person takes no part in the case:
//! every command by them is refused ([`CaseError::NearRelative`]), and they cannot be named
//! as an investigator. Filing is always possible on an open case (a related person may file
//! their own relation); duties they had already performed are recorded in the filing for the
//! county's review.

use super::UserId;
use super::error::CaseError;
use super::state::{CaseState, Duty};

/// Duties that exclude each other on one case.
fn excludes(a: Duty, b: Duty) -> bool {
    use Duty::*;
    matches!(
        (a, b),
        (Investigate, Review)
            | (Review, Investigate)
            | (Investigate, Confirm)
            | (Confirm, Investigate)
            | (Review, Confirm)
            | (Confirm, Review)
    )
}

/// Refuses `user` taking on `attempted` when they already did an excluded duty on the case.
pub(crate) fn check_separation(
    state: &CaseState,
    user: UserId,
    attempted: Duty,
) -> Result<(), CaseError> {
    match state
        .duties_of(user)
        .into_iter()
        .find(|done| excludes(*done, attempted))
    {
        Some(done) => Err(CaseError::SeparationOfDuties {
            user,
            done,
            attempted,
        }),
        None => Ok(()),
    }
}

/// Refuses a filed near relative.
pub(crate) fn check_not_related(state: &CaseState, user: UserId) -> Result<(), CaseError> {
    if state.is_near_relative(user) {
        Err(CaseError::NearRelative { user })
    } else {
        Ok(())
    }
}
