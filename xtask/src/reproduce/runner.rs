//! Executes pending runs, `--jobs` at a time (each `qmtl train --threads 1`),
//! longest first. A run trains into `runs/.tmp-<key>-<host>-<pid>/` and becomes
//! `runs/<key>/` by one rename once `qmtl train` has succeeded, so an
//! interruption (Ctrl-C, kill -9, power cut) never leaves a folder that looks
//! finished; the next invocation deletes this host's leftovers and reruns them.

use anyhow::{Context, Result};
use std::collections::VecDeque;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use super::plan::Job;
use super::progress::Progress;

/// What an invocation did.
#[derive(Default, Debug)]
pub struct Outcome {
    pub executed: usize,
    pub failed: Vec<(String, PathBuf)>,
}

pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
}

/// Deletes `.tmp-<key>-<this host>-<pid>` folders whose process is gone.
pub fn clean_stale(runs: &Path) -> Result<usize> {
    let Ok(entries) = std::fs::read_dir(runs) else {
        return Ok(0);
    };
    let suffix = format!("-{}-", host());
    let mut n = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix(".tmp-") else {
            continue;
        };
        let Some(pos) = rest.rfind(&suffix) else {
            continue;
        };
        let pid = &rest[pos + suffix.len()..];
        let alive = pid.parse::<u32>().is_ok() && Path::new("/proc").join(pid).exists();
        if !alive {
            std::fs::remove_dir_all(e.path())
                .with_context(|| format!("removing {}", e.path().display()))?;
            n += 1;
        }
    }
    Ok(n)
}

/// Runs `jobs` (already pending) with `workers` in parallel.
pub fn run(qmtl: &Path, runs_dir: &Path, jobs: Vec<Job>, workers: usize) -> Result<Outcome> {
    std::fs::create_dir_all(runs_dir)
        .with_context(|| format!("creating {}", runs_dir.display()))?;
    let mut jobs = jobs;
    jobs.sort_by(|a, b| b.cost.total_cmp(&a.cost));
    let total = jobs.len();
    let workers = workers.clamp(1, total.max(1));
    let progress = Progress::new(&jobs, workers, std::io::stderr().is_terminal());
    let queue = Mutex::new(jobs.into_iter().collect::<VecDeque<_>>());
    let outcome = Mutex::new(Outcome::default());
    std::thread::scope(|s| {
        for w in 0..workers {
            let (queue, outcome, progress) = (&queue, &outcome, &progress);
            s.spawn(move || loop {
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
                    Ok(()) => o.executed += 1,
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

/// Trains one run into a temporary folder and renames it into place. On failure
/// the log is kept as `runs/.failed/<key>.log` and its path returned.
fn run_one(qmtl: &Path, runs_dir: &Path, job: &Job) -> Result<(), PathBuf> {
    let tmp = runs_dir.join(format!(
        ".tmp-{}-{}-{}",
        job.key,
        host(),
        std::process::id()
    ));
    let failed_log = runs_dir.join(".failed").join(format!("{}.log", job.key));
    let fail = |msg: String| {
        let _ = std::fs::create_dir_all(failed_log.parent().unwrap());
        let log = std::fs::read_to_string(tmp.join("train.log")).unwrap_or_default();
        let _ = std::fs::write(&failed_log, format!("{msg}\n{log}"));
        let _ = std::fs::remove_dir_all(&tmp);
        failed_log.clone()
    };
    let _ = std::fs::remove_dir_all(&tmp);
    if let Err(e) = std::fs::create_dir_all(&tmp) {
        return Err(fail(format!("creating {}: {e}", tmp.display())));
    }
    let log = match std::fs::File::create(tmp.join("train.log")) {
        Ok(f) => f,
        Err(e) => return Err(fail(format!("creating train.log: {e}"))),
    };
    let started = super::env::now_utc();
    let t = Instant::now();
    let child = Command::new(qmtl)
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
    // The revision of the binary that trained (it may not be the workspace's).
    let revision = std::fs::read(tmp.join("run.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<super::records::Run>(&b).ok())
        .and_then(|r| r.software)
        .map_or_else(super::env::git_revision, |s| s.git_revision);
    let meta = serde_json::json!({
        "key": serde_json::from_str::<serde_json::Value>(&job.key_json).unwrap_or_default(),
        "label": job.spec.label(),
        "command": job.args,
        "host": host(),
        "started": started,
        "wall_seconds": t.elapsed().as_secs_f64(),
        "cpu_seconds": cpu_seconds,
        "git_revision": revision,
        "cpu": super::env::cpu_model(),
    });
    let meta = serde_json::to_vec_pretty(&meta).unwrap_or_default();
    if let Err(e) = std::fs::write(tmp.join("meta.json"), meta) {
        return Err(fail(format!("writing meta.json: {e}")));
    }
    let dest = runs_dir.join(&job.key);
    if std::fs::rename(&tmp, &dest).is_err() {
        // Another process finished the same run first (the rename onto a
        // non-empty folder fails): its record stands.
        if dest.join("run.json").is_file() {
            let _ = std::fs::remove_dir_all(&tmp);
            return Ok(());
        }
        return Err(fail(format!(
            "renaming {} to {}",
            tmp.display(),
            dest.display()
        )));
    }
    Ok(())
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
