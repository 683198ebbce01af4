//! Building typst markup safely.
//!
//! Template text is written by us; user text (names, reasons, addresses, authority names)
//! only ever enters the markup as a typst *string literal*, `#("…");`, never as markup.
//! Inside a string literal only `\` and `"` mean anything, and both are escaped, so a name
//! or reason containing `#`, `*`, `$`, `[`, `]`, `_`, `@`, `<`, `` ` `` or `//` is printed as
//! written. The trailing `;` ends the embedded expression, so whatever template text follows
//! (`.`, `(`, `[`) cannot continue it as a method call or argument.
//!
//! Every user text is also recorded with the name of its field, so that the glyph check can
//! say which field holds a character no font has.

use chrono::{Datelike, NaiveDate};

/// Markup under construction plus the user texts it contains.
#[derive(Default)]
pub(crate) struct Markup {
    pub(crate) src: String,
    pub(crate) fields: Vec<(String, String)>,
}

impl Markup {
    /// Appends template markup, written by us (never user text).
    pub(crate) fn raw(&mut self, s: &str) -> &mut Self {
        self.src.push_str(s);
        self
    }

    /// Appends user text as a string literal, recording it under `field`.
    pub(crate) fn text(&mut self, field: impl Into<String>, value: &str) -> &mut Self {
        self.src.push_str("#(");
        self.src.push_str(&string_literal(value));
        self.src.push_str(");");
        self.fields.push((field.into(), value.to_string()));
        self
    }

    /// Appends text that we produced from typed values (amounts, dates, counts, program
    /// names): still a string literal, but not a user field.
    pub(crate) fn value(&mut self, value: &str) -> &mut Self {
        self.src.push_str("#(");
        self.src.push_str(&string_literal(value));
        self.src.push_str(");");
        self
    }
}

/// A typst string literal holding exactly `s`: `\` and `"` escaped, line breaks and other
/// control characters turned into spaces (a document field is one line of text).
pub(crate) fn string_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A date as official documents write it (GB/T 9704: Arabic numerals, no leading zeros):
/// `2026年5月8日`.
pub(crate) fn date_zh(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// A month as `2026年5月`.
pub(crate) fn month_zh(d: NaiveDate) -> String {
    format!("{}年{}月", d.year(), d.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_escapes_backslash_and_quote_only() {
        assert_eq!(string_literal(r#"a\b"c"#), r#""a\\b\"c""#);
        assert_eq!(string_literal("#*$[]@<"), "\"#*$[]@<\"");
        assert_eq!(string_literal("一\n二\t三"), "\"一 二 三\"");
    }

    #[test]
    fn dates_have_no_leading_zeros() {
        let d = NaiveDate::from_ymd_opt(2026, 5, 8).unwrap();
        assert_eq!(date_zh(d), "2026年5月8日");
        assert_eq!(month_zh(d), "2026年5月");
    }
}
