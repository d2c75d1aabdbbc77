//! One version everywhere: the header's `SVMQ_VERSION*` macros, `svmq_version()` and `svmq --version` all
//! say Cargo.toml's version.

mod common;

use std::ffi::CStr;

/// The `version = "..."` line of Cargo.toml's `[package]` table, read from the file itself.
fn cargo_toml_version() -> String {
    let toml = std::fs::read_to_string(common::root().join("Cargo.toml")).unwrap();
    let mut package = toml.lines().skip_while(|l| l.trim() != "[package]").skip(1).take_while(|l| !l.starts_with('['));
    let line = package.find(|l| l.starts_with("version")).expect("Cargo.toml has a version");
    let v = line.split('"').nth(1).expect("version = \"...\"").to_owned();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    v
}

fn header_define(header: &str, name: &str) -> String {
    let prefix = format!("#define {name} ");
    let lines: Vec<&str> = header.lines().filter_map(|l| l.strip_prefix(prefix.as_str())).collect();
    assert_eq!(lines.len(), 1, "include/svmq.h defines {name} once");
    lines[0].trim().to_owned()
}

#[test]
fn header_version_is_cargo_tomls() {
    let v = cargo_toml_version();
    let header = std::fs::read_to_string(common::root().join("include/svmq.h")).unwrap();
    assert_eq!(header_define(&header, "SVMQ_VERSION"), format!("\"{v}\""));
    let core = v.split(['-', '+']).next().unwrap();
    let parts: Vec<&str> = core.split('.').collect();
    assert_eq!(parts.len(), 3, "{v} is MAJOR.MINOR.PATCH");
    for (name, part) in ["SVMQ_VERSION_MAJOR", "SVMQ_VERSION_MINOR", "SVMQ_VERSION_PATCH"].iter().zip(parts) {
        assert_eq!(header_define(&header, name), part, "{name}");
    }
}

#[test]
fn svmq_version_returns_cargo_tomls() {
    let p = svmq::capi::svmq_version();
    assert!(!p.is_null());
    // SAFETY: svmq_version returns a static NUL-terminated string.
    let s = unsafe { CStr::from_ptr(p) };
    assert_eq!(s.to_str().unwrap(), cargo_toml_version());
    assert_eq!(svmq::capi::svmq_version(), p, "the same static string every time");
}

#[test]
fn tool_prints_its_version() {
    let o = common::target_command(std::path::Path::new(env!("CARGO_BIN_EXE_svmq"))).arg("--version").output().unwrap();
    assert!(o.status.success(), "{o:?}");
    assert!(o.stderr.is_empty());
    assert_eq!(String::from_utf8(o.stdout).unwrap(), format!("svmq {}\n", cargo_toml_version()));
}
