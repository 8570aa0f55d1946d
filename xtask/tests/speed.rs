//! `cargo xtask speed` end to end on a few Tamil sentences: every
//! configuration trains and the summary has a time ratio for each. Needs the
//! release `qmtl` binary next to this test (or `QMTL_BIN`) and the corpora
//! (`../shared/data` or `QMTL_DATA`); without them it says loudly it skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn speed_prints_a_ratio_per_configuration() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let qmtl = std::env::var_os("QMTL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let exe = std::env::current_exe().unwrap();
            exe.parent().unwrap().parent().unwrap().join("qmtl")
        });
    let data = std::env::var_os("QMTL_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.parent().unwrap().join("shared").join("data"));
    if !qmtl.is_file() || !data.join("ud-2.2").is_dir() {
        assert!(
            std::env::var_os("QMTL_REQUIRE_DATA").is_none(),
            "the speed test cannot run and QMTL_REQUIRE_DATA is set: qmtl {}, data {}",
            qmtl.display(),
            data.display()
        );
        eprintln!(
            "\n*** speed test skipped: needs the qmtl binary ({}) and the data ({}) ***\n",
            qmtl.display(),
            data.display()
        );
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["speed", "ta", "--rounds", "2", "--heads", "2,3"])
        .args(["--max-sentences", "10", "--qmtl"])
        .arg(&qmtl)
        .arg("--out")
        .arg(out.path())
        .env("QMTL_DATA", &data)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
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
