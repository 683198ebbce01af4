//! End-to-end scenarios, one or more per seed plan, driving the real server over HTTP with
//! the demo accounts (and accounts the tests create). Each scenario follows its plan's own
//! text; the clause is cited where the assertion comes from.
//!
//! Demo accounts (see `jiuzhu_store::demo::accounts`): county roles at the locality, township
//! roles at its first township, the village assistant at that township's first village:
//! 灵武市 城区街道 640181001000 / 谢家井社区 640181001001; 乌尔禾区 柳树街街道 650205001000 /
//! 柳园居委会 650205001002; 鄞州区 下应街道 330212001000 / 东兴社区 330212001005; 珙县 珙泉镇
//! 511526100000 / 文聚社区 511526100001; 泰安市 (county roles at the prefecture 370900) 泰山区
//! 岱庙街道 370902001000 / 东湖社区 370902001001.

mod gongxian;
mod guards;
mod lingwu;
mod refusal;
mod taian;
mod wuerhe;
mod yinzhou;

use chrono::{Days, NaiveDate};
use reqwest::StatusCode;

use crate::case_api::{
    Staff, appraisal, case_state, check_passed, date, home_visit, review_approve, simple, staff,
    step,
};
use crate::helpers::TestApp;

/// The demo accounts of one locality.
pub struct Team {
    pub caseworker: Staff,
    pub reviewer: Staff,
    pub head: Staff,
    pub verifier: Staff,
    pub assistant: Staff,
    pub admin: Staff,
}

/// Logs in the demo accounts of `prefix` (`wuerhe`, `taian`, …).
pub async fn demo_team(app: &TestApp, prefix: &str) -> Team {
    Team {
        caseworker: staff(app, &format!("{prefix}.caseworker")).await,
        reviewer: staff(app, &format!("{prefix}.reviewer")).await,
        head: staff(app, &format!("{prefix}.head")).await,
        verifier: staff(app, &format!("{prefix}.verifier")).await,
        assistant: staff(app, &format!("{prefix}.assistant")).await,
        admin: staff(app, &format!("{prefix}.admin")).await,
    }
}

pub fn at(d: NaiveDate, time: &str) -> String {
    format!("{d}T{time}")
}

pub fn plus_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).expect("date")
}

/// Takes an accepted case (stage `investigation`) from the economic check to the confirming
/// authority (stage `decision`), on the national path: check requested and answered, a home
/// visit by the caseworker and the village assistant, an approving review, the appraisal where
/// the procedure holds one (supporting), and the notice where the plan posts before deciding
/// (posted on the review's day, ended the day after it ran out). `start` is the acceptance
/// day; returns the day on which the file is with the authority.
pub async fn to_decision(app: &TestApp, t: &Team, case: i64, start: NaiveDate) -> NaiveDate {
    let d1 = plus_days(start, 1);
    let d2 = plus_days(start, 2);
    let d3 = plus_days(start, 3);
    let cw = &t.caseworker;
    step(
        app,
        cw,
        case,
        &at(start, "10:00:00"),
        simple("request_check"),
    )
    .await;
    step(app, &t.verifier, case, &at(d1, "10:00:00"), check_passed()).await;
    let visit = home_visit(&[cw.id, t.assistant.id], "家庭收入低于当地标准，情况属实");
    assert_eq!(
        step(app, cw, case, &at(d2, "10:00:00"), visit).await,
        "review"
    );
    let mut stage = step(
        app,
        &t.reviewer,
        case,
        &at(d3, "10:00:00"),
        review_approve(60000),
    )
    .await;
    let mut day = d3;
    if stage == "appraisal" {
        stage = step(app, cw, case, &at(d3, "14:00:00"), appraisal("supports")).await;
    }
    if stage == "to_notice" {
        assert_eq!(
            step(app, cw, case, &at(d3, "15:00:00"), simple("post_notice")).await,
            "notice"
        );
        let state = case_state(app, cw, case).await;
        let until = date(
            crate::case_api::due_of(&state, "notice")
                .as_deref()
                .expect("the notice has a due date"),
        );
        day = plus_days(until, 1);
        stage = step(app, cw, case, &at(day, "09:00:00"), simple("end_notice")).await;
    }
    assert_eq!(stage, "decision");
    day
}

/// Asserts the answer is a refusal of the decision by someone who is not the authority.
#[track_caller]
pub fn assert_not_the_authority(reply: crate::case_api::Reply, what: &str) -> String {
    reply.refused(what, StatusCode::FORBIDDEN, "case.not_the_authority")
}
