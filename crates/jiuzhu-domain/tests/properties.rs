//! Property tests of the value types: identity numbers, division codes, amounts, names.

use chrono::{Days, NaiveDate};
use jiuzhu_domain::id_number::check_character;
use jiuzhu_domain::{DivisionCode, DivisionLevel, Fen, IdNumber, PersonName, Sex};
use proptest::prelude::*;

// ---------------------------------------------------------------- identity numbers

fn birth_date() -> impl Strategy<Value = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
    let last = NaiveDate::from_ymd_opt(2099, 12, 31).expect("valid date");
    let span = (last - first).num_days() as u64;
    (0..=span).prop_map(move |d| first + Days::new(d))
}

/// A generated valid identity number and the parts it was built from.
fn id_parts() -> impl Strategy<Value = (String, NaiveDate, u16)> {
    ("[0-9]{6}", birth_date(), 0u16..=999)
}

fn valid_id() -> impl Strategy<Value = IdNumber> {
    id_parts().prop_map(|(region, birth, seq)| {
        IdNumber::from_parts(&region, birth, seq).expect("generated parts are valid")
    })
}

/// What `IdNumber::parse` should say about a string over `[0-9X]`, computed independently.
fn id_oracle(s: &str) -> bool {
    let first17 = &s[..17];
    let Some(check) = check_character(first17) else {
        return false;
    };
    let year: i32 = s[6..10].parse().unwrap_or(0);
    let month: u32 = s[10..12].parse().unwrap_or(0);
    let day: u32 = s[12..14].parse().unwrap_or(0);
    year >= 1900 && NaiveDate::from_ymd_opt(year, month, day).is_some() && s.ends_with(check)
}

proptest! {
    #[test]
    fn generated_ids_parse_back((region, birth, seq) in id_parts()) {
        let id = IdNumber::from_parts(&region, birth, seq).expect("generated parts are valid");
        let reparsed = IdNumber::parse(id.as_str());
        prop_assert_eq!(reparsed.as_ref(), Ok(&id));
        prop_assert_eq!(id.birth_date(), birth);
        prop_assert_eq!(id.sex(), if seq % 2 == 1 { Sex::Male } else { Sex::Female });
        prop_assert_eq!(id.region_code(), region.as_str());
        prop_assert_eq!(&id.as_str()[14..17], format!("{seq:03}"));
        // A lowercase check character is the same number.
        prop_assert_eq!(IdNumber::parse(&id.as_str().to_ascii_lowercase()), Ok(id.clone()));
    }

    #[test]
    fn every_single_substitution_is_rejected(id in valid_id(), position in 0usize..17, delta in 1u8..=9) {
        let mut bytes = id.as_str().as_bytes().to_vec();
        bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
        let altered = String::from_utf8(bytes).expect("ASCII");
        prop_assert!(IdNumber::parse(&altered).is_err());
    }

    #[test]
    fn random_strings_parse_iff_valid(s in "[0-9X]{18}") {
        prop_assert_eq!(IdNumber::parse(&s).is_ok(), id_oracle(&s));
    }

    #[test]
    fn plausible_strings_parse_iff_check_matches(
        (region, birth, seq) in id_parts(),
        check in prop::sample::select("0123456789X".chars().collect::<Vec<_>>()),
    ) {
        let first17 = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
        let s = format!("{first17}{check}");
        let expected = check_character(&first17) == Some(check);
        prop_assert_eq!(IdNumber::parse(&s).is_ok(), expected);
        prop_assert_eq!(id_oracle(&s), expected);
    }

    #[test]
    fn masked_ids_show_only_both_ends(id in valid_id()) {
        let full = id.as_str();
        for shown in [id.masked(), id.to_string()] {
            prop_assert_eq!(shown.chars().count(), 18);
            prop_assert_eq!(&shown[..4], &full[..4]);
            prop_assert_eq!(&shown[14..], &full[14..]);
            prop_assert_eq!(&shown[4..14], "**********");
        }
        let debug = format!("{id:?}");
        prop_assert!(!debug.contains(&full[4..14]));
    }
}

// ---------------------------------------------------------------- names

fn han_name() -> impl Strategy<Value = (String, String)> {
    let surnames = vec![
        "张", "王", "李", "赵", "刘", "陈", "欧阳", "诸葛", "司马", "上官", "慕容",
    ];
    (prop::sample::select(surnames), "[\u{4e00}-\u{9fa5}]{1,3}")
        .prop_map(|(surname, given)| (surname.to_string(), format!("{surname}{given}")))
}

fn any_name() -> impl Strategy<Value = String> {
    prop_oneof![
        han_name().prop_map(|(_, name)| name),
        "[\u{4e00}-\u{9fa5}]{1,4}(·[\u{4e00}-\u{9fa5}]{1,4}){1,2}",
        "[A-Za-z]{1,8}( [A-Za-z]{1,8}){0,2}",
        "[\u{3400}-\u{4dbf}\u{20000}-\u{2a6df}]{1,4}",
    ]
}

proptest! {
    #[test]
    fn han_surnames_are_recognised((surname, full) in han_name()) {
        let name = PersonName::parse(&full).expect("generated name is valid");
        prop_assert_eq!(name.surname(), surname.as_str());
        prop_assert!(name.masked().starts_with(&surname));
    }

    #[test]
    fn masked_names_keep_shape_and_hide_the_rest(raw in any_name()) {
        let name = PersonName::parse(&raw).expect("generated name is valid");
        prop_assert_eq!(name.as_str(), raw.as_str());
        let masked = name.masked();
        let original: Vec<char> = name.as_str().chars().collect();
        let shown: Vec<char> = masked.chars().collect();
        prop_assert_eq!(shown.len(), original.len());
        let letters = original.iter().filter(|c| **c != '·' && **c != ' ').count();
        let kept = if letters > 1 { name.surname().chars().count() } else { 0 };
        if letters > 1 {
            prop_assert!(masked.starts_with(name.surname()));
        }
        for (i, (o, m)) in original.iter().zip(&shown).enumerate() {
            if i < kept || *o == '·' || *o == ' ' {
                prop_assert_eq!(o, m);
            } else {
                prop_assert_eq!(*m, '*');
            }
        }
        let debug = format!("{name:?}");
        prop_assert_eq!(debug, format!("PersonName({masked:?})"));
    }
}

// ---------------------------------------------------------------- money

proptest! {
    #[test]
    fn display_parses_back(n in any::<i64>()) {
        let fen = Fen::new(n);
        prop_assert_eq!(Fen::parse_yuan(&fen.to_string()), Ok(fen));
        prop_assert_eq!(Fen::parse_yuan(&fen.format_grouped()), Ok(fen));
        prop_assert_eq!(fen.format_grouped().replace(',', ""), fen.to_string());
    }

    #[test]
    fn display_has_two_decimals(n in -10_000_000_000i64..10_000_000_000) {
        let shown = Fen::new(n).to_string();
        let (int, frac) = shown.split_once('.').expect("a decimal point");
        prop_assert_eq!(frac.len(), 2);
        let whole: i64 = int.parse().expect("integer yuan");
        prop_assert_eq!(whole, n / 100);
    }

    #[test]
    fn checked_sum_matches_wide_sum(amounts in prop::collection::vec(any::<i64>(), 0..8)) {
        // The running total is checked at every step, as a payroll adds line by line.
        let mut total: i128 = 0;
        let mut fits = true;
        for a in &amounts {
            total += i128::from(*a);
            fits &= i64::try_from(total).is_ok();
        }
        let checked = Fen::checked_sum(amounts.iter().copied().map(Fen::new));
        prop_assert_eq!(checked.map(|f| i128::from(f.fen())), fits.then_some(total));
    }
}

// ---------------------------------------------------------------- division codes

fn province() -> impl Strategy<Value = u16> {
    (1u16..=8, 1u16..=9)
        .prop_map(|(a, b)| a * 10 + b)
        .prop_filter("province ≤ 82", |p| *p <= 82)
}

/// Valid canonical codes at every level, including townships of prefecture-level cities
/// without counties (county part 00).
fn code_string() -> impl Strategy<Value = String> {
    (
        province(),
        0u8..5,
        1u16..=99,
        0u16..=99,
        1u16..=599,
        1u16..=599,
    )
        .prop_map(|(pp, level, cc, dd, ttt, vvv)| match level {
            0 => format!("{pp:02}0000"),
            1 => format!("{pp:02}{cc:02}00"),
            2 => format!("{pp:02}{cc:02}{:02}", dd.max(1)),
            3 => format!("{pp:02}{cc:02}{dd:02}{ttt:03}000"),
            _ => format!("{pp:02}{cc:02}{dd:02}{ttt:03}{vvv:03}"),
        })
}

fn code() -> impl Strategy<Value = DivisionCode> {
    code_string().prop_map(|s| DivisionCode::parse(&s).expect("generated code is valid"))
}

/// Codes from a few values per part, so that related pairs are frequent.
fn nearby_code() -> impl Strategy<Value = DivisionCode> {
    let part = |values: Vec<u16>| prop::sample::select(values);
    (
        part(vec![37, 64]),
        0u8..5,
        part(vec![1, 9]),
        part(vec![0, 2, 81]),
        part(vec![1, 101]),
        part(vec![1, 201]),
    )
        .prop_map(|(pp, level, cc, dd, ttt, vvv)| {
            let s = match level {
                0 => format!("{pp:02}0000"),
                1 => format!("{pp:02}{cc:02}00"),
                2 => format!("{pp:02}{cc:02}{:02}", dd.max(1)),
                3 => format!("{pp:02}{cc:02}{dd:02}{ttt:03}000"),
                _ => format!("{pp:02}{cc:02}{dd:02}{ttt:03}{vvv:03}"),
            };
            DivisionCode::parse(&s).expect("generated code is valid")
        })
}

/// The code itself and all its ancestors, from the code up to the province.
fn chain(code: &DivisionCode) -> Vec<DivisionCode> {
    std::iter::successors(Some(code.clone()), DivisionCode::parent).collect()
}

proptest! {
    #[test]
    fn division_codes_roundtrip(s in code_string()) {
        let code = DivisionCode::parse(&s).expect("generated code is valid");
        prop_assert_eq!(code.to_string(), s.clone());
        prop_assert_eq!(code.as_str(), s.as_str());
        let shown = format!("{code}");
        prop_assert_eq!(DivisionCode::parse(&shown), Ok(code.clone()));
        if s.len() == 6 {
            // The 12-digit spelling of a 6-digit code is the same place.
            prop_assert_eq!(DivisionCode::parse(&format!("{s}000000")), Ok(code));
        }
    }

    #[test]
    fn parent_is_valid_higher_and_contains(code in code()) {
        match code.parent() {
            None => prop_assert_eq!(code.level(), DivisionLevel::Province),
            Some(parent) => {
                prop_assert_eq!(DivisionCode::parse(parent.as_str()), Ok(parent.clone()));
                prop_assert!(parent.level() < code.level());
                prop_assert!(parent.level().is_above(code.level()));
                prop_assert!(parent.contains(&code));
                prop_assert!(!code.contains(&parent));
                prop_assert_eq!(parent.county_prefix() == code.county_prefix(),
                    code.level() >= DivisionLevel::Township);
            }
        }
    }

    #[test]
    fn chains_end_at_the_province(code in code()) {
        let chain = chain(&code);
        prop_assert!(chain.len() <= 5);
        prop_assert_eq!(chain.last().map(DivisionCode::level), Some(DivisionLevel::Province));
        for (i, a) in chain.iter().enumerate() {
            prop_assert!(a.contains(a));
            for b in &chain[i..] {
                // Every ancestor contains every descendant on the chain.
                prop_assert!(b.contains(a));
                for c in &chain[..=i] {
                    // Transitivity: b ⊇ a and a ⊇ c give b ⊇ c.
                    prop_assert!(b.contains(c));
                }
            }
        }
        if let Some(county) = code.county() {
            prop_assert!(county.contains(&code));
            prop_assert!(chain.contains(&county));
            prop_assert_eq!(county.as_str(), code.county_prefix());
        }
        prop_assert!(code.as_str().starts_with(code.scope_prefix()));
    }

    #[test]
    fn contains_means_ancestor_or_self(a in nearby_code(), b in nearby_code()) {
        prop_assert_eq!(a.contains(&b), chain(&b).contains(&a));
    }

    #[test]
    fn township_kind_only_below_county(code in code()) {
        prop_assert_eq!(
            code.township_kind().is_some(),
            code.level() >= DivisionLevel::Township
        );
    }
}
