//! `cargo xtask reproduce`'s user errors: bad options fail with one line. The
//! reproduction itself, driving `qmtl` on the corpora (and a named dataset that
//! is absent), is tested end to end in the workspace's `tests/reproduce_smoke.rs`.

use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("reproduce")
        .args(args)
        .env("QMTL_OFFLINE", "1")
        .output()
        .expect("running xtask")
}

#[test]
fn user_errors_are_one_line() {
    for (args, expect) in [
        (&["--profile", "huge"][..], "unknown profile `huge`"),
        (&["--only", "fig9"][..], "unknown experiment `fig9`"),
        (&["--datasets", "xx"][..], "unknown dataset `xx`"),
        (&["--jobs", "0"][..], "--jobs must be at least 1"),
        (&["--frobnicate"][..], "unknown option `--frobnicate`"),
    ] {
        let out = xtask(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
}
