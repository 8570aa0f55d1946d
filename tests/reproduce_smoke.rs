//! `cargo xtask reproduce` end to end, the xtask driving the `qmtl` binary on
//! the corpora: the smoke profile into a temporary results folder (report,
//! every figure and CSV, with numbers), a second invocation that reuses every
//! run, the `--emit-jobs` / `--report-only` path a cluster takes, resumed,
//! damaged and shared runs, `--verify`, runs that die with their runner, and a
//! named dataset that is absent.
//! They need the corpora in `../shared/data` (or `QMTL_DATA`); without them
//! they say loudly that they were skipped. Errors of the xtask's options are
//! crate-level tests, in `xtask/tests/`.

use std::path::Path;
use std::process::{Command, Output};

use qmtl_e2e::{bins, ok, reproduce, setup, skip};

/// The smoke profile's Table 2 on Tamil: k = 1, 3, 6, three short runs.
const SMOKE_TA_TABLE2: [&str; 6] = ["--profile", "smoke", "--only", "table2", "--datasets", "ta"];

fn xtask(args: &[&str]) -> Output {
    Command::new(&bins().xtask)
        .arg("reproduce")
        .args(args)
        .env("QMTL_OFFLINE", "1")
        .output()
        .expect("running xtask")
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
        "how robust are the claims to the seed",
        "## Diagnosis",
        "how far to trust the heads",
        "Verification",
    ] {
        assert!(report.contains(heading), "report lacks {heading}");
    }
    assert!(
        report.contains("**0 pending**"),
        "runs left pending:\n{report}"
    );
    assert!(has_number(&report));
    for fig in [
        "fig2",
        "fig3",
        "fig4",
        "fig5",
        "fig6",
        "fig7",
        "trust-reliability",
        "trust-risk-coverage",
        "trust-noise",
    ] {
        let svg = std::fs::read_to_string(results.join(format!("figures/{fig}.svg"))).unwrap();
        assert!(svg.contains("<svg") && (svg.contains("<rect") || svg.contains("<circle")));
        let csv = std::fs::read_to_string(results.join(format!("figures/{fig}.csv"))).unwrap();
        assert!(csv.lines().count() >= 2, "{fig}.csv has no rows");
        assert!(has_number(&csv), "{fig}.csv has no numbers");
        assert!(report.contains(&format!("figures/{fig}.svg")));
    }
    for t in ["table1", "table2", "table3", "seeds", "trust"] {
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
    let mut emit = SMOKE_TA_TABLE2.to_vec();
    emit.extend(["--emit-jobs", jobs.to_str().unwrap()]);
    let said = ok(&reproduce(&qmtl, &results, &emit).output().unwrap());
    // The command it suggests for the report keeps every option but
    // --emit-jobs, --results among them.
    let then = said
        .split("then: ")
        .nth(1)
        .unwrap_or_else(|| panic!("{said}"));
    assert!(
        then.contains(&format!("--results {}", results.display()))
            && then.trim_end().ends_with("--report-only")
            && !then.contains("--emit-jobs"),
        "{said}"
    );
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
    let mut report_only = SMOKE_TA_TABLE2.to_vec();
    report_only.push("--report-only");
    let out = reproduce(&qmtl, &results, &report_only).output().unwrap();
    assert_eq!(counts(&ok(&out)), (0, 3));
    // A mistyped --results is an error, not an empty report in a new folder.
    let typo = dir.path().join("resluts");
    let out = reproduce(&qmtl, &typo, &report_only).output().unwrap();
    assert!(!out.status.success() && !typo.exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such folder"));
    let report = std::fs::read_to_string(results.join("report.md")).unwrap();
    assert!(report.contains("**0 pending**"));
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

/// The smoke Table 2 runs of Tamil into `results`, with extra environment.
fn smoke_table2(qmtl: &Path, results: &Path, env: &[(&str, &str)]) -> Output {
    let mut args = SMOKE_TA_TABLE2.to_vec();
    args.extend(["--jobs", "2"]);
    reproduce(qmtl, results, &args)
        .envs(env.iter().copied())
        .output()
        .expect("running xtask")
}

/// Finished record folders of `results/runs`, by key.
fn records(results: &Path) -> Vec<String> {
    let mut keys: Vec<String> = std::fs::read_dir(results.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    keys.sort();
    keys
}

/// run.json without what depends on the clock and the thread count.
fn timeless(path: &Path) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["train_seconds"] = 0.into();
    v["config"]["threads"] = 0.into();
    for e in v["epochs"].as_array_mut().unwrap() {
        e["train_seconds"] = 0.into();
        e["tokens_per_second"] = 0.into();
    }
    v
}

#[test]
fn interrupted_runs_resume_from_their_checkpoint() {
    let Some(qmtl) = setup("interrupted_runs_resume_from_their_checkpoint") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (cut, whole) = (dir.path().join("cut"), dir.path().join("whole"));
    // Every run stops after epoch 1 of 2, as if killed: the invocation fails
    // and keeps the folders with their checkpoints.
    let out = smoke_table2(&qmtl, &cut, &[("QMTL_ABORT_AFTER_EPOCH", "1")]);
    assert!(!out.status.success());
    assert!(records(&cut).is_empty());
    let kept = std::fs::read_dir(cut.join("runs"))
        .unwrap()
        .filter(|e| {
            let e = e.as_ref().unwrap();
            e.file_name().to_string_lossy().starts_with(".tmp-")
                && e.path().join("checkpoint.qmtl").is_file()
        })
        .count();
    assert_eq!(
        kept, 3,
        "k = 1, 3, 6: three interrupted runs with checkpoints"
    );
    // The next invocation resumes them; the records equal uninterrupted ones.
    let (executed, _) = counts(&ok(&smoke_table2(&qmtl, &cut, &[])));
    assert_eq!(executed, 3);
    ok(&smoke_table2(&qmtl, &whole, &[]));
    let keys = records(&cut);
    assert_eq!(keys, records(&whole));
    for k in &keys {
        let (a, b) = (cut.join("runs").join(k), whole.join("runs").join(k));
        let log = std::fs::read_to_string(a.join("train.log")).unwrap();
        assert!(log.contains("resuming"), "{k} did not resume:\n{log}");
        // Its time covers the last part only, and its record says so.
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(a.join("meta.json")).unwrap()).unwrap();
        assert_eq!(meta["resumed"], true, "{meta}");
        let whole_meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(b.join("meta.json")).unwrap()).unwrap();
        assert!(whole_meta.get("resumed").is_none(), "{whole_meta}");
        assert!(!a.join("checkpoint.qmtl").exists());
        assert_eq!(timeless(&a.join("run.json")), timeless(&b.join("run.json")));
        assert!(
            std::fs::read(a.join("model.qmtl")).unwrap()
                == std::fs::read(b.join("model.qmtl")).unwrap(),
            "{k}: the resumed model differs"
        );
    }
}

#[test]
fn a_damaged_record_is_moved_aside_and_made_again() {
    let Some(qmtl) = setup("a_damaged_record_is_moved_aside_and_made_again") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    ok(&smoke_table2(&qmtl, &results, &[]));
    let keys = records(&results);
    let victim = results.join("runs").join(&keys[0]).join("run.json");
    let whole = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &whole[..whole.len() / 2]).unwrap(); // truncated
                                                                 // A model that is not the one its record names (one byte changed).
    let model = results.join("runs").join(&keys[1]).join("model.qmtl");
    let mut bytes = std::fs::read(&model).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&model, &bytes).unwrap();
    let out = smoke_table2(&qmtl, &results, &[]);
    assert_eq!(counts(&ok(&out)), (2, 1), "the damaged runs are made again");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a whole run record") && err.contains(".damaged"),
        "{err}"
    );
    assert!(
        err.contains("model.qmtl: its SHA-256 is") && err.contains("names"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(results.join("runs/.damaged"))
            .unwrap()
            .count(),
        2
    );
    let remade = victim.with_extension("again");
    std::fs::write(&remade, &whole).unwrap();
    assert_eq!(
        timeless(&victim),
        timeless(&remade),
        "remade with the same numbers"
    );
    let report = std::fs::read_to_string(results.join("report.md")).unwrap();
    assert!(report.contains("**0 pending**"));
}

#[test]
fn two_reproductions_on_one_folder_share_the_work() {
    let Some(qmtl) = setup("two_reproductions_on_one_folder_share_the_work") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let spawn = || {
        let args = [
            "--profile",
            "smoke",
            "--only",
            "table2,fig5",
            "--datasets",
            "ta,hu",
        ];
        reproduce(&qmtl, &results, &args)
            .args(["--jobs", "1"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let (ea, eb) = (counts(&ok(&a)).0, counts(&ok(&b)).0);
    let planned = records(&results).len();
    // Table 2: k = 1, 3, 6; Figure 5: Q-MTL(3) (Table 2's) and ensemble(3) at
    // 0 and 30% noise: 6 runs per treebank.
    assert_eq!(planned, 12);
    assert_eq!(ea + eb, planned, "a run was trained twice ({ea} + {eb})");
}

#[test]
fn killing_the_runner_kills_its_runs() {
    let Some(qmtl) = setup("killing_the_runner_kills_its_runs") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    // Quick-profile Table 2 runs last seconds: long enough to be caught in flight.
    let quick = ["--profile", "quick", "--only", "table2", "--datasets", "ta"];
    let mut child = reproduce(&qmtl, &results, &quick)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let runs = results.join("runs");
    let in_flight = || -> Vec<u32> {
        let mut pids = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmd).contains(runs.to_str().unwrap()) {
                pids.push(pid);
            }
        }
        pids
    };
    let t = std::time::Instant::now();
    while in_flight().is_empty() {
        assert!(t.elapsed().as_secs() < 120, "no run started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: the runner gets no chance to clean up
    child.wait().unwrap();
    let t = std::time::Instant::now();
    while !in_flight().is_empty() {
        assert!(
            t.elapsed().as_secs() < 10,
            "runs outlived their runner: {:?}",
            in_flight()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn verify_retrains_the_cheapest_runs_and_compares() {
    let Some(qmtl) = setup("verify_retrains_the_cheapest_runs_and_compares") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    ok(&smoke_table2(&qmtl, &results, &[]));
    let verify = |n: &str| {
        let mut args = SMOKE_TA_TABLE2.to_vec();
        args.extend(["--verify", n]);
        ok(&reproduce(&qmtl, &results, &args).output().unwrap())
    };
    let out = verify("2");
    assert!(out.contains("2 of 2 gave test scores equal"), "{out}");
    let report = std::fs::read_to_string(results.join("report.md")).unwrap();
    assert!(report.contains("2 of 2 gave test scores equal"), "{report}");

    // A record whose test score was changed by 0.5 points is caught.
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(results.join("verify.json")).unwrap()).unwrap();
    let key = v["runs"][0]["key"].as_str().unwrap().to_string();
    let file = results.join("runs").join(&key).join("run.json");
    let mut run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let avg = run["test"]["avg"].as_f64().unwrap();
    run["test"]["avg"] = (avg + 0.005).into();
    std::fs::write(&file, serde_json::to_vec(&run).unwrap()).unwrap();
    // The kernels of both sides are recorded, and they are the same here.
    let isa = v["isa"].as_str().expect("verify.json names its kernels");
    assert_eq!(v["runs"][0]["recorded_isa"].as_str(), Some(isa), "{v}");
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(results.join("runs").join(&key).join("meta.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["isa"].as_str(), Some(isa), "{meta}");
    let out = verify("3");
    assert!(out.contains("2 of 3 gave test scores equal"), "{out}");
    assert!(out.contains("differ by up to 0.5000 points"), "{out}");
    assert!(out.contains("the same kernels, so the engine's"), "{out}");
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
        // Passing here would check nothing: a loud skip, a failure in CI.
        skip::<()>(
            "a_named_dataset_that_is_absent_is_an_error",
            "Basque-BDT (eu) is present here, so its absence cannot be tested".into(),
        );
        return;
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not present: eu"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn figure_6_compares_seconds_of_one_cpu_model_only() {
    let Some(qmtl) = setup("figure_6_compares_seconds_of_one_cpu_model_only") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let args = [
        "--profile",
        "smoke",
        "--only",
        "fig6",
        "--datasets",
        "ta",
        "--jobs",
        "2",
    ];
    ok(&reproduce(&qmtl, &results, &args).output().unwrap());
    let fig6 = |results: &Path| -> Vec<String> {
        std::fs::read_to_string(results.join("report.md"))
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("| Figure 6:"))
            .map(String::from)
            .collect()
    };
    let before = fig6(&results);
    assert!(
        !before.is_empty() && before.iter().all(|l| l.contains("(CPU)")),
        "{before:?}"
    );
    // One run made on another CPU model: its treebank's seconds no longer compare.
    let key = &records(&results)[0];
    let path = results.join("runs").join(key).join("meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    meta["cpu"] = "Another CPU".into();
    std::fs::write(&path, serde_json::to_vec_pretty(&meta).unwrap()).unwrap();
    let mut args = args[..6].to_vec();
    args.push("--report-only");
    ok(&reproduce(&qmtl, &results, &args).output().unwrap());
    let after = fig6(&results);
    assert!(
        after.iter().any(|l| l.contains("made on different CPUs")),
        "{after:?}"
    );
}
