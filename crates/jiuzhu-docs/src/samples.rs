//! One sample of each document, with fictitious people (names like 王某华, valid but
//! invented identity numbers), for previews, tests and timing.

use chrono::NaiveDate;
use jiuzhu_domain::benefit::Payable;
use jiuzhu_domain::{Fen, IdNumber, PersonName, Program, Relation};

use crate::model::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("sample dates are valid")
}

fn name(s: &str) -> PersonName {
    PersonName::parse(s).expect("sample names are valid")
}

/// A valid, invented identity number (region 511526, 珙县).
pub fn id_number(n: u32) -> IdNumber {
    let birth = date(1950 + (n % 60) as i32, 1 + n % 12, 1 + n % 28);
    IdNumber::from_parts("511526", birth, (n % 1000) as u16).expect("sample numbers are valid")
}

pub fn header(serial: u32, case_number: &str) -> Header {
    Header {
        authority: "珙县珙泉镇人民政府".to_string(),
        number: DocumentNumber::new("珙泉民救", 2026, serial),
        case_number: case_number.to_string(),
        date: date(2026, 5, 8),
    }
}

pub fn remedy() -> LegalRemedy {
    LegalRemedy {
        reconsideration_body: "珙县人民政府".to_string(),
        court: "珙县人民法院".to_string(),
    }
}

pub fn working() -> Working {
    Working {
        lines: vec![
            WorkingLine {
                text: "农村最低生活保障标准 600.00元 × 3人".to_string(),
                amount: Fen::new(180_000),
            },
            WorkingLine {
                text: "家庭月收入".to_string(),
                amount: Fen::new(-75_050),
            },
            WorkingLine {
                text: "分类施保：重度残疾人增发".to_string(),
                amount: Fen::new(6_000),
            },
        ],
        amount: Fen::new(110_950),
        payable: Payable::Monthly,
    }
}

pub fn application_review_form() -> ApplicationReviewForm {
    ApplicationReviewForm {
        header: header(11, "511526102000-2026-000123"),
        program: Program::Dibao,
        applicant: name("王某华"),
        id_number: id_number(7),
        address: "珙县珙泉镇石碑村三组12号".to_string(),
        phone: "138****5678".to_string(),
        application_date: date(2026, 3, 2),
        members: vec![
            Member {
                name: name("王某华"),
                relation: Relation::Head,
                id_number: id_number(7),
            },
            Member {
                name: name("李某芳"),
                relation: Relation::Spouse,
                id_number: id_number(12),
            },
            Member {
                name: name("王小某"),
                relation: Relation::Child,
                id_number: id_number(33),
            },
        ],
        reason: "户主因病丧失劳动能力，家庭收入低于当地最低生活保障标准。".to_string(),
        opinions: vec![
            Opinion {
                stage: "调查核实意见".to_string(),
                text: "经入户调查和家庭经济状况核对，情况属实，建议审核。".to_string(),
                signed_by: "张某、刘某".to_string(),
                date: date(2026, 3, 10),
            },
            Opinion {
                stage: "审核意见".to_string(),
                text: "符合条件，同意公示。".to_string(),
                signed_by: "陈某".to_string(),
                date: date(2026, 3, 16),
            },
            Opinion {
                stage: "确认意见".to_string(),
                text: "公示无异议，同意纳入最低生活保障。".to_string(),
                signed_by: "赵某".to_string(),
                date: date(2026, 4, 1),
            },
        ],
        working: Some(working()),
    }
}

pub fn missing_materials_notice() -> MissingMaterialsNotice {
    MissingMaterialsNotice {
        header: header(12, "511526102000-2026-000124"),
        program: Program::Dibao,
        applicant: name("刘某军"),
        application_date: date(2026, 5, 6),
        missing: vec![
            "家庭经济状况核对授权书（全体家庭成员签字）".to_string(),
            "户主残疾人证复印件".to_string(),
            "近6个月银行流水".to_string(),
        ],
        supplement_by: Some(date(2026, 5, 22)),
        submit_to: "珙泉镇便民服务中心社会救助窗口".to_string(),
        contact: "陈某，0831-4012345".to_string(),
    }
}

pub fn refusal_notice() -> RefusalNotice {
    RefusalNotice {
        header: header(13, "511526102000-2026-000125"),
        program: Program::Dibao,
        applicant: name("欧阳娜娜"),
        application_date: date(2026, 3, 20),
        reasons: vec![
            "经家庭经济状况核对，你家庭人均月收入为1,250.00元，高于本县农村最低生活保障标准600.00元。"
                .to_string(),
            "你家庭拥有机动车辆一辆（非残疾人功能性补偿代步机动车）。".to_string(),
        ],
        legal_basis: "《社会救助暂行办法》第九条和《四川省最低生活保障工作规程》".to_string(),
        remedy: remedy(),
    }
}

pub fn public_notice_list() -> PublicNoticeList {
    let villages = ["石碑村", "大坪村", "沙坝村", "玉和社区"];
    let names = ["王某华", "李某芳", "张某", "欧阳娜娜", "买买提·艾力"];
    PublicNoticeList {
        header: header(14, "511526102000-2026-P005"),
        period: (date(2026, 4, 10), date(2026, 4, 20)),
        rows: (0..12)
            .map(|i| PublicNoticeRow {
                head: name(names[i % names.len()]),
                household_size: 1 + (i as u32 % 5),
                program: if i % 4 == 3 {
                    Program::Tekun
                } else {
                    Program::Dibao
                },
                amount: Fen::new(35_000 + 1_234 * i as i64),
                village: villages[i % villages.len()].to_string(),
            })
            .collect(),
        objections_to: "珙泉镇人民政府民政办公室（电话 0831-4012345）".to_string(),
        hotline: "0831-12345".to_string(),
    }
}

pub fn delegation_letter() -> DelegationLetter {
    DelegationLetter {
        header: Header {
            authority: "珙县民政局".to_string(),
            number: DocumentNumber::new("珙民", 2020, 31),
            case_number: "DG-511526-2020-0006".to_string(),
            date: date(2020, 4, 28),
        },
        kind: DelegationKind::Entrustment,
        grantee: "珙泉镇人民政府".to_string(),
        items: vec![
            DelegatedItem {
                program: Program::Dibao,
                cap: None,
            },
            DelegatedItem {
                program: Program::Linshi,
                cap: Some(Fen::new(300_000)),
            },
        ],
        from: date(2020, 5, 1),
        until: None,
        basis: "《珙县社会救助审核确认权限下放工作实施方案》".to_string(),
        duties: vec![
            "严格按照规定程序开展入户调查、家庭经济状况核对、民主评议和公示。".to_string(),
            "审核确认结果按月报县民政局备案，接受抽查。".to_string(),
            "建立健全工作档案，做到环环有痕迹、步步能倒查。".to_string(),
        ],
    }
}

pub fn adjustment_notice() -> AdjustmentNotice {
    let mut working = working();
    working.lines[1].amount = Fen::new(-90_050);
    working.amount = Fen::new(95_950);
    AdjustmentNotice {
        header: header(15, "511526102000-2025-000877"),
        kind: AdjustmentKind::Decrease,
        program: Program::Dibao,
        recipient: name("王某华"),
        previous_amount: Fen::new(110_950),
        new_amount: Fen::new(95_950),
        effective_month: date(2026, 6, 1),
        reasons: vec!["经动态复核，你家庭成员王小某已就业，家庭月收入增加150.00元。".to_string()],
        working: Some(working),
        remedy: remedy(),
    }
}

/// A 花名册 with `rows` recipients.
pub fn roster(rows: usize) -> Roster {
    let villages = ["石碑村", "大坪村", "沙坝村", "玉和社区", "新华村"];
    let given = ["华", "芳", "军", "兰", "明", "英", "强", "秀"];
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
    Roster {
        header: header(16, "511526102000-2026-M05"),
        program: Program::Dibao,
        month: date(2026, 5, 1),
        rows: (0..rows)
            .map(|i| RosterRow {
                name: name(&format!(
                    "{}某{}",
                    surnames[i % surnames.len()],
                    given[(i / surnames.len()) % given.len()]
                )),
                id_number: id_number(i as u32),
                village: villages[i % villages.len()].to_string(),
                household_size: 1 + (i as u32 % 4),
                amount: Fen::new(20_000 + (i as i64 * 3_717) % 150_000),
            })
            .collect(),
        prepared_by: "陈某".to_string(),
        checked_by: "赵某".to_string(),
    }
}

/// One sample of every kind (the roster with 20 rows).
pub fn all() -> Vec<Document> {
    vec![
        application_review_form().into(),
        missing_materials_notice().into(),
        refusal_notice().into(),
        public_notice_list().into(),
        delegation_letter().into(),
        adjustment_notice().into(),
        roster(20).into(),
    ]
}
