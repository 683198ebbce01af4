//! `jiuzhu profile check|show|list` as an operator runs them: the real binary.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn jiuzhu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jiuzhu"))
        .args(args)
        .env_remove("JIUZHU_DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .expect("run jiuzhu")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A file in the repository's `profiles/` directory.
fn repo_profile(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../profiles")
        .join(name)
}

/// A temporary file that is removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("jiuzhu-{}-{name}", std::process::id()));
        std::fs::write(&path, text).expect("write temp file");
        TempFile(path)
    }

    fn as_str(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn check_accepts_every_profile_in_the_repository() {
    for name in [
        "national.toml",
        "640181-lingwu.toml",
        "650205-wuerhe.toml",
        "330212-yinzhou.toml",
        "511526-gongxian.toml",
        "370900-taian.toml",
    ] {
        let path = repo_profile(name);
        let o = jiuzhu(&["profile", "check", path.to_str().expect("utf-8")]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        assert!(stdout(&o).starts_with("ok: "), "{}", stdout(&o));
    }
    let o = jiuzhu(&[
        "profile",
        "check",
        repo_profile("511526-gongxian.toml").to_str().unwrap(),
    ]);
    let out = stdout(&o);
    assert!(
        out.contains("511526-gongxian") && out.contains("extends national"),
        "{out}"
    );
    assert!(
        out.contains("linshi (2 phases from 2020-05-01, cap 3000.00 yuan)"),
        "{out}"
    );
    // Seed 001's steps exceed the national limit for delegated confirmation: a warning.
    let o = jiuzhu(&[
        "profile",
        "check",
        repo_profile("650205-wuerhe.toml").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("warning:"), "{}", stdout(&o));
}

#[test]
fn check_refuses_a_broken_file_naming_file_key_and_reason() {
    let text = "id = \"511526-test\"\nname = \"测试\"\nextends = \"national\"\napplies_to = [\"511526\"]\n\n[plan]\nsource = \"test\"\ntitle = \"测试\"\n\n[programs.linshi.delegation]\ndelegated = true\ncap_yuan = \"-5.00\"\nphases = [{ from = 2020-05-01, townships = \"all\" }]\n";
    let file = TempFile::new("broken.toml", text);
    let o = jiuzhu(&["profile", "check", file.as_str()]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "{}:12: programs.linshi.delegation.cap_yuan: must be a positive amount",
            file.as_str()
        )),
        "{err}"
    );
    assert!(stdout(&o).is_empty());

    let file = TempFile::new(
        "unknown.toml",
        &text.replace("cap_yuan = \"-5.00\"", "cap = 5"),
    );
    let o = jiuzhu(&["profile", "check", file.as_str()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(file.as_str()) && err.contains("programs.linshi.delegation.cap"),
        "{err}"
    );
    assert!(err.contains("unknown field `cap`"), "{err}");

    let file = TempFile::new("syntax.toml", "id = \"x\n");
    let o = jiuzhu(&["profile", "check", file.as_str()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!("{}:1: TOML syntax error", file.as_str())),
        "{}",
        stderr(&o)
    );

    let o = jiuzhu(&["profile", "check", "/nonexistent/profile.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read /nonexistent/profile.toml"));
}

#[test]
fn show_prints_the_effective_rules_of_gongxian() {
    let o = jiuzhu(&["profile", "show", "511526"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for part in [
        "珙县（511526-gongxian）",
        "自2020-05-01起：511526101000",
        "自2020-10-01起：全部乡镇（街道）",
        "乡镇确认金额上限：3,000.00元",
        "银行划转到账：3个工作日内",
        "【最低生活保障】dibao",
    ] {
        assert!(out.contains(part), "missing `{part}` in\n{out}");
    }
    // A township code finds its county's profile; a prefecture its counties' shared one.
    let o = jiuzhu(&["profile", "show", "370902001000"]);
    assert!(
        stdout(&o).contains("泰安市（370900-taian）"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("先核对、后申请"));
    let o = jiuzhu(&["profile", "show", "370900"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("370900-taian"));
}

#[test]
fn show_in_toml_and_json() {
    let o = jiuzhu(&["profile", "show", "511526", "--format", "toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("cap_yuan = \"3000.00\""), "{out}");
    assert!(out.contains("from = \"2020-05-01\""), "{out}");

    let o = jiuzhu(&["profile", "show", "511526", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["programs"]["linshi"]["delegation"]["cap_yuan"], "3000.00");
    assert_eq!(
        v["programs"]["linshi"]["delegation"]["phases"][0]["from"],
        "2020-05-01"
    );
    assert_eq!(v["programs"]["dibao"]["delegation"].get("cap_yuan"), None);

    let o = jiuzhu(&["profile", "show", "511526", "--format", "yaml"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn show_refuses_unknown_counties_and_malformed_codes() {
    let o = jiuzhu(&["profile", "show", "110101"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no profile governs 110101"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());
    let o = jiuzhu(&["profile", "show", "gongxian"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("neither a profile id"),
        "{}",
        stderr(&o)
    );
    // The base by id.
    let o = jiuzhu(&["profile", "show", "national"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("全国基础规则"));
}

#[test]
fn list_names_every_builtin_profile() {
    let o = jiuzhu(&["profile", "list"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 6, "{out}");
    assert!(
        out.contains("370900-taian\t泰安市\t370902 370911 370921 370923 370982 370983"),
        "{out}"
    );
    assert!(
        out.lines()
            .next()
            .is_some_and(|l| l.starts_with("national\t"))
    );
}

#[test]
fn an_installed_profile_replaces_or_adds_without_rebuilding() {
    let dir = std::env::temp_dir().join(format!("jiuzhu_profiles_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // An amended 珙县 plan: the 临时救助 cap raised to 5000 yuan.
    let builtin = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../profiles/511526-gongxian.toml"),
    )
    .unwrap();
    assert!(builtin.contains("cap_yuan = \"3000.00\""));
    std::fs::write(
        dir.join("511526-gongxian.toml"),
        builtin.replace("cap_yuan = \"3000.00\"", "cap_yuan = \"5000.00\""),
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_jiuzhu"))
            .args(args)
            .env("JIUZHU_PROFILE_DIR", &dir)
            .output()
            .unwrap()
    };
    let o = run(&["profile", "show", "511526"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("5,000.00元") && !out.contains("3,000.00元"),
        "{out}"
    );
    // A broken installed file is named in the error.
    std::fs::write(dir.join("zz-broken.toml"), "id = \"x\"\nnot toml at all [").unwrap();
    let o = run(&["profile", "list"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("zz-broken.toml"));
    let _ = std::fs::remove_dir_all(dir);
}
