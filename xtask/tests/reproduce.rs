//! End-to-end tests of `cargo xtask reproduce`: the smoke profile into a temporary
//! results folder (report, every figure and CSV, with numbers), a second
//! invocation that reuses every run, the `--emit-jobs` / `--report-only` path a
//! cluster takes, and one-line errors for bad options. They drive the release
//! `qmtl` binary that `cargo test --release --workspace` builds next to this
//! test (or `QMTL_BIN`), and need the corpora in `../shared/data` (or
//! `QMTL_DATA`); without either they say loudly that they were skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The qmtl binary and a data folder, or None after printing why not.
fn setup(test: &str) -> Option<PathBuf> {
    let qmtl = std::env::var_os("QMTL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // target/<profile>/deps/reproduce-<hash> -> target/<profile>/qmtl
            let exe = std::env::current_exe().unwrap();
            exe.parent().unwrap().parent().unwrap().join("qmtl")
        });
    if !qmtl.is_file() {
        eprintln!(
            "\n*** {test} skipped: the qmtl binary was not found at {} \
             (build it with `cargo build --release -p qmtl`, or set QMTL_BIN) ***\n",
            qmtl.display()
        );
        return None;
    }
    let data = std::env::var_os("QMTL_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().parent().unwrap().join("shared").join("data"));
    if !data.join("ud-2.2").is_dir() {
        eprintln!(
            "\n*** {test} skipped: data not found at {} (set QMTL_DATA) ***\n",
            data.display()
        );
        return None;
    }
    Some(qmtl)
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("reproduce")
        .args(args)
        .env("QMTL_OFFLINE", "1")
        .output()
        .expect("running xtask")
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "xtask failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// (executed, reused) from the summary line `reproduce: N runs: E executed, R reused, ...`.
fn counts(stdout: &str) -> (usize, usize) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("reproduce:") && l.contains("executed"))
        .unwrap_or_else(|| panic!("no summary line in\n{stdout}"));
    let num = |word: &str| -> usize {
        let before = &line[..line.find(word).unwrap()];
        before.split_whitespace().last().unwrap().parse().unwrap()
    };
    (num(" executed"), num(" reused"))
}

fn has_number(s: &str) -> bool {
    s.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .any(|w| w.contains('.') && w.parse::<f64>().is_ok())
}

#[test]
fn smoke_profile_end_to_end_then_everything_cached() {
    let Some(qmtl) = setup("smoke_profile_end_to_end_then_everything_cached") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let args = [
        "--profile",
        "smoke",
        "--results",
        results.to_str().unwrap(),
        "--qmtl",
        qmtl.to_str().unwrap(),
        "--jobs",
        "2",
    ];
    let (executed, reused) = counts(&ok(&xtask(&args)));
    assert!(executed > 20, "only {executed} runs executed");
    assert_eq!(reused, 0);

    let report = std::fs::read_to_string(results.join("report.md")).unwrap();
    for heading in [
        "Table 1", "Table 2", "Figure 2", "Figure 3", "Figure 4", "Figure 5",
    ] {
        assert!(report.contains(heading), "report lacks {heading}");
    }
    for heading in [
        "Figure 6",
        "Table 3",
        "Figure 7",
        "## Environment",
        "orderings",
    ] {
        assert!(report.contains(heading), "report lacks {heading}");
    }
    assert!(
        report.contains("**0 pending**"),
        "runs left pending:\n{report}"
    );
    assert!(has_number(&report));
    for fig in ["fig2", "fig3", "fig4", "fig5", "fig6", "fig7"] {
        let svg = std::fs::read_to_string(results.join(format!("figures/{fig}.svg"))).unwrap();
        assert!(svg.contains("<svg") && (svg.contains("<rect") || svg.contains("<circle")));
        let csv = std::fs::read_to_string(results.join(format!("figures/{fig}.csv"))).unwrap();
        assert!(csv.lines().count() >= 2, "{fig}.csv has no rows");
        assert!(has_number(&csv), "{fig}.csv has no numbers");
        assert!(report.contains(&format!("figures/{fig}.svg")));
    }
    for t in ["table1", "table2", "table3"] {
        let csv = std::fs::read_to_string(results.join(format!("tables/{t}.csv"))).unwrap();
        assert!(csv.lines().count() >= 2 && csv.chars().any(|c| c.is_ascii_digit()));
    }

    let (again, cached) = counts(&ok(&xtask(&args)));
    assert_eq!(
        (again, cached),
        (0, executed),
        "the second invocation retrained"
    );
}

#[test]
fn emitted_jobs_run_by_a_shell_then_report_only() {
    let Some(qmtl) = setup("emitted_jobs_run_by_a_shell_then_report_only") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let jobs = dir.path().join("jobs.sh");
    let common = [
        "--profile",
        "smoke",
        "--only",
        "table2",
        "--datasets",
        "ta",
        "--results",
        results.to_str().unwrap(),
        "--qmtl",
        qmtl.to_str().unwrap(),
    ];
    let mut emit = common.to_vec();
    emit.extend(["--emit-jobs", jobs.to_str().unwrap()]);
    ok(&xtask(&emit));
    let text = std::fs::read_to_string(&jobs).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "k = 1, 3, 6 on ta:\n{text}");
    for line in &lines {
        assert!(line.contains(" train ") && line.contains("--out") && line.contains("mv -T"));
        let st = Command::new("bash").arg("-c").arg(line).status().unwrap();
        assert!(st.success(), "job failed: {line}");
    }
    assert!(!std::fs::read_dir(results.join("runs")).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with(".tmp-")));
    let mut report_only = common.to_vec();
    report_only.push("--report-only");
    assert_eq!(counts(&ok(&xtask(&report_only))), (0, 3));
    let report = std::fs::read_to_string(results.join("report.md")).unwrap();
    assert!(report.contains("**0 pending**"));
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

#[test]
fn numbers_do_not_depend_on_jobs() {
    let Some(qmtl) = setup("numbers_do_not_depend_on_jobs") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let table = |jobs: &str| {
        let results = dir.path().join(format!("jobs{jobs}"));
        ok(&xtask(&[
            "--profile",
            "smoke",
            "--only",
            "table2",
            "--datasets",
            "ta,tr",
            "--jobs",
            jobs,
            "--results",
            results.to_str().unwrap(),
            "--qmtl",
            qmtl.to_str().unwrap(),
        ]));
        std::fs::read_to_string(results.join("tables/table2.csv")).unwrap()
    };
    assert_eq!(table("1"), table("4"));
}

#[test]
fn a_named_dataset_that_is_absent_is_an_error() {
    let Some(qmtl) = setup("a_named_dataset_that_is_absent_is_an_error") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = xtask(&[
        "--datasets",
        "ta,eu",
        "--only",
        "table1",
        "--results",
        dir.path().to_str().unwrap(),
        "--qmtl",
        qmtl.to_str().unwrap(),
    ]);
    if out.status.success() {
        eprintln!("note: Basque-BDT (eu) is present here, so its absence cannot be tested");
        return;
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not present: eu"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
