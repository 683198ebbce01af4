//! The rules a store runs case commands by: the procedure profiles and the working-day
//! calendar. By default the built-in ones; an installation passes the profiles of
//! `$JIUZHU_PROFILE_DIR` and the imported calendar years ([`Rules::new`]), so that an
//! amended plan or next year's holiday notice is configuration, not a rebuild.

use std::sync::{Arc, OnceLock};

use jiuzhu_domain::calendar::Calendar;
use jiuzhu_domain::profile::ProfileSet;

use crate::{Result, StoreError};

/// Profiles and calendar.
#[derive(Debug, Clone)]
pub struct Rules {
    pub profiles: ProfileSet,
    pub calendar: Calendar,
}

impl Rules {
    pub fn new(profiles: ProfileSet, calendar: Calendar) -> Arc<Rules> {
        Arc::new(Rules { profiles, calendar })
    }

    /// The built-in profiles and calendar, loaded once per process.
    pub fn builtin() -> Result<Arc<Rules>> {
        static BUILTIN: OnceLock<std::result::Result<Arc<Rules>, String>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                ProfileSet::builtin()
                    .map(|profiles| Rules::new(profiles, Calendar::builtin()))
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(|e| StoreError::Invalid(format!("the built-in procedure profiles: {e}")))
    }
}
