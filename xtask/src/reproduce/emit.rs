//! `--emit-jobs FILE`: the pending runs as plain shell commands, one per line,
//! for a cluster scheduler (a Slurm job array, GNU parallel over ssh). Each line
//! follows the runner's protocol: train into `runs/.tmp-<key>-<host>-<pid>`,
//! then rename to `runs/<key>`; on failure the log goes to `runs/.failed/`.

use anyhow::Result;
use std::path::Path;

use super::plan::Job;

/// Quotes a word for a POSIX shell when it needs it.
pub fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// One shell line that produces the record of `job` under `runs`.
pub fn line(qmtl: &Path, runs: &Path, job: &Job) -> String {
    let runs = quote(&runs.display().to_string());
    let key = &job.key;
    let cmd: Vec<String> = std::iter::once(qmtl.display().to_string())
        .chain(job.args.iter().cloned())
        .map(|a| quote(&a))
        .collect();
    format!(
        "T={runs}/.tmp-{key}-$(hostname)-$$; mkdir -p \"$T\" && {} --out \"$T\" >\"$T/train.log\" 2>&1 \
         && mv -T \"$T\" {runs}/{key} \
         || {{ mkdir -p {runs}/.failed; mv \"$T/train.log\" {runs}/.failed/{key}.log; rm -rf \"$T\"; exit 1; }}",
        cmd.join(" ")
    )
}

/// Writes the pending jobs, longest first, to `file`.
pub fn write(file: &Path, qmtl: &Path, runs: &Path, jobs: &[Job]) -> Result<()> {
    let mut jobs: Vec<&Job> = jobs.iter().collect();
    jobs.sort_by(|a, b| b.cost.total_cmp(&a.cost));
    let mut text = String::new();
    for j in jobs {
        text += &line(qmtl, runs, j);
        text.push('\n');
    }
    crate::replace::replace(file, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quoting() {
        assert_eq!(quote("ta"), "ta");
        assert_eq!(quote("/a b/c"), "'/a b/c'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
