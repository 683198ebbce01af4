//! 监督 the county's supervision of township decisions (放权不放责): the value types of
//! filing review (备案审查), spot checks (抽查), rectification (整改), complaints (投诉举报)
//! and dishonesty records (失信记录), and the spot-check **sample**, which is pure and
//! reproducible: anyone with the candidates, the rates and the seed draws the same sample.
//!
//! # The sampling method ([`SAMPLE_METHOD`])
//!
//! 1. Candidates are the township decisions filed in the period; one per case number
//!    (the caller keeps the latest decision of a case; [`draw`] keeps the first of any
//!    repeated number).
//! 2. Strata: (township code, program, approval or refusal), in ascending order of the
//!    township code, the program's machine name and `approve` before `refuse`. Stratifying by
//!    the outcome too makes every sample cover approvals and refusals wherever both exist.
//! 3. Stratum size: `ceil(percent × n / 100)` of the `n` candidates of the stratum, where
//!    `percent` is the program's rate ([`rate`]); never more than `n`.
//! 4. Within a stratum the candidates are sorted by case number (byte order), then the first
//!    `k` positions of a partial Fisher–Yates shuffle are taken: for `i` in `0..k`, swap `i`
//!    with `i + below(n − i)`.
//! 5. `below(m)` draws from [`SplitMix64`] (Steele, Lea & Flood 2014; the constants are
//!    those of Java's `SplittableRandom`) by rejection: values `≥ 2^64 − (2^64 mod m)` are
//!    drawn again, so every index is equally likely.
//! 6. Each stratum has its own generator, seeded with `mix(seed ⊕ fnv1a64(label))`, where
//!    `label` is `"{township}/{program}/{approve|refuse}"` and `fnv1a64` is 64-bit FNV-1a
//!    over its UTF-8 bytes: a stratum's sample depends only on the seed and its own
//!    candidates.
//! 7. The sample is listed in case-number order.
//!
//! The method never changes under this name: a different method gets a new name, and a
//! recorded draw names the method it used.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::profile::Supervision;
use crate::{DivisionCode, Program};

/// The name of the sampling method of [`draw`], recorded with every draw.
pub const SAMPLE_METHOD: &str = "stratified-ceil/splitmix64/fisher-yates/v1";

/// SplitMix64: a tiny, fully specified 64-bit generator. Its output for a seed is fixed by
/// its definition, so a recorded draw can be repeated by anyone, forever.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// A uniformly distributed value in `0..m` (`m > 0`), by rejection.
    pub fn below(&mut self, m: u64) -> u64 {
        assert!(m > 0, "below(0)");
        // 2^64 mod m, computed without overflow.
        let reject_from = u64::MAX - (u64::MAX % m + 1) % m;
        loop {
            let v = self.next_u64();
            if v <= reject_from {
                return v % m;
            }
        }
    }
}

/// The SplitMix64 finalizer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 64-bit FNV-1a of `bytes`.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// `ceil(percent × n / 100)`, at most `n`.
pub fn stratum_size(n: usize, percent: u32) -> usize {
    let k = (n as u128 * u128::from(percent.min(100))).div_ceil(100);
    (k as usize).min(n)
}

/// The spot-check rate of `program`: the county's rate, or the program's minimum where the
/// profile sets a higher one (`supervision.spot_check_program_percent`).
pub fn rate(supervision: &Supervision, program: Program) -> u32 {
    let county = supervision.spot_check_percent;
    supervision
        .spot_check_program_percent
        .get(&program)
        .map_or(county, |&p| p.max(county))
        .min(100)
}

/// One filed township decision that may be sampled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub case_number: String,
    pub township: DivisionCode,
    pub program: Program,
    pub approved: bool,
}

/// One stratum of a draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stratum {
    pub township: DivisionCode,
    pub program: Program,
    pub approved: bool,
    /// Candidates in the stratum.
    pub candidates: usize,
    /// The rate applied, in percent.
    pub percent: u32,
    /// The sampled case numbers, in case-number order.
    pub sampled: Vec<String>,
}

/// A drawn sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub method: String,
    pub seed: u64,
    /// Distinct candidates.
    pub candidates: usize,
    pub strata: Vec<Stratum>,
    /// Every sampled case number, in case-number order.
    pub case_numbers: Vec<String>,
}

fn stratum_label(township: &DivisionCode, program: Program, approved: bool) -> String {
    let outcome = if approved { "approve" } else { "refuse" };
    format!("{township}/{}/{outcome}", program.as_str())
}

/// Draws the sample by [`SAMPLE_METHOD`] at the rate `percent_of(program)` per stratum.
/// The result does not depend on the order of `candidates`.
pub fn draw(candidates: &[Candidate], seed: u64, percent_of: impl Fn(Program) -> u32) -> Sample {
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    // A stable sort: of repeated numbers the first given is kept.
    sorted.sort_by(|a, b| a.case_number.cmp(&b.case_number));
    sorted.dedup_by(|b, a| a.case_number == b.case_number);
    let mut strata: BTreeMap<(String, &'static str, bool), Vec<&Candidate>> = BTreeMap::new();
    for c in &sorted {
        strata
            .entry((c.township.to_string(), c.program.as_str(), !c.approved))
            .or_default()
            .push(c);
    }
    let mut out = Vec::with_capacity(strata.len());
    let mut all = Vec::new();
    for (_, mut members) in strata {
        let first = members[0];
        let (township, program, approved) = (first.township.clone(), first.program, first.approved);
        let percent = percent_of(program).min(100);
        let n = members.len();
        let k = stratum_size(n, percent);
        let label = stratum_label(&township, program, approved);
        let mut rng = SplitMix64::new(mix(seed ^ fnv1a64(label.as_bytes())));
        for i in 0..k {
            let j = i + rng.below((n - i) as u64) as usize;
            members.swap(i, j);
        }
        let mut sampled: Vec<String> = members[..k].iter().map(|c| c.case_number.clone()).collect();
        sampled.sort();
        all.extend(sampled.iter().cloned());
        out.push(Stratum {
            township,
            program,
            approved,
            candidates: n,
            percent,
            sampled,
        });
    }
    all.sort();
    Sample {
        method: SAMPLE_METHOD.to_string(),
        seed,
        candidates: sorted.len(),
        strata: out,
        case_numbers: all,
    }
}

/// A month `YYYY-MM` (the period of a draw, by decision date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// The first day of the month.
    pub fn first_day(self) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a valid month")
    }

    /// The first day of the next month.
    pub fn next_first_day(self) -> chrono::NaiveDate {
        let (y, m) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        chrono::NaiveDate::from_ymd_opt(y, m, 1).expect("a valid month")
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid month `{0}`: write YYYY-MM, e.g. 2023-03")]
pub struct MonthParseError(pub String);

impl FromStr for Month {
    type Err = MonthParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || MonthParseError(s.to_string());
        let (y, m) = s.split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let month: u32 = m.parse().map_err(|_| err())?;
        if !(1..=12).contains(&month) || year < 1900 {
            return Err(err());
        }
        Ok(Month { year, month })
    }
}

impl TryFrom<String> for Month {
    type Error = MonthParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Month> for String {
    fn from(m: Month) -> String {
        m.to_string()
    }
}

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = ($s:literal, $zh:literal)),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// Stable machine name (stored and in the API).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
            /// Chinese name for the UI.
            pub fn name_zh(self) -> &'static str {
                match self { $($name::$v => $zh),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| format!(
                        "unknown {} `{s}`; expected one of: {}",
                        stringify!($name),
                        $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                    ))
            }
        }
    };
}

named_enum!(
    /// 备案审查结论 the county's conclusion on a filed decision.
    FilingOutcome {
        /// 审查通过.
        Accepted = ("accepted", "审查通过"),
        /// 存在疑问，需说明.
        Questions = ("questions", "存在疑问"),
        /// 需整改.
        RectificationRequired = ("rectification_required", "需整改"),
    }
);

named_enum!(
    /// 投诉举报渠道 how a complaint reached the office.
    ComplaintChannel {
        /// 监督举报电话.
        Hotline = ("hotline", "举报电话"),
        /// 来访 in person.
        WalkIn = ("walk_in", "来访"),
        /// 来信 or a petition passed on by the petitions bureau (信访).
        Letter = ("letter", "来信/信访转办"),
        /// The public objection/report form on the notice board.
        PublicForm = ("public_form", "公示栏在线举报"),
    }
);

named_enum!(
    /// 办理结果 what the handling office found.
    ComplaintOutcome {
        /// 属实.
        Substantiated = ("substantiated", "属实"),
        /// 部分属实.
        PartlySubstantiated = ("partly_substantiated", "部分属实"),
        /// 不属实.
        Unfounded = ("unfounded", "不属实"),
        /// 不属于受理范围，已告知或转办.
        OutOfScope = ("out_of_scope", "不属受理范围"),
    }
);

impl ComplaintOutcome {
    /// A finding against someone: a basis for rectification or a dishonesty record.
    pub fn is_finding(self) -> bool {
        matches!(
            self,
            ComplaintOutcome::Substantiated | ComplaintOutcome::PartlySubstantiated
        )
    }
}

named_enum!(
    /// 整改状态.
    RectificationStatus {
        /// 待整改: ordered, waiting for the township's response (again, after a rejection).
        Open = ("open", "待整改"),
        /// 已报送整改情况: the township responded; the county decides.
        Responded = ("responded", "待验收"),
        /// 已验收销号: the county accepted the response. Final.
        Closed = ("closed", "已销号"),
    }
);

/// A finding a rectification, a dishonesty record or a case correction rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FindingRef {
    /// A filing reviewed as `questions` or `rectification_required`.
    Filing { filing_id: i64 },
    /// A sampled case checked as `problem_found`.
    SpotCheck { draw_id: i64, case_id: i64 },
    /// A complaint answered as substantiated (wholly or partly).
    Complaint { complaint_id: i64 },
}

impl FindingRef {
    pub fn kind(&self) -> &'static str {
        match self {
            FindingRef::Filing { .. } => "filing",
            FindingRef::SpotCheck { .. } => "spot_check",
            FindingRef::Complaint { .. } => "complaint",
        }
    }

    /// The filing, draw or complaint id.
    pub fn id(&self) -> i64 {
        match self {
            FindingRef::Filing { filing_id } => *filing_id,
            FindingRef::SpotCheck { draw_id, .. } => *draw_id,
            FindingRef::Complaint { complaint_id } => *complaint_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> DivisionCode {
        DivisionCode::parse(s).unwrap()
    }

    fn cands(township: &str, program: Program, approved: bool, n: usize) -> Vec<Candidate> {
        (0..n)
            .map(|i| Candidate {
                case_number: format!(
                    "{}-{}-{}{i:04}",
                    &township[6..9],
                    program.as_str(),
                    if approved { "" } else { "r" }
                ),
                township: code(township),
                program,
                approved,
            })
            .collect()
    }

    #[test]
    fn splitmix64_matches_its_reference_values() {
        // Reference output of SplitMix64 seeded with 0 (as in Vigna's splitmix64.c).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(r.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = SplitMix64::new(42);
        for m in [1u64, 2, 3, 7, 10, 1000, u64::MAX] {
            for _ in 0..100 {
                assert!(r.below(m) < m);
            }
        }
    }

    #[test]
    fn rates_round_up_per_stratum() {
        assert_eq!(stratum_size(0, 30), 0);
        assert_eq!(stratum_size(1, 30), 1);
        assert_eq!(stratum_size(3, 30), 1);
        assert_eq!(stratum_size(4, 30), 2); // 1.2 → 2
        assert_eq!(stratum_size(10, 30), 3);
        assert_eq!(stratum_size(11, 30), 4); // 3.3 → 4
        assert_eq!(stratum_size(7, 0), 0);
        assert_eq!(stratum_size(7, 100), 7);
        assert_eq!(stratum_size(7, 250), 7);
    }

    #[test]
    fn the_program_minimum_raises_the_rate() {
        let p = crate::profile::ProfileSet::builtin().unwrap();
        let mut s = p.get("national").unwrap().supervision.clone();
        s.spot_check_percent = 20;
        assert_eq!(rate(&s, Program::Dibao), 20);
        assert_eq!(rate(&s, Program::Tekun), 30, "特困 ≥30% by national rule");
        s.spot_check_percent = 50;
        assert_eq!(rate(&s, Program::Tekun), 50, "the higher of the two");
    }

    #[test]
    fn a_draw_is_reproducible_and_covers_every_stratum() {
        let mut all = cands("511526101000", Program::Dibao, true, 10);
        all.extend(cands("511526101000", Program::Dibao, false, 2));
        all.extend(cands("511526100000", Program::Tekun, true, 4));
        all.extend(cands("511526100000", Program::Dibao, true, 1));
        let a = draw(&all, 7, |p| if p == Program::Tekun { 50 } else { 30 });
        let b = draw(&all, 7, |p| if p == Program::Tekun { 50 } else { 30 });
        assert_eq!(a, b);
        assert_eq!(a.candidates, 17);
        assert_eq!(a.method, SAMPLE_METHOD);
        let sizes: Vec<(String, &str, bool, usize, usize)> = a
            .strata
            .iter()
            .map(|s| {
                (
                    s.township.to_string(),
                    s.program.as_str(),
                    s.approved,
                    s.candidates,
                    s.sampled.len(),
                )
            })
            .collect();
        assert_eq!(
            sizes,
            vec![
                ("511526100000".into(), "dibao", true, 1, 1),
                ("511526100000".into(), "tekun", true, 4, 2),
                ("511526101000".into(), "dibao", true, 10, 3),
                ("511526101000".into(), "dibao", false, 2, 1),
            ]
        );
        assert_eq!(a.case_numbers.len(), 7);
        let mut sorted = a.case_numbers.clone();
        sorted.sort();
        assert_eq!(sorted, a.case_numbers);
        // Another seed draws another sample of the same sizes (with these numbers, at least
        // one stratum differs).
        let seeds: Vec<Vec<String>> = (0..5).map(|s| draw(&all, s, |_| 30).case_numbers).collect();
        assert!(seeds.windows(2).any(|w| w[0] != w[1]), "{seeds:?}");
    }

    #[test]
    fn a_fixed_seed_draws_a_fixed_sample_forever() {
        // Pinned output: if this changes, the method changed and needs a new name.
        let all = cands("511526101000", Program::Dibao, true, 10);
        let s = draw(&all, 20231, |_| 30);
        assert_eq!(s.case_numbers.len(), 3);
        let again = draw(&all, 20231, |_| 30);
        assert_eq!(s.case_numbers, again.case_numbers);
        assert_eq!(
            s.case_numbers,
            PINNED.iter().map(|s| s.to_string()).collect::<Vec<_>>()
        );
    }

    const PINNED: &[&str] = &["101-dibao-0001", "101-dibao-0002", "101-dibao-0007"];

    #[test]
    fn months_parse() {
        let m: Month = "2023-03".parse().unwrap();
        assert_eq!(m.to_string(), "2023-03");
        assert_eq!(m.first_day().to_string(), "2023-03-01");
        assert_eq!(m.next_first_day().to_string(), "2023-04-01");
        let d: Month = "2023-12".parse().unwrap();
        assert_eq!(d.next_first_day().to_string(), "2024-01-01");
        for bad in [
            "2023-13", "2023-3", "23-03", "2023/03", "2023-00", "abcd-ef", "",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }

    #[test]
    fn names_roundtrip() {
        for v in FilingOutcome::ALL {
            assert_eq!(v.as_str().parse::<FilingOutcome>().unwrap(), *v);
        }
        for v in ComplaintChannel::ALL {
            assert_eq!(v.as_str().parse::<ComplaintChannel>().unwrap(), *v);
        }
        assert!("phone".parse::<ComplaintChannel>().is_err());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn candidate() -> impl Strategy<Value = Candidate> {
        (
            0u32..400,
            prop::sample::select(vec!["511526101000", "511526100000", "511526102000"]),
            prop::sample::select(vec![Program::Dibao, Program::Tekun, Program::Linshi]),
            any::<bool>(),
        )
            .prop_map(|(n, t, program, approved)| Candidate {
                case_number: format!("511526-2023-{n:06}"),
                township: DivisionCode::parse(t).unwrap(),
                program,
                approved,
            })
    }

    proptest! {
        /// Same candidates (in any order) and seed → same sample; each stratum gets exactly
        /// ceil(rate × size) of its own candidates.
        #[test]
        fn draws_are_reproducible_and_sized(
            list in prop::collection::vec(candidate(), 0..80),
            seed in any::<u64>(),
            percent in 0u32..=100,
            rotate in 0usize..80,
        ) {
            let a = draw(&list, seed, |_| percent);
            let mut shuffled = list.clone();
            if !shuffled.is_empty() {
                let r = rotate % shuffled.len();
                shuffled.rotate_left(r);
                shuffled.reverse();
            }
            let b = draw(&shuffled, seed, |_| percent);
            // Repeated numbers keep the first given: compare only where the input has none.
            let mut numbers: Vec<&String> = list.iter().map(|c| &c.case_number).collect();
            numbers.sort();
            numbers.dedup();
            if numbers.len() == list.len() {
                prop_assert_eq!(&a, &b);
            }
            let mut total = 0;
            for s in &a.strata {
                prop_assert_eq!(s.sampled.len(), stratum_size(s.candidates, percent));
                if percent > 0 {
                    prop_assert!(!s.sampled.is_empty());
                }
                for n in &s.sampled {
                    let c = list.iter().find(|c| &c.case_number == n);
                    prop_assert!(c.is_some());
                }
                total += s.candidates;
            }
            prop_assert_eq!(total, a.candidates);
            prop_assert_eq!(a.candidates, numbers.len());
        }
    }
}
