//! Regressions of issue 12 (hardening), end to end through the `qmtl` binary:
//! outputs published as a pair, no empty folder after a failed run, input that
//! is wrong but quiet (comment-only CoNLL-U, tags foreign to the model, a
//! malformed IOB tag), size options, the panic and error-message policies, and
//! `data fetch` (link members, Table 1 mismatches, what is reported missing).

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{conllu, table1, table1_text};

/// Runs qmtl in `dir` with downloads forbidden and the cache inside `dir`.
fn qmtl_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_qmtl"));
    c.args(args)
        .current_dir(dir)
        .env("QMTL_OFFLINE", "1")
        .env("HOME", dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env_remove("QMTL_DATA")
        .env_remove("RUST_BACKTRACE");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn qmtl(dir: &Path, args: &[&str]) -> Output {
    qmtl_env(dir, args, &[])
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "stderr: {}", stderr(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A user error: exit 1, one `qmtl: error:` line last on stderr, no panic.
fn user_error(o: &Output) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    let last = err.lines().last().unwrap_or_default().to_string();
    assert!(last.starts_with("qmtl: error: "), "{err}");
    last
}

/// Column sentences with IOB2 entity tags.
fn ner(n: usize) -> String {
    let mut out = String::new();
    for s in 0..n {
        let tags = ["B-PER", "I-PER", "O", "B-LOC", "O"];
        for (i, t) in tags.iter().enumerate() {
            out.push_str(&format!("w{} {t}\n", (s + i) % 7));
        }
        out.push('\n');
    }
    out
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("train.conllu"), conllu(30, 0)).unwrap();
    std::fs::write(dir.path().join("dev.conllu"), conllu(8, 1)).unwrap();
    std::fs::write(dir.path().join("test.conllu"), conllu(8, 2)).unwrap();
    dir
}

/// `qmtl train` on the setup's files for one epoch on one thread; `extra`
/// adds options or replaces these defaults.
fn train(dir: &Path, out: &str, extra: &[&str]) -> Output {
    let mut args = vec!["train", "--out", out, "--quiet"];
    for (flag, value) in [
        ("--train", "train.conllu"),
        ("--dev", "dev.conllu"),
        ("--test", "test.conllu"),
        ("--epochs", "1"),
        ("--threads", "1"),
    ] {
        if !extra.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend_from_slice(extra);
    qmtl(dir, &args)
}

#[test]
fn run_json_names_the_model_it_belongs_to() {
    let d = setup();
    ok(&train(d.path(), "m", &["--mode", "stl"]));
    let model = std::fs::read(d.path().join("m/model.qmtl")).unwrap();
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("m/run.json")).unwrap()).unwrap();
    assert_eq!(run["model"]["file"], "model.qmtl");
    assert_eq!(
        run["model"]["sha256"].as_str(),
        Some(corpus::sha256_hex(&model).as_str())
    );
    // The record reads as its one type, of this build's schema, and names its model.
    let record = models::RunRecord::read(&d.path().join("m/run.json")).unwrap();
    assert_eq!(record.schema, models::record::SCHEMA);
    record.check_model(&d.path().join("m")).unwrap();
    // The data's SHA-256 is that of the bytes trained on.
    let train = std::fs::read(d.path().join("train.conllu")).unwrap();
    assert_eq!(
        run["config"]["train_file"]["sha256"].as_str(),
        Some(corpus::sha256_hex(&train).as_str())
    );
}

#[test]
fn a_run_that_cannot_retire_the_old_record_keeps_the_old_model() {
    // Issue 12: a failure between the two writes left a new model beside the
    // old run.json. Make the old record impossible to remove (a folder in its
    // place): the second run must fail without touching the model.
    let d = setup();
    ok(&train(d.path(), "m", &["--mode", "stl"]));
    let before = std::fs::read(d.path().join("m/model.qmtl")).unwrap();
    std::fs::remove_file(d.path().join("m/run.json")).unwrap();
    std::fs::create_dir_all(d.path().join("m/run.json/x")).unwrap();
    let e = user_error(&train(d.path(), "m", &["--mode", "stl", "--seed", "2"]));
    assert!(e.contains("run.json"), "{e}");
    assert_eq!(
        std::fs::read(d.path().join("m/model.qmtl")).unwrap(),
        before
    );
}

#[test]
fn a_failed_run_leaves_no_empty_out_folder() {
    let d = setup();
    let args = [
        "train",
        "--train",
        "train.conllu",
        "--dev",
        "missing.conllu",
        "--out",
        "new/nested/out",
        "--quiet",
    ];
    let e = user_error(&qmtl(d.path(), &args));
    assert!(e.contains("missing.conllu"), "{e}");
    assert!(
        !d.path().join("new").exists(),
        "a created --out folder stayed"
    );
    // A folder that existed before is left alone.
    std::fs::create_dir(d.path().join("mine")).unwrap();
    let args = [
        "train",
        "--train",
        "train.conllu",
        "--dev",
        "missing.conllu",
        "--out",
        "mine",
        "--quiet",
    ];
    user_error(&qmtl(d.path(), &args));
    assert!(d.path().join("mine").is_dir());
}

#[test]
fn a_conllu_file_of_comments_only_is_an_error() {
    let d = setup();
    let only = "# sent_id = 1\n# text = Hello world\n\n# sent_id = 2\n";
    std::fs::write(d.path().join("comments.conllu"), only).unwrap();
    let e = user_error(&qmtl(d.path(), &["stats", "comments.conllu"]));
    assert!(
        e.contains("comments.conllu:1") && e.contains("no sentences"),
        "{e}"
    );
    let args = [
        "train",
        "--train",
        "train.conllu",
        "--dev",
        "comments.conllu",
        "--out",
        "x",
        "--quiet",
    ];
    let e = user_error(&qmtl(d.path(), &args));
    assert!(e.contains("comments.conllu:1"), "{e}");
}

#[test]
fn eval_and_train_warn_when_the_tags_are_not_the_models() {
    let d = setup();
    std::fs::write(d.path().join("ner.txt"), ner(10)).unwrap();
    ok(&train(d.path(), "m", &["--mode", "stl"]));
    let o = qmtl(
        d.path(),
        &["eval", "--model", "m/model.qmtl", "--test", "ner.txt"],
    );
    ok(&o);
    let err = stderr(&o);
    assert!(
        err.contains("warning: ner.txt: only 0 of 50 tokens")
            && err.contains("B-PER")
            && err.contains("NOUN"),
        "{err}"
    );
    // The model's own kind of data draws no warning.
    let o = qmtl(
        d.path(),
        &["eval", "--model", "m/model.qmtl", "--test", "test.conllu"],
    );
    ok(&o);
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    // train: a test set of another tag set.
    let o = train(d.path(), "n", &["--mode", "stl", "--test", "ner.txt"][..]);
    ok(&o);
    assert!(
        stderr(&o).contains("warning: ner.txt: only 0 of 50"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_malformed_iob_tag_is_named_with_its_line() {
    let d = setup();
    let mut gold = ner(3);
    gold.push_str("w1 B-\nw2 O\n");
    std::fs::write(d.path().join("gold.txt"), &gold).unwrap();
    let o = qmtl(
        d.path(),
        &["score", "--gold", "gold.txt", "--pred", "gold.txt"],
    );
    ok(&o);
    // 3 sentences of 5 lines and a blank each: the bad tag is on line 19.
    assert!(
        stderr(&o).contains("warning: gold.txt:19: tag `B-` is not an IOB tag"),
        "{}",
        stderr(&o)
    );
    // train's metric detection says the same.
    std::fs::write(d.path().join("dev.txt"), ner(3)).unwrap();
    let o = qmtl(
        d.path(),
        &[
            "train", "--train", "gold.txt", "--dev", "dev.txt", "--out", "n", "--epochs", "1",
            "--quiet", "--mode", "stl",
        ],
    );
    ok(&o);
    assert!(
        stderr(&o).contains("gold.txt:19: tag `B-`"),
        "{}",
        stderr(&o)
    );
    // A clean IOB file and a POS file draw no such warning.
    for f in ["dev.txt", "test.conllu"] {
        let o = qmtl(d.path(), &["score", "--gold", f, "--pred", f]);
        ok(&o);
        assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    }
}

#[test]
fn a_failed_update_names_the_training_file_and_line() {
    // A learning rate of 1e30 overflows the weights within a few updates:
    // the gradient norm is not finite, and the error says on which sentence.
    let d = setup();
    let last = user_error(&train(
        d.path(),
        "lr",
        &["--learning-rate", "1e30", "--mode", "stl", "--epochs", "3"],
    ));
    assert!(
        last.starts_with("qmtl: error: train.conllu: epoch "),
        "{last}"
    );
    assert!(last.contains("the gradient norm is"), "{last}");
    let line: usize = last
        .split("training sentence at line ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no line in: {last}"));
    // That line is a sentence's first token.
    let text = std::fs::read_to_string(d.path().join("train.conllu")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let is_token = |l: &str| !l.is_empty() && !l.starts_with('#');
    let first = |i: usize| is_token(lines[i]) && (i == 0 || !is_token(lines[i - 1]));
    assert!(first(line - 1), "line {line}: {:?}", lines[line - 1]);
}

#[test]
fn embeddings_of_the_wrong_width_are_named() {
    let d = setup();
    std::fs::write(d.path().join("emb.txt"), "a 0.1 0.2 0.3\nb 0.3 0.2 0.1\n").unwrap();
    let last = user_error(&train(d.path(), "e", &["--embeds", "emb.txt"]));
    assert!(
        last.starts_with("qmtl: error: emb.txt: the embeddings are 3-dimensional")
            && last.ends_with("`qmtl train --word-dim`, to 3)"),
        "{last}"
    );
}

#[test]
fn a_closed_stdout_ends_quietly() {
    // `qmtl eval ... | head -1`: the reader is gone before qmtl writes. That
    // is no error and above all no "internal error".
    use std::process::Stdio;
    let d = setup();
    let closed = |args: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_qmtl"))
            .args(args)
            .current_dir(d.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(o.status.success(), "{args:?}: {err}");
        assert!(!err.contains("error"), "{args:?}: {err}");
    };
    #[rustfmt::skip]
    let train_args = ["train", "--train", "train.conllu", "--dev", "dev.conllu", "--test", "test.conllu",
        "--epochs", "1", "--mode", "stl", "--out", "m"];
    closed(&train_args);
    closed(&["eval", "--model", "m/model.qmtl", "--test", "test.conllu"]);
    closed(&[
        "eval",
        "--model",
        "m/model.qmtl",
        "--test",
        "test.conllu",
        "--json",
    ]);
}

#[test]
fn a_model_too_large_to_train_is_refused_before_it_is_made() {
    // Each size is in range, but 1000 members make ~430 million values.
    let d = setup();
    let o = train(d.path(), "big", &["--mode", "ensemble", "--heads", "1000"]);
    let e = user_error(&o);
    assert!(
        e.contains("million values") && e.contains("at most 268 million"),
        "{e}"
    );
    assert!(
        !d.path().join("big").exists(),
        "an empty --out folder was left"
    );
}

#[test]
fn every_size_option_is_checked() {
    let d = setup();
    for (flag, value) in [
        ("--word-dim", "0"),
        ("--word-dim", "1000000"),
        ("--heads", "0"),
        ("--heads", "100000"),
        ("--epochs", "0"),
        ("--mlp", "1000000"),
        ("--threads", "0"),
        ("--threads", "100000"),
        ("--max-sentences", "0"),
    ] {
        let e = user_error(&train(d.path(), "x", &[flag, value]));
        assert!(e.contains(flag), "{flag} {value}: {e}");
    }
    assert!(!d.path().join("x").exists());
    // Checked before anything is read or started.
    let o = qmtl(
        d.path(),
        &["tag", "--model", "x.qmtl", "--threads", "100000"],
    );
    let e = user_error(&o);
    assert!(e.contains("--threads") && e.contains("256"), "{e}");
}

#[cfg(unix)]
#[test]
fn tag_output_follows_links_keeps_modes_and_spares_the_model() {
    use std::os::unix::fs::{symlink, FileTypeExt, PermissionsExt};
    let d = setup();
    let p = d.path();
    ok(&train(p, "m", &["--mode", "stl"]));
    std::fs::write(p.join("in.txt"), "kax loy\n").unwrap();
    let args = |out| {
        [
            "tag",
            "--model",
            "m/model.qmtl",
            "--input",
            "in.txt",
            "--output",
            out,
        ]
    };
    let tag = |out| qmtl(p, &args(out));
    // Through a link: the link stays, its file gets the text, with its mode.
    std::fs::write(p.join("real.conllu"), "old").unwrap();
    std::fs::set_permissions(
        p.join("real.conllu"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    symlink("real.conllu", p.join("link.conllu")).unwrap();
    ok(&tag("link.conllu"));
    assert!(std::fs::symlink_metadata(p.join("link.conllu"))
        .unwrap()
        .file_type()
        .is_symlink());
    let text = std::fs::read_to_string(p.join("real.conllu")).unwrap();
    assert!(text.starts_with("# sent_id = 1\n"), "{text}");
    let mode = std::fs::metadata(p.join("real.conllu"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // A named pipe is written in place, as `> pipe` would.
    let fifo = p.join("pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap());
    ok(&tag("pipe"));
    assert!(reader.join().unwrap().starts_with("# sent_id = 1\n"));
    assert!(std::fs::metadata(p.join("pipe"))
        .unwrap()
        .file_type()
        .is_fifo());
    // /dev/stdout is written through: a file the shell appends to keeps
    // what it held.
    std::fs::write(p.join("log.txt"), "KEEP\n").unwrap();
    let log = std::fs::OpenOptions::new()
        .append(true)
        .open(p.join("log.txt"))
        .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_qmtl"))
        .args(args("/dev/stdout"))
        .current_dir(p)
        .stdout(log)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(p.join("log.txt")).unwrap();
    assert!(text.starts_with("KEEP\n# sent_id = 1\n"), "{text}");
    // The model is never the output.
    let model = std::fs::read(p.join("m/model.qmtl")).unwrap();
    let e = user_error(&tag("m/../m/model.qmtl"));
    assert!(e.contains("is the model file"), "{e}");
    assert_eq!(std::fs::read(p.join("m/model.qmtl")).unwrap(), model);
}

#[cfg(unix)]
#[test]
fn endless_inputs_are_refused_with_bounded_memory() {
    // /dev/zero has no magic and no line break: a model is refused on its
    // first bytes, text at the line limit (64 MiB), embeddings at theirs.
    let d = setup();
    ok(&train(d.path(), "m", &["--mode", "stl"]));
    let e = user_error(&qmtl(
        d.path(),
        &["tag", "--model", "/dev/zero", "--input", "test.conllu"],
    ));
    assert!(e.contains("/dev/zero: not a qmtl model file"), "{e}");
    let e = user_error(&qmtl(
        d.path(),
        &["tag", "--model", "m/model.qmtl", "--input", "/dev/zero"],
    ));
    assert!(e.contains("/dev/zero:1: a line longer than 64 MiB"), "{e}");
    let e = user_error(&train(d.path(), "e", &["--embeds", "/dev/zero"]));
    assert!(e.contains("/dev/zero:1: a line longer than 1 MiB"), "{e}");
}

#[test]
fn a_panic_in_a_tag_worker_ends_the_run() {
    // A worker panics while the main thread holds stdout: the panic hook once
    // waited for stdout's lock and hung for good.
    use std::process::Stdio;
    let d = setup();
    ok(&train(d.path(), "m", &["--mode", "stl"]));
    std::fs::write(d.path().join("in.txt"), "kax loy\nmiz\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_qmtl"))
        .args([
            "tag",
            "--model",
            "m/model.qmtl",
            "--input",
            "in.txt",
            "--threads",
            "2",
        ])
        .current_dir(d.path())
        .env("QMTL_TEST_PANIC", "tag-worker")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A guard against the hang, not a time limit: the run takes milliseconds.
    let mut waited = 0;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if waited == 600 {
            child.kill().unwrap();
            panic!("qmtl tag still running after 60 s: it hangs");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        waited += 1;
    };
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(status.code(), Some(101), "{err}");
    assert!(
        err.contains("qmtl: internal error: QMTL_TEST_PANIC=tag-worker"),
        "{err}"
    );
}

#[test]
fn a_panic_is_one_line_without_backtrace() {
    let d = setup();
    let o = qmtl_env(
        d.path(),
        &["stats", "test.conllu"],
        &[("QMTL_TEST_PANIC", "1"), ("RUST_BACKTRACE", "1")],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(101), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("qmtl: internal error: "), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn an_error_says_its_cause_once() {
    let d = setup();
    std::fs::create_dir(d.path().join("folder")).unwrap();
    for args in [
        &["eval", "--model", "folder", "--test", "test.conllu"][..],
        &["score", "--gold", "folder", "--pred", "test.conllu"][..],
    ] {
        let e = user_error(&qmtl(d.path(), args));
        assert_eq!(e.matches("Is a directory").count(), 1, "{e}");
    }
}

/// A UD `.tgz` with the given (member path under `ud-treebanks-v2.2/`, body)
/// regular files and (member, link target) symbolic links.
fn ud_archive(path: &Path, files: &[(String, Vec<u8>)], links: &[(&str, &str)]) {
    let gz =
        flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), Default::default());
    let mut tar = tar::Builder::new(gz);
    for (name, body) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, format!("ud-treebanks-v2.2/{name}"), &body[..])
            .unwrap();
    }
    for (name, target) in links {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        tar.append_link(&mut h, format!("ud-treebanks-v2.2/{name}"), target)
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

/// A CoNLL-U training file with exactly the given statistics (Table 1 of the
/// paper): `word_forms` distinct words, then the first word repeated.
fn with_stats(t: corpus::Stats) -> Vec<u8> {
    let (sentences, forms, tokens) = (t.sentences, t.word_forms, t.tokens);
    let mut out = String::new();
    let mut t = 0;
    for s in 0..sentences {
        let n = tokens / sentences + usize::from(s < tokens % sentences);
        for i in 0..n {
            let w = if t < forms { t } else { 0 };
            out.push_str(&format!("{}\tw{w}\t_\tX\t_\t_\t0\t_\t_\t_\n", i + 1));
            t += 1;
        }
        out.push('\n');
    }
    out.into_bytes()
}

fn eu(split: &str) -> String {
    format!("UD_Basque-BDT/eu_bdt-ud-{split}.conllu")
}

fn fetch(dir: &Path, root: &Path, names: &[&str], archive: &Path) -> Output {
    let mut args = vec!["--data-dir", root.to_str().unwrap(), "data", "fetch"];
    args.extend_from_slice(names);
    args.extend_from_slice(&["--archive", archive.to_str().unwrap()]);
    qmtl(dir, &args)
}

#[test]
fn fetch_refuses_link_members() {
    let d = tempfile::tempdir().unwrap();
    let (root, archive) = (
        d.path().join("root"),
        d.path().join("ud-treebanks-v2.2.tgz"),
    );
    let body = b"1\tKaixo\tkaixo\tINTJ\t_\t_\t0\troot\t_\t_\n".to_vec();
    ud_archive(
        &archive,
        &[(eu("dev"), body.clone()), (eu("test"), body)],
        &[(&eu("train"), "/etc/passwd")],
    );
    let e = user_error(&fetch(d.path(), &root, &["eu"], &archive));
    assert!(e.contains("still missing: eu"), "{e}");
    let err = stderr(&fetch(d.path(), &root, &["eu"], &archive));
    assert!(
        err.contains("is not a regular file but a symbolic link to `/etc/passwd`"),
        "{err}"
    );
    assert!(!root.join("ud-2.2").join(eu("train")).exists());
}

#[test]
fn fetch_refuses_a_treebank_that_differs_from_table_1() {
    let d = tempfile::tempdir().unwrap();
    let (root, archive) = (
        d.path().join("root"),
        d.path().join("ud-treebanks-v2.2.tgz"),
    );
    let body = b"1\tKaixo\tkaixo\tINTJ\t_\t_\t0\troot\t_\t_\n".to_vec();
    let files: Vec<_> = ["train", "dev", "test"]
        .iter()
        .map(|s| (eu(s), body.clone()))
        .collect();
    ud_archive(&archive, &files, &[]);
    let o = fetch(d.path(), &root, &["eu"], &archive);
    let e = user_error(&o);
    assert!(e.contains("still missing: eu"), "{e}");
    assert!(
        stderr(&o).contains(&format!(
            "sentences/word forms/tokens 1/1/1, Table 1 of the paper says {}",
            table1_text("eu")
        )),
        "{}",
        stderr(&o)
    );
    for s in ["train", "dev", "test"] {
        assert!(!root.join("ud-2.2").join(eu(s)).exists(), "{s} installed");
    }
}

#[test]
fn fetch_reports_missing_only_what_is_missing() {
    // eu matches Table 1 and is installed; fi's files are not in the archive.
    // Before, the failed source reported every dataset in it "still missing".
    let d = tempfile::tempdir().unwrap();
    let (root, archive) = (
        d.path().join("root"),
        d.path().join("ud-treebanks-v2.2.tgz"),
    );
    let small = b"1\tKaixo\tkaixo\tINTJ\t_\t_\t0\troot\t_\t_\n".to_vec();
    ud_archive(
        &archive,
        &[
            (eu("train"), with_stats(table1("eu"))),
            (eu("dev"), small.clone()),
            (eu("test"), small),
        ],
        &[],
    );
    let o = fetch(d.path(), &root, &["eu", "fi"], &archive);
    let e = user_error(&o);
    assert!(
        e.ends_with("still missing: fi (see the messages above for where to put them)"),
        "{e}"
    );
    let o = qmtl(
        d.path(),
        &["--data-dir", root.to_str().unwrap(), "stats", "eu"],
    );
    let sentences = table1("eu").sentences.to_string();
    assert!(ok(&o).contains(&sentences), "eu is installed");
}
