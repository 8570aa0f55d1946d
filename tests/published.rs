//! The published reproduction in `results/paper/`: `cargo xtask reproduce
//! --profile paper --report-only` on its committed records rebuilds its report,
//! tables and figures exactly, apart from the report's date line, and the
//! README's headline table is the report's table of orderings. Nothing is
//! trained: the records are read.

use std::path::{Path, PathBuf};

use qmtl_e2e::{ok, reproduce, root, setup, skip};

/// Copies what `--report-only` reads (records and the verification) to `to`.
fn copy_records(from: &Path, to: &Path) {
    let runs = from.join("runs");
    for e in std::fs::read_dir(&runs).into_iter().flatten().flatten() {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let dst = to.join("runs").join(&name);
        std::fs::create_dir_all(&dst).unwrap();
        for f in ["run.json", "meta.json", "train.log"] {
            if e.path().join(f).is_file() {
                std::fs::copy(e.path().join(f), dst.join(f)).unwrap();
            }
        }
    }
    // The verification and Figure 6's timing study: records too.
    for f in ["verify.json", "speed.json"] {
        if from.join(f).is_file() {
            std::fs::copy(from.join(f), to.join(f)).unwrap();
        }
    }
}

/// Every file under `dir/sub`, relative to `dir`.
fn files(dir: &Path, sub: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| Path::new(sub).join(e.file_name()))
        .collect();
    out.sort();
    out
}

/// The report without its date line (`Profile ... Generated <date> by ...`).
fn undated(report: &str) -> String {
    report
        .lines()
        .map(|l| {
            if l.contains(" Generated ") {
                "<date line>"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first markdown table after the line that contains `marker`.
fn table_after(md: &str, marker: &str) -> String {
    md.lines()
        .skip_while(|l| !l.contains(marker))
        .skip(1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Marks the README's copy of the report's table of orderings.
const README_MARKER: &str = "<!-- headline: the table of orderings of results/paper/report.md -->";

#[test]
fn the_published_report_is_rebuilt_from_its_records() {
    let test = "the_published_report_is_rebuilt_from_its_records";
    let published = root().join("results").join("paper");
    if !published.join("report.md").is_file() {
        skip::<()>(test, format!("{} has no report.md", published.display()));
        return;
    }
    let Some(qmtl) = setup(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("paper");
    copy_records(&published, &results);
    let out = reproduce(&qmtl, &results, &["--profile", "paper", "--report-only"])
        .output()
        .unwrap();
    ok(&out);
    let read = |d: &Path, f: &Path| {
        std::fs::read_to_string(d.join(f))
            .unwrap_or_else(|e| panic!("{}: {e}", d.join(f).display()))
    };
    let (ours, theirs) = (
        read(&results, Path::new("report.md")),
        read(&published, Path::new("report.md")),
    );
    assert!(
        undated(&ours) == undated(&theirs),
        "the committed results/paper/report.md is not what --report-only makes of the \
         committed records; rebuild it with `cargo xtask reproduce --profile paper \
         --report-only --results results/paper`"
    );
    for sub in ["tables", "figures"] {
        let (a, b) = (files(&results, sub), files(&published, sub));
        assert_eq!(a, b, "the files of results/paper/{sub} differ");
        for f in &a {
            assert!(
                read(&results, f) == read(&published, f),
                "results/paper/{} differs from what --report-only makes",
                f.display()
            );
        }
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let headline = table_after(&readme, README_MARKER);
    assert!(!headline.is_empty(), "README.md has no {README_MARKER}");
    assert_eq!(
        headline,
        table_after(&theirs, "## The paper's orderings"),
        "README's headline table is not the report's table of orderings"
    );
}
