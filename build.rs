//! Generates the C header from `src/capi.rs` with cbindgen (pinned in Cargo.toml).
//!
//! The header is always written to `$OUT_DIR/svmq.h`; `tests/header.rs` fails when the committed
//! `include/svmq.h` differs from it. To refresh the committed copy:
//! `SVMQ_UPDATE_HEADER=1 cargo build` (the README says so too).
//!
//! The version macros (`SVMQ_VERSION_MAJOR`, `_MINOR`, `_PATCH`, `SVMQ_VERSION`) come from Cargo.toml's
//! version and are added after the includes.
//!
//! It also links the `svmq` tool without any C runtime: its own `_start`, no libc, static, no PIE.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=src/capi.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=SVMQ_UPDATE_HEADER");
    // The target triple, for the tests that build and run C peers and examples for the same target.
    println!("cargo:rustc-env=SVMQ_TARGET={}", env::var("TARGET").expect("cargo sets TARGET"));

    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    config.after_includes = Some(version_macros() + config.after_includes.as_deref().unwrap_or(""));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/capi.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let generated = out_dir.join("svmq.h");
    bindings.write_to_file(&generated);
    if env::var_os("SVMQ_UPDATE_HEADER").is_some() {
        // A packaged crate (`cargo package`, crates.io, docs.rs) has `Cargo.toml.orig` beside its
        // manifest: never write into it, only into OUT_DIR.
        if crate_dir.join("Cargo.toml.orig").exists() {
            println!(
                "cargo:warning=SVMQ_UPDATE_HEADER ignored in a packaged crate: the header is in {}",
                generated.display()
            );
        } else {
            bindings.write_to_file(crate_dir.join("include/svmq.h"));
        }
    }

    // The no_std, no_main `svmq` binary: no C start files, no libc, fully static, not position-independent
    // (its _start does not relocate itself). 4 KiB segment alignment: aarch64's default of 64 KiB would
    // pad the file past the tool's 64 KiB budget; no RELRO (nothing to protect, and it pads too).
    // The cost: read-only data is mapped executable too (the freestanding example links the same way).
    // The same for the libc-free PID 1 programs (feature `pid1`): examples/pid1/ and tests/guest/.
    let discard = crate_dir.join("src/bin/svmq/discard-unwind.ld");
    println!("cargo:rerun-if-changed=src/bin/svmq/discard-unwind.ld");
    for bin in ["svmq", "svmq-pid1", "svmq-guest-init"] {
        for arg in [
            "-nostartfiles",
            "-nostdlib",
            "-static",
            "-no-pie",
            "-Wl,--gc-sections",
            "-Wl,--build-id=none",
            "-Wl,-z,max-page-size=4096",
            // Data right after the code in the file: with powerpc's common page size (= the maximum here)
            // the linker starts the data segment at a page boundary of the file, padding up to 4 KiB.
            "-Wl,-z,common-page-size=64",
            "-Wl,-z,norelro",
            // Code and read-only data in one segment, as binutils did before 2.31: separate segments pad
            // each to a page boundary in the file, about 8 KiB of a 64 KiB budget (i686: 69 KiB -> 61 KiB).
            "-Wl,-z,noseparate-code",
            // No unwind tables (panic = "abort": nothing unwinds), about 4 KiB: a script fragment that
            // discards them, inserted into the linker's default script.
            "-Wl,--no-eh-frame-hdr",
        ] {
            println!("cargo:rustc-link-arg-bin={bin}={arg}");
        }
        println!("cargo:rustc-link-arg-bin={bin}=-Wl,-T,{}", discard.display());
    }
}

/// The version macros, from Cargo.toml's version (`svmq_version()` returns the library's at run time).
fn version_macros() -> String {
    let part = |name: &str| env::var(name).unwrap_or_else(|_| panic!("cargo sets {name}"));
    let (major, minor, patch) =
        (part("CARGO_PKG_VERSION_MAJOR"), part("CARGO_PKG_VERSION_MINOR"), part("CARGO_PKG_VERSION_PATCH"));
    let version = part("CARGO_PKG_VERSION");
    format!(
        "
/* The version of this header (Cargo.toml's); svmq_version() returns the library's. */
#define SVMQ_VERSION_MAJOR {major}
#define SVMQ_VERSION_MINOR {minor}
#define SVMQ_VERSION_PATCH {patch}
#define SVMQ_VERSION \"{version}\"

"
    )
}
