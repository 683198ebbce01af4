//! Reading profile files: syntax, layering (deep merge of TOML tables), typed
//! deserialization, and finding the file, key and line of every error.
//!
//! The merged table of a county profile is written back to TOML text and deserialized from
//! that text, so serde errors carry a span; the span gives the key path in the merged
//! document, and the key path gives the line in the county's own file.

use std::collections::BTreeMap;

use toml::de::{DeTable, DeValue};
use toml::{Spanned, Table, Value};

use super::{BUILTIN, EffectiveProfile, ProfileError, ProfileWarning, serde_util, validate};

/// Header keys belong to one file and are never inherited from the profile it extends.
const HEADER_KEYS: [&str; 5] = ["id", "name", "extends", "applies_to", "plan"];

/// One segment of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

/// `programs.linshi.delegation.phases[1].from`.
pub(super) fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// The inverse of [`path_string`] for the keys of the profile format (no dots or brackets
/// inside a key).
pub(super) fn parse_path(s: &str) -> Vec<Seg> {
    let mut path = Vec::new();
    for part in s.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            path.push(Seg::Key(rest[..open].to_string()));
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(close) = stripped.find(']') else {
                    break;
                };
                if let Ok(i) = stripped[..close].parse() {
                    path.push(Seg::Index(i));
                }
                rest = &stripped[close + 1..];
            }
        } else {
            path.push(Seg::Key(rest.to_string()));
        }
    }
    path
}

fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn find_key<'a, 'i>(
    table: &'a DeTable<'i>,
    key: &str,
) -> Option<(usize, &'a Spanned<DeValue<'i>>)> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(k, v)| (k.span().start, v))
}

/// The line where `path` (or its longest prefix present in the file) is written.
pub(super) fn line_of_path(text: &str, path: &[Seg]) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let mut best = None;
    let mut value: Option<&Spanned<DeValue<'_>>> = None;
    for seg in path {
        let next = match (seg, value.map(|v| v.get_ref())) {
            (Seg::Key(k), None) => find_key(doc.get_ref(), k),
            (Seg::Key(k), Some(DeValue::Table(t))) => find_key(t, k),
            (Seg::Index(i), Some(DeValue::Array(a))) => a.get(*i).map(|v| (v.span().start, v)),
            _ => None,
        };
        match next {
            Some((offset, v)) => {
                best = Some(offset);
                value = Some(v);
            }
            None => break,
        }
    }
    best.map(|offset| line_at(text, offset))
}

/// The key path of the deepest key or scalar whose span contains `pos`.
fn exact_path_at(table: &DeTable<'_>, pos: usize, path: &mut Vec<Seg>) -> bool {
    for (k, v) in table.iter() {
        path.push(Seg::Key(k.get_ref().to_string()));
        if k.span().contains(&pos) || exact_value_at(v, pos, path) {
            return true;
        }
        path.pop();
    }
    false
}

fn exact_value_at(v: &Spanned<DeValue<'_>>, pos: usize, path: &mut Vec<Seg>) -> bool {
    match v.get_ref() {
        DeValue::Table(t) => exact_path_at(t, pos, path),
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                let inner = match item.get_ref() {
                    DeValue::Table(_) | DeValue::Array(_) => exact_value_at(item, pos, path),
                    _ => item.span().contains(&pos),
                };
                if inner {
                    return true;
                }
                path.pop();
            }
            false
        }
        _ => v.span().contains(&pos),
    }
}

/// The key path of the deepest table or array whose span contains `pos`.
fn enclosing_path_at(table: &DeTable<'_>, pos: usize, path: &mut Vec<Seg>, best: &mut Vec<Seg>) {
    for (k, v) in table.iter() {
        path.push(Seg::Key(k.get_ref().to_string()));
        enclosing_value_at(v, pos, path, best);
        path.pop();
    }
}

fn enclosing_value_at(
    v: &Spanned<DeValue<'_>>,
    pos: usize,
    path: &mut Vec<Seg>,
    best: &mut Vec<Seg>,
) {
    if v.span().contains(&pos) && path.len() > best.len() {
        *best = path.clone();
    }
    match v.get_ref() {
        DeValue::Table(t) => enclosing_path_at(t, pos, path, best),
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                enclosing_value_at(item, pos, path, best);
                path.pop();
            }
        }
        _ => {}
    }
}

fn path_at(text: &str, pos: usize) -> Vec<Seg> {
    let Ok(doc) = DeTable::parse(text) else {
        return Vec::new();
    };
    let mut path = Vec::new();
    if exact_path_at(doc.get_ref(), pos, &mut path) {
        return path;
    }
    let mut best = Vec::new();
    enclosing_path_at(doc.get_ref(), pos, &mut Vec::new(), &mut best);
    best
}

/// An error at `key` (a dotted path) of `file`, with the line where the key is written.
pub(super) fn error_at(
    file: &str,
    text: &str,
    key: &str,
    reason: impl Into<String>,
) -> ProfileError {
    ProfileError {
        file: file.to_string(),
        line: line_of_path(text, &parse_path(key)),
        key: key.to_string(),
        reason: reason.into(),
    }
}

/// One line for a message that toml may spread over several.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

fn syntax_error(file: &str, text: &str, e: &toml::de::Error) -> ProfileError {
    ProfileError {
        file: file.to_string(),
        line: e.span().map(|s| line_at(text, s.start)),
        key: String::new(),
        reason: format!("TOML syntax error: {}", one_line(e.message())),
    }
}

/// A file, parsed, with its header.
struct Parsed<'a> {
    file: &'a str,
    text: &'a str,
    table: Table,
    id: String,
    extends: Option<String>,
}

fn header_string(
    p: (&str, &str),
    table: &Table,
    key: &str,
) -> Result<Option<String>, ProfileError> {
    match table.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(error_at(
            p.0,
            p.1,
            key,
            format!("must be a string, found {}", other.type_str()),
        )),
    }
}

fn parse<'a>(file: &'a str, text: &'a str) -> Result<Parsed<'a>, ProfileError> {
    let table: Table = toml::from_str(text).map_err(|e| syntax_error(file, text, &e))?;
    let id = header_string((file, text), &table, "id")?.ok_or_else(|| {
        error_at(
            file,
            text,
            "id",
            "missing: every profile names itself, e.g. id = \"511526-gongxian\"",
        )
    })?;
    let extends = header_string((file, text), &table, "extends")?;
    Ok(Parsed {
        file,
        text,
        table,
        id,
        extends,
    })
}

/// Tables merge key by key; anything else (scalars, arrays) replaces.
fn deep_merge(base: &mut Table, over: Table) {
    for (k, v) in over {
        match v {
            Value::Table(o) => match base.get_mut(&k) {
                Some(Value::Table(b)) => deep_merge(b, o),
                _ => {
                    base.insert(k, Value::Table(o));
                }
            },
            other => {
                base.insert(k, other);
            }
        }
    }
}

type Merged = Option<(Table, Vec<String>)>;

fn resolve(
    i: usize,
    parsed: &[Parsed<'_>],
    merged: &mut [Merged],
    stack: &mut Vec<usize>,
) -> Result<(), ProfileError> {
    if merged[i].is_some() {
        return Ok(());
    }
    let p = &parsed[i];
    if stack.contains(&i) {
        let chain: Vec<&str> = stack.iter().map(|&j| parsed[j].id.as_str()).collect();
        return Err(error_at(
            p.file,
            p.text,
            "extends",
            format!("`extends` forms a cycle: {} → {}", chain.join(" → "), p.id),
        ));
    }
    stack.push(i);
    let result = match &p.extends {
        None => (p.table.clone(), vec![p.file.to_string()]),
        Some(parent) => {
            let Some(j) = parsed.iter().position(|q| &q.id == parent) else {
                let loaded: Vec<&str> = parsed.iter().map(|q| q.id.as_str()).collect();
                return Err(error_at(
                    p.file,
                    p.text,
                    "extends",
                    format!(
                        "no profile `{parent}` is loaded (loaded: {}); a county profile extends \"national\"",
                        loaded.join(", ")
                    ),
                ));
            };
            resolve(j, parsed, merged, stack)?;
            let Some((base, files)) = &merged[j] else {
                return Err(error_at(
                    p.file,
                    p.text,
                    "extends",
                    format!("profile `{parent}` could not be resolved"),
                ));
            };
            let mut table = base.clone();
            for key in HEADER_KEYS {
                table.remove(key);
            }
            deep_merge(&mut table, p.table.clone());
            let mut files = files.clone();
            files.push(p.file.to_string());
            (table, files)
        }
    };
    stack.pop();
    merged[i] = Some(result);
    Ok(())
}

/// The field named in serde's "missing field `x`".
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

fn deserialize(p: &Parsed<'_>, merged: &Table) -> Result<EffectiveProfile, ProfileError> {
    let text = toml::to_string(merged).map_err(|e| ProfileError {
        file: p.file.to_string(),
        line: None,
        key: String::new(),
        reason: format!("cannot merge with the base profile: {e}"),
    })?;
    toml::from_str::<EffectiveProfile>(&text).map_err(|e| {
        // The document itself has the empty span 0..0.
        let mut path = match e.span() {
            Some(span) if !span.is_empty() => path_at(&text, span.start),
            _ => Vec::new(),
        };
        let mut message = e.message();
        if let Some((index, rest)) = serde_util::split_item(message) {
            path.push(Seg::Index(index));
            message = rest;
        }
        if let Some(field) = missing_field(message) {
            path.push(Seg::Key(field.to_string()));
        }
        ProfileError {
            file: p.file.to_string(),
            line: line_of_path(p.text, &path),
            key: path_string(&path),
            reason: one_line(message),
        }
    })
}

pub(super) fn load(
    sources: &[(&str, &str)],
) -> Result<(Vec<EffectiveProfile>, Vec<ProfileWarning>), ProfileError> {
    let mut parsed: Vec<Parsed<'_>> = Vec::with_capacity(sources.len());
    for &(file, text) in sources {
        let p = parse(file, text)?;
        if let Some(other) = parsed.iter().find(|q| q.id == p.id) {
            return Err(error_at(
                file,
                text,
                "id",
                format!(
                    "profile `{}` is already defined in {}; ids must be unique",
                    p.id, other.file
                ),
            ));
        }
        parsed.push(p);
    }

    let mut merged: Vec<Merged> = vec![None; parsed.len()];
    for i in 0..parsed.len() {
        resolve(i, &parsed, &mut merged, &mut Vec::new())?;
    }

    let mut profiles = Vec::with_capacity(parsed.len());
    let mut warnings = Vec::new();
    for (p, m) in parsed.iter().zip(merged) {
        let Some((table, files)) = m else {
            return Err(error_at(
                p.file,
                p.text,
                "extends",
                "profile could not be resolved",
            ));
        };
        let mut profile = deserialize(p, &table)?;
        profile.files = files;
        validate::validate(&profile, p.file, p.text)?;
        warnings.extend(validate::warnings(&profile, p.file));
        profiles.push(profile);
    }

    // One profile per county.
    let mut seen: BTreeMap<String, (&str, &str)> = BTreeMap::new();
    for (profile, p) in profiles.iter().zip(&parsed) {
        for (j, county) in profile.applies_to.iter().enumerate() {
            if let Some((other_id, other_file)) =
                seen.insert(county.to_string(), (&profile.id, p.file))
            {
                return Err(error_at(
                    p.file,
                    p.text,
                    &format!("applies_to[{j}]"),
                    format!(
                        "county {county} is already governed by profile `{other_id}` ({other_file}); a county has one profile"
                    ),
                ));
            }
        }
    }
    Ok((profiles, warnings))
}

/// Checks one file together with the built-in profiles it extends (a built-in profile of
/// the same id is replaced by the file).
pub(super) fn check_file(
    file: &str,
    text: &str,
) -> Result<(EffectiveProfile, Vec<ProfileWarning>), ProfileError> {
    let own = parse(file, text)?;
    let builtin = BUILTIN
        .iter()
        .map(|&(f, t)| parse(f, t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut chain: Vec<(&str, &str)> = Vec::new();
    let mut next = own.extends.clone();
    while let Some(id) = next.take() {
        if id == own.id {
            break; // a cycle through the file itself: `load` reports it
        }
        let Some(b) = builtin
            .iter()
            .find(|b| b.id == id && !chain.iter().any(|(f, _)| *f == b.file))
        else {
            break; // unknown: `load` reports it with the list of loaded profiles
        };
        chain.push((b.file, b.text));
        next = b.extends.clone();
    }
    chain.reverse();
    chain.push((file, text));
    let (profiles, warnings) = load(&chain)?;
    let profile = profiles
        .into_iter()
        .find(|p| p.id == own.id)
        .ok_or_else(|| error_at(file, text, "id", "profile was not loaded"))?;
    let warnings = warnings.into_iter().filter(|w| w.file == file).collect();
    Ok((profile, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        let s = "programs.linshi.delegation.phases[1].townships[0]";
        assert_eq!(path_string(&parse_path(s)), s);
        assert_eq!(
            parse_path("applies_to[2]"),
            vec![Seg::Key("applies_to".into()), Seg::Index(2)]
        );
    }

    #[test]
    fn merge_is_deep_and_arrays_replace() {
        let mut base: Table = toml::from_str("[a]\nx = 1\ny = [1, 2]\n[a.b]\nz = 1\n").unwrap();
        let over: Table = toml::from_str("[a]\ny = [3]\n[a.b]\nw = 2\n").unwrap();
        deep_merge(&mut base, over);
        let expected: Table = toml::from_str("[a]\nx = 1\ny = [3]\n[a.b]\nz = 1\nw = 2\n").unwrap();
        assert_eq!(base, expected);
    }

    #[test]
    fn lines_of_keys() {
        let text =
            "id = \"x\"\n\n[programs.linshi.delegation]\ndelegated = true\ncap_yuan = \"0\"\n";
        assert_eq!(
            line_of_path(text, &parse_path("programs.linshi.delegation.cap_yuan")),
            Some(5)
        );
        // Longest present prefix.
        assert_eq!(
            line_of_path(text, &parse_path("programs.linshi.delegation.phases")),
            Some(3)
        );
        assert_eq!(line_of_path(text, &parse_path("nothing")), None);
    }
}
