//! 批量导入 the household import: what a parsed file hands to
//! [`crate::Store::import_households`] and the row-by-row report it gets back.
//!
//! Reading the file (xlsx, csv) and the checks that need no database (ID check characters,
//! names, relations, one head per household, duplicates within the file) happen in
//! `jiuzhu-excel`; the store adds what needs the database (the village exists and lies in
//! the importer's jurisdiction, the ID number is not registered yet) and writes the valid
//! households in one transaction, each with the `household.registered` event the single
//! registration writes, plus one `household.import_completed` event for the file.

use serde::{Deserialize, Serialize};

use crate::model::NewHousehold;

/// The column names of the import file (also its header row, in this order).
pub mod column {
    pub const KEY: &str = "家庭编号";
    pub const VILLAGE: &str = "村(社区)代码";
    pub const ADDRESS: &str = "住址";
    pub const NAME: &str = "姓名";
    pub const ID_NUMBER: &str = "身份证号码";
    pub const RELATION: &str = "与户主关系";
    pub const ALL: [&str; 6] = [KEY, VILLAGE, ADDRESS, NAME, ID_NUMBER, RELATION];
}

/// What to do with a file that has errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// 全部正确才导入: any error and nothing is imported.
    #[default]
    AllOrNothing,
    /// 只导入正确的家庭: households with an invalid row are skipped whole.
    ValidOnly,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::AllOrNothing => "all_or_nothing",
            ImportMode::ValidOnly => "valid_only",
        }
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            ImportMode::AllOrNothing => "全部正确才导入",
            ImportMode::ValidOnly => "只导入正确的家庭",
        }
    }
    /// Accepts `all_or_nothing` / `all-or-nothing` / `valid_only` / `valid-only`.
    pub fn parse(s: &str) -> Option<ImportMode> {
        match s.trim().replace('-', "_").as_str() {
            "all_or_nothing" => Some(ImportMode::AllOrNothing),
            "valid_only" => Some(ImportMode::ValidOnly),
            _ => None,
        }
    }
}

/// One problem of the file: the row as the spreadsheet numbers it (the header is row 1),
/// the column's header name (empty for the whole file) and why, in Chinese. Never carries a
/// full ID number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportIssue {
    pub row: u32,
    pub column: String,
    pub reason: String,
}

impl ImportIssue {
    pub fn new(row: u32, column: &str, reason: impl Into<String>) -> Self {
        ImportIssue {
            row,
            column: column.to_string(),
            reason: reason.into(),
        }
    }
}

/// One household of the file whose rows passed the file checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportHousehold {
    /// The file's own household key (家庭编号).
    pub key: String,
    /// The row number of each member, in the order of `household.members`.
    pub rows: Vec<u32>,
    pub household: NewHousehold,
}

/// A parsed file, ready for [`crate::Store::import_households`].
#[derive(Debug, Clone, Default)]
pub struct HouseholdImport {
    /// SHA-256 of the file's bytes (64 lowercase hex digits): the idempotency key is derived
    /// from it and the importing account, so the same file is never imported twice.
    pub sha256: String,
    pub file_name: String,
    pub mode: ImportMode,
    /// Member rows in the file (blank rows not counted).
    pub rows: u32,
    /// Households whose rows all passed the file checks.
    pub households: Vec<ImportHousehold>,
    /// Keys of the households with at least one issue in `issues`.
    pub rejected: Vec<String>,
    /// The file checks' findings, row by row.
    pub issues: Vec<ImportIssue>,
}

impl HouseholdImport {
    /// The idempotency key of importing this file as `actor` (an account imports a file
    /// once; a retry or a re-upload is answered from the first import).
    pub fn idempotency_key(&self, actor: &crate::Actor) -> String {
        let who = actor.audit_name();
        let who = if who.len() <= 40 && who.chars().all(|c| c.is_ascii_graphic()) {
            who
        } else {
            use sha2::Digest;
            hex::encode(&sha2::Sha256::digest(who.as_bytes())[..8])
        };
        format!("import:{who}:{}", self.sha256)
    }
}

/// Where a running import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStage {
    /// Checking villages and ID numbers against the database.
    Checking,
    /// Writing households, members and events.
    Writing,
    /// Committed (or nothing to do).
    Done,
}

/// Progress of an import: `done` of `total` households in `stage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProgress {
    pub stage: ImportStage,
    pub done: u64,
    pub total: u64,
}

/// The answer to an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ImportReport {
    pub sha256: String,
    pub mode: ImportMode,
    pub rows: u32,
    /// Households in the file.
    pub households: u64,
    pub households_imported: u64,
    pub members_imported: u64,
    /// Households not imported (invalid; in all-or-nothing mode with errors: all of them).
    pub households_skipped: u64,
    /// Every problem, sorted by row.
    pub issues: Vec<ImportIssue>,
    /// The ids given to the imported households, first and last (consecutive).
    pub first_household_id: Option<i64>,
    pub last_household_id: Option<i64>,
    /// This account imported the same file before: the first import's counts, nothing new.
    pub replayed: bool,
}

impl ImportReport {
    /// Whether anything was written by this import (or by the one it replays).
    pub fn imported_anything(&self) -> bool {
        self.households_imported > 0
    }
}

/// No-op progress callback.
pub fn no_progress(_: ImportProgress) {}
