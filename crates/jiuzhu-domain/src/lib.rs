//! jiuzhu's pure domain: value types that parse rather than validate, roles and
//! jurisdictions. No I/O, no async, no SQL, no HTTP.
#![forbid(unsafe_code)]

pub mod benefit;
pub mod calendar;
pub mod case;
pub mod deadline;
pub mod delegation;
pub mod division;
pub mod dynamic;
pub mod household;
pub mod id_number;
pub mod money;
pub mod name;
pub mod profile;
pub mod program;
pub mod role;
pub mod schedule;
pub mod supervision;

pub use division::{DivisionCode, DivisionCodeError, DivisionLevel, TownshipKind};
pub use household::{Relation, UnknownRelation};
pub use id_number::{IdNumber, IdNumberError, Sex};
pub use money::{Fen, FenParseError};
pub use name::{PersonName, PersonNameError};
pub use program::{Program, UnknownProgram};
pub use role::{Role, Tier, UnknownRole};
