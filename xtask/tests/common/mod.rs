//! What the end-to-end tests of xtask share: the workspace root, the qmtl
//! binary and the data, and the rule that a test which cannot run says so
//! loudly, or fails where it must run (CI).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The corpora: `QMTL_DATA`, else `../shared/data` beside the workspace.
pub fn data_dir() -> PathBuf {
    std::env::var_os("QMTL_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().parent().unwrap().join("shared").join("data"))
}

/// Says why `test` cannot run: a loud skip, or a failure where a skip is not
/// allowed (`QMTL_REQUIRE_DATA=1`, which CI sets: there the data is present).
pub fn skip(test: &str, why: String) -> Option<PathBuf> {
    if std::env::var_os("QMTL_REQUIRE_DATA").is_some() {
        panic!("{test} cannot run and QMTL_REQUIRE_DATA is set: {why}");
    }
    eprintln!("\n*** {test} skipped: {why} ***\n");
    None
}

/// The qmtl binary and a data folder, or None after printing why not.
pub fn setup(test: &str) -> Option<PathBuf> {
    let qmtl = std::env::var_os("QMTL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // target/<profile>/deps/reproduce-<hash> -> target/<profile>/qmtl
            let exe = std::env::current_exe().unwrap();
            exe.parent().unwrap().parent().unwrap().join("qmtl")
        });
    if !qmtl.is_file() {
        return skip(
            test,
            format!(
                "the qmtl binary was not found at {} (build it with `cargo build --release \
                 -p qmtl`, or set QMTL_BIN)",
                qmtl.display()
            ),
        );
    }
    let data = data_dir();
    if !data.join("ud-2.2").is_dir() {
        return skip(
            test,
            format!("data not found at {} (set QMTL_DATA)", data.display()),
        );
    }
    Some(qmtl)
}

/// `cargo xtask reproduce ARGS --results RESULTS --qmtl QMTL`, offline.
pub fn reproduce(qmtl: &Path, results: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.arg("reproduce")
        .args(args)
        .arg("--results")
        .arg(results)
        .arg("--qmtl")
        .arg(qmtl)
        .env("QMTL_OFFLINE", "1");
    cmd
}

/// The stdout of a run of xtask that must succeed; both streams if it failed.
pub fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "xtask failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
