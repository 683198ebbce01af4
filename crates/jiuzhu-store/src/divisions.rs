//! 行政区划数据 the jurisdiction tree as a data file (`data/divisions.csv`).
//!
//! Format: UTF-8 CSV with the header `code,name,note`; lines starting with `#` are comments.
//! Parents come before their children; every parent is in the file. The file shipped with
//! jiuzhu is compiled in as [`BUILTIN`] so that a fresh binary needs nothing else, and
//! `jiuzhu migrate --divisions FILE` loads another one.

use std::collections::HashSet;

use jiuzhu_domain::DivisionCode;

use crate::model::Division;

/// The jurisdiction file shipped in the repository.
pub const BUILTIN: &str = include_str!("../../../data/divisions.csv");

/// A problem in a jurisdiction file, with its line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("divisions file line {line}: {reason}")]
pub struct DivisionFileError {
    pub line: u64,
    pub reason: String,
}

/// Parses and checks a jurisdiction file.
pub fn parse(text: &str) -> Result<Vec<Division>, DivisionFileError> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header_ok = reader
        .headers()
        .map(|h| h.iter().collect::<Vec<_>>() == ["code", "name", "note"])
        .unwrap_or(false);
    if !header_ok {
        return Err(DivisionFileError {
            line: 1,
            reason: "the header must be `code,name,note`".to_string(),
        });
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut names: HashSet<(Option<String>, String)> = HashSet::new();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| DivisionFileError {
            line: e.position().map(|p| p.line()).unwrap_or(0),
            reason: e.to_string(),
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let fail = |reason: String| DivisionFileError { line, reason };
        let code = DivisionCode::parse(&record[0]).map_err(|e| fail(e.to_string()))?;
        let name = record[1].to_string();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(fail("name must be 1 to 64 characters".to_string()));
        }
        if !seen.insert(code.to_string()) {
            return Err(fail(format!("code {code} appears twice")));
        }
        let parent = code.parent();
        if let Some(p) = &parent
            && !seen.contains(p.as_str())
        {
            return Err(fail(format!(
                "parent {p} of {code} is missing or comes later in the file"
            )));
        }
        if !names.insert((parent.map(|p| p.to_string()), name.clone())) {
            return Err(fail(format!(
                "name {name} appears twice under the same parent"
            )));
        }
        out.push(Division {
            code,
            name,
            note: record[2].to_string(),
        });
    }
    if out.is_empty() {
        return Err(DivisionFileError {
            line: 1,
            reason: "the file has no divisions".to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_file_is_valid_and_has_the_seed_localities() {
        let rows = parse(BUILTIN).expect("data/divisions.csv must be valid");
        for code in [
            "640181", "650205", "330212", "511526", "370900", "370902", "370911", "370921",
            "370923", "370982", "370983",
        ] {
            assert!(
                rows.iter().any(|d| d.code.as_str() == code),
                "{code} missing"
            );
        }
        let by_name = |n: &str| rows.iter().any(|d| d.name == n);
        for town in [
            "巡场镇",
            "珙泉镇",
            "底洞镇",
            "孝儿镇",
            "沐滩镇",
            "王家镇",
            "柳树街街道",
            "乌尔禾镇",
        ] {
            assert!(by_name(town), "{town} missing");
        }
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("code,name,note\n640000,宁夏,\n640181,灵武市,\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.reason.contains("parent 640100"));
        let e = parse("code,name,note\n64000,宁夏,\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("id,name\n").unwrap_err();
        assert!(e.reason.contains("header"));
        let e = parse("code,name,note\n640000,宁夏,\n640000,宁夏,\n").unwrap_err();
        assert!(e.reason.contains("twice"));
    }
}
