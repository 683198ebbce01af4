//! The working-day calendar against the State Council's notices, and properties of the
//! deadline engine.
//!
//! The expected lists below are written by hand from the notices (国务院办公厅关于…部分节假日
//! 安排的通知), independently of `data/calendar/*.toml`: together they fix the status of
//! every day from 2020-01-01 to 2026-12-31, because a day's status is determined by its
//! weekday, the weekday holidays and the make-up working days.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, Weekday};
use jiuzhu_domain::calendar::{Calendar, CalendarError, YearCalendar};
use jiuzhu_domain::deadline::{Period, due};
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

struct Notice {
    year: i32,
    /// Holidays (放假) that fall on Monday–Friday, as MM-DD.
    weekday_holidays: &'static [&'static str],
    /// Make-up working days (调休上班), as MM-DD.
    makeup: &'static [&'static str],
    /// Every 放假 day in the year's file, weekends included: the sum of the notice's 共N天.
    holiday_days: usize,
    /// Working days in the year (derivation in `working_days_per_year`).
    working_days: u32,
}

const NOTICES: [Notice; 7] = [
    // 国办发明电〔2019〕16号 amended by 国办发明电〔2020〕1号. 元旦 1.1 (Wed); 春节 1.24–1.30,
    // extended to 2.2 (Sun), so Fri 1.24 and Mon 1.27–Fri 1.31 are weekday holidays and the
    // make-up Saturday 2.1 is cancelled; 清明 4.4–4.6 (Sat–Mon); 劳动节 5.1–5.5 (Fri–Tue);
    // 端午 6.25–6.27 (Thu–Sat); 国庆中秋 10.1–10.8 (Thu–Thu).
    // Holiday days: 1 + 10 + 3 + 5 + 3 + 8 = 30.
    Notice {
        year: 2020,
        weekday_holidays: &[
            "01-01", "01-24", "01-27", "01-28", "01-29", "01-30", "01-31", "04-06", "05-01",
            "05-04", "05-05", "06-25", "06-26", "10-01", "10-02", "10-05", "10-06", "10-07",
            "10-08",
        ],
        makeup: &["01-19", "04-26", "05-09", "06-28", "09-27", "10-10"],
        holiday_days: 30,
        working_days: 249,
    },
    // 国办发明电〔2020〕27号. 元旦 1.1–1.3 (Fri–Sun); 春节 2.11–2.17 (Thu–Wed); 清明 4.3–4.5
    // (Sat–Mon); 劳动节 5.1–5.5 (Sat–Wed); 端午 6.12–6.14 (Sat–Mon); 中秋 9.19–9.21 (Sun–Tue);
    // 国庆 10.1–10.7 (Fri–Thu). Holiday days: 3 + 7 + 3 + 5 + 3 + 3 + 7 = 31.
    Notice {
        year: 2021,
        weekday_holidays: &[
            "01-01", "02-11", "02-12", "02-15", "02-16", "02-17", "04-05", "05-03", "05-04",
            "05-05", "06-14", "09-20", "09-21", "10-01", "10-04", "10-05", "10-06", "10-07",
        ],
        makeup: &[
            "02-07", "02-20", "04-25", "05-08", "09-18", "09-26", "10-09",
        ],
        holiday_days: 31,
        working_days: 250,
    },
    // 国办发明电〔2021〕11号. 元旦 1.1–1.3 (Sat–Mon); 春节 1.31–2.6 (Mon–Sun); 清明 4.3–4.5
    // (Sun–Tue); 劳动节 4.30–5.4 (Sat–Wed); 端午 6.3–6.5 (Fri–Sun); 中秋 9.10–9.12 (Sat–Mon);
    // 国庆 10.1–10.7 (Sat–Fri); plus Sat 12.31 from the 2023 notice.
    // Holiday days: 3 + 7 + 3 + 5 + 3 + 3 + 7 + 1 = 32.
    Notice {
        year: 2022,
        weekday_holidays: &[
            "01-03", "01-31", "02-01", "02-02", "02-03", "02-04", "04-04", "04-05", "05-02",
            "05-03", "05-04", "06-03", "09-12", "10-03", "10-04", "10-05", "10-06", "10-07",
        ],
        makeup: &[
            "01-29", "01-30", "04-02", "04-24", "05-07", "10-08", "10-09",
        ],
        holiday_days: 32,
        working_days: 249,
    },
    // 国办发明电〔2022〕16号. 元旦 2022.12.31–2023.1.2 (Sat–Mon; 2 days in 2023); 春节
    // 1.21–1.27 (Sat–Fri); 清明 4.5 (Wed); 劳动节 4.29–5.3 (Sat–Wed); 端午 6.22–6.24
    // (Thu–Sat); 中秋国庆 9.29–10.6 (Fri–Fri). Holiday days: 2 + 7 + 1 + 5 + 3 + 8 = 26.
    Notice {
        year: 2023,
        weekday_holidays: &[
            "01-02", "01-23", "01-24", "01-25", "01-26", "01-27", "04-05", "05-01", "05-02",
            "05-03", "06-22", "06-23", "09-29", "10-02", "10-03", "10-04", "10-05", "10-06",
        ],
        makeup: &[
            "01-28", "01-29", "04-23", "05-06", "06-25", "10-07", "10-08",
        ],
        holiday_days: 26,
        working_days: 249,
    },
    // 国办发明电〔2023〕7号. 元旦 1.1 (Mon); 春节 2.10–2.17 (Sat–Sat; 除夕 2.9 is not a
    // holiday); 清明 4.4–4.6 (Thu–Sat); 劳动节 5.1–5.5 (Wed–Sun); 端午 6.10 (Mon); 中秋
    // 9.15–9.17 (Sun–Tue); 国庆 10.1–10.7 (Tue–Mon).
    // Holiday days: 1 + 8 + 3 + 5 + 1 + 3 + 7 = 28.
    Notice {
        year: 2024,
        weekday_holidays: &[
            "01-01", "02-12", "02-13", "02-14", "02-15", "02-16", "04-04", "04-05", "05-01",
            "05-02", "05-03", "06-10", "09-16", "09-17", "10-01", "10-02", "10-03", "10-04",
            "10-07",
        ],
        makeup: &[
            "02-04", "02-18", "04-07", "04-28", "05-11", "09-14", "09-29", "10-12",
        ],
        holiday_days: 28,
        working_days: 251,
    },
    // 国办发明电〔2024〕12号 (DOMAIN.md §10). 元旦 1.1 (Wed); 春节 1.28–2.4 (Tue–Tue); 清明
    // 4.4–4.6 (Fri–Sun); 劳动节 5.1–5.5 (Thu–Mon); 端午 5.31–6.2 (Sat–Mon); 国庆中秋
    // 10.1–10.8 (Wed–Wed). Holiday days: 1 + 8 + 3 + 5 + 3 + 8 = 28.
    Notice {
        year: 2025,
        weekday_holidays: &[
            "01-01", "01-28", "01-29", "01-30", "01-31", "02-03", "02-04", "04-04", "05-01",
            "05-02", "05-05", "06-02", "10-01", "10-02", "10-03", "10-06", "10-07", "10-08",
        ],
        makeup: &["01-26", "02-08", "04-27", "09-28", "10-11"],
        holiday_days: 28,
        working_days: 248,
    },
    // 国办发明电〔2025〕7号 (DOMAIN.md §10). 元旦 1.1–1.3 (Thu–Sat); 春节 2.15–2.23 (Sun–Mon);
    // 清明 4.4–4.6 (Sat–Mon); 劳动节 5.1–5.5 (Fri–Tue); 端午 6.19–6.21 (Fri–Sun); 中秋
    // 9.25–9.27 (Fri–Sun); 国庆 10.1–10.7 (Thu–Wed).
    // Holiday days: 3 + 9 + 3 + 5 + 3 + 3 + 7 = 33.
    Notice {
        year: 2026,
        weekday_holidays: &[
            "01-01", "01-02", "02-16", "02-17", "02-18", "02-19", "02-20", "02-23", "04-06",
            "05-01", "05-04", "05-05", "06-19", "09-25", "10-01", "10-02", "10-05", "10-06",
            "10-07",
        ],
        makeup: &["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"],
        holiday_days: 33,
        working_days: 248,
    },
];

fn md(year: i32, mmdd: &str) -> NaiveDate {
    let (m, d) = mmdd.split_once('-').expect("MM-DD");
    date(year, m.parse().expect("month"), d.parse().expect("day"))
}

fn days_of(year: i32) -> impl Iterator<Item = NaiveDate> {
    date(year, 1, 1)
        .iter_days()
        .take_while(move |d| d.year() == year)
}

// ---------------------------------------------------------------- the data against the notices

#[test]
fn expected_lists_are_themselves_consistent() {
    // Guards against typos in this file: a weekday holiday is a weekday, a make-up day a
    // weekend day, and the lists are sorted without repetition.
    for n in &NOTICES {
        let hol: Vec<_> = n.weekday_holidays.iter().map(|s| md(n.year, s)).collect();
        let mk: Vec<_> = n.makeup.iter().map(|s| md(n.year, s)).collect();
        assert!(hol.iter().all(|d| !is_weekend(*d)), "{}: {hol:?}", n.year);
        assert!(mk.iter().all(|d| is_weekend(*d)), "{}: {mk:?}", n.year);
        assert!(hol.windows(2).all(|w| w[0] < w[1]), "{}", n.year);
        assert!(mk.windows(2).all(|w| w[0] < w[1]), "{}", n.year);
    }
}

#[test]
fn every_day_from_2020_to_2026_matches_the_notices() {
    let cal = Calendar::builtin();
    assert_eq!(cal.years(), (2020..=2026).collect::<Vec<_>>());
    for n in &NOTICES {
        let expected_holidays: Vec<_> = n.weekday_holidays.iter().map(|s| md(n.year, s)).collect();
        let expected_makeup: Vec<_> = n.makeup.iter().map(|s| md(n.year, s)).collect();
        let actual_holidays: Vec<_> = days_of(n.year)
            .filter(|d| !is_weekend(*d) && !cal.is_working_day(*d).expect("loaded"))
            .collect();
        let actual_makeup: Vec<_> = days_of(n.year)
            .filter(|d| is_weekend(*d) && cal.is_working_day(*d).expect("loaded"))
            .collect();
        assert_eq!(
            actual_holidays, expected_holidays,
            "weekday holidays of {}",
            n.year
        );
        assert_eq!(actual_makeup, expected_makeup, "make-up days of {}", n.year);
        // The year file's own make-up list is exactly the notice's.
        let year = cal.year(n.year).expect("loaded");
        assert_eq!(year.makeup_workdays().collect::<Vec<_>>(), expected_makeup);
        assert_eq!(
            year.holidays().count(),
            n.holiday_days,
            "holiday days of {}",
            n.year
        );
        assert!(year.source().is_some_and(|s| s.contains("国办发明电")));
    }
}

#[test]
fn working_days_per_year() {
    // Derivation, independent of the data files: Monday–Friday days in the year (a common
    // year has 52 weeks + 1 day, a leap year 52 weeks + 2 days; the extra days are the
    // weekdays of 1 January and, in a leap year, 2 January), minus the holidays falling on
    // Monday–Friday, plus the make-up working days.
    //   2020 leap, starts Wed (extra Wed, Thu): 262 − 19 + 6 = 249
    //   2021 starts Fri (extra Fri):            261 − 18 + 7 = 250
    //   2022 starts Sat (extra Sat):            260 − 18 + 7 = 249
    //   2023 starts Sun (extra Sun):            260 − 18 + 7 = 249
    //   2024 leap, starts Mon (extra Mon, Tue): 262 − 19 + 8 = 251
    //   2025 starts Wed (extra Wed):            261 − 18 + 5 = 248
    //   2026 starts Thu (extra Thu):            261 − 19 + 6 = 248
    let weekdays = [262, 261, 260, 260, 262, 261, 261];
    let cal = Calendar::builtin();
    for (n, weekdays) in NOTICES.iter().zip(weekdays) {
        assert_eq!(
            days_of(n.year).filter(|d| !is_weekend(*d)).count(),
            weekdays,
            "{}",
            n.year
        );
        assert_eq!(
            weekdays - n.weekday_holidays.len() + n.makeup.len(),
            n.working_days as usize,
            "derivation of {}",
            n.year
        );
        assert_eq!(
            cal.year(n.year).expect("loaded").working_days(),
            n.working_days,
            "{}",
            n.year
        );
        assert_eq!(
            cal.working_days_between(date(n.year - 1, 12, 31), date(n.year, 12, 31)),
            Ok(n.working_days),
            "{}",
            n.year
        );
    }
}

#[test]
fn spot_checks() {
    let cal = Calendar::builtin();
    let working = |y, m, d| cal.is_working_day(date(y, m, d));
    // 2020 Spring Festival extension (国办发明电〔2020〕1号).
    assert_eq!(
        working(2020, 1, 31),
        Ok(false),
        "Friday inside the extension"
    );
    assert_eq!(working(2020, 2, 1), Ok(false), "cancelled make-up Saturday");
    assert_eq!(working(2020, 2, 2), Ok(false));
    assert_eq!(
        working(2020, 2, 3),
        Ok(true),
        "work resumed on Monday 2020-02-03"
    );
    assert_eq!(working(2020, 1, 19), Ok(true), "make-up Sunday stands");
    // 2023 New Year: 2022-12-31 to 2023-01-02.
    assert_eq!(working(2023, 1, 2), Ok(false));
    assert_eq!(working(2023, 1, 3), Ok(true));
    assert_eq!(working(2022, 12, 31), Ok(false));
    // 2024 Spring Festival.
    assert_eq!(working(2024, 2, 9), Ok(true), "除夕 2024 is not a holiday");
    assert_eq!(working(2024, 2, 10), Ok(false));
    assert_eq!(working(2024, 2, 17), Ok(false));
    assert_eq!(working(2024, 2, 4), Ok(true));
    assert_eq!(working(2024, 2, 18), Ok(true), "make-up Sunday");
    // 2025, 2026.
    assert_eq!(working(2025, 1, 26), Ok(true));
    assert_eq!(working(2025, 10, 8), Ok(false));
    assert_eq!(working(2026, 2, 28), Ok(true));
    assert_eq!(
        working(2026, 10, 8),
        Ok(true),
        "Thursday after National Day"
    );
    assert_eq!(working(2026, 12, 31), Ok(true));
    assert_eq!(working(2027, 1, 4), Err(CalendarError::YearNotLoaded(2027)));
    assert_eq!(
        working(2019, 12, 31),
        Err(CalendarError::YearNotLoaded(2019))
    );
    assert_eq!(
        cal.add_working_days(date(2026, 12, 31), 1),
        Err(CalendarError::YearNotLoaded(2027))
    );
    // Deadlines across holidays.
    assert_eq!(
        cal.next_working_day(date(2020, 1, 23)),
        Ok(date(2020, 2, 3))
    );
    assert_eq!(
        cal.add_working_days(date(2025, 1, 24), 1),
        Ok(date(2025, 1, 26))
    );
    assert_eq!(
        cal.add_working_days(date(2026, 2, 13), 2),
        Ok(date(2026, 2, 24))
    );
}

// ---------------------------------------------------------------- properties

const FIRST: NaiveDate = NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid");
const LAST: NaiveDate = NaiveDate::from_ymd_opt(2026, 12, 31).expect("valid");

/// A date from `FIRST` to `last`.
fn date_until(last: NaiveDate) -> impl Strategy<Value = NaiveDate> {
    let span = (last - FIRST).num_days() as u64;
    (0..=span).prop_map(|d| FIRST + Days::new(d))
}

fn datetime_until(last: NaiveDate) -> impl Strategy<Value = NaiveDateTime> {
    (date_until(last), 0u32..24, 0u32..60)
        .prop_map(|(d, h, m)| d.and_hms_opt(h, m, 0).expect("valid time"))
}

fn period(max: u32) -> impl Strategy<Value = Period> {
    prop_oneof![
        (1..=max).prop_map(Period::WorkingDays),
        (1..=max).prop_map(Period::CalendarDays),
        (1..=max).prop_map(Period::Hours),
    ]
}

fn with_n(p: Period, n: u32) -> Period {
    match p {
        Period::WorkingDays(_) => Period::WorkingDays(n),
        Period::CalendarDays(_) => Period::CalendarDays(n),
        Period::Hours(_) => Period::Hours(n),
    }
}

fn n_of(p: Period) -> u32 {
    match p {
        Period::WorkingDays(n) | Period::CalendarDays(n) | Period::Hours(n) => n,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Starts up to the end of 2025 and periods up to 240 stay inside 2026 (2026 alone has
    /// 248 working days).
    #[test]
    fn deadline_never_before_start_and_never_on_a_rest_day(
        start in datetime_until(date(2025, 12, 31)),
        p in period(240),
    ) {
        let cal = Calendar::builtin();
        let d = due(start, p, &cal).expect("inside the loaded years");
        prop_assert!(d.date >= start.date());
        prop_assert!(!d.is_overdue(start));
        match p {
            Period::WorkingDays(n) => {
                prop_assert!(d.date > start.date());
                prop_assert!(d.at.is_none());
                prop_assert_eq!(cal.is_working_day(d.date), Ok(true));
                prop_assert_eq!(cal.working_days_between(start.date(), d.date), Ok(n));
                // The day before the deadline still has only n − 1 working days.
                let before = d.date.pred_opt().expect("in range");
                prop_assert_eq!(cal.working_days_between(start.date(), before), Ok(n - 1));
            }
            Period::CalendarDays(n) => {
                prop_assert_eq!(d.date, start.date() + Days::new(u64::from(n)));
                prop_assert!(d.at.is_none());
            }
            Period::Hours(n) => {
                let at = d.at.expect("hour periods have a moment");
                prop_assert_eq!(at - start, chrono::TimeDelta::hours(i64::from(n)));
                prop_assert_eq!(d.date, at.date());
            }
        }
    }

    #[test]
    fn deadline_is_monotone_in_n(
        start in datetime_until(date(2025, 12, 31)),
        p in period(239),
    ) {
        let cal = Calendar::builtin();
        let shorter = due(start, p, &cal).expect("loaded");
        let longer = due(start, with_n(p, n_of(p) + 1), &cal).expect("loaded");
        prop_assert!(longer.date >= shorter.date);
        prop_assert!(longer.at >= shorter.at);
        if let Period::WorkingDays(_) | Period::CalendarDays(_) = p {
            prop_assert!(longer.date > shorter.date);
        }
    }

    #[test]
    fn working_days_between_inverts_add_working_days(
        d in date_until(date(2025, 12, 31)),
        n in 0u32..=250,
    ) {
        let cal = Calendar::builtin();
        let end = cal.add_working_days(d, n).expect("loaded");
        prop_assert_eq!(cal.working_days_between(d, end), Ok(n));
        prop_assert!(end >= d);
    }

    /// Anywhere in the loaded years: either the count fits before 2026-12-31, or the answer
    /// is "2027 not loaded", never a guess.
    #[test]
    fn counting_past_the_loaded_years_is_an_error(d in date_until(LAST), n in 1u32..=300) {
        let cal = Calendar::builtin();
        let available = cal.working_days_between(d, LAST).expect("loaded");
        match cal.add_working_days(d, n) {
            Ok(end) => {
                prop_assert!(n <= available);
                prop_assert!(end <= LAST);
            }
            Err(e) => {
                prop_assert!(n > available);
                prop_assert_eq!(e, CalendarError::YearNotLoaded(2027));
            }
        }
    }

    #[test]
    fn next_working_day_skips_exactly_the_rest_days(d in date_until(date(2026, 12, 30))) {
        let cal = Calendar::builtin();
        let next = cal.next_working_day(d).expect("2026-12-31 is a working day");
        prop_assert_eq!(cal.is_working_day(next), Ok(true));
        for skipped in d.iter_days().skip(1).take_while(|x| *x < next) {
            prop_assert_eq!(cal.is_working_day(skipped), Ok(false));
        }
    }

    #[test]
    fn working_days_between_is_additive(
        a in date_until(LAST),
        b in date_until(LAST),
        c in date_until(LAST),
    ) {
        let mut v = [a, b, c];
        v.sort();
        let [a, b, c] = v;
        let cal = Calendar::builtin();
        let ab = cal.working_days_between(a, b).expect("loaded");
        let bc = cal.working_days_between(b, c).expect("loaded");
        prop_assert_eq!(cal.working_days_between(a, c), Ok(ab + bc));
        prop_assert_eq!(cal.working_days_between(c, a), Ok(0));
    }

    /// Any valid year file, written out as text, parses to the calendar it describes.
    #[test]
    fn generated_year_files_parse_to_what_they_say(
        year in 2027i32..=2100,
        holiday_days in proptest::collection::btree_set(0u32..365, 0..40),
        makeup_days in proptest::collection::btree_set(0u32..365, 0..10),
    ) {
        let first = date(year, 1, 1);
        let in_year = |o: &u32| Some(first + Days::new(u64::from(*o))).filter(|d| d.year() == year);
        let holidays: Vec<NaiveDate> = holiday_days.iter().filter_map(in_year).collect();
        let makeup: Vec<NaiveDate> = makeup_days
            .iter()
            .filter_map(in_year)
            .filter(|d| is_weekend(*d) && !holidays.contains(d))
            .collect();
        let list = |v: &[NaiveDate]| {
            v.iter().map(|d| format!("\"{d}\"")).collect::<Vec<_>>().join(", ")
        };
        let text = format!(
            "# generated\nyear = {year}\nholidays = [{}]\nmakeup_workdays = [{}]\n",
            list(&holidays),
            list(&makeup)
        );
        let parsed = YearCalendar::parse(&text).expect("valid file");
        let mut cal = Calendar::empty();
        prop_assert!(cal.add_year(parsed).is_none());
        for d in days_of(year) {
            let expected = makeup.contains(&d) || (!is_weekend(d) && !holidays.contains(&d));
            prop_assert_eq!(cal.is_working_day(d), Ok(expected), "{}", d);
        }
    }
}
