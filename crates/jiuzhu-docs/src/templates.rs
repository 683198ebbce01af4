//! One template per document kind: typed values in, typst markup out.
//!
//! Layout follows the conventions of Chinese official documents (GB/T 9704-2012, adapted
//! to forms and lists): A4, the title centred in a bold sans (黑体) face, the 文号 centred
//! under it, the case number, the body in a serif (宋体) face with two-character first-line
//! indents, and the signature block (issuing authority over the date, written with Arabic
//! numerals) at the bottom right. Tables repeat their header row on every page; rosters,
//! lists and forms carry 第 N 页 共 M 页.

use jiuzhu_domain::Fen;

use crate::DocError;
use crate::markup::{Markup, date_zh, month_zh, string_literal};
use crate::model::*;
use crate::world::{BODY_FAMILY, HEADING_FAMILY};

pub(crate) fn markup(doc: &Document) -> Result<Markup, DocError> {
    let mut m = Markup::default();
    let header = doc.header();
    check_header(header)?;
    let paged = matches!(
        doc,
        Document::Roster(_) | Document::PublicNoticeList(_) | Document::ApplicationReviewForm(_)
    );
    preamble(&mut m, &doc.title(), header, paged);
    match doc {
        Document::ApplicationReviewForm(d) => review_form(&mut m, d)?,
        Document::MissingMaterialsNotice(d) => missing_materials(&mut m, d)?,
        Document::RefusalNotice(d) => refusal(&mut m, d)?,
        Document::PublicNoticeList(d) => public_notice(&mut m, d)?,
        Document::DelegationLetter(d) => delegation(&mut m, d)?,
        Document::AdjustmentNotice(d) => adjustment(&mut m, d)?,
        Document::Roster(d) => roster(&mut m, d)?,
    }
    signature(&mut m, header);
    Ok(m)
}

fn invalid(field: &str, reason: &str) -> DocError {
    DocError::Invalid {
        field: field.to_string(),
        reason: reason.to_string(),
    }
}

fn require(field: &str, value: &str) -> Result<(), DocError> {
    if value.trim().is_empty() {
        Err(invalid(field, "must not be empty"))
    } else {
        Ok(())
    }
}

fn require_list(field: &str, items: &[String]) -> Result<(), DocError> {
    if items.is_empty() {
        return Err(invalid(field, "needs at least one entry"));
    }
    for (i, item) in items.iter().enumerate() {
        require(&format!("{field}[{i}]"), item)?;
    }
    Ok(())
}

fn check_header(h: &Header) -> Result<(), DocError> {
    require("header.authority", &h.authority)?;
    require("header.number.issuer_code", &h.number.issuer_code)?;
    require("header.case_number", &h.case_number)
}

fn check_remedy(r: &LegalRemedy) -> Result<(), DocError> {
    require("remedy.reconsideration_body", &r.reconsideration_body)?;
    require("remedy.court", &r.court)
}

fn yuan(f: Fen) -> String {
    format!("{}元", f.format_grouped())
}

fn preamble(m: &mut Markup, title: &str, h: &Header, paged: bool) {
    use chrono::Datelike;
    m.raw(&format!(
        "#set document(title: {}, author: {}, date: datetime(year: {}, month: {}, day: {}))\n",
        string_literal(title),
        string_literal(&h.authority),
        h.date.year(),
        h.date.month(),
        h.date.day()
    ));
    m.fields
        .push(("header.authority".into(), h.authority.clone()));
    let footer = if paged {
        "footer: context align(center, text(size: 9pt)[第 #counter(page).display() 页 共 #counter(page).final().first() 页]),"
    } else {
        ""
    };
    m.raw(&format!(
        "#set page(paper: \"a4\", margin: (top: 30mm, bottom: 25mm, left: 26mm, right: 24mm), {footer})\n\
         #set text(font: ({BODY_FAMILY:?},), size: 12pt, lang: \"zh\", region: \"cn\")\n\
         #set par(justify: true, leading: 0.9em, spacing: 0.9em, first-line-indent: (amount: 2em, all: true))\n\
         #set table(stroke: 0.5pt, inset: (x: 4pt, y: 5pt))\n\
         #show table: set par(first-line-indent: 0em, justify: false)\n\
         #show table: set text(size: 10.5pt)\n\
         #let hd(body) = text(font: {HEADING_FAMILY:?}, weight: \"bold\", body)\n\
         #align(center, text(font: {HEADING_FAMILY:?}, weight: \"bold\", size: 20pt, {}))\n\
         #v(0.3em)\n",
        string_literal(title)
    ));
    m.raw("#align(center)[");
    m.value(&h.number.to_string());
    m.raw("]\n#align(right, text(size: 10.5pt)[案件编号：");
    m.text("header.case_number", &h.case_number);
    m.raw("])\n#v(0.6em)\n");
    // The 文号's issuer code is a user field too.
    m.fields.push((
        "header.number.issuer_code".into(),
        h.number.issuer_code.clone(),
    ));
}

fn signature(m: &mut Markup, h: &Header) {
    m.raw("\n#v(2.5em)\n#align(right, block(breakable: false, align(center)[");
    m.text("header.authority", &h.authority);
    m.raw(" \\\n");
    m.value(&date_zh(h.date));
    m.raw("]))\n");
}

/// A paragraph without first-line indent (addressee lines, labels).
fn flush(m: &mut Markup) -> &mut Markup {
    m.raw("\n#par(first-line-indent: 0em)[")
}

fn numbered(m: &mut Markup, field: &str, items: &[String]) {
    m.raw("\n#enum(numbering: \"（一）\", indent: 2em, body-indent: 0.3em,\n");
    for (i, item) in items.iter().enumerate() {
        m.raw("  [");
        m.text(format!("{field}[{i}]"), item);
        m.raw("],\n");
    }
    m.raw(")\n");
}

fn remedy(m: &mut Markup, r: &LegalRemedy) {
    m.raw("\n如对本决定不服，可以自收到本告知书之日起60日内向");
    m.text("remedy.reconsideration_body", &r.reconsideration_body);
    m.raw("申请行政复议，或者自收到本告知书之日起6个月内依法向");
    m.text("remedy.court", &r.court);
    m.raw("提起行政诉讼。\n");
}

fn working_table(m: &mut Markup, w: &Working) {
    m.raw(
        "\n#table(columns: (1fr, auto), align: (left, right),\n  table.header(hd[计算项目], hd[金额（元）]),\n",
    );
    for (i, line) in w.lines.iter().enumerate() {
        m.raw("  [");
        m.text(format!("working.lines[{i}].text"), &line.text);
        m.raw("], [");
        m.value(&line.amount.format_grouped());
        m.raw("],\n");
    }
    m.raw("  hd[核定救助金额（");
    m.value(payable_zh(w.payable));
    m.raw("）], hd[");
    m.value(&w.amount.format_grouped());
    m.raw("],\n)\n");
}

fn review_form(m: &mut Markup, d: &ApplicationReviewForm) -> Result<(), DocError> {
    require("address", &d.address)?;
    m.raw("#table(columns: (auto, 1fr, auto, 1fr),\n  hd[申请人], [");
    m.text("applicant", d.applicant.as_str());
    m.raw("], hd[身份证号], [");
    m.value(&d.id_number.to_string());
    m.raw("],\n  hd[救助项目], [");
    m.value(d.program.name_zh());
    m.raw("], hd[申请日期], [");
    m.value(&date_zh(d.application_date));
    m.raw("],\n  hd[联系电话], [");
    m.text("phone", &d.phone);
    m.raw("], hd[家庭人口], [");
    m.value(&format!("{}人", d.members.len().max(1)));
    m.raw("],\n  hd[住址], table.cell(colspan: 3)[");
    m.text("address", &d.address);
    m.raw("],\n  hd[申请理由], table.cell(colspan: 3)[");
    m.text("reason", &d.reason);
    m.raw("],\n)\n");

    if !d.members.is_empty() {
        m.raw("\n#par(first-line-indent: 0em, hd[家庭成员])\n#table(columns: (auto, 1fr, auto, 1.6fr), align: (center, left, center, left),\n  table.header(hd[序号], hd[姓名], hd[与申请人关系], hd[身份证号]),\n");
        for (i, member) in d.members.iter().enumerate() {
            m.raw(&format!("  [{}], [", i + 1));
            m.text(format!("members[{i}].name"), member.name.as_str());
            m.raw("], [");
            m.value(member.relation.name_zh());
            m.raw("], [");
            m.value(&member.id_number.to_string());
            m.raw("],\n");
        }
        m.raw(")\n");
    }

    if !d.opinions.is_empty() {
        m.raw("\n#table(columns: (auto, 1fr),\n");
        for (i, op) in d.opinions.iter().enumerate() {
            require(&format!("opinions[{i}].stage"), &op.stage)?;
            m.raw("  hd[");
            m.text(format!("opinions[{i}].stage"), &op.stage);
            m.raw("], [");
            m.text(format!("opinions[{i}].text"), &op.text);
            m.raw(" \\\n    #align(right)[签字：");
            m.text(format!("opinions[{i}].signed_by"), &op.signed_by);
            m.raw("#h(2em)");
            m.value(&date_zh(op.date));
            m.raw("]],\n");
        }
        m.raw(")\n");
    }

    if let Some(w) = &d.working {
        m.raw("\n#par(first-line-indent: 0em, hd[救助金额核定])\n");
        working_table(m, w);
    }
    Ok(())
}

fn missing_materials(m: &mut Markup, d: &MissingMaterialsNotice) -> Result<(), DocError> {
    require_list("missing", &d.missing)?;
    require("submit_to", &d.submit_to)?;
    flush(m);
    m.text("applicant", d.applicant.as_str());
    m.raw("：]\n\n你（户）于");
    m.value(&date_zh(d.application_date));
    m.raw("提出的");
    m.value(d.program.name_zh());
    m.raw("申请，经审查，申请材料不齐全。根据有关规定，现一次性告知你需补充提交以下材料：\n");
    numbered(m, "missing", &d.missing);
    m.raw("\n请");
    if let Some(by) = d.supplement_by {
        m.raw("于");
        m.value(&date_zh(by));
        m.raw("前");
    }
    m.raw("将上述材料提交至");
    m.text("submit_to", &d.submit_to);
    m.raw("。材料补齐后，我们将依法受理并办理你的申请。\n\n联系人及电话：");
    m.text("contact", &d.contact);
    m.raw("\n");
    Ok(())
}

fn refusal(m: &mut Markup, d: &RefusalNotice) -> Result<(), DocError> {
    require_list("reasons", &d.reasons)?;
    require("legal_basis", &d.legal_basis)?;
    check_remedy(&d.remedy)?;
    flush(m);
    m.text("applicant", d.applicant.as_str());
    m.raw("：]\n\n你（户）于");
    m.value(&date_zh(d.application_date));
    m.raw("提出的");
    m.value(d.program.name_zh());
    m.raw("申请，经调查核实和审核，不符合条件。根据");
    m.text("legal_basis", &d.legal_basis);
    m.raw("的规定，决定不予批准。理由如下：\n");
    numbered(m, "reasons", &d.reasons);
    remedy(m, &d.remedy);
    m.raw("\n特此告知。\n");
    Ok(())
}

fn public_notice(m: &mut Markup, d: &PublicNoticeList) -> Result<(), DocError> {
    if d.rows.is_empty() {
        return Err(invalid("rows", "needs at least one entry"));
    }
    if d.period.1 < d.period.0 {
        return Err(invalid("period", "ends before it starts"));
    }
    require("objections_to", &d.objections_to)?;
    let total = Fen::checked_sum(d.rows.iter().map(|r| r.amount))
        .ok_or_else(|| invalid("rows", "the total amount overflows"))?;
    let people: u64 = d.rows.iter().map(|r| u64::from(r.household_size)).sum();

    m.raw("根据社会救助有关规定，经入户调查、审核，拟批准以下");
    m.value(&d.rows.len().to_string());
    m.raw("户家庭（");
    m.value(&people.to_string());
    m.raw("人）享受社会救助，现予公示。公示期为");
    m.value(&date_zh(d.period.0));
    m.raw("至");
    m.value(&date_zh(d.period.1));
    m.raw("。\n\n#table(columns: (auto, auto, auto, 1fr, auto, 1.4fr), align: (center, center, center, left, right, left),\n  table.header(hd[序号], hd[户主姓名], hd[家庭人口], hd[救助项目], hd[金额（元）], hd[村（社区）]),\n");
    for (i, row) in d.rows.iter().enumerate() {
        m.raw(&format!("  [{}], [", i + 1));
        // Only the masked name is printed: the full name never enters the markup.
        let masked = row.head.masked();
        m.text(format!("rows[{i}].head"), &masked);
        m.raw("], [");
        m.value(&row.household_size.to_string());
        m.raw("], [");
        m.value(row.program.name_zh());
        m.raw("], [");
        m.value(&row.amount.format_grouped());
        m.raw("], [");
        m.text(format!("rows[{i}].village"), &row.village);
        m.raw("],\n");
    }
    m.raw("  table.cell(colspan: 2, hd[合计]), [");
    m.value(&people.to_string());
    m.raw("], [");
    m.value(&format!("{}户", d.rows.len()));
    m.raw("], [");
    m.value(&total.format_grouped());
    m.raw("], [],\n)\n\n公示期内，对公示对象有异议的，可向");
    m.text("objections_to", &d.objections_to);
    m.raw("提出");
    if !d.hotline.trim().is_empty() {
        m.raw("，或拨打监督举报电话");
        m.text("hotline", &d.hotline);
    }
    m.raw("。\n");
    Ok(())
}

fn delegation(m: &mut Markup, d: &DelegationLetter) -> Result<(), DocError> {
    require("grantee", &d.grantee)?;
    require("basis", &d.basis)?;
    if d.items.is_empty() {
        return Err(invalid("items", "needs at least one program"));
    }
    if d.until.is_some_and(|u| u < d.from) {
        return Err(invalid("until", "ends before it starts"));
    }
    let verb = match d.kind {
        DelegationKind::Authorization => "授权",
        DelegationKind::Entrustment => "委托",
    };
    flush(m);
    m.text("grantee", &d.grantee);
    m.raw("：]\n\n根据");
    m.text("basis", &d.basis);
    m.raw(&format!("，现{verb}你单位自"));
    m.value(&date_zh(d.from));
    m.raw("起");
    if let Some(until) = d.until {
        m.raw("至");
        m.value(&date_zh(until));
        m.raw("止");
    }
    m.raw(&format!(
        "，对辖区内下列社会救助事项行使审核确认权限（{verb}期间如有调整，以书面通知为准）：\n\n#table(columns: (auto, 1fr, auto), align: (center, left, right),\n  table.header(hd[序号], hd[救助项目], hd[单笔审批金额上限]),\n"
    ));
    for (i, item) in d.items.iter().enumerate() {
        m.raw(&format!("  [{}], [", i + 1));
        m.value(item.program.name_zh());
        m.raw("], [");
        m.value(&item.cap.map_or_else(|| "不设上限".to_string(), yuan));
        m.raw("],\n");
    }
    m.raw(")\n");
    if !d.duties.is_empty() {
        m.raw(&format!("\n被{verb}单位应当履行以下责任：\n"));
        numbered(m, "duties", &d.duties);
    }
    m.raw(&format!(
        "\n{verb}单位对被{verb}单位的审核确认工作进行监督指导，依法承担相应责任。\n"
    ));
    Ok(())
}

fn adjustment(m: &mut Markup, d: &AdjustmentNotice) -> Result<(), DocError> {
    require_list("reasons", &d.reasons)?;
    check_remedy(&d.remedy)?;
    let consistent = match d.kind {
        AdjustmentKind::Increase => d.new_amount > d.previous_amount,
        AdjustmentKind::Decrease => d.new_amount < d.previous_amount,
        AdjustmentKind::Suspend | AdjustmentKind::Stop => d.new_amount == Fen::ZERO,
    };
    if !consistent {
        return Err(invalid(
            "new_amount",
            "does not match the kind of adjustment (increase: above, decrease: below the previous amount; suspension and stop: zero)",
        ));
    }
    if let Some(w) = &d.working
        && w.amount != d.new_amount
    {
        return Err(invalid("working.amount", "differs from new_amount"));
    }
    flush(m);
    m.text("recipient", d.recipient.as_str());
    m.raw("：]\n\n经复核，你家庭的情况发生变化，根据社会救助有关规定，决定自");
    m.value(&month_zh(d.effective_month));
    m.raw("起对你家庭的");
    m.value(d.program.name_zh());
    m.raw("救助金");
    m.value(d.kind.verb_zh());
    match d.kind {
        AdjustmentKind::Increase | AdjustmentKind::Decrease => {
            m.raw("，由每月");
            m.value(&yuan(d.previous_amount));
            m.raw("调整为每月");
            m.value(&yuan(d.new_amount));
        }
        AdjustmentKind::Suspend | AdjustmentKind::Stop => {
            m.raw("（原每月");
            m.value(&yuan(d.previous_amount));
            m.raw("）");
        }
    }
    m.raw("。理由如下：\n");
    numbered(m, "reasons", &d.reasons);
    if let Some(w) = &d.working {
        working_table(m, w);
    }
    remedy(m, &d.remedy);
    m.raw("\n特此告知。\n");
    Ok(())
}

fn roster(m: &mut Markup, d: &Roster) -> Result<(), DocError> {
    let total = Fen::checked_sum(d.rows.iter().map(|r| r.amount))
        .ok_or_else(|| invalid("rows", "the total amount overflows"))?;
    let people: u64 = d.rows.iter().map(|r| u64::from(r.household_size)).sum();
    m.raw("#par(first-line-indent: 0em)[救助项目：");
    m.value(d.program.name_zh());
    m.raw("#h(2em)发放月份：");
    m.value(&month_zh(d.month));
    m.raw("#h(2em)户数：");
    m.value(&d.rows.len().to_string());
    m.raw("#h(2em)人数：");
    m.value(&people.to_string());
    m.raw("]\n\n#table(columns: (auto, auto, 1.4fr, 1fr, auto, auto), align: (center, center, center, left, center, right),\n  table.header(hd[序号], hd[姓名], hd[身份证号], hd[村（社区）], hd[人口], hd[金额（元）]),\n");
    for (i, row) in d.rows.iter().enumerate() {
        m.raw(&format!("  [{}], [", i + 1));
        m.text(format!("rows[{i}].name"), row.name.as_str());
        m.raw("], [");
        m.value(&row.id_number.to_string());
        m.raw("], [");
        m.text(format!("rows[{i}].village"), &row.village);
        m.raw("], [");
        m.value(&row.household_size.to_string());
        m.raw("], [");
        m.value(&row.amount.format_grouped());
        m.raw("],\n");
    }
    m.raw("  table.cell(colspan: 4, hd[合计]), [");
    m.value(&people.to_string());
    m.raw("], hd[");
    m.value(&total.format_grouped());
    m.raw("],\n)\n\n#par(first-line-indent: 0em)[制表人：");
    m.text("prepared_by", &d.prepared_by);
    m.raw("#h(3em)审核人：");
    m.text("checked_by", &d.checked_by);
    m.raw("]\n");
    Ok(())
}
