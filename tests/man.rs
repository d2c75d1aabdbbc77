//! The man pages (`man/`) cover the whole C API: every function declared in `include/svmq.h` has its page
//! `man3/FUNCTION.3` (a page, or a `.so` link to the page that documents it with its siblings), whose NAME
//! lists it and whose SYNOPSIS declares it exactly as the header does; every page names Cargo.toml's
//! version. `.ci/check-man` renders every page and fails on any warning.

mod common;

use std::path::{Path, PathBuf};

fn man_dir() -> PathBuf {
    common::root().join("man")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The function prototypes of the header, one per line as cbindgen writes them (`args = "horizontal"`).
fn header_prototypes() -> Vec<(String, String)> {
    let header = read(&common::root().join("include/svmq.h"));
    let protos: Vec<(String, String)> = header
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()) && l.ends_with(");"))
        .filter_map(|l| {
            let open = l.find('(')?;
            let name = l[..open].rsplit([' ', '*']).next()?;
            name.starts_with("svmq_").then(|| (name.to_owned(), l.to_owned()))
        })
        .collect();
    assert!(protos.len() >= 16, "include/svmq.h: only {} prototypes found", protos.len());
    protos
}

/// A page's source, following a `.so` link (relative to `man/`, as man resolves it there).
fn page_source(section_dir: &str, name: &str) -> (PathBuf, String) {
    let path = man_dir().join(section_dir).join(name);
    let text = read(&path);
    match text.strip_prefix(".so ") {
        Some(target) => {
            assert_eq!(text.lines().count(), 1, "{}: a link page is one line", path.display());
            let target = man_dir().join(target.trim());
            let linked = read(&target);
            assert!(!linked.starts_with(".so "), "{}: a link to a link", path.display());
            (target, linked)
        }
        None => (path, text),
    }
}

/// The lines of section `name` (from `.SH name` to the next `.SH`).
fn section<'a>(page: &'a str, name: &str) -> Vec<&'a str> {
    let header = format!(".SH {name}");
    page.lines().skip_while(|l| *l != header).skip(1).take_while(|l| !l.starts_with(".SH")).collect()
}

/// The arguments of a roff request line: words, or double-quoted strings.
fn roff_args(s: &str) -> Vec<String> {
    let (mut args, mut cur, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' | '\t' if !quoted => {
                if any {
                    args.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            _ => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        args.push(cur);
    }
    args
}

/// The text of SYNOPSIS lines as a reader sees it: font requests and escapes removed, one space between
/// words.
fn synopsis_text(lines: &[&str]) -> String {
    let mut out = String::new();
    for l in lines {
        let text = if let Some(rest) = l.strip_prefix(".B ") {
            roff_args(rest).join(" ")
        } else if let Some(rest) =
            ["BI ", "BR ", "IB ", "IR ", "RB ", "RI "].iter().find_map(|m| l.strip_prefix('.')?.strip_prefix(m))
        {
            roff_args(rest).concat()
        } else if l.starts_with('.') {
            continue;
        } else {
            l.to_string()
        };
        out.push_str(&text);
        out.push(' ');
    }
    for esc in ["\\fB", "\\fI", "\\fR", "\\fP"] {
        out = out.replace(esc, "");
    }
    out.replace("\\-", "-").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_function_has_a_page_that_declares_it_as_the_header_does() {
    let mut missing = Vec::new();
    for (name, proto) in header_prototypes() {
        let link = man_dir().join("man3").join(format!("{name}.3"));
        if !link.exists() {
            missing.push(format!("{name}: no man/man3/{name}.3"));
            continue;
        }
        let (path, page) = page_source("man3", &format!("{name}.3"));
        let names = section(&page, "NAME").join(" ");
        let names = names.split("\\-").next().unwrap();
        if !names.split([',', ' ']).any(|n| n == name) {
            missing.push(format!("{name}: not in the NAME section of {}", path.display()));
        }
        let synopsis = synopsis_text(&section(&page, "SYNOPSIS"));
        let proto = proto.split_whitespace().collect::<Vec<_>>().join(" ");
        if !synopsis.contains(&proto) {
            missing
                .push(format!("{name}: the SYNOPSIS of {} does not declare `{proto}`:\n  {synopsis}", path.display()));
        }
    }
    assert!(missing.is_empty(), "man pages out of step with include/svmq.h:\n{}", missing.join("\n"));
}

#[test]
fn the_overview_lists_every_function() {
    let overview = read(&man_dir().join("man3/svmq.3"));
    for (name, _) in header_prototypes() {
        let listed = overview.lines().filter(|l| l.starts_with(".BR ")).any(|l| {
            let args = roff_args(&l[4..]);
            args.iter().step_by(2).any(|a| *a == name)
        });
        assert!(listed, "man/man3/svmq.3 does not list {name} (.BR {name} (3))");
    }
}

#[test]
fn every_page_names_cargo_tomls_version() {
    let version = format!("\"svmq {}\"", env!("CARGO_PKG_VERSION"));
    let mut pages = 0;
    for dir in ["man1", "man3"] {
        for entry in std::fs::read_dir(man_dir().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let text = read(&path);
            if text.starts_with(".so ") {
                continue;
            }
            let th = text.lines().next().unwrap();
            assert!(th.starts_with(".TH "), "{}: starts with .TH", path.display());
            assert!(
                th.contains(&version),
                "{}: {th} does not name {version} (after a version change: sed -i 's/\"svmq [0-9.]*\"/{version}/' man/*/*)",
                path.display()
            );
            pages += 1;
        }
    }
    assert!(pages >= 10, "only {pages} pages");
}

#[test]
fn roff_synopsis_parsing() {
    assert_eq!(
        synopsis_text(&[".B #include <svmq.h>", ".BI \"int32_t f(int32_t \" key \", long *\" out );"]),
        "#include <svmq.h> int32_t f(int32_t key, long *out);"
    );
}

/// The C text of a page's EXAMPLE program: the `.EX` lines between `.\" SRC BEGIN (NAME.c)` and
/// `.\" SRC END`, with the roff escapes undone (as `.ci/check-man-examples` extracts every page's).
fn example_code(page: &str) -> String {
    let mut code = String::new();
    let mut inside = false;
    for l in section(page, "EXAMPLE") {
        if l.starts_with(".\\\" SRC BEGIN (") {
            inside = true;
        } else if l.starts_with(".\\\" SRC END") {
            inside = false;
        } else if inside && !l.starts_with('.') {
            code.push_str(&l.replace("\\-", "-").replace("\\(aq", "'").replace("\\(dq", "\"").replace("\\e", "\\"));
            code.push('\n');
        }
    }
    code
}

#[test]
fn every_page_has_an_example_program() {
    for entry in std::fs::read_dir(man_dir().join("man3")).unwrap() {
        let path = entry.unwrap().path();
        let page = read(&path);
        if page.starts_with(".so ") {
            continue;
        }
        let code = example_code(&page);
        assert!(
            code.contains("int main("),
            "{}: its EXAMPLE is a whole program between .\\\" SRC BEGIN (NAME.c) and .\\\" SRC END \
             (.ci/check-man-examples compiles and runs it)",
            path.display()
        );
    }
}

/// The errno names in a text (`EINVAL`, `\fBEINVAL\fP`), or with `negated`, only those written as a
/// return value (`-EINVAL`: the header's convention; "such as \"ENOMSG\"" is no error of the function).
fn errnos(text: &str, negated: bool) -> std::collections::BTreeSet<String> {
    let text = text.replace("\\fB", " ").replace("\\fP", " ").replace("\\fR", " ").replace("\\-", "-");
    let words = text.split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'));
    words
        .filter_map(|w| if negated { w.strip_prefix('-') } else { Some(w.trim_start_matches('-')) })
        .filter(|w| (1..=133).any(|n| svmq::Errno::from_raw(n).name() == *w))
        .map(str::to_owned)
        .collect()
}

/// The doc comment cbindgen wrote above each function of the header: (name, comment).
fn header_docs() -> Vec<(String, String)> {
    let header = read(&common::root().join("include/svmq.h"));
    let mut out = Vec::new();
    let mut comment = String::new();
    for l in header.lines() {
        if l.starts_with("/**") {
            comment.clear();
        } else if let Some(text) = l.strip_prefix(" *") {
            comment.push_str(text);
            comment.push('\n');
        } else if let Some((name, _)) = header_prototypes().iter().find(|(_, p)| p == l) {
            out.push((name.clone(), std::mem::take(&mut comment)));
        }
    }
    out
}

#[test]
fn every_error_the_header_names_is_on_the_functions_page() {
    // A page's errors: its ERRORS section, and those of the pages that section refers to ("the errors
    // of svmq_recv_raw(3)").
    fn page_errors(name: &str, depth: u32) -> std::collections::BTreeSet<String> {
        let (_, page) = page_source("man3", &format!("{name}.3"));
        let errors = section(&page, "ERRORS").join("\n");
        let mut all = errnos(&errors, false);
        if depth < 3 {
            for (other, _) in header_prototypes() {
                if other != name && errors.contains(&format!("\\fB{other}\\fP(3)")) {
                    all.extend(page_errors(&other, depth + 1));
                }
            }
        }
        all
    }
    let mut missing = Vec::new();
    let docs = header_docs();
    assert!(docs.len() >= 16, "{} documented functions found in include/svmq.h", docs.len());
    for (name, doc) in docs {
        let on_page = page_errors(&name, 0);
        for e in errnos(&doc, true).difference(&on_page) {
            missing.push(format!("{name}: include/svmq.h names {e}, the ERRORS of its page do not"));
        }
    }
    assert!(missing.is_empty(), "man pages and header disagree:\n{}", missing.join("\n"));
}

#[test]
fn the_overview_example_compiles_and_runs() {
    let code = example_code(&read(&man_dir().join("man3/svmq.3")));
    assert!(code.contains("int main(void)"), "svmq.3's EXAMPLE is a whole program");
    if !cfg!(target_arch = "x86_64") {
        common::note("svmq.3's example is compiled and run by the x86_64 tests only");
        return;
    }
    // make -C c-examples builds the archive in the release profile, whatever profile runs the tests.
    let lib = common::profile_dir().parent().unwrap().join("release/libsvmq.a");
    let Some(lib) = common::require(&format!("{} (make -C c-examples)", lib.display()), lib.exists().then_some(lib))
    else {
        return;
    };
    let dir = common::TempDir::new("man-example");
    std::fs::write(dir.path("example.c"), code).unwrap();
    let out = std::process::Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(common::root().join("include"))
        .arg(dir.path("example.c"))
        .arg(&lib)
        .arg("-o")
        .arg(dir.path("example"))
        .output()
        .unwrap();
    assert!(out.status.success(), "svmq.3's example: {}", String::from_utf8_lossy(&out.stderr));
    let run = std::process::Command::new(dir.path("example")).output().unwrap();
    assert!(run.status.success(), "{run:?}");
    assert_eq!(String::from_utf8(run.stdout).unwrap(), "type 7: hello\n");
}
