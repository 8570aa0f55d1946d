//! The one option parser of every xtask task (`Args` in `src/main.rs`): a
//! missing value, a bad number or an unknown option fails with one line that
//! names the option, whichever task it is given to. Needs neither data nor
//! the qmtl binary: each error comes before any work starts.

use std::process::Command;

fn one_line_error(args: &[&str], expect: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("QMTL_OFFLINE", "1")
        .output()
        .expect("running xtask");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(err.contains(expect), "{args:?}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
}

#[test]
fn every_task_reports_option_errors_the_same_way() {
    for task in ["compare", "reproduce", "speed"] {
        one_line_error(
            &[task, "--frobnicate"],
            "unknown option `--frobnicate`; usage: cargo xtask",
        );
    }
    for (args, expect) in [
        (&["reproduce", "--jobs"][..], "--jobs needs a value; usage:"),
        (&["reproduce", "--jobs", "x"][..], "--jobs: cannot read `x`"),
        (
            &["reproduce", "--verify", "-1"][..],
            "--verify: cannot read `-1`",
        ),
        (
            &["reproduce", "--seeds", "1,b"][..],
            "--seeds: cannot read `b`",
        ),
        (
            &["reproduce", "--seeds", ","][..],
            "--seeds needs at least one value",
        ),
        (
            &["compare", "--epochs", "2.5"][..],
            "--epochs: cannot read `2.5`",
        ),
        (&["compare", "--seed"][..], "--seed needs a value; usage:"),
        (
            &["speed", "--heads", "10,x"][..],
            "--heads: cannot read `x`",
        ),
        (
            &["speed", "--heads", "10,0"][..],
            "every --heads, --ensembles and --threads value must be at least 1",
        ),
        (&["speed", "--rounds"][..], "--rounds needs a value; usage:"),
    ] {
        one_line_error(args, expect);
    }
}

#[test]
fn reproduce_help_lists_the_profiles() {
    for flag in ["--help", "-h"] {
        let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["reproduce", flag])
            .output()
            .expect("running xtask");
        assert!(out.status.success(), "reproduce {flag} failed");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("usage: cargo xtask reproduce"), "{text}");
        for profile in ["smoke", "quick", "paper"] {
            assert!(
                text.lines().any(|l| l.trim_start().starts_with(profile)),
                "no description of {profile} in\n{text}"
            );
        }
    }
}
