//! Browser end-to-end tests live in `tests/`. They run when `JIUZHU_E2E=1` (CI sets it and
//! installs Debian's `chromium` and `chromium-driver`); without it they report that they
//! were skipped, so `cargo test --workspace` needs no browser.
#![forbid(unsafe_code)]
