//! `cargo xtask speed` end to end on a few Tamil sentences: every
//! configuration trains (the xtask driving `qmtl train`) and the summary has a
//! time ratio for each. Needs the corpora (`../shared/data` or `QMTL_DATA`);
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
        .args(["speed", "ta", "--rounds", "2", "--heads", "2,3"])
        .args(["--max-sentences", "10", "--qmtl"])
        .arg(&qmtl)
        .arg("--out")
        .arg(out.path())
        .env("QMTL_DATA", data_dir())
        .output()
        .unwrap();
    let stdout = ok(&run);
    for label in ["STL", "Q-MTL(2)", "Q-MTL(3)"] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line in\n{stdout}"));
        let ratio: f64 = line.split_whitespace().last().unwrap().parse().unwrap();
        assert!(ratio > 0.0 && ratio.is_finite(), "{line}");
        if label == "STL" {
            assert_eq!(ratio, 1.0);
        }
    }
    assert!(out.path().join("ta-qmtl3").join("run.json").is_file());
}
