//! The household import file: header, rows, households, and the checks that need no
//! database.

use std::collections::HashMap;

use jiuzhu_domain::{DivisionCode, DivisionLevel, IdNumber, PersonName, Relation};
use jiuzhu_store::import::column;
use jiuzhu_store::model::check_text;
use jiuzhu_store::{
    HouseholdImport, ImportHousehold, ImportIssue, ImportMode, NewHousehold, NewMember,
};
use sha2::{Digest, Sha256};

use crate::read::{Table, read};

/// Most members a household may have (as [`NewHousehold::check`]).
const MAX_MEMBERS: usize = 30;

/// An ID number as the report may show it: the first 4 and the last 4 characters of what
/// was typed (the same shape as [`IdNumber::masked`]); short input entirely masked.
pub fn mask_id(raw: &str) -> String {
    let chars: Vec<char> = raw.trim().chars().collect();
    if chars.len() < 12 {
        return "*".repeat(chars.len().max(1));
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// Normalizes a header cell: trimmed, full-width parentheses as ASCII ones.
fn header_name(s: &str) -> String {
    s.trim().replace('（', "(").replace('）', ")")
}

/// Reads and checks a file: SHA-256 of the bytes, then [`read`] and [`parse`]. A file that
/// is no table at all, or lacks columns, gives a single issue at row 0 or 1 and no
/// households.
pub fn parse_file(bytes: &[u8], file_name: &str, mode: ImportMode) -> HouseholdImport {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let mut import = match read(bytes) {
        Ok(table) => parse(&table, mode),
        Err(e) => HouseholdImport {
            mode,
            issues: vec![ImportIssue::new(0, "", e.to_string())],
            ..HouseholdImport::default()
        },
    };
    import.sha256 = sha256;
    import.file_name = file_name
        .chars()
        .take(255)
        .filter(|c| !c.is_control())
        .collect();
    import
}

struct Row<'a> {
    number: u32,
    key: &'a str,
    village: Option<DivisionCode>,
    address: &'a str,
    member: Option<NewMember>,
}

/// Checks the rows of a table: the header (every column of [`column::ALL`], extra columns
/// ignored), each row's fields, each household's consistency (one village and address, one
/// head, at most 30 members) and ID numbers repeated within the file.
pub fn parse(table: &Table, mode: ImportMode) -> HouseholdImport {
    let mut import = HouseholdImport {
        mode,
        ..HouseholdImport::default()
    };
    let Some((header_row, header)) = table.rows.first() else {
        import
            .issues
            .push(ImportIssue::new(0, "", "文件中没有任何内容：第1行应为表头"));
        return import;
    };
    let names: Vec<String> = header.iter().map(|h| header_name(h)).collect();
    let mut index = [0usize; 6];
    let mut missing = Vec::new();
    for (slot, want) in index.iter_mut().zip(column::ALL) {
        match names.iter().position(|n| n == want) {
            Some(i) => *slot = i,
            None => missing.push(want),
        }
    }
    if !missing.is_empty() {
        import.issues.push(ImportIssue::new(
            *header_row,
            "",
            format!(
                "表头缺少列：{}（表头须包含：{}；请使用本页提供的模板）",
                missing.join("、"),
                column::ALL.join("、")
            ),
        ));
        return import;
    }
    let [i_key, i_village, i_address, i_name, i_id, i_relation] = index;
    let cell = |cells: &'_ [String], i: usize| -> String {
        cells
            .get(i)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };

    let mut issues: Vec<(Option<String>, ImportIssue)> = Vec::new();
    let mut texts: Vec<(u32, [String; 6])> = Vec::with_capacity(table.rows.len());
    for (number, cells) in &table.rows[1..] {
        texts.push((
            *number,
            [
                cell(cells, i_key),
                cell(cells, i_village),
                cell(cells, i_address),
                cell(cells, i_name),
                cell(cells, i_id),
                cell(cells, i_relation),
            ],
        ));
    }
    import.rows = u32::try_from(texts.len()).unwrap_or(u32::MAX);
    let mut rows: Vec<Row<'_>> = Vec::with_capacity(texts.len());
    for (number, [key, village, address, name, id, relation]) in &texts {
        let number = *number;
        let mut bad = |col: &str, why: String| {
            let k = (!key.is_empty()).then(|| key.clone());
            issues.push((k, ImportIssue::new(number, col, why)));
        };
        if key.is_empty() {
            bad(
                column::KEY,
                "家庭编号为空：同一家庭的成员填写相同的家庭编号".into(),
            );
        }
        let village_code = if village.is_empty() {
            bad(column::VILLAGE, "村(社区)代码为空".into());
            None
        } else {
            match DivisionCode::parse(village) {
                Ok(c) if c.level() == DivisionLevel::Village => Some(c),
                Ok(c) => {
                    bad(
                        column::VILLAGE,
                        format!("{c}不是村(社区)级代码：家庭登记在村(社区)，应为12位代码"),
                    );
                    None
                }
                Err(e) => {
                    bad(column::VILLAGE, format!("区划代码无效：{}", e.message_zh()));
                    None
                }
            }
        };
        if address.is_empty() {
            bad(column::ADDRESS, "住址为空".into());
        } else if check_text("address", address, 200).is_err() {
            bad(column::ADDRESS, "住址超过200个字符或含有控制字符".into());
        }
        let name = match PersonName::parse(name) {
            Ok(n) => Some(n),
            Err(e) => {
                bad(column::NAME, e.message_zh());
                None
            }
        };
        let id_number = match IdNumber::parse(id) {
            Ok(n) => Some(n),
            Err(e) => {
                let shown = if id.is_empty() {
                    "身份证号码为空".to_string()
                } else {
                    format!("{}：{}", mask_id(id), e.message_zh())
                };
                bad(column::ID_NUMBER, shown);
                None
            }
        };
        let relation = match relation.parse::<Relation>() {
            Ok(r) => Some(r),
            Err(_) => {
                let allowed: Vec<&str> = Relation::ALL.iter().map(|r| r.name_zh()).collect();
                let what = if relation.is_empty() {
                    "与户主关系为空".to_string()
                } else {
                    format!(
                        "与户主关系“{}”无法识别",
                        relation.chars().take(20).collect::<String>()
                    )
                };
                bad(
                    column::RELATION,
                    format!("{what}，应为：{}", allowed.join("、")),
                );
                None
            }
        };
        let member = match (name, id_number, relation) {
            (Some(name), Some(id_number), Some(relation)) => Some(NewMember {
                name,
                id_number,
                relation,
            }),
            _ => None,
        };
        rows.push(Row {
            number,
            key,
            village: village_code,
            address,
            member,
        });
    }

    // ID numbers repeated within the file: every row of a repeated number is reported.
    let mut seen: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(m) = &r.member {
            seen.entry(m.id_number.as_str()).or_default().push(i);
        }
    }
    for group in seen.values().filter(|g| g.len() > 1) {
        let numbers: Vec<String> = group.iter().map(|&i| rows[i].number.to_string()).collect();
        for &i in group {
            let r = &rows[i];
            let masked = r
                .member
                .as_ref()
                .map(|m| m.id_number.masked())
                .unwrap_or_default();
            issues.push((
                (!r.key.is_empty()).then(|| r.key.to_string()),
                ImportIssue::new(
                    r.number,
                    column::ID_NUMBER,
                    format!(
                        "身份证号码{masked}在文件中重复出现（第{}行）",
                        numbers.join("、")
                    ),
                ),
            ));
        }
    }

    // Households, in the order of their first row.
    let mut order: Vec<&str> = Vec::new();
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if r.key.is_empty() {
            continue;
        }
        groups
            .entry(r.key)
            .or_insert_with(|| {
                order.push(r.key);
                Vec::new()
            })
            .push(i);
    }
    for key in &order {
        let members = &groups[key];
        let first = &rows[members[0]];
        let mut bad = |row: u32, col: &str, why: String| {
            issues.push((Some(key.to_string()), ImportIssue::new(row, col, why)));
        };
        for &i in &members[1..] {
            let r = &rows[i];
            if r.village.is_some() && first.village.is_some() && r.village != first.village {
                bad(
                    r.number,
                    column::VILLAGE,
                    format!(
                        "同一家庭（家庭编号{key}）的村(社区)代码与第{}行不同",
                        first.number
                    ),
                );
            }
            if r.address != first.address && !r.address.is_empty() {
                bad(
                    r.number,
                    column::ADDRESS,
                    format!("同一家庭（家庭编号{key}）的住址与第{}行不同", first.number),
                );
            }
        }
        let heads: Vec<u32> = members
            .iter()
            .map(|&i| &rows[i])
            .filter(|r| {
                r.member
                    .as_ref()
                    .is_some_and(|m| m.relation == Relation::Head)
            })
            .map(|r| r.number)
            .collect();
        let relations_ok = members.iter().all(|&i| rows[i].member.is_some());
        if heads.is_empty() && relations_ok {
            bad(
                first.number,
                column::RELATION,
                format!("家庭编号{key}没有户主：每户须有且仅有一名“户主”"),
            );
        }
        if heads.len() > 1 {
            let list: Vec<String> = heads.iter().map(u32::to_string).collect();
            for row in &heads {
                bad(
                    *row,
                    column::RELATION,
                    format!(
                        "家庭编号{key}有{}名户主（第{}行）：每户须有且仅有一名户主",
                        heads.len(),
                        list.join("、")
                    ),
                );
            }
        }
        if members.len() > MAX_MEMBERS {
            bad(
                first.number,
                column::KEY,
                format!(
                    "家庭编号{key}有{}名成员，每户最多{MAX_MEMBERS}名",
                    members.len()
                ),
            );
        }
    }

    let rejected: std::collections::HashSet<String> =
        issues.iter().filter_map(|(k, _)| k.clone()).collect();
    for key in &order {
        if rejected.contains(*key) {
            continue;
        }
        let members = &groups[key];
        let first = &rows[members[0]];
        let Some(village) = first.village.clone() else {
            continue;
        };
        import.households.push(ImportHousehold {
            key: key.to_string(),
            rows: members.iter().map(|&i| rows[i].number).collect(),
            household: NewHousehold {
                division: village,
                address: first.address.to_string(),
                members: members
                    .iter()
                    .filter_map(|&i| rows[i].member.clone())
                    .collect(),
                demo: false,
            },
        });
    }
    import.rejected = order
        .iter()
        .filter(|k| rejected.contains(**k))
        .map(|k| k.to_string())
        .collect();
    import.issues = issues.into_iter().map(|(_, i)| i).collect();
    import
        .issues
        .sort_by(|a, b| a.row.cmp(&b.row).then_with(|| a.column.cmp(&b.column)));
    import
}
