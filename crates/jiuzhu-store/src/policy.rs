//! Who may run which command where. Checked by every backend inside the command's
//! transaction, against the records as they are in that transaction.

use jiuzhu_domain::{DivisionCode, Role};

use crate::auth::Actor;
use crate::error::{Result, StoreError};
use crate::model::{NewUser, User};

fn forbidden<T>(msg: impl Into<String>) -> Result<T> {
    Err(StoreError::Forbidden(msg.into()))
}

/// Creating an account: the operator, or a county administrator inside their jurisdiction.
pub fn create_user(actor: &Actor, new: &NewUser) -> Result<()> {
    if !new.role.fits(&new.division) {
        return Err(StoreError::Invalid(format!(
            "role {} cannot be attached to {} (a {} division)",
            new.role,
            new.division,
            new.division.level().name_zh()
        )));
    }
    match actor {
        Actor::System { .. } => Ok(()),
        Actor::User(u) if u.role.may_manage_users() => {
            actor.scope().require(&new.division, "division")
        }
        Actor::User(_) => forbidden("only a county administrator can create accounts"),
    }
}

/// Activating, deactivating or resetting another account.
pub fn manage_user(actor: &Actor, target: &User) -> Result<()> {
    match actor {
        Actor::System { .. } => Ok(()),
        Actor::User(u) if u.role.may_manage_users() => {
            actor.scope().require(&target.division, "account")
        }
        Actor::User(_) => forbidden("only a county administrator can manage accounts"),
    }
}

/// Changing one's own password or issuing one's own API token, or managing another's.
pub fn own_or_manage(actor: &Actor, target: &User) -> Result<()> {
    match actor {
        Actor::User(u) if u.id == target.id => Ok(()),
        _ => manage_user(actor, target),
    }
}

/// Registering a household at `division`.
pub fn register_household(actor: &Actor, division: &DivisionCode) -> Result<()> {
    match actor {
        Actor::System { .. } => Ok(()),
        Actor::User(u) if u.role.may_register_households() => {
            actor.scope().require(division, "division")
        }
        Actor::User(u) => forbidden(format!("role {} cannot register households", u.role)),
    }
}

/// Whether the actor may list accounts (county roles see their county's accounts; township
/// heads see their township's).
pub fn may_list_users(actor: &Actor) -> bool {
    match actor {
        Actor::System { .. } => true,
        Actor::User(u) => matches!(
            u.role,
            Role::CountyAdmin | Role::CountySupervisor | Role::TownshipHead
        ),
    }
}

/// Granting or revoking delegation for a township: the operator, or a county administrator
/// whose jurisdiction contains the township.
pub fn manage_delegation(actor: &Actor, township: &DivisionCode) -> Result<()> {
    match actor {
        Actor::System { .. } => Ok(()),
        Actor::User(u) if u.role == Role::CountyAdmin => {
            actor.scope().require(township, "township")
        }
        Actor::User(_) => forbidden("only a county administrator can grant or revoke delegation"),
    }
}

/// Submitting a public report: only the system actor, on behalf of the anonymous public.
pub fn submit_public_report(actor: &Actor) -> Result<()> {
    match actor {
        Actor::System { .. } => Ok(()),
        Actor::User(_) => forbidden("public reports come from the public form"),
    }
}

/// Answering a public report concerning `township`: the township's caseworkers, reviewers
/// and head, or the county's administrator and supervisor, inside their jurisdiction.
pub fn answer_public_report(actor: &Actor, township: &DivisionCode) -> Result<()> {
    match actor {
        Actor::System { .. } => forbidden("a report is answered by a person"),
        Actor::User(u)
            if matches!(
                u.role,
                Role::TownshipCaseworker
                    | Role::TownshipReviewer
                    | Role::TownshipHead
                    | Role::CountyAdmin
                    | Role::CountySupervisor
            ) =>
        {
            actor.scope().require(township, "township")
        }
        Actor::User(u) => forbidden(format!("role {} does not answer public reports", u.role)),
    }
}

/// County funds actions (generate and submit rosters, payment files, bank returns,
/// reconciliation, reserve allocation and replenishment) under `code`: the operator, or a
/// county administrator or finance officer (财务人员) whose jurisdiction contains it.
pub fn county_funds(actor: &Actor, code: &DivisionCode) -> Result<()> {
    match actor {
        Actor::System { .. } => Ok(()),
        Actor::User(u) if matches!(u.role, Role::CountyAdmin | Role::FinanceOfficer) => {
            actor.scope().require(code, "division")
        }
        Actor::User(u) => forbidden(format!(
            "role {} cannot run county payroll actions (county_admin or finance_officer can)",
            u.role
        )),
    }
}

/// Township funds actions (月结 settlement, spending the reserve fund): the operator, or a
/// township caseworker or head whose jurisdiction contains the township.
pub fn township_funds(actor: &Actor, township: &DivisionCode) -> Result<()> {
    match actor {
        Actor::System { .. } => Ok(()),
        Actor::User(u) if matches!(u.role, Role::TownshipCaseworker | Role::TownshipHead) => {
            actor.scope().require(township, "township")
        }
        Actor::User(u) => forbidden(format!(
            "role {} cannot run township payroll actions (township_caseworker or township_head can)",
            u.role
        )),
    }
}

/// Changing an entitlement or a household's bank account at `division` (动态管理): the
/// operator, a township caseworker or head, or the county administrator, in jurisdiction.
pub fn manage_entitlement(actor: &Actor, division: &DivisionCode) -> Result<()> {
    match actor {
        Actor::System { .. } => Ok(()),
        Actor::User(u)
            if matches!(
                u.role,
                Role::TownshipCaseworker | Role::TownshipHead | Role::CountyAdmin
            ) =>
        {
            actor.scope().require(division, "division")
        }
        Actor::User(u) => forbidden(format!(
            "role {} cannot change entitlements or bank accounts",
            u.role
        )),
    }
}

/// Whether a role issues a document of `subject` (行政文书): a grant's 授权书 the county
/// administrator; a case's documents and a township's 公示名单 the township's caseworker,
/// reviewer or head, or the county administrator. Jurisdiction is checked separately.
pub fn may_issue_document(role: Role, subject: &crate::model::DocumentSubject) -> bool {
    match subject {
        crate::model::DocumentSubject::Grant { .. } => role == Role::CountyAdmin,
        _ => matches!(
            role,
            Role::TownshipCaseworker
                | Role::TownshipReviewer
                | Role::TownshipHead
                | Role::CountyAdmin
        ),
    }
}
