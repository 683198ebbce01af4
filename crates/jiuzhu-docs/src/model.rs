//! The documents, one typed struct per kind.
//!
//! A struct holds what its document prints, in the domain's types where there is one
//! (`PersonName`, `IdNumber`, `Fen`, `Program`, `Relation`), so that the template decides
//! how a value is shown: a 公示名单 row has a `PersonName` and no identity number or
//! address at all, and the template prints only `masked()`; identity numbers are printed
//! through `IdNumber`'s `Display`, which masks them.

use std::fmt;

use chrono::NaiveDate;
use jiuzhu_domain::benefit::{Calculation, Payable};
use jiuzhu_domain::{Fen, IdNumber, PersonName, Program, Relation};

/// 文号, e.g. `珙民救〔2026〕12号`: the issuer's code, the year in 六角括号 〔〕 and the
/// serial number (GB/T 9704-2012 7.2.4: no leading zeros, no "第").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentNumber {
    /// 机关代字, e.g. `珙民救`.
    pub issuer_code: String,
    pub year: i32,
    pub serial: u32,
}

impl DocumentNumber {
    pub fn new(issuer_code: impl Into<String>, year: i32, serial: u32) -> DocumentNumber {
        DocumentNumber {
            issuer_code: issuer_code.into(),
            year,
            serial,
        }
    }
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}〔{}〕{}号", self.issuer_code, self.year, self.serial)
    }
}

/// What every document carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// 发文机关, e.g. `珙县珙泉镇人民政府`: printed in the signature block (and where the
    /// document names the deciding body).
    pub authority: String,
    /// 文号, printed under the title.
    pub number: DocumentNumber,
    /// 案件编号 of the case (for a roster or notice list: the number of the batch).
    pub case_number: String,
    /// 成文日期: the signature date, the PDF's creation date and typst's "today".
    pub date: NaiveDate,
}

/// 救济途径: where the applicant may seek administrative reconsideration (行政复议, within
/// 60 days of receiving the notice) or bring an administrative suit (行政诉讼, within 6
/// months). A refusal, adjustment or stop notice must say so (DOMAIN §10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalRemedy {
    /// 复议机关, e.g. `珙县人民政府`.
    pub reconsideration_body: String,
    /// 管辖法院, e.g. `珙县人民法院`.
    pub court: String,
}

impl LegalRemedy {
    /// The sentence as printed (the body and court are user fields and are inserted
    /// escaped by the template; this is the plain text, e.g. for tests and archives).
    pub fn sentence(&self) -> String {
        format!(
            "如对本决定不服，可以自收到本告知书之日起60日内向{}申请行政复议，\
             或者自收到本告知书之日起6个月内依法向{}提起行政诉讼。",
            self.reconsideration_body, self.court
        )
    }
}

/// One line of the working of an amount, e.g. `保障标准 800.00元 × 3人`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingLine {
    pub text: String,
    /// Signed: income lines subtract.
    pub amount: Fen,
}

/// The amount of an approval or adjustment and how it was computed (计算过程).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Working {
    pub lines: Vec<WorkingLine>,
    pub amount: Fen,
    /// 按月发放 / 一次性发放 / 不发放资金.
    pub payable: Payable,
}

impl From<&Calculation> for Working {
    fn from(c: &Calculation) -> Working {
        Working {
            lines: c
                .lines
                .iter()
                .map(|l| WorkingLine {
                    text: l.text_zh.clone(),
                    amount: l.amount,
                })
                .collect(),
            amount: c.amount,
            payable: c.payable,
        }
    }
}

pub(crate) fn payable_zh(p: Payable) -> &'static str {
    match p {
        Payable::Monthly => "按月发放",
        Payable::Once => "一次性发放",
        Payable::None => "不发放资金",
    }
}

/// A household member on the 申请审核确认表.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: PersonName,
    pub relation: Relation,
    /// Printed masked (`IdNumber`'s `Display`).
    pub id_number: IdNumber,
}

/// One step's opinion on the 申请审核确认表 (调查核实意见, 审核意见, 确认意见 …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opinion {
    /// e.g. `调查核实意见`.
    pub stage: String,
    pub text: String,
    /// 经办人 / 负责人 as signed.
    pub signed_by: String,
    pub date: NaiveDate,
}

/// 申请审核确认表: the case file's cover form, from application to confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationReviewForm {
    pub header: Header,
    pub program: Program,
    /// The applicant (户主 or the person applying), full name: an internal case record.
    pub applicant: PersonName,
    pub id_number: IdNumber,
    /// 户籍地址 / 居住地 as recorded.
    pub address: String,
    pub phone: String,
    pub application_date: NaiveDate,
    pub members: Vec<Member>,
    /// 申请理由.
    pub reason: String,
    pub opinions: Vec<Opinion>,
    /// The approved amount and its working, once decided.
    pub working: Option<Working>,
}

/// 一次性告知书: every missing material, listed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingMaterialsNotice {
    pub header: Header,
    pub program: Program,
    /// Addressee, full name (the notice goes to the applicant).
    pub applicant: PersonName,
    pub application_date: NaiveDate,
    /// Every missing item (at least one).
    pub missing: Vec<String>,
    /// 补正期限, if the office sets one.
    pub supplement_by: Option<NaiveDate>,
    /// Where to hand them in, e.g. `珙泉镇便民服务中心社会救助窗口`.
    pub submit_to: String,
    /// 联系人及电话.
    pub contact: String,
}

/// 不予批准告知书: the refusal, with its reasons and the legal remedy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalNotice {
    pub header: Header,
    pub program: Program,
    /// Addressee, full name.
    pub applicant: PersonName,
    pub application_date: NaiveDate,
    /// Every reason (at least one).
    pub reasons: Vec<String>,
    /// 依据, e.g. `《社会救助暂行办法》第十一条`.
    pub legal_basis: String,
    pub remedy: LegalRemedy,
}

/// One household on a 公示名单. There is deliberately no identity number, address or
/// bank account here: the list shows only what may be made public (DOMAIN §8, §10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicNoticeRow {
    /// Printed masked only (`PersonName::masked`).
    pub head: PersonName,
    pub household_size: u32,
    pub program: Program,
    /// Monthly (or one-off) amount.
    pub amount: Fen,
    /// 村（社区）.
    pub village: String,
}

/// 公示名单: the proposed approvals posted for objections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicNoticeList {
    pub header: Header,
    /// 公示期, first and last day.
    pub period: (NaiveDate, NaiveDate),
    pub rows: Vec<PublicNoticeRow>,
    /// 异议受理 (where and how to object), e.g. `珙泉镇民政办，电话 0831-1234567`.
    pub objections_to: String,
    /// 监督举报电话.
    pub hotline: String,
}

/// 授权书 (the grantee acts in its own name) or 委托书 (in the grantor's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DelegationKind {
    Authorization,
    Entrustment,
}

impl DelegationKind {
    pub fn title_zh(self) -> &'static str {
        match self {
            DelegationKind::Authorization => "授权书",
            DelegationKind::Entrustment => "委托书",
        }
    }
}

/// One delegated program, with its cap where the grant has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegatedItem {
    pub program: Program,
    /// 审批金额上限 (per case).
    pub cap: Option<Fen>,
}

/// 授权书/委托书: the county delegating review and confirmation to a township.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationLetter {
    pub header: Header,
    pub kind: DelegationKind,
    /// 被授权（委托）单位, e.g. `珙泉镇人民政府`.
    pub grantee: String,
    pub items: Vec<DelegatedItem>,
    pub from: NaiveDate,
    /// Open-ended where `None` (until revoked).
    pub until: Option<NaiveDate>,
    /// 依据, e.g. the county's implementation plan.
    pub basis: String,
    /// 责任与要求, one per paragraph.
    pub duties: Vec<String>,
}

/// What an adjustment notice does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdjustmentKind {
    /// 增发
    Increase,
    /// 减发
    Decrease,
    /// 暂停发放
    Suspend,
    /// 停发 (the household leaves the program)
    Stop,
}

impl AdjustmentKind {
    pub fn title_zh(self) -> &'static str {
        match self {
            AdjustmentKind::Increase | AdjustmentKind::Decrease => "调整救助金告知书",
            AdjustmentKind::Suspend => "暂停发放告知书",
            AdjustmentKind::Stop => "停发告知书",
        }
    }

    pub fn verb_zh(self) -> &'static str {
        match self {
            AdjustmentKind::Increase => "增发",
            AdjustmentKind::Decrease => "减发",
            AdjustmentKind::Suspend => "暂停发放",
            AdjustmentKind::Stop => "停发",
        }
    }
}

/// 调整/停发告知书.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustmentNotice {
    pub header: Header,
    pub kind: AdjustmentKind,
    pub program: Program,
    /// Addressee, full name.
    pub recipient: PersonName,
    pub previous_amount: Fen,
    /// The amount from `effective_month` on (zero for a stop or suspension).
    pub new_amount: Fen,
    /// The first month the change applies to (any day of it).
    pub effective_month: NaiveDate,
    pub reasons: Vec<String>,
    /// The new amount's working, for an increase or decrease.
    pub working: Option<Working>,
    pub remedy: LegalRemedy,
}

/// One recipient on a 花名册.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// Full name: the roster goes to the finance office and the bank.
    pub name: PersonName,
    /// Printed masked.
    pub id_number: IdNumber,
    pub village: String,
    pub household_size: u32,
    pub amount: Fen,
}

/// 花名册: the month's recipients and amounts for payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    pub header: Header,
    pub program: Program,
    /// The month paid (any day of it).
    pub month: NaiveDate,
    pub rows: Vec<RosterRow>,
    /// 制表人, 审核人 as signed.
    pub prepared_by: String,
    pub checked_by: String,
}

/// Any document jiuzhu prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    ApplicationReviewForm(ApplicationReviewForm),
    MissingMaterialsNotice(MissingMaterialsNotice),
    RefusalNotice(RefusalNotice),
    PublicNoticeList(PublicNoticeList),
    DelegationLetter(DelegationLetter),
    AdjustmentNotice(AdjustmentNotice),
    Roster(Roster),
}

impl Document {
    pub fn header(&self) -> &Header {
        match self {
            Document::ApplicationReviewForm(d) => &d.header,
            Document::MissingMaterialsNotice(d) => &d.header,
            Document::RefusalNotice(d) => &d.header,
            Document::PublicNoticeList(d) => &d.header,
            Document::DelegationLetter(d) => &d.header,
            Document::AdjustmentNotice(d) => &d.header,
            Document::Roster(d) => &d.header,
        }
    }

    /// The document's title as printed, e.g. `不予批准告知书`.
    pub fn title(&self) -> String {
        match self {
            Document::ApplicationReviewForm(d) => {
                format!("{}申请审核确认表", d.program.name_zh())
            }
            Document::MissingMaterialsNotice(_) => "一次性告知书".to_string(),
            Document::RefusalNotice(_) => "不予批准告知书".to_string(),
            Document::PublicNoticeList(_) => "社会救助拟批准对象公示名单".to_string(),
            Document::DelegationLetter(d) => d.kind.title_zh().to_string(),
            Document::AdjustmentNotice(d) => d.kind.title_zh().to_string(),
            Document::Roster(d) => format!("{}资金发放花名册", d.program.name_zh()),
        }
    }

    /// A short stable name of the kind, e.g. for file names: `refusal_notice`.
    pub fn kind(&self) -> &'static str {
        match self {
            Document::ApplicationReviewForm(_) => "application_review_form",
            Document::MissingMaterialsNotice(_) => "missing_materials_notice",
            Document::RefusalNotice(_) => "refusal_notice",
            Document::PublicNoticeList(_) => "public_notice_list",
            Document::DelegationLetter(_) => "delegation_letter",
            Document::AdjustmentNotice(_) => "adjustment_notice",
            Document::Roster(_) => "roster",
        }
    }
}

macro_rules! into_document {
    ($($t:ident),*) => {$(
        impl From<$t> for Document {
            fn from(d: $t) -> Document {
                Document::$t(d)
            }
        }
    )*};
}
into_document!(
    ApplicationReviewForm,
    MissingMaterialsNotice,
    RefusalNotice,
    PublicNoticeList,
    DelegationLetter,
    AdjustmentNotice,
    Roster
);
