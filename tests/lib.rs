//! What the workspace's end-to-end tests share. They cross crates: a corpus
//! file goes through the `qmtl` binary (cli) and the `xtask` binary, and what
//! they write is read back with the libraries' own types (`models::RunRecord`).
//! Crate-level tests stay beside their crates; these live here, as the
//! benchmarks live in `benches/`.
//!
//! A test of another package cannot name the binaries with
//! `env!("CARGO_BIN_EXE_...")`, and `cargo test -p qmtl-e2e` alone does not
//! build them, so [`bins`] builds both with cargo (a no-op when they are up to
//! date, as after the rest of `cargo test --workspace`) into the target folder
//! and profile of the running test. A test that needs the corpora and cannot
//! find them skips loudly, or fails where `QMTL_REQUIRE_DATA` is set (CI).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The generated CoNLL-U corpus, the same file the command-line tests use.
#[path = "../crates/cli/tests/common/generated.rs"]
pub mod generated;
pub use generated::{conllu, ENDS, STEMS};

/// The workspace root (this package is its `tests/` folder).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
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
pub fn skip<T>(test: &str, why: String) -> Option<T> {
    if std::env::var_os("QMTL_REQUIRE_DATA").is_some() {
        panic!("{test} cannot run and QMTL_REQUIRE_DATA is set: {why}");
    }
    eprintln!("\n*** {test} skipped: {why} ***\n");
    None
}

/// The two binaries the tests drive.
pub struct Bins {
    pub qmtl: PathBuf,
    pub xtask: PathBuf,
}

/// The `qmtl` and `xtask` binaries of this checkout, built once per test
/// process by `cargo build --bins -p qmtl -p xtask` with the running test's
/// profile and target folder (`<target>/<profile>/deps/<test>-<hash>` is the
/// running test). `QMTL_BIN` names another `qmtl`. A failed build fails the
/// test: a missing binary is never a skip.
pub fn bins() -> &'static Bins {
    static BINS: OnceLock<Bins> = OnceLock::new();
    BINS.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test's own path");
        let out = exe
            .parent()
            .and_then(Path::parent)
            .expect("a test runs from <target>/<profile>/deps");
        let target = out.parent().expect("<target>/<profile>");
        let profile = match out.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev",
            Some(p) => p,
            None => panic!("no profile folder in {}", exe.display()),
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let build = Command::new(&cargo)
            .args(["build", "--quiet", "--bins", "-p", "qmtl", "-p", "xtask"])
            .args(["--profile", profile, "--manifest-path"])
            .arg(root().join("Cargo.toml"))
            .arg("--target-dir")
            .arg(target)
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", Path::new(&cargo).display()));
        assert!(
            build.status.success(),
            "building qmtl and xtask failed:\n{}",
            String::from_utf8_lossy(&build.stderr)
        );
        let bins = Bins {
            qmtl: std::env::var_os("QMTL_BIN")
                .map(PathBuf::from)
                .unwrap_or_else(|| out.join("qmtl")),
            xtask: out.join("xtask"),
        };
        for b in [&bins.qmtl, &bins.xtask] {
            assert!(b.is_file(), "{} is missing after the build", b.display());
        }
        bins
    })
}

/// The qmtl binary when the corpora are present, or None after [`skip`].
pub fn setup(test: &str) -> Option<PathBuf> {
    let data = data_dir();
    if !data.join("ud-2.2").is_dir() {
        return skip(
            test,
            format!("data not found at {} (set QMTL_DATA)", data.display()),
        );
    }
    Some(bins().qmtl.clone())
}

/// `qmtl ARGS` in `dir`, offline, without the data folder of the environment.
pub fn qmtl(dir: &Path, args: &[&str]) -> Output {
    Command::new(&bins().qmtl)
        .args(args)
        .current_dir(dir)
        .env("QMTL_OFFLINE", "1")
        .env_remove("QMTL_DATA")
        .output()
        .expect("running qmtl")
}

/// `cargo xtask reproduce ARGS --results RESULTS --qmtl QMTL`, offline.
pub fn reproduce(qmtl: &Path, results: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(&bins().xtask);
    cmd.arg("reproduce")
        .args(args)
        .arg("--results")
        .arg(results)
        .arg("--qmtl")
        .arg(qmtl)
        .env("QMTL_OFFLINE", "1");
    cmd
}

/// The stdout of a run that must succeed; both streams if it failed.
pub fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A temporary folder with the generated `train.conllu` (40 sentences),
/// `dev.conllu` and `test.conllu` (10 each, other sentences of the same language).
pub fn generated_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (file, n, offset) in [
        ("train.conllu", 40, 0),
        ("dev.conllu", 10, 1),
        ("test.conllu", 10, 2),
    ] {
        std::fs::write(dir.path().join(file), conllu(n, offset)).unwrap();
    }
    dir
}

/// `qmtl train` on [`generated_files`] in `dir` into `dir/out`, 2 epochs, quiet.
pub fn train(dir: &Path, out: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "train",
        "--train",
        "train.conllu",
        "--dev",
        "dev.conllu",
        "--test",
        "test.conllu",
        "--out",
        out,
        "--epochs",
        "2",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    qmtl(dir, &args)
}
