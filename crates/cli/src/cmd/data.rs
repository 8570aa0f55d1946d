//! `qmtl data list` and `qmtl data fetch [NAME...]`.
//!
//! `list` shows every dataset of the registry: present or missing, in which data
//! root, and how each file checked out (SHA-256, or Table 1 statistics where no
//! checksum is known). `fetch` downloads the missing ones from their official
//! sources into the first `--data-dir`/`QMTL_DATA` folder, else the cache, verifies
//! and unpacks them. Archives can also be given by hand (`--archive FILE`), which is
//! the way on a machine without network. Whatever cannot be fetched ends in a
//! message naming the missing files and the folder to put them in.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use corpus::registry::fetch::{self, SourcePlan};
use corpus::registry::{Check, FileStatus};
use corpus::{DataRoots, Dataset, Registry};

use crate::Global;

#[derive(Args, Debug)]
pub struct DataArgs {
    #[command(subcommand)]
    action: DataAction,
}

#[derive(Subcommand, Debug)]
enum DataAction {
    /// Show every dataset: present or missing, where, checksum verified or not.
    List {
        /// Print JSON (`{"roots": [...], "datasets": [...]}`) for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Download, verify and unpack missing datasets (all of them without NAME).
    Fetch(FetchArgs),
}

#[derive(Args, Debug)]
struct FetchArgs {
    /// Dataset names (`ta`, `eu`, `es-ner`, ... or comma lists); default: all.
    #[arg(value_name = "NAME")]
    names: Vec<String>,
    /// Use this already-downloaded archive (ud-treebanks-v2.2.tgz, conll2002.zip)
    /// instead of downloading it. Repeatable.
    #[arg(long, value_name = "FILE")]
    archive: Vec<PathBuf>,
}

pub fn run(global: &Global, args: DataArgs) -> anyhow::Result<()> {
    let roots = global.roots();
    match args.action {
        DataAction::List { json } => list(&roots, json),
        DataAction::Fetch(f) => fetch_cmd(&roots, f),
    }
}

/// One dataset's line of `data list`.
struct Row {
    name: String,
    task: String,
    /// `present`, `PARTIAL` or `missing`.
    status: &'static str,
    checks: String,
    /// Where it is, or how to get it.
    location: String,
}

fn list(roots: &DataRoots, json: bool) -> anyhow::Result<()> {
    let registry = Registry::builtin();
    let mut rows = Vec::new();
    for ds in &registry.datasets {
        let files = ds.status(roots)?;
        let (status, location) = match ds.locate(roots) {
            Ok(root) => ("present", parent_dir(&root.path.join(&ds.train.path))),
            Err(_) if files.iter().any(|f| f.check.is_some()) => {
                ("PARTIAL", how_to_get(registry, ds))
            }
            Err(_) => ("missing", how_to_get(registry, ds)),
        };
        rows.push(Row {
            name: ds.name.clone(),
            task: format!("{:?}", ds.task).to_lowercase(),
            status,
            checks: summarize(&files),
            location,
        });
    }
    let writable = roots.writable().map(|r| r.path.clone());
    let mut out = std::io::stdout().lock();
    if json {
        let roots: Vec<_> = roots
            .iter()
            .map(|r| {
                serde_json::json!({
                    "path": r.path,
                    "origin": r.origin.to_string(),
                    "exists": r.path.is_dir(),
                    "fetch_writes_here": Some(&r.path) == writable.as_ref(),
                })
            })
            .collect();
        let datasets: Vec<_> = rows
            .iter()
            .map(|r| {
                let (location, how) = match r.status {
                    "present" => (Some(&r.location), None),
                    _ => (None, Some(&r.location)),
                };
                serde_json::json!({
                    "name": r.name,
                    "task": r.task,
                    "present": r.status == "present",
                    "status": r.status.to_lowercase(),
                    "checks": r.checks,
                    "location": location,
                    "how_to_get": how,
                })
            })
            .collect();
        let doc = serde_json::json!({ "roots": roots, "datasets": datasets });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    writeln!(out, "Data roots, searched in this order:")?;
    for (i, r) in roots.iter().enumerate() {
        let mut notes = vec![r.origin.to_string()];
        if Some(&r.path) == writable.as_ref() {
            notes.push("`data fetch` writes here".into());
        }
        if !r.path.is_dir() {
            notes.push("does not exist".into());
        }
        writeln!(
            out,
            "  {}. {}  ({})",
            i + 1,
            r.path.display(),
            notes.join("; ")
        )?;
    }
    writeln!(out)?;
    let mut table = vec![["name", "task", "status", "checks", "location"].map(String::from)];
    table.extend(rows.iter().map(|r| {
        [
            r.name.clone(),
            r.task.clone(),
            r.status.to_string(),
            r.checks.clone(),
            r.location.clone(),
        ]
    }));
    let w: Vec<usize> = (0..5)
        .map(|i| {
            table
                .iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in &table {
        writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3]
        )?;
    }
    writeln!(out)?;
    let n = rows.len();
    let missing: Vec<&str> = rows
        .iter()
        .filter(|r| r.status != "present")
        .map(|r| r.name.as_str())
        .collect();
    if missing.is_empty() {
        writeln!(out, "All {n} datasets present.")?;
    } else {
        writeln!(
            out,
            "{} of {n} datasets present; not present: {}.",
            n - missing.len(),
            missing.join(" ")
        )?;
    }
    Ok(())
}

fn summarize(files: &[FileStatus]) -> String {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for f in files {
        let what = f
            .check
            .as_ref()
            .map_or("missing".to_string(), Check::describe);
        match groups.iter_mut().find(|(w, _)| *w == what) {
            Some((_, splits)) => splits.push(f.split.name()),
            None => groups.push((what, vec![f.split.name()])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(w, s)| format!("{}: {w}", s.join("/")))
        .collect();
    parts.join("; ")
}

fn parent_dir(p: &Path) -> String {
    p.parent().unwrap_or(p).display().to_string()
}

fn how_to_get(registry: &Registry, ds: &Dataset) -> String {
    match registry.source(&ds.source).and_then(|s| s.url.as_ref()) {
        Some(_) => format!("qmtl data fetch {}", ds.name),
        None => format!(
            "no public download: put {} (and dev/test) into a data root",
            ds.train.path
        ),
    }
}

fn fetch_cmd(roots: &DataRoots, args: FetchArgs) -> anyhow::Result<()> {
    let registry = Registry::builtin();
    let datasets = if args.names.is_empty() {
        registry.datasets.iter().collect()
    } else {
        registry.select(&args.names.join(","))?
    };
    let Some(dest) = roots.writable() else {
        bail!("no folder to download into: pass --data-dir DIR or set QMTL_DATA (no HOME for the cache either)");
    };
    let dest = dest.path.clone();
    let plan = fetch::plan(registry, &datasets, roots, &dest);
    let mut err = std::io::stderr().lock();
    for name in &plan.present {
        writeln!(err, "{name}: already present")?;
    }
    for sp in &plan.sources {
        if let Err(e) = fetch_source(sp, &args.archive, &dest, &mut err) {
            let names = dataset_names(sp);
            writeln!(err, "{names}: {e:#}")?;
            write!(err, "{}", manual_hint(sp))?;
        }
    }
    for (name, folder) in &plan.manual {
        let ds = registry.get(name)?;
        writeln!(
            err,
            "{name}: {} has no public download. Put its files {}, {} and {} into {} \
             (or into any data root: --data-dir, QMTL_DATA, ../shared/data).",
            ds.source,
            file_name(&ds.train.path),
            file_name(&ds.dev.path),
            file_name(&ds.test.path),
            folder.display()
        )?;
    }
    // What is missing now, looked up again: a source that failed for one of
    // its datasets may have installed the others.
    let missing: Vec<&str> = datasets
        .iter()
        .filter(|ds| ds.locate(roots).is_err())
        .map(|ds| ds.name.as_str())
        .collect();
    if !missing.is_empty() {
        bail!(
            "still missing: {} (see the messages above for where to put them)",
            missing.join(", ")
        );
    }
    Ok(())
}

fn dataset_names(sp: &SourcePlan) -> String {
    let mut names: Vec<&str> = sp.files.iter().map(|w| w.dataset.as_str()).collect();
    names.dedup();
    names.join(", ")
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// What to do by hand when a source could not be fetched.
fn manual_hint(sp: &SourcePlan) -> String {
    let s = &sp.source;
    let archive = s.archive.as_deref().unwrap_or("the archive");
    let mut text = format!(
        "  To fix, either download {archive} from {} and run\n    qmtl data fetch --archive /path/to/{archive}\n  \
         or copy these files into place (or into another data root: --data-dir, QMTL_DATA, ../shared/data):\n",
        s.landing_page
    );
    let mut folders: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for w in &sp.files {
        let dir = w.dest.parent().unwrap_or(&w.dest).to_path_buf();
        let name = w
            .dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match folders.iter_mut().find(|(d, _)| *d == dir) {
            Some((_, names)) => names.push(name),
            None => folders.push((dir, vec![name])),
        }
    }
    for (dir, names) in folders {
        text += &format!("    {}/  {}\n", dir.display(), names.join(" "));
    }
    text
}

/// Gets one source's archive (given, cached or downloaded) and unpacks the wanted files.
fn fetch_source(
    sp: &SourcePlan,
    given: &[PathBuf],
    dest: &Path,
    err: &mut impl Write,
) -> anyhow::Result<()> {
    let registry = Registry::builtin();
    let source = &sp.source;
    let archive_name = source.archive.as_deref().context("source has no archive")?;
    let given = given.iter().find(|p| {
        registry
            .source_for_archive(p)
            .is_some_and(|s| s.name == source.name)
    });
    let cached = dest.join("downloads").join(archive_name);
    let archive = match given {
        Some(p) => p.clone(),
        None if cached.is_file() => cached,
        None => {
            let url = source
                .url
                .as_deref()
                .context("source has no download URL")?;
            crate::download::download(url, &cached, err)
                .with_context(|| format!("could not download {archive_name}"))?;
            cached
        }
    };
    writeln!(err, "unpacking {}", archive.display())?;
    let written = fetch::unpack(&archive, &sp.files)?;
    for u in &written {
        let w = sp
            .files
            .iter()
            .find(|w| w.dest == u.dest)
            .context("unpacked an unplanned file")?;
        let check = if u.verified {
            "sha256 ok".to_string()
        } else {
            let ds = registry.get(&w.dataset)?;
            ds.check_file(w.split, &u.dest)?.describe() + &format!(" (sha256 {})", u.sha256)
        };
        writeln!(err, "  {}: {check}", u.dest.display())?;
    }
    Ok(())
}
