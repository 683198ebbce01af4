//! Renders every document kind and reads the text back out of the PDF.
//!
//! Tests render with the embedded fonts only ([`Fonts::embedded`]), so that they give the
//! same result on every machine whatever fonts it has installed.

use jiuzhu_docs::{DocError, Document, Fonts, Pdf, render_with, samples};
use jiuzhu_domain::{Fen, PersonName};

fn render(doc: impl Into<Document>) -> Pdf {
    let doc = doc.into();
    match render_with(&doc, &Fonts::embedded()) {
        Ok(pdf) => pdf,
        Err(e) => panic!("{} did not render: {e}", doc.kind()),
    }
}

/// The text of every page, with all whitespace removed (layout splits runs and inserts
/// spaces and line breaks where it likes).
fn text(pdf: &Pdf) -> String {
    let doc = lopdf::Document::load_mem(&pdf.bytes).expect("a readable PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).expect("text can be extracted");
    squash(&text)
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn page_count(pdf: &Pdf) -> usize {
    lopdf::Document::load_mem(&pdf.bytes)
        .expect("a readable PDF")
        .get_pages()
        .len()
}

#[track_caller]
fn assert_contains(haystack: &str, needle: &str) {
    let needle = squash(needle);
    assert!(
        haystack.contains(&needle),
        "expected {needle:?} in the PDF text:\n{haystack}"
    );
}

#[test]
fn every_kind_renders_with_title_number_case_authority_and_date() {
    for doc in samples::all() {
        let pdf =
            render_with(&doc, &Fonts::embedded()).unwrap_or_else(|e| panic!("{}: {e}", doc.kind()));
        assert!(pdf.bytes.starts_with(b"%PDF-"), "{}", doc.kind());
        assert_eq!(pdf.sha256_hex.len(), 64);
        let text = text(&pdf);
        let h = doc.header();
        assert_contains(&text, &doc.title());
        assert_contains(&text, &h.number.to_string());
        assert_contains(&text, &h.case_number);
        assert_contains(&text, &h.authority);
        assert_contains(&text, &date_zh(h.date));
        eprintln!(
            "{:<26} {:>7} bytes, {} page(s)",
            doc.kind(),
            pdf.bytes.len(),
            page_count(&pdf)
        );
    }
}

fn date_zh(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

#[test]
fn document_number_uses_hexagonal_brackets() {
    let n = jiuzhu_docs::DocumentNumber::new("珙民救", 2026, 12);
    assert_eq!(n.to_string(), "珙民救〔2026〕12号");
}

#[test]
fn refusal_notice_gives_reasons_and_the_right_to_reconsideration_or_suit() {
    let notice = samples::refusal_notice();
    let pdf = render(notice.clone());
    let text = text(&pdf);
    // The decision goes to the applicant: full name.
    assert_contains(&text, "欧阳娜娜：");
    for reason in &notice.reasons {
        assert_contains(&text, reason);
    }
    assert_contains(&text, &notice.legal_basis);
    assert_contains(&text, &notice.remedy.sentence());
    assert_contains(&text, "60日内向珙县人民政府申请行政复议");
    assert_contains(&text, "6个月内依法向珙县人民法院提起行政诉讼");
}

#[test]
fn refusal_without_reasons_is_refused() {
    let mut notice = samples::refusal_notice();
    notice.reasons.clear();
    let err = render_with(&notice.into(), &Fonts::embedded()).unwrap_err();
    assert!(
        matches!(&err, DocError::Invalid { field, .. } if field == "reasons"),
        "{err:?}"
    );
    let mut notice = samples::refusal_notice();
    notice.reasons.push("  ".to_string());
    let err = render_with(&notice.into(), &Fonts::embedded()).unwrap_err();
    assert!(
        matches!(&err, DocError::Invalid { field, .. } if field == "reasons[2]"),
        "{err:?}"
    );
}

#[test]
fn public_notice_list_shows_masked_names_and_never_id_numbers() {
    let list = samples::public_notice_list();
    let pdf = render(list.clone());
    let text = text(&pdf);
    for row in &list.rows {
        assert_contains(&text, &row.head.masked());
        assert_contains(&text, &row.village);
        assert_contains(&text, &row.amount.format_grouped());
    }
    // No full name of a multi-character name appears (张某 masks to 张*, which is fine).
    for full in ["王某华", "李某芳", "欧阳娜娜", "买买提·艾力"] {
        assert!(
            !text.contains(full),
            "{full} must not be on the public list"
        );
    }
    // The totals equal the sum of the rows.
    let total = Fen::checked_sum(list.rows.iter().map(|r| r.amount)).unwrap();
    let people: u32 = list.rows.iter().map(|r| r.household_size).sum();
    let households = list.rows.len();
    assert_contains(
        &text,
        &format!("合计{people}{households}户{}", total.format_grouped()),
    );
    assert_contains(&text, &format!("{}户家庭（{people}人）", list.rows.len()));
    // Neither the raw bytes nor the text carry an identity number: a row has none, and
    // the markup holds only masked names.
    let markup = jiuzhu_docs::markup(&list.into()).unwrap();
    for full in ["王某华", "李某芳", "欧阳娜娜"] {
        assert!(!markup.contains(full));
    }
}

#[test]
fn roster_ids_are_masked_and_the_total_is_the_sum_of_rows() {
    let roster = samples::roster(25);
    let pdf = render(roster.clone());
    let text = text(&pdf);
    for row in &roster.rows {
        assert!(
            !text.contains(row.id_number.as_str()),
            "full identity number on the roster"
        );
        assert_contains(&text, &row.id_number.masked());
    }
    let total = Fen::checked_sum(roster.rows.iter().map(|r| r.amount)).unwrap();
    let people: u32 = roster.rows.iter().map(|r| r.household_size).sum();
    assert_contains(&text, &format!("合计{people}{}", total.format_grouped()));
    // Nothing identifying leaks through the raw bytes either (PDF metadata, tags).
    let raw = String::from_utf8_lossy(&pdf.bytes);
    for row in &roster.rows {
        assert!(!raw.contains(row.id_number.as_str()));
    }
}

#[test]
fn long_roster_paginates_with_page_numbers() {
    let roster = samples::roster(500);
    let pdf = render(roster.clone());
    let pages = page_count(&pdf);
    assert!(pages > 5, "500 rows on {pages} pages");
    let doc = lopdf::Document::load_mem(&pdf.bytes).unwrap();
    // The header row repeats on every page, and every page is numbered.
    for page in 1..=pages as u32 {
        let t = squash(&doc.extract_text(&[page]).unwrap());
        assert!(
            t.contains("序号姓名身份证号"),
            "no table header on page {page}"
        );
        assert!(
            t.contains(&format!("第{page}页共{pages}页")),
            "no page number on page {page}: {t}"
        );
    }
    let text = text(&pdf);
    let total = Fen::checked_sum(roster.rows.iter().map(|r| r.amount)).unwrap();
    assert_contains(&text, &total.format_grouped());
    eprintln!("500-row roster: {} pages, {} bytes", pages, pdf.bytes.len());
}

#[test]
fn missing_glyph_is_an_error_naming_the_character_and_field() {
    // 𠀀 (U+20000, CJK Extension B) is not among the 通用规范汉字.
    let mut notice = samples::refusal_notice();
    notice.reasons[1] = "你家庭成员𠀀某某的收入未如实申报。".to_string();
    let err = render_with(&notice.into(), &Fonts::embedded()).unwrap_err();
    assert_eq!(
        err,
        DocError::MissingGlyph {
            ch: '𠀀',
            codepoint: "U+20000".to_string(),
            field: "reasons[1]".to_string(),
        }
    );
    assert!(err.message_zh().contains("U+20000"));

    // In a name (people are named with rare characters).
    let mut list = samples::public_notice_list();
    list.rows[3].village = "𠀾村".to_string();
    let err = render_with(&list.into(), &Fonts::embedded()).unwrap_err();
    assert!(
        matches!(&err, DocError::MissingGlyph { field, codepoint, .. } if field == "rows[3].village" && codepoint == "U+2003E"),
        "{err:?}"
    );
}

#[test]
fn a_character_no_font_on_the_machine_has_is_an_error_with_system_fonts_too() {
    // A private-use code point: no system font is expected to draw it.
    let mut notice = samples::missing_materials_notice();
    notice.contact = "陈某\u{F8FF}".to_string();
    let fonts = Fonts::with_system();
    assert!(fonts.len() >= 2);
    if fonts.covers('\u{F8FF}') {
        eprintln!("this machine has a font with U+F8FF; skipping");
        return;
    }
    let err = render_with(&notice.into(), &fonts).unwrap_err();
    assert!(
        matches!(&err, DocError::MissingGlyph { field, .. } if field == "contact"),
        "{err:?}"
    );
}

#[test]
fn user_text_is_never_interpreted_as_typst() {
    let nasty = r#"#panic("x") *粗* _斜_ $x^2$ [a] \ @ref <label> `raw` // 注释 /* 块 "引号" = 标题 - 列表 + 编号 #set text(red)"#;
    let mut notice = samples::refusal_notice();
    notice.reasons = vec![nasty.to_string(), "第二条]，#(1+1)".to_string()];
    notice.legal_basis = "《办法》\\第九条".to_string();
    notice.remedy.court = "法院]#h(1cm)[".to_string();
    notice.header.authority = "镇政府\")#panic(\"".to_string();
    let pdf = render(notice.clone());
    let text = text(&pdf);
    assert_contains(&text, nasty);
    assert_contains(&text, "第二条]，#(1+1)");
    assert_contains(&text, "《办法》\\第九条");
    assert_contains(&text, "法院]#h(1cm)[");
    assert_contains(&text, "镇政府\")#panic(\"");

    // A name cannot carry markup (PersonName refuses it), but a village on a list can.
    let mut list = samples::public_notice_list();
    list.rows[0].village = "*村* #strong[x] $1$".to_string();
    let text = self::text(&render(list));
    assert_contains(&text, "*村* #strong[x] $1$");
    assert!(PersonName::parse("王#某").is_err());
}

#[test]
fn same_input_gives_the_same_bytes() {
    for doc in [
        Document::from(samples::refusal_notice()),
        samples::roster(40).into(),
    ] {
        let a = render_with(&doc, &Fonts::embedded()).unwrap();
        let b = render_with(&doc, &Fonts::embedded()).unwrap();
        assert_eq!(a.sha256_hex, b.sha256_hex, "{}", doc.kind());
        assert!(a == b);
    }
    // Another date gives another file.
    let mut notice = samples::refusal_notice();
    let a = render(notice.clone());
    notice.header.date = notice.header.date.succ_opt().unwrap();
    assert_ne!(a.sha256_hex, render(notice).sha256_hex);
}

#[test]
fn creation_date_is_the_document_date() {
    let pdf = render(samples::refusal_notice());
    let raw = String::from_utf8_lossy(&pdf.bytes);
    assert!(
        raw.contains("D:20260508"),
        "no creation date 2026-05-08 in the PDF info"
    );
}

#[test]
fn adjustment_amounts_must_match_the_kind() {
    let mut notice = samples::adjustment_notice();
    notice.kind = jiuzhu_docs::AdjustmentKind::Increase;
    let err = render_with(&notice.into(), &Fonts::embedded()).unwrap_err();
    assert!(
        matches!(&err, DocError::Invalid { field, .. } if field == "new_amount"),
        "{err:?}"
    );

    let mut stop = samples::adjustment_notice();
    stop.kind = jiuzhu_docs::AdjustmentKind::Stop;
    stop.new_amount = Fen::ZERO;
    stop.working = None;
    let text = text(&render(stop));
    assert_contains(&text, "停发告知书");
    assert_contains(&text, "救助金停发（原每月1,109.50元）");
    assert_contains(&text, "申请行政复议");
}

#[test]
fn approval_form_shows_the_working_and_masked_ids() {
    let form = samples::application_review_form();
    let text = text(&render(form.clone()));
    assert_contains(&text, "王某华");
    assert_contains(&text, &form.id_number.masked());
    assert!(!text.contains(form.id_number.as_str()));
    for line in &form.working.as_ref().unwrap().lines {
        assert_contains(&text, &line.text);
    }
    assert_contains(&text, "核定救助金额（按月发放）1,109.50");
}

#[test]
fn missing_materials_notice_lists_every_item() {
    let notice = samples::missing_materials_notice();
    let text = text(&render(notice.clone()));
    for item in &notice.missing {
        assert_contains(&text, item);
    }
    assert_contains(&text, "2026年5月22日前");
}

#[test]
fn delegation_letter_names_programs_and_caps() {
    let letter = samples::delegation_letter();
    let text = text(&render(letter));
    assert_contains(&text, "委托书");
    assert_contains(&text, "珙民〔2020〕31号");
    assert_contains(&text, "临时救助3,000.00元");
    assert_contains(&text, "最低生活保障不设上限");
}

#[test]
fn a_typical_notice_is_small() {
    let pdf = render(samples::refusal_notice());
    // The fonts are subset again per document: a one-page notice stays small.
    assert!(pdf.bytes.len() < 200_000, "{} bytes", pdf.bytes.len());
}
