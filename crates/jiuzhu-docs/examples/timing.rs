//! Rough render timings (not a test): `cargo run --release -p jiuzhu-docs --example timing`.
//! Writes the PDFs to the directory given as the first argument, if any.

use std::time::Instant;

use jiuzhu_docs::{Document, Fonts, render_with, samples};

fn set_case_number(doc: &mut Document, run: u32) {
    let header = match doc {
        Document::RefusalNotice(d) => &mut d.header,
        Document::PublicNoticeList(d) => &mut d.header,
        Document::Roster(d) => &mut d.header,
        _ => return,
    };
    header.case_number = format!("{}-{run}", header.case_number);
}

fn main() {
    let out = std::env::args().nth(1);
    let fonts = Fonts::embedded();
    let cases: Vec<(&str, Document)> = vec![
        ("refusal_notice", samples::refusal_notice().into()),
        ("public_notice_list", samples::public_notice_list().into()),
        ("roster_1000", samples::roster(1000).into()),
    ];
    // The first render pays for loading the fonts and typst's standard library.
    let warm = Instant::now();
    render_with(&cases[0].1, &fonts).expect("renders");
    println!("first render (cold): {:?}", warm.elapsed());
    for (name, doc) in &cases {
        let runs = if name.starts_with("roster") { 3 } else { 10 };
        let start = Instant::now();
        let mut pdf = None;
        for run in 0..runs {
            // A different case number each run, so typst's memoization cannot replay the
            // previous result: every run lays the document out anew.
            let mut doc = doc.clone();
            set_case_number(&mut doc, run);
            pdf = Some(render_with(&doc, &fonts).expect("renders"));
        }
        let pdf = pdf.expect("at least one run");
        println!(
            "{name}: {:?} per render, {} bytes",
            start.elapsed() / runs,
            pdf.bytes.len()
        );
        if let Some(dir) = &out {
            std::fs::write(format!("{dir}/{name}.pdf"), &pdf.bytes).expect("writable");
        }
    }
    for doc in samples::all() {
        if let Some(dir) = &out {
            let pdf = render_with(&doc, &fonts).expect("renders");
            std::fs::write(format!("{dir}/{}.pdf", doc.kind()), &pdf.bytes).expect("writable");
        }
    }
}
