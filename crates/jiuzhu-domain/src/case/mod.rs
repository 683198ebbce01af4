//! 案件 the case engine: one case's procedure, from the application (or the 先核对 check, or
//! the 急难 emergency report) to the decision, its notice and the archive, as a pure state
//! machine (ENGINEERING.md "The case engine"):
//!
//! - [`decide`]`(state, command, ctx) -> Result<Vec<Event>, CaseError>` checks who asks
//!   (role, jurisdiction, near-relative filing, separation of duties), under which authority
//!   (the [`Authority`] the caller got from `delegation::authority`), the procedure profile
//!   (which steps exist, the materials checklist, the deadlines) and the case's stage and
//!   dates. It returns the events to record, or the reason nothing may be recorded.
//! - [`apply`]`(state, event) -> state` is total: it never fails and never panics.
//!
//! The store loads a case's events, [`replay`]s them, asks `decide`, and appends the events
//! and applies them in one transaction. Deadlines are computed by [`crate::schedule::due_for`]
//! when the step's clock starts and stored in the event, so a profile or calendar changed
//! later does not move them; the procedure's shape ([`Procedure`]) is copied into the case
//! when it opens, for the same reason.
//!
//! # Stages
//!
//! ```text
//!  先核对后申请 (order = verify_first)        先申请后核对 (apply_first)      急难型 (linshi, help_first)
//!  RequestPreCheck ─► PreCheck               Apply ─┐                       ReportEmergency ─► EmergencyHelp
//!     RecordCheckResult: fail ─► Closed(CheckFailed)  │                          GiveEmergencyHelp ─► EmergencyPaperwork
//!                        pass ─► Invited               │                          CompletePaperwork: close ─► Closed(EmergencyOnly)
//!     ApplyAfterCheck ────────────────────────► Intake ◄┘                                            continue ─► (intake complete)
//!  Intake: materials missing ─► AwaitingMaterials (一次性告知, once) ─ SubmitMaterials ─┐
//!          materials complete ◄───────────────────────────────────────────────────────┘
//!  intake complete: village_review ─► VillageReview ─ RecordVillageReview ─► Investigation (受理)
//!                   otherwise ─► Investigation (受理)
//!  Investigation: RequestCheck / RecordCheckResult (any time before the review)
//!                 RecordHomeVisit (≥ min_investigators) ─► Review
//!  Review: SignReview (needs the check report) ─►
//!          appraisal always | disputed & on_objection | after an objection ─► Appraisal ─ RecordAppraisal ─┐
//!          proposed approval & notice.before_decision ─► ToNotice ◄──────────────────────────────────────┤
//!          otherwise ─► Decision ◄────────────────────────────────────────────────────────────────────────┘
//!  ToNotice ─ PostNotice ─► Notice: EndNotice (period over) ─► Decision
//!                                   RaiseObjection (in period) ─► Reinvestigation ─ RecordHomeVisit ─► Review …
//!  Decision ─ Decide (by the authority) ─► Decided
//!  Decided: DeliverNotice, PostResult (approvals where results are posted)
//!           RaiseObjection on the posted result (plans without a pre-decision notice):
//!              ─► Appraisal: supports ─► Decided (upheld); opposes ─► Decision (decided again)
//!              (appraisal never: ─► Reinvestigation)
//!           Archive (delivered, posted where required) ─► Closed(Archived)
//!  Withdraw (before a decision; 拒绝调查 counts as withdrawing) ─► Closed(Withdrawn)
//!  Correct (an approval, after a supervision finding): Decided or Closed(Archived), no stage change.
//!  FileNearRelative: any open stage, no stage change.   Closed accepts no other command.
//! ```
//!
//! # Invariants
//!
//! [`CaseState::invariant_violations`] lists them; every state `decide`+`apply` reach keeps
//! them (property-tested): closed ⇔ closure and no open deadlines; an approval has an amount
//! ≥ 0 and a start month on the 1st; its confirming official neither investigated nor
//! reviewed, and holds the role the authority level needs; no reviewer investigated; every
//! home visit had enough distinct investigators; a decision follows acceptance, a home
//! visit, a check report and a review; where the plan posts before deciding, an approval
//! follows a notice that ended without objection; under 先核对后申请 an application follows a
//! passed check; an accepted case has the verification authorization on file; an archived
//! case was decided and its notice delivered.
//!
//! What is not here: amounts (the caller passes them: issue 5 item 3), duplicate
//! applications of one household for one program and concurrent commands (the store, which
//! sees all cases and holds the transaction), the clock (commands carry their time; the
//! store checks it against now), and documents.

mod apply;
mod command;
mod decide;
mod duties;
mod error;
mod event;
mod state;

use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::delegation::Authority;
use crate::profile::EffectiveProfile;
use crate::{DivisionCode, Role};

/// The finding a correction rests on (defined with the supervision records).
pub use crate::supervision::FindingRef;
pub use apply::{apply, replay};
pub use command::{
    Command, CommandBody, CommandKind, CorrectionRequest, DecisionRequest, NewCase, WithdrawReason,
};
pub use decide::{allowed_roles, approval_calculation, decide, offered_at};
pub use error::CaseError;
pub use event::{Event, EventBody};
pub use state::{
    AppraisalOutcome, AppraisalReason, AppraisalRecord, CaseHeader, CaseState, CheckRecord,
    CheckResult, CloseReason, Closure, Correction, CorrectionRecord, Decision, DecisionRecord,
    Duty, EmergencyHelp, EmergencyRecord, HomeVisit, Kinship, MemberFacts, MissingMaterial,
    NearRelativeFiling, NoticeRecord, ObjectionRecord, OneTimeNotice, OpenedVia, Origin, Procedure,
    Recommendation, RelatedCapacity, ReviewRecord, Signed, Stage, StepDue, VillageReviewRecord,
};

/// The store's id of a user account.
pub type UserId = i64;
/// The store's id of a case.
pub type CaseId = i64;
/// The store's id of a household.
pub type HouseholdId = i64;

/// The materials key of the signed 家庭经济状况核对授权书. It is required in every case
/// (DOMAIN.md §4 step 1: the check cannot run without it), whether or not the profile's
/// checklist lists it.
pub const AUTHORIZATION: &str = "verification_authorization";

/// Who asks: the account's id, role and jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: UserId,
    pub role: Role,
    pub division: DivisionCode,
}

/// What `decide` needs besides the state and the command.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub actor: &'a Actor,
    /// The effective procedure profile of the case's county.
    pub profile: &'a EffectiveProfile,
    pub calendar: &'a Calendar,
    /// Who confirms, from `delegation::authority(grants, program, township, date, amount)`
    /// for the case. Required by [`CommandBody::Decide`]; elsewhere it only tells whether the
    /// shorter whole-procedure limit of delegated cases applies (without it, the profile's
    /// delegation phases answer that).
    pub authority: Option<&'a Authority>,
}
