//! Where the corpora are: the data roots, searched in a fixed order.
//!
//! 1. `--data-dir` (the caller passes it in),
//! 2. the `QMTL_DATA` environment variable (one folder, or several separated like `PATH`),
//! 3. `../shared/data` relative to the repository root,
//! 4. the project's own cache, `$XDG_CACHE_HOME/qmtl/data` or `~/.cache/qmtl/data`,
//!    which is also where `qmtl data fetch` writes when neither 1 nor 2 is given.
//!
//! Every root has the same layout (`ud-2.2/UD_*/`, `conll2002/`, `conll2003/`), that
//! of `../shared/data`. The repository root is found by walking up from the current
//! folder to one that holds `data/datasets.json`, falling back to the folder this
//! crate was compiled in, so the binary works from anywhere inside the checkout.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a folder is a data root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--data-dir`.
    Flag,
    /// `QMTL_DATA`.
    Env,
    /// `../shared/data` beside the repository.
    Shared,
    /// The project's cache folder.
    Cache,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Flag => "--data-dir",
            Origin::Env => "QMTL_DATA",
            Origin::Shared => "../shared/data beside the repository",
            Origin::Cache => "cache",
        })
    }
}

/// One data root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub path: PathBuf,
    pub origin: Origin,
}

/// The data roots in search order.
#[derive(Debug, Clone, Default)]
pub struct DataRoots {
    roots: Vec<Root>,
}

impl DataRoots {
    /// The roots for this process: `flag`, then `QMTL_DATA`, the shared folder beside
    /// the repository and the cache.
    pub fn discover(flag: Option<&Path>) -> Self {
        let shared = repo_root().map(|r| r.join("..").join("shared").join("data"));
        Self::from_parts(flag, std::env::var_os("QMTL_DATA"), shared, cache_dir())
    }

    /// The roots from explicit parts (empty values are ignored, duplicates dropped).
    pub fn from_parts(
        flag: Option<&Path>,
        env: Option<OsString>,
        shared: Option<PathBuf>,
        cache: Option<PathBuf>,
    ) -> Self {
        let mut roots = DataRoots::default();
        if let Some(p) = flag {
            roots.push(p.to_path_buf(), Origin::Flag);
        }
        if let Some(v) = env.filter(|v| !v.is_empty()) {
            for p in std::env::split_paths(&v) {
                roots.push(p, Origin::Env);
            }
        }
        if let Some(p) = shared {
            roots.push(p, Origin::Shared);
        }
        if let Some(p) = cache {
            roots.push(p, Origin::Cache);
        }
        roots
    }

    fn push(&mut self, path: PathBuf, origin: Origin) {
        if path.as_os_str().is_empty() {
            return;
        }
        let path = normalize(&path);
        if !self.roots.iter().any(|r| r.path == path) {
            self.roots.push(Root { path, origin });
        }
    }

    /// The roots in search order.
    pub fn iter(&self) -> impl Iterator<Item = &Root> {
        self.roots.iter()
    }

    /// Where downloads go: the first `--data-dir`/`QMTL_DATA` root, else the cache.
    pub fn writable(&self) -> Option<&Root> {
        (self
            .roots
            .iter()
            .find(|r| matches!(r.origin, Origin::Flag | Origin::Env)))
        .or_else(|| self.roots.iter().find(|r| r.origin == Origin::Cache))
    }

    /// `a (origin), b (origin)` for messages.
    pub fn describe(&self) -> String {
        if self.roots.is_empty() {
            return "no data folder (set QMTL_DATA or pass --data-dir)".into();
        }
        let parts: Vec<String> = self
            .roots
            .iter()
            .map(|r| format!("{} ({})", r.path.display(), r.origin))
            .collect();
        parts.join(", ")
    }
}

/// Resolves `..` and symlinks when the folder exists, so the shared folder prints as
/// `/work/shared/data` rather than `/work/main/../shared/data`.
fn normalize(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The repository root: the nearest folder at or above the current one holding
/// `data/datasets.json`, else the checkout this crate was compiled from.
pub fn repo_root() -> Option<PathBuf> {
    let is_root = |d: &Path| d.join("data").join("datasets.json").is_file();
    if let Ok(cwd) = std::env::current_dir() {
        if let Some(d) = cwd.ancestors().find(|d| is_root(d)) {
            return Some(d.to_path_buf());
        }
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..");
    is_root(&built).then(|| normalize(&built))
}

/// `$XDG_CACHE_HOME/qmtl/data`, else `$HOME/.cache/qmtl/data`.
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("qmtl").join("data"))
}
