//! Executes pending runs, `--jobs` at a time (each `qmtl train --threads 1`),
//! longest first. A run trains into `runs/.tmp-<key>-<host>-<pid>/` and becomes
//! `runs/<key>/` by one rename once `qmtl train` has succeeded, so an
//! interruption (Ctrl-C, kill -9, power cut) never leaves a folder that looks
//! finished.
//!
//! - `qmtl train` writes a checkpoint after every epoch; the next invocation
//!   adopts the folder of an interrupted run of this host and resumes it from
//!   its last finished epoch (the result is identical to an uninterrupted run).
//! - Runs are claimed under an exclusive lock on `runs/.lock`: a run whose
//!   folder belongs to a live process of this host (another reproduction) is
//!   left to it, so two reproductions on one results folder share the work.
//! - The children die with the runner (`PR_SET_PDEATHSIG`), even on kill -9.
//! - `touch runs/.drain` lets the runs in flight finish and starts no new one
//!   (to stop a long grid cleanly, e.g. before switching binaries).

use anyhow::{Context, Result};
use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use super::meta::Meta;
use super::plan::Job;
use super::progress::Progress;

/// What an invocation did.
#[derive(Default, Debug)]
pub struct Outcome {
    pub executed: usize,
    pub failed: Vec<(String, PathBuf)>,
    /// Runs left to another reproduction running on the same results folder.
    pub taken: usize,
    /// Runs not started because of `runs/.drain`.
    pub drained: usize,
}

pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
}

/// A `.tmp-<key>-<host>-<pid>` folder of `runs`.
struct TmpDir {
    path: PathBuf,
    key: String,
    /// The process that owns it is alive (on this host), or it belongs to
    /// another host (whose processes cannot be seen: assumed alive).
    alive: bool,
    mine: bool,
}

fn tmp_dirs(runs: &Path) -> Vec<TmpDir> {
    let Ok(entries) = std::fs::read_dir(runs) else {
        return Vec::new();
    };
    let suffix = format!("-{}-", host());
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix(".tmp-") else {
            continue;
        };
        let Some(key) = rest.split('-').next().map(str::to_string) else {
            continue;
        };
        let (alive, mine) = match rest.rfind(&suffix) {
            Some(pos) => {
                let pid = &rest[pos + suffix.len()..];
                let alive = pid.parse::<u32>().is_ok() && Path::new("/proc").join(pid).exists();
                (alive, pid == std::process::id().to_string())
            }
            None => (true, false),
        };
        out.push(TmpDir {
            path: e.path(),
            key,
            alive,
            mine,
        });
    }
    out
}

/// Deletes the folders of this host's dead processes that cannot be resumed
/// (no checkpoint); those with one are kept for [`run_one`] to adopt.
pub fn clean_stale(runs: &Path) -> Result<usize> {
    let _lock = Lock::take(runs)?;
    let mut n = 0;
    for t in tmp_dirs(runs) {
        if !t.alive && !t.path.join(models::Checkpoint::FILE).is_file() {
            std::fs::remove_dir_all(&t.path)
                .with_context(|| format!("removing {}", t.path.display()))?;
            n += 1;
        }
    }
    Ok(n)
}

/// An exclusive `flock` on `runs/.lock`, released when dropped.
struct Lock {
    _file: std::fs::File,
}

impl Lock {
    fn take(runs: &Path) -> Result<Lock> {
        use std::os::fd::AsRawFd;
        std::fs::create_dir_all(runs).with_context(|| format!("creating {}", runs.display()))?;
        let path = runs.join(".lock");
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        // SAFETY: flock on a file descriptor this function owns.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("locking {}", path.display()));
        }
        Ok(Lock { _file: f })
    }
}

/// What [`claim`] found for a run.
enum Claim {
    /// Train into this (new or adopted) folder.
    Mine { tmp: PathBuf, resumed: bool },
    /// Finished, or in flight in another live process: nothing to do.
    Taken,
}

/// Claims `key` under the lock: a new folder, or the folder of an
/// interrupted run of this host that has a checkpoint, renamed to ours.
fn claim(runs_dir: &Path, key: &str, store_finished: impl Fn() -> bool) -> Result<Claim> {
    let _lock = Lock::take(runs_dir)?;
    if store_finished() {
        return Ok(Claim::Taken);
    }
    let tmp = runs_dir.join(format!(".tmp-{key}-{}-{}", host(), std::process::id()));
    let dirs: Vec<TmpDir> = tmp_dirs(runs_dir)
        .into_iter()
        .filter(|t| t.key == key && !t.mine)
        .collect();
    if dirs.iter().any(|t| t.alive) {
        return Ok(Claim::Taken);
    }
    let _ = std::fs::remove_dir_all(&tmp);
    for t in &dirs {
        if t.path.join(models::Checkpoint::FILE).is_file() && std::fs::rename(&t.path, &tmp).is_ok()
        {
            return Ok(Claim::Mine { tmp, resumed: true });
        }
    }
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    Ok(Claim::Mine {
        tmp,
        resumed: false,
    })
}

/// The file whose presence stops the runner from starting new runs.
pub const DRAIN: &str = ".drain";

/// Runs `jobs` (already pending) with `workers` in parallel.
/// `shortest_first`: finish many records early (a long grid run in slices);
/// otherwise longest first, which ends a whole grid soonest.
pub fn run(
    qmtl: &Path,
    runs_dir: &Path,
    jobs: Vec<Job>,
    workers: usize,
    shortest_first: bool,
) -> Result<Outcome> {
    std::fs::create_dir_all(runs_dir)
        .with_context(|| format!("creating {}", runs_dir.display()))?;
    let mut jobs = jobs;
    jobs.sort_by(|a, b| b.cost.total_cmp(&a.cost));
    if shortest_first {
        jobs.reverse();
    }
    let total = jobs.len();
    let workers = workers.clamp(1, total.max(1));
    let progress = Progress::new(&jobs, workers, std::io::stderr().is_terminal());
    let queue = Mutex::new(jobs.into_iter().collect::<VecDeque<_>>());
    let outcome = Mutex::new(Outcome::default());
    std::thread::scope(|s| {
        for w in 0..workers {
            let (queue, outcome, progress) = (&queue, &outcome, &progress);
            s.spawn(move || loop {
                if runs_dir.join(DRAIN).exists() {
                    let mut q = queue.lock().unwrap();
                    outcome.lock().unwrap().drained += q.len();
                    q.clear();
                }
                let Some(job) = queue.lock().unwrap().pop_front() else {
                    progress.idle(w);
                    break;
                };
                progress.start(w, &job);
                let t = Instant::now();
                let result = run_one(qmtl, runs_dir, &job);
                let secs = t.elapsed().as_secs_f64();
                let mut o = outcome.lock().unwrap();
                match result {
                    Ok(true) => o.executed += 1,
                    Ok(false) => o.taken += 1,
                    Err(log) => o.failed.push((job.spec.label(), log)),
                }
                let failed = o.failed.len();
                drop(o);
                progress.finish(w, &job, secs, failed);
            });
        }
        progress.tick_until_done();
    });
    progress.clear();
    Ok(outcome.into_inner().unwrap())
}

/// Serialises reaping children, so that the change of this process's children
/// CPU time around one reap is that child's CPU time alone.
static REAP: Mutex<()> = Mutex::new(());

/// Waits for `child` and measures the CPU seconds it used (None off Linux).
fn wait_measured(mut child: Child) -> std::io::Result<(ExitStatus, Option<f64>)> {
    let mut nap = 5;
    loop {
        let _reap = REAP.lock().unwrap_or_else(|e| e.into_inner());
        let before = super::env::children_cpu_seconds();
        if let Some(status) = child.try_wait()? {
            let after = super::env::children_cpu_seconds();
            return Ok((status, before.zip(after).map(|(b, a)| a - b)));
        }
        drop(_reap);
        std::thread::sleep(std::time::Duration::from_millis(nap));
        nap = (nap * 2).min(200);
    }
}

/// Trains one run into a temporary folder and renames it into place; false
/// when another process has it. On failure the log is kept as
/// `runs/.failed/<key>.log` and its path returned.
fn run_one(qmtl: &Path, runs_dir: &Path, job: &Job) -> Result<bool, PathBuf> {
    let failed_log = runs_dir.join(".failed").join(format!("{}.log", job.key));
    let fail_at = |tmp: &Path, msg: String| {
        let _ = std::fs::create_dir_all(failed_log.parent().unwrap());
        let log = std::fs::read_to_string(tmp.join("train.log")).unwrap_or_default();
        let _ = std::fs::write(&failed_log, format!("{msg}\n{log}"));
        // A run that got past an epoch keeps its folder: the next invocation
        // resumes it from the checkpoint.
        if !tmp.join(models::Checkpoint::FILE).is_file() {
            let _ = std::fs::remove_dir_all(tmp);
        }
        failed_log.clone()
    };
    let finished =
        || super::records::Store::new(runs_dir.parent().unwrap_or(runs_dir)).finished(&job.key);
    let (tmp, resumed) = match claim(runs_dir, &job.key, finished) {
        Ok(Claim::Mine { tmp, resumed }) => (tmp, resumed),
        Ok(Claim::Taken) => return Ok(false),
        Err(e) => return Err(fail_at(Path::new("/nonexistent"), format!("{e:#}"))),
    };
    let fail = |msg: String| fail_at(&tmp, msg);
    let log = match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(tmp.join("train.log"))
    {
        Ok(f) => f,
        Err(e) => return Err(fail(format!("creating train.log: {e}"))),
    };
    if resumed {
        let _ = writeln!(
            &log,
            "{} ({})",
            super::meta::RESUME_MARK,
            super::env::now_utc()
        );
    }
    let started = super::env::now_utc();
    let t = Instant::now();
    let mut cmd = Command::new(qmtl);
    die_with_parent(&mut cmd);
    let child = cmd
        .args(&job.args)
        .arg("--out")
        .arg(&tmp)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map(Stdio::from).unwrap_or(Stdio::null()))
        .stderr(Stdio::from(log))
        .spawn();
    let cpu_seconds = match child.and_then(wait_measured) {
        Ok((s, cpu)) if s.success() => cpu,
        Ok((s, _)) => return Err(fail(format!("qmtl train exited with {s}"))),
        Err(e) => return Err(fail(format!("running {}: {e}", qmtl.display()))),
    };
    // The record must be whole before it gets its final name.
    let record = match models::RunRecord::read_dir(&tmp) {
        Ok(r) => r,
        Err(e) => {
            return Err(fail(format!(
                "qmtl train left no whole record and model: {e}"
            )))
        }
    };
    let meta = Meta {
        schema: super::meta::SCHEMA,
        key: job.hashed.clone(),
        label: job.spec.label(),
        command: job.args.clone(),
        host: host(),
        started,
        wall_seconds: t.elapsed().as_secs_f64(),
        cpu_seconds,
        // The revision of the binary that trained (it may not be the workspace's).
        git_revision: record
            .software
            .map_or_else(|| "unknown".to_string(), |s| s.git_revision),
        cpu: super::env::cpu_model(),
        isa: Some(super::env::kernels()),
        resumed,
    };
    if let Err(e) = std::fs::write(tmp.join("meta.json"), meta.to_json()) {
        return Err(fail(format!("writing meta.json: {e}")));
    }
    let dest = runs_dir.join(&job.key);
    // Under the claims' lock: a claim looks for the finished record, then for
    // a live temporary folder, and this rename must not fall between the two
    // (another runner then saw neither and trained the run again).
    // (Without the lock, should it fail, the rename still keeps the run.)
    let _lock = Lock::take(runs_dir).ok();
    if std::fs::rename(&tmp, &dest).is_err() {
        // Another process finished the same run first (the rename onto a
        // non-empty folder fails): its record stands.
        if dest.join(models::RunRecord::FILE).is_file() {
            let _ = std::fs::remove_dir_all(&tmp);
            return Ok(true);
        }
        return Err(fail(format!(
            "renaming {} to {}",
            tmp.display(),
            dest.display()
        )));
    }
    Ok(true)
}

/// Makes the child get SIGKILL when the thread that spawned it dies (the
/// runner's worker threads wait for their child, so they outlive it unless
/// the whole runner dies).
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stale_folders_of_dead_processes_on_this_host_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let host = super::host();
        let mine = std::process::id();
        let names = [
            format!(".tmp-aaaa-{host}-4000000000"), // dead: removed
            format!(".tmp-bbbb-{host}-{mine}"),     // alive: kept
            ".tmp-cccc-otherhost-1".to_string(),    // another host: kept
            "0123456789abcdef".to_string(),         // a finished run: kept
        ];
        for n in &names {
            std::fs::create_dir_all(dir.path().join(n)).unwrap();
        }
        assert_eq!(super::clean_stale(dir.path()).unwrap(), 1);
        assert!(!dir.path().join(&names[0]).exists());
        for n in &names[1..] {
            assert!(dir.path().join(n).exists(), "{n} was removed");
        }
    }
}
