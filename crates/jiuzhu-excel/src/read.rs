//! Reading an uploaded file into rows of text.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

/// Why a file could not be read as a table at all (the report's row 0). Chinese messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("文件为空")]
    Empty,
    #[error("文件不是电子表格：请上传 .xlsx 或 .csv 文件（可从本页下载模板）")]
    NotASpreadsheet,
    #[error("这是旧版 Excel（.xls）文件：请在 Excel 中“另存为” .xlsx 后再上传")]
    OldExcel,
    #[error("无法读取 Excel 文件：{0}。请确认文件未损坏，或另存为 .xlsx 后再上传")]
    BadXlsx(String),
    #[error("Excel 文件中没有工作表")]
    NoSheet,
    #[error("CSV 文件的编码无法识别：请另存为“CSV UTF-8（逗号分隔）”后再上传")]
    Encoding,
    #[error("CSV 文件第{row}行无法读取：{reason}")]
    BadCsv { row: u64, reason: String },
}

/// The rows of the first sheet as text, each with its row number in the spreadsheet
/// (1-based, as Excel shows it). Blank rows are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub rows: Vec<(u32, Vec<String>)>,
    /// The CSV was not UTF-8 and was decoded as GB18030 (GBK).
    pub decoded_gbk: bool,
}

/// Reads `.xlsx` (recognized by its content, a ZIP container) or `.csv`.
pub fn read(bytes: &[u8]) -> Result<Table, FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(FileError::OldExcel);
    }
    read_csv(bytes)
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, FileError> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsxError::Zip(_) => FileError::NotASpreadsheet,
        calamine::XlsxError::FileNotFound(_) => FileError::NotASpreadsheet,
        other => FileError::BadXlsx(other.to_string()),
    })?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(FileError::NoSheet)?
        .map_err(|e| FileError::BadXlsx(e.to_string()))?;
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::with_capacity(range.height());
    for (i, row) in range.rows().enumerate() {
        // Columns before the range's start are empty: keep positions as in the sheet.
        let mut cells: Vec<String> = vec![String::new(); first_col as usize];
        cells.extend(row.iter().map(cell_text));
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let number = first_row.saturating_add(i as u32).saturating_add(1);
        rows.push((number, cells));
    }
    Ok(Table {
        rows,
        decoded_gbk: false,
    })
}

/// A cell as text. Numbers that are whole print without a decimal point (a village code
/// typed as a number); an 18-digit ID number stored as a number has lost its last digits
/// already, the ID check reports it.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
        #[allow(unreachable_patterns)]
        _ => String::new(),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, FileError> {
    // Control characters other than tab and line breaks do not occur in a text table: this
    // is a binary file (a PDF, an image, a Word document …).
    if bytes
        .iter()
        .any(|&b| b < 0x09 || b == 0x0B || b == 0x0C || (0x0E..0x20).contains(&b))
    {
        return Err(FileError::NotASpreadsheet);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (text, decoded_gbk) = match std::str::from_utf8(bytes) {
        Ok(s) => (std::borrow::Cow::Borrowed(s), false),
        Err(_) => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                return Err(FileError::Encoding);
            }
            (text, true)
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    // The csv reader skips blank lines without counting them: count line breaks up to each
    // record's start ourselves, so that row numbers are the ones an editor shows.
    let (mut counted_to, mut line) = (0_usize, 1_u64);
    let data = text.as_bytes();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let start = record
                    .position()
                    .map_or(counted_to, |p| {
                        usize::try_from(p.byte()).unwrap_or(counted_to)
                    })
                    .clamp(counted_to, data.len());
                // The position may be that of the blank lines skipped before the record.
                let start = start
                    + data[start..]
                        .iter()
                        .take_while(|&&b| b == b'\n' || b == b'\r')
                        .count();
                line += data[counted_to..start]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count() as u64;
                counted_to = start;
                if record.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let number = u32::try_from(line).unwrap_or(u32::MAX);
                rows.push((number, record.iter().map(str::to_string).collect()));
            }
            Err(e) => {
                let row = e.position().map_or(0, |p| p.line());
                return Err(FileError::BadCsv {
                    row,
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(Table { rows, decoded_gbk })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_files_are_not_spreadsheets() {
        assert_eq!(
            read(b"%PDF-1.7\n\x00\x01\x02"),
            Err(FileError::NotASpreadsheet)
        );
        assert_eq!(
            read(b"\x89PNG\r\n\x1a\n\0\0"),
            Err(FileError::NotASpreadsheet)
        );
        assert_eq!(read(b"PK\x03\x04garbage"), Err(FileError::NotASpreadsheet));
        assert_eq!(read(b""), Err(FileError::Empty));
    }

    #[test]
    fn csv_with_bom_and_gbk() {
        let t = read("\u{feff}a,b\n\n1,2\n".as_bytes()).unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0], (1, vec!["a".into(), "b".into()]));
        assert_eq!(t.rows[1].0, 3, "the blank line keeps its number");
        let (gbk, _, _) = encoding_rs::GBK.encode("家庭编号,姓名\n1,王某\n");
        let t = read(&gbk).unwrap();
        assert!(t.decoded_gbk);
        assert_eq!(t.rows[0].1[0], "家庭编号");
    }
}
