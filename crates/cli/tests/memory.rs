//! Peak memory of `qmtl tag` on absurd input (issue 12): a megabyte line of plain
//! text and a sentence of a quarter million column lines must cost memory for a
//! window of tokens, not for every token of the line. The measure is the child's
//! peak resident set (`VmHWM` of `/proc/PID/status`), read while the child waits
//! for more input after it has written the whole output of the huge block (it
//! flushes after every batch): no clock is involved, and the bound is generous.
//! With a Q-MTL(3) model of the default sizes, the tagging code before the fix took
//! 146 MB and 135 MB here (with the same 2048-token windows); it then took about
//! 33 MB and 63 MB (the parsed column sentence is most of that). A huge block's
//! windows are now tagged up to three at a time, one per thread, so the megabyte
//! line is also measured at many threads, with the paper's Q-MTL(10). Linux only
//! (`/proc`).

#![cfg(target_os = "linux")]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

mod common;
use common::conllu;

/// Peak resident set allowed to `qmtl tag` on one thread.
const BOUND_KB: u64 = 100 * 1024;

/// Peak resident set allowed on any number of threads: issue 12's target for a
/// megabyte line.
const BOUND_MANY_THREADS_KB: u64 = 200 * 1024;

/// Trains a Q-MTL(10) model of the default sizes into `dir/m`.
fn train(dir: &Path) {
    std::fs::write(dir.join("train.conllu"), conllu(40, 0)).unwrap();
    std::fs::write(dir.join("dev.conllu"), conllu(10, 1)).unwrap();
    #[rustfmt::skip]
    let args = ["train", "--train", "train.conllu", "--dev", "dev.conllu", "--out", "m",
        "--mode", "qmtl", "--heads", "10", "--epochs", "1", "--quiet"];
    let o = Command::new(env!("CARGO_BIN_EXE_qmtl"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Feeds `input` to `qmtl tag --threads THREADS ARGS` on stdin and keeps stdin
/// open; once `lines` output lines ending in a blank line have come, reads the
/// child's peak resident set, then closes stdin. Returns the peak in kB and the
/// output.
fn peak_while_waiting(
    dir: &Path,
    threads: usize,
    args: &[&str],
    input: String,
    lines: usize,
) -> (u64, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qmtl"))
        .args(["tag", "--model", "m/model.qmtl", "--threads"])
        .arg(threads.to_string())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let (mut out, mut buf, mut newlines) = (Vec::new(), vec![0u8; 1 << 16], 0);
        let mut told = false;
        loop {
            let n = stdout.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            newlines += buf[..n].iter().filter(|&&b| b == b'\n').count();
            out.extend_from_slice(&buf[..n]);
            if !told && newlines >= lines && out.ends_with(b"\n\n") {
                tx.send(()).unwrap();
                told = true;
            }
        }
        String::from_utf8(out).unwrap()
    });
    let writer = std::thread::spawn(move || {
        stdin.write_all(input.as_bytes()).unwrap();
        stdin.flush().unwrap();
        stdin
    });
    // Blocks until the output is complete; fails (instead of hanging) if the
    // child ends first, since the reader then drops the sender.
    rx.recv()
        .expect("qmtl tag ended before writing the whole output");
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    drop(writer.join().unwrap());
    let out = reader.join().unwrap();
    assert!(child.wait().unwrap().success());
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    (kb, out)
}

#[test]
fn a_megabyte_line_of_plain_text_is_tagged_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path());
    // One sentence of 333,333 tokens (no full stop): 163 windows.
    const N: usize = 333_333;
    let line = format!("{}\n", "ab ".repeat(N));
    assert_eq!(line.len(), 1_000_000);
    // One window at a time, then as many as the tagger takes at once.
    for (threads, bound) in [(1, BOUND_KB), (16, BOUND_MANY_THREADS_KB)] {
        // sent_id, text, N tokens, the blank line.
        let (kb, out) = peak_while_waiting(dir.path(), threads, &[], line.clone(), N + 3);
        eprintln!("peak resident set on a 1 MB line, {threads} threads: {kb} kB");
        let last = out.lines().rev().nth(1).unwrap();
        assert!(last.starts_with(&format!("{N}\tab\t_\t")), "{last}");
        assert!(
            kb < bound,
            "peak resident set {kb} kB on a 1 MB line, {threads} threads (bound {bound} kB)"
        );
    }
}

#[test]
fn a_sentence_of_250_000_column_lines_is_tagged_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path());
    const N: usize = 250_000;
    let input = format!("{}\n", "kax O\n".repeat(N));
    for (threads, bound) in [(1, BOUND_KB), (16, BOUND_MANY_THREADS_KB)] {
        let (kb, out) = peak_while_waiting(
            dir.path(),
            threads,
            &["--format", "columns"],
            input.clone(),
            N + 1,
        );
        eprintln!("peak resident set on a sentence of {N} lines, {threads} threads: {kb} kB");
        assert_eq!(out.lines().count(), N + 1);
        assert!(out.lines().take(N).all(|l| l.starts_with("kax ")));
        assert!(
            kb < bound,
            "peak resident set {kb} kB on a sentence of {N} lines, {threads} threads \
             (bound {bound} kB)"
        );
    }
}
