//! `include/svmq.h` is what cbindgen generates from `src/capi.rs`, and a program calling every function
//! it declares compiles cleanly (`-Wall -Wextra -Werror -pedantic`) as C89, C99, C11, C++98 and C++17.
//! Refresh a stale header with `SVMQ_UPDATE_HEADER=1 cargo build`.

use std::path::Path;
use std::process::Command;

const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/svmq.h"));

fn committed() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/svmq.h")).expect("include/svmq.h")
}

#[test]
fn committed_header_is_fresh() {
    assert!(
        committed() == GENERATED,
        "include/svmq.h is stale: run `SVMQ_UPDATE_HEADER=1 cargo build` and commit the result"
    );
}

#[test]
fn header_declares_the_contract() {
    let h = committed();
    for item in [
        "int32_t svmq_ftok(const char *path, int32_t proj_id, int32_t *out_key);",
        "int32_t svmq_get(int32_t key, int32_t flags);",
        "int32_t svmq_remove(int32_t msqid);",
        "const char *svmq_strerror(int32_t err);",
        "typedef struct svmq_stat svmq_stat_t;",
        "typedef struct svmq_set svmq_set_t;",
        "typedef struct svmq_limits svmq_limits_t;",
        "#define SVMQ_MAX_PAYLOAD 8192",
        "#ifdef __cplusplus",
    ] {
        assert!(h.contains(item), "header lacks {item}");
    }
    for name in [
        "svmq_send(",
        "svmq_recv(",
        "svmq_send_raw(",
        "svmq_recv_raw(",
        "svmq_stat(",
        "svmq_set(",
        "svmq_limits(",
        "svmq_stat_index(",
    ] {
        assert!(h.contains(name), "header lacks {name}");
    }
}

/// Calls every function of the header, uses every type and constant; written in the common subset of
/// C89 and C++98 (declarations first, `/* */` comments, no `long long`), so that any warning comes from
/// the header. Compiled only, never run.
const USE_ALL: &str = r#"#include "svmq.h"

int use_all(void);

int use_all(void) {
    int32_t key = 0, id, r = 0;
    long mtype = 0;
    char buf[16];
    struct { long mtype; char text[16]; } msg;
    svmq_stat_t st;
    struct svmq_stat st2;
    svmq_set_t set;
    svmq_limits_t lim;
    svmq_spin_t spin;
    const char *s;
    int64_t n;

    r |= svmq_ftok("/", 1, &key);
    id = svmq_get(key, SVMQ_IPC_CREAT | SVMQ_IPC_EXCL | 0600);
    id = svmq_get(SVMQ_IPC_PRIVATE, 0600);
    r |= svmq_send(id, 1, "x", 1, SVMQ_IPC_NOWAIT);
    n = svmq_recv(id, 0, buf, sizeof buf, &mtype, SVMQ_IPC_NOWAIT | SVMQ_MSG_NOERROR | SVMQ_MSG_EXCEPT);
    n += svmq_recv(id, 0, buf, sizeof buf, NULL, SVMQ_IPC_NOWAIT | SVMQ_MSG_COPY);
    msg.mtype = 1;
    msg.text[0] = 'x';
    r |= svmq_send_raw(id, &msg, 1, 0);
    n += svmq_recv_raw(id, &msg, sizeof msg.text, 0, 0);
    r |= svmq_spin_init(&spin, SVMQ_SPIN_DEFAULT_NS);
    n += svmq_recv_raw_spin(id, &msg, sizeof msg.text, 0, 0, &spin);
    r |= svmq_stat(id, &st);
    set.uid = st.uid;
    set.gid = st.gid;
    set.mode = st.mode;
    set.qbytes = st.qbytes;
    r |= svmq_set(id, &set);
    r |= svmq_limits(&lim);
    r |= svmq_stat_index(lim.max_index, &st2);
    s = svmq_strerror(r);
    s = svmq_errname(r);
    n += svmq_recv_timed(id, 0, buf, sizeof buf, &mtype, 0, 1000);
    n += svmq_recv_raw_timed(id, &msg, sizeof msg.text, 0, 0, 1000);
    r |= svmq_send_timed(id, 1, "x", 1, 0, 1000);
    r |= svmq_send_raw_timed(id, &msg, 1, 0, 1000);
    r |= svmq_timeout_signal(0);
    s = svmq_version();
    r |= svmq_remove(id);
    return r + (int)n + (s != NULL) + (int)SVMQ_MAX_PAYLOAD + (int)spin.opaque[0];
}

int main(void) {
    return use_all() == 0 ? 0 : 1;
}
"#;

#[test]
fn use_all_calls_every_function_of_the_header() {
    let h = committed();
    let mut declared = 0;
    for line in h.lines().filter(|l| !l.starts_with(' ') && !l.starts_with('#') && !l.starts_with('/')) {
        let Some(open) = line.find('(') else { continue };
        let Some(start) = line[..open].rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) else { continue };
        let name = &line[start + 1..open];
        if name.starts_with("svmq_") {
            declared += 1;
            assert!(USE_ALL.contains(&format!("{name}(")), "the header test program does not call {name}: add it");
        }
    }
    assert!(declared >= 15, "found only {declared} functions in the header");
}

/// Compiles `USE_ALL` with `compiler` and `args` (one directory per test: the tests run in parallel).
fn compiles(label: &str, compiler: &str, args: &[&str]) {
    let dir = std::env::temp_dir().join(format!("svmq-header-{}-{label}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("use.c");
    std::fs::write(&src, USE_ALL).unwrap();
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let out = Command::new(compiler)
        .args(args)
        .args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-pedantic-errors"])
        .arg("-I")
        .arg(&include)
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(dir.join("use.o"))
        .output();
    std::fs::remove_dir_all(&dir).unwrap();
    match out {
        Ok(o) => assert!(o.status.success(), "{compiler} {args:?}: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) if std::env::var_os("CI").is_none() => eprintln!("SKIPPED: {compiler} not runnable here: {e}"),
        Err(e) => panic!("{compiler}: {e}"),
    }
}

#[test]
fn header_compiles_as_c89() {
    compiles("c89", "gcc", &["-std=c89"]);
}

#[test]
fn header_compiles_as_c99() {
    compiles("c99", "gcc", &["-std=c99"]);
}

#[test]
fn header_compiles_as_c11() {
    compiles("c11", "gcc", &["-std=c11"]);
}

#[test]
fn header_compiles_as_cpp98() {
    compiles("cpp98", "g++", &["-x", "c++", "-std=c++98"]);
}

#[test]
fn header_compiles_as_cpp17() {
    compiles("cpp17", "g++", &["-x", "c++", "-std=c++17"]);
}
