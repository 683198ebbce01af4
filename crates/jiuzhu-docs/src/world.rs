//! The typst `World` of one document: one source file, the fonts, the document's date.
//!
//! Nothing is read from disk or the network while compiling: the main source is the
//! generated markup, there are no other files or packages, and "today" is the document's
//! date (typst's `datetime.today()` would otherwise read the clock).

use std::sync::{Arc, OnceLock};

use chrono::{Datelike, NaiveDate};
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, Source};
use typst::text::{Font, FontBook, FontInfo};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_kit::fonts::FontStore;

/// The body face: Noto Serif CJK SC Regular, subset (see `fonts/` and
/// `scripts/subset-font.sh`).
pub(crate) static SERIF_REGULAR: &[u8] =
    include_bytes!("../fonts/NotoSerifCJKsc-Regular-subset.otf");
/// The title and heading face (黑体 role): Noto Sans CJK SC Bold, subset.
pub(crate) static SANS_BOLD: &[u8] = include_bytes!("../fonts/NotoSansCJKsc-Bold-subset.otf");

/// Family names of the embedded faces, as typst's markup names them.
pub(crate) const BODY_FAMILY: &str = "Noto Serif CJK SC";
pub(crate) const HEADING_FAMILY: &str = "Noto Sans CJK SC";

/// Which fonts a render may use.
///
/// The embedded faces always come first, so that a document whose text they cover looks
/// (and hashes) the same on every machine; system fonts, where allowed, only supply
/// characters the embedded faces lack (typst's fallback picks a covering font).
#[derive(Clone)]
pub struct Fonts {
    store: Arc<FontStore>,
}

impl Fonts {
    /// The embedded faces only: the same result on every machine. Tests use this.
    pub fn embedded() -> Fonts {
        static EMBEDDED: OnceLock<Fonts> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| {
                let mut store = FontStore::new();
                push_embedded(&mut store);
                Fonts {
                    store: Arc::new(store),
                }
            })
            .clone()
    }

    /// The embedded faces, then the fonts installed on this machine (found by fontdb in
    /// the operating system's font directories, fontconfig's included). The system is
    /// scanned once per process, on first use.
    pub fn with_system() -> Fonts {
        static SYSTEM: OnceLock<Fonts> = OnceLock::new();
        SYSTEM
            .get_or_init(|| {
                let mut store = FontStore::new();
                push_embedded(&mut store);
                store.extend(typst_kit::fonts::system());
                Fonts {
                    store: Arc::new(store),
                }
            })
            .clone()
    }

    /// The number of font faces available.
    pub fn len(&self) -> usize {
        let book = self.store.book();
        (0..).take_while(|&i| book.info(i).is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether some face has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        let book = self.store.book();
        (0..)
            .map_while(|i| book.info(i))
            .any(|info: &FontInfo| info.coverage.contains(c as u32))
    }
}

fn push_embedded(store: &mut FontStore) {
    for data in [SERIF_REGULAR, SANS_BOLD] {
        for font in Font::iter(Bytes::new(data)) {
            let info = font.info().clone();
            store.push((font, info));
        }
    }
}

pub(crate) struct DocWorld {
    library: LazyHash<Library>,
    fonts: Fonts,
    main: Source,
    today: Datetime,
}

impl DocWorld {
    pub(crate) fn new(markup: String, fonts: Fonts, date: NaiveDate) -> DocWorld {
        static LIBRARY: OnceLock<LazyHash<Library>> = OnceLock::new();
        let library = LIBRARY
            .get_or_init(|| LazyHash::new(<Library as LibraryExt>::default()))
            .clone();
        DocWorld {
            library,
            fonts,
            main: Source::detached(markup),
            today: datetime(date),
        }
    }
}

/// The date as typst's `Datetime` (always representable: typst's range is wider than the
/// years a document carries; out-of-range years clamp to the first day of year 1).
pub(crate) fn datetime(date: NaiveDate) -> Datetime {
    Datetime::from_ymd(date.year(), date.month() as u8, date.day() as u8)
        .or_else(|| Datetime::from_ymd(1, 1, 1))
        .expect("1-01-01 is a valid typst date")
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.store.book()
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            Ok(Bytes::from_string(self.main.clone()))
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.store.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}
