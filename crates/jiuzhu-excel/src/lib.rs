//! Spreadsheets (电子表格): the household import file and the list exports.
//!
//! - [`read`] reads an uploaded file (.xlsx through calamine, first sheet; .csv in UTF-8
//!   with or without BOM, or GBK/GB18030 as Excel saves it on a Chinese Windows) into rows of
//!   text, and [`parse`] checks them into a [`jiuzhu_store::HouseholdImport`] with a
//!   row-by-row report: the store adds the checks that need the database and imports.
//! - [`Sheet`] is the one writer of the `.xlsx` exports: bold header row, column widths,
//!   Chinese sheet names, amounts in yuan as numbers with 2 decimals, dates as dates.
//! - [`template_xlsx`] is the import template the UI offers; [`generate_csv`] makes large
//!   valid files for the import benchmark.
#![forbid(unsafe_code)]

mod parse;
mod read;
mod write;

pub use parse::{mask_id, parse, parse_file};
pub use read::{FileError, Table, read};
pub use write::{Cell, Column, Sheet, generate_csv, template_csv, template_xlsx, workbook};

/// The MIME type of `.xlsx`.
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
