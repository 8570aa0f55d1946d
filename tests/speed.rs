//! `cargo xtask speed` end to end on a few Tamil sentences: every
//! configuration trains on one and on two threads (the xtask driving `qmtl
//! train`) and the summary has a time ratio for each, and a speed-up over one
//! thread for the two-thread ones. Needs the corpora (`../shared/data` or `QMTL_DATA`);
//! without them it says loudly it skipped.

use std::process::Command;

use qmtl_e2e::{bins, data_dir, ok, setup};

#[test]
fn speed_prints_a_ratio_per_configuration() {
    let Some(qmtl) = setup("speed_prints_a_ratio_per_configuration") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(&bins().xtask)
        .args([
            "speed",
            "ta",
            "--rounds",
            "2",
            "--heads",
            "2,3",
            "--threads",
            "1,2",
        ])
        .args(["--max-sentences", "10", "--qmtl"])
        .arg(&qmtl)
        .arg("--out")
        .arg(out.path())
        .env("QMTL_DATA", data_dir())
        .output()
        .unwrap();
    let stdout = ok(&run);
    for label in ["STL", "Q-MTL(2)", "Q-MTL(3)"] {
        for threads in [1, 2] {
            let name = match threads {
                1 => label.to_string(),
                t => format!("{label}, {t} threads"),
            };
            let line = stdout
                .lines()
                .find(|l| l.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("no {name} line in\n{stdout}"));
            // ... × STL, then the speed-up over one thread: `-`, or
            // `median (lo-hi)`.
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (ratio, speedup) = match threads {
                1 => (cols[cols.len() - 2], cols[cols.len() - 1]),
                _ => (cols[cols.len() - 3], cols[cols.len() - 2]),
            };
            let ratio: f64 = ratio.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
            assert!(ratio > 0.0 && ratio.is_finite(), "{line}");
            if label == "STL" {
                assert_eq!(ratio, 1.0);
            }
            if threads == 1 {
                assert_eq!(speedup, "-", "{line}");
            } else {
                let s: f64 = speedup.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
                assert!(s > 0.0 && s.is_finite(), "{line}");
            }
        }
    }
    assert!(out.path().join("ta-qmtl3-t2").join("run.json").is_file());
}
