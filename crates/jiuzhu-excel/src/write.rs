//! The one `.xlsx` writer of the exports, the import template and the benchmark's files.

use chrono::{Days, NaiveDate, NaiveDateTime};
use jiuzhu_domain::{DivisionCode, Fen, IdNumber};
use jiuzhu_store::import::column;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

/// A column: its header and width (in characters; a Chinese character counts about 2).
#[derive(Debug, Clone)]
pub struct Column {
    pub header: &'static str,
    pub width: f64,
}

impl Column {
    pub const fn new(header: &'static str, width: f64) -> Column {
        Column { header, width }
    }
}

/// One cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Yuan(Fen),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}
impl From<Fen> for Cell {
    fn from(f: Fen) -> Cell {
        Cell::Yuan(f)
    }
}
impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Cell {
        Cell::Date(d)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// One worksheet: a Chinese name, the columns and the rows.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new(name: impl Into<String>, columns: Vec<Column>) -> Sheet {
        Sheet {
            name: name.into(),
            columns,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// This sheet alone as an `.xlsx` workbook.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, XlsxError> {
        workbook(std::slice::from_ref(self))
    }
}

/// The sheets as one `.xlsx` workbook: bold, frozen header row with a filter, the column
/// widths, amounts as `#,##0.00` numbers in yuan, dates as `yyyy-mm-dd`.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    for s in sheets {
        add_sheet(&mut book, s)?;
    }
    book.save_to_buffer()
}

impl Sheet {
    fn write_into(&self, book: &mut Workbook) -> Result<(), XlsxError> {
        let header = Format::new()
            .set_bold()
            .set_align(FormatAlign::Center)
            .set_background_color(0xDDEBF7);
        let yuan = Format::new().set_num_format("#,##0.00");
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
        let sheet = book.add_worksheet();
        // Excel's sheet names: at most 31 characters, none of []:*?/\ .
        let name: String = self
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        sheet.set_name(if name.is_empty() {
            "Sheet1".into()
        } else {
            name
        })?;
        for (c, col) in (0_u16..).zip(&self.columns) {
            sheet.set_column_width(c, col.width)?;
            sheet.write_string_with_format(0, c, col.header, &header)?;
        }
        for (r, row) in (1_u32..).zip(&self.rows) {
            for (c, cell) in (0_u16..).zip(row) {
                match cell {
                    Cell::Empty => {}
                    Cell::Text(s) => {
                        sheet.write_string(r, c, s)?;
                    }
                    Cell::Int(n) => {
                        sheet.write_number(r, c, *n as f64)?;
                    }
                    Cell::Yuan(f) => {
                        sheet.write_number_with_format(r, c, f.fen() as f64 / 100.0, &yuan)?;
                    }
                    Cell::Date(d) => {
                        sheet.write_datetime_with_format(r, c, d, &date)?;
                    }
                    Cell::DateTime(d) => {
                        sheet.write_datetime_with_format(r, c, d, &datetime)?;
                    }
                }
            }
        }
        if !self.columns.is_empty() {
            sheet.set_freeze_panes(1, 0)?;
            let last_row = u32::try_from(self.rows.len()).unwrap_or(u32::MAX);
            let last_col = u16::try_from(self.columns.len() - 1).unwrap_or(u16::MAX);
            sheet.autofilter(0, 0, last_row, last_col)?;
        }
        Ok(())
    }
}

fn add_sheet(book: &mut Workbook, s: &Sheet) -> Result<(), XlsxError> {
    s.write_into(book)
}

/// The example rows of the template: one fictitious household of three (valid check
/// characters, a 珙县 village), one of one.
fn example_rows() -> Vec<[String; 6]> {
    let id = |birth: (i32, u32, u32), seq: u16| {
        NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2)
            .and_then(|d| IdNumber::from_parts("511526", d, seq).ok())
            .map(|n| n.as_str().to_string())
            .unwrap_or_default()
    };
    let row = |key: &str, name: &str, id: String, rel: &str| {
        [
            key.to_string(),
            "511526100205".to_string(),
            "鱼竹村3组12号".to_string(),
            name.to_string(),
            id,
            rel.to_string(),
        ]
    };
    vec![
        row("1", "王某明", id((1968, 3, 14), 131), "户主"),
        row("1", "李某芳", id((1970, 7, 2), 242), "配偶"),
        row("1", "王某华", id((1995, 11, 20), 153), "子女"),
        row("2", "陈某英", id((1948, 1, 9), 62), "户主"),
    ]
}

/// The import template: the header row and example rows, ID numbers and codes as text.
pub fn template_xlsx() -> Result<Vec<u8>, XlsxError> {
    let mut sheet = Sheet::new(
        "家庭成员",
        vec![
            Column::new(column::KEY, 10.0),
            Column::new(column::VILLAGE, 16.0),
            Column::new(column::ADDRESS, 28.0),
            Column::new(column::NAME, 12.0),
            Column::new(column::ID_NUMBER, 22.0),
            Column::new(column::RELATION, 12.0),
        ],
    );
    for r in example_rows() {
        sheet.push(r.into_iter().map(Cell::Text).collect());
    }
    sheet.to_xlsx()
}

/// The import template as CSV (UTF-8 with BOM, so that Excel opens it as UTF-8).
pub fn template_csv() -> String {
    let mut s = String::from("\u{feff}");
    s.push_str(&column::ALL.join(","));
    s.push_str("\r\n");
    for r in example_rows() {
        s.push_str(&r.join(","));
        s.push_str("\r\n");
    }
    s
}

const SURNAMES: &[char] = &[
    '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭',
];
const GIVEN: &[char] = &[
    '华', '明', '芳', '军', '英', '平', '强', '兰', '红', '伟', '霞', '杰',
];

/// A valid import file (CSV, UTF-8) of `households` fictitious households over `villages`
/// (12-digit codes of one county), 1–4 members each (2.5 on average), every ID number
/// distinct: birth dates step through the calendar, sequence numbers from `seq_base` up, so
/// two files with different bases never collide. Returns the text and the member count.
pub fn generate_csv(
    households: usize,
    villages: &[DivisionCode],
    seq_base: u16,
) -> (String, usize) {
    let mut out = String::with_capacity(households * 180);
    out.push_str(&column::ALL.join(","));
    out.push('\n');
    let mut members = 0_usize;
    let start = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default();
    let region = villages
        .first()
        .map(|v| v.county_prefix().to_string())
        .unwrap_or_else(|| "511526".to_string());
    // Sequence numbers per birth day: 1000 - seq_base of them, then the next day.
    let per_day = u64::from(1000 - seq_base.min(999));
    let mut serial = 0_u64;
    let mut next_id = || {
        let day = serial / per_day;
        let seq = seq_base + (serial % per_day) as u16;
        serial += 1;
        let birth = start.checked_add_days(Days::new(day)).unwrap_or(start);
        IdNumber::from_parts(&region, birth, seq)
            .map(|n| n.as_str().to_string())
            .unwrap_or_default()
    };
    for h in 0..households {
        let village = villages
            .get(h % villages.len().max(1))
            .map_or("", |v| v.as_str());
        let size = [2, 3, 1, 4][h % 4];
        let surname = SURNAMES[h % SURNAMES.len()];
        for m in 0..size {
            let relation = ["户主", "配偶", "子女", "子女"][m];
            let given = GIVEN[(h / SURNAMES.len() + m) % GIVEN.len()];
            let name = format!("{surname}某{given}");
            let id = next_id();
            out.push_str(&format!(
                "H{h},{village},{}组{}号,{name},{id},{relation}\n",
                h % 12 + 1,
                h % 97 + 1
            ));
            members += 1;
        }
    }
    (out, members)
}
