//! The dataset registry, the data-root search order, and offline fetching: planning
//! and unpacking + verification on small archives built by the test itself.

use std::io::Write;
use std::path::{Path, PathBuf};

use corpus::registry::fetch::{plan, unpack, Wanted};
use corpus::registry::{sha256_file, Check, Origin};
use corpus::{DataRoots, Error, Registry, Split, Task};

#[test]
fn manifest_lists_the_papers_13_datasets() {
    let r = Registry::builtin();
    assert_eq!(
        r.names(),
        [
            "el", "en", "eu", "fi", "hr", "hu", "id", "nl", "ta", "tr", "en-ner", "es-ner",
            "nl-ner"
        ]
    );
    assert_eq!(
        r.datasets.iter().filter(|d| d.task == Task::Pos).count(),
        10
    );
    for d in &r.datasets {
        assert!(r.source(&d.source).is_some(), "{}", d.name);
        for s in Split::ALL {
            assert!(d
                .file(s)
                .path
                .starts_with(&r.source(&d.source).unwrap().local_prefix));
            if let Some(sha) = &d.file(s).sha256 {
                assert!(
                    sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{sha}"
                );
            }
        }
    }
    // The checksums are those of ../shared/data/SHA256SUMS; the five absent
    // treebanks have none (their training files are checked against Table 1).
    let known: usize = r
        .datasets
        .iter()
        .flat_map(|d| Split::ALL.map(|s| d.file(s).sha256.is_some() as usize))
        .sum();
    assert_eq!(known, 24);
    for name in ["eu", "fi", "hr", "id", "nl"] {
        let d = r.get(name).unwrap();
        assert!(d.train.sha256.is_none() && d.table1.is_some(), "{name}");
    }
    assert_eq!(r.get("ta").unwrap().table1.unwrap().tokens, 6329);
    assert_eq!(r.get("nl-ner").unwrap().dev.path, "conll2002/ned.testa");
    assert_eq!(r.get("en-ner").unwrap().tagging, "iob1");
}

#[test]
fn names_aliases_and_lists() {
    let r = Registry::builtin();
    assert_eq!(r.get("TA").unwrap().name, "ta");
    assert_eq!(r.get("en-ud").unwrap().name, "en");
    assert_eq!(r.get("en").unwrap().task, Task::Pos);
    let sel: Vec<&str> = r
        .select("ta,hu es-ner")
        .unwrap()
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(sel, ["ta", "hu", "es-ner"]);
    assert_eq!(r.select("all").unwrap().len(), 13);
    let err = r.get("es").unwrap_err();
    assert!(matches!(err, Error::UnknownDataset { .. }));
    assert!(err.to_string().contains("es-ner"), "{err}");
}

#[test]
fn roots_are_searched_flag_env_shared_cache() {
    let roots = DataRoots::from_parts(
        Some(Path::new("/q/flag")),
        Some("/q/env1:/q/env2".into()),
        Some("/q/shared".into()),
        Some("/q/cache".into()),
    );
    let got: Vec<(PathBuf, Origin)> = roots.iter().map(|r| (r.path.clone(), r.origin)).collect();
    let want = [
        ("/q/flag", Origin::Flag),
        ("/q/env1", Origin::Env),
        ("/q/env2", Origin::Env),
        ("/q/shared", Origin::Shared),
        ("/q/cache", Origin::Cache),
    ]
    .map(|(p, o)| (PathBuf::from(p), o));
    assert_eq!(got, want);
    assert_eq!(roots.writable().unwrap().path, Path::new("/q/flag"));
    let roots = DataRoots::from_parts(
        None,
        Some("".into()),
        Some("/q/shared".into()),
        Some("/q/cache".into()),
    );
    assert_eq!(roots.writable().unwrap().path, Path::new("/q/cache"));
    // Duplicates are dropped.
    let roots = DataRoots::from_parts(Some(Path::new("/q/a")), Some("/q/a".into()), None, None);
    assert_eq!(roots.iter().count(), 1);
}

#[test]
fn a_missing_dataset_says_where_it_looked_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let roots = DataRoots::from_parts(Some(dir.path()), None, None, None);
    let err = Registry::builtin()
        .get("eu")
        .unwrap()
        .read(Split::Train, &roots)
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("eu_bdt-ud-train.conllu")
            && msg.contains("--data-dir")
            && msg.contains("qmtl data fetch eu"),
        "{msg}"
    );
}

const TINY_CONLLU: &str = "1\tEz\tez\tPART\t_\t_\t0\troot\t_\t_\n\n";

/// A `.tgz` with the given members, in a temp folder.
fn tgz(dir: &Path, members: &[(&str, &str)]) -> PathBuf {
    let path = dir.join("archive.tgz");
    let gz =
        flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), Default::default());
    let mut tar = tar::Builder::new(gz);
    for (name, body) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, body.as_bytes()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
    path
}

#[test]
fn plan_then_unpack_a_tgz_into_a_fresh_root() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("root");
    let roots = DataRoots::from_parts(Some(&dest), None, None, None);
    let r = Registry::builtin();
    let p = plan(
        r,
        &[r.get("eu").unwrap(), r.get("en-ner").unwrap()],
        &roots,
        &dest,
    );
    assert!(p.present.is_empty());
    assert_eq!(p.manual, [("en-ner".to_string(), dest.join("conll2003/"))]);
    assert_eq!(p.sources.len(), 1);
    let files = &p.sources[0].files;
    assert_eq!(
        files[0].member,
        "ud-treebanks-v2.2/UD_Basque-BDT/eu_bdt-ud-train.conllu"
    );
    assert_eq!(
        files[0].dest,
        dest.join("ud-2.2/UD_Basque-BDT/eu_bdt-ud-train.conllu")
    );

    let mut members: Vec<(&str, &str)> = files
        .iter()
        .map(|w| (w.member.as_str(), TINY_CONLLU))
        .collect();
    members.insert(0, ("ud-treebanks-v2.2/UD_Other/x.conllu", "not wanted"));
    let archive = tgz(dir.path(), &members);
    // eu has no checksum: its training file must have Table 1's statistics,
    // and this tiny one does not, so it is refused and not installed.
    assert!(files[0].table1.is_some() && files[1].table1.is_none());
    let err = unpack(&archive, files).unwrap_err().to_string();
    let (t, _) = files[0].table1.unwrap();
    let says = format!("{}/{}/{}", t.sentences, t.word_forms, t.tokens);
    assert!(
        err.contains(&format!("Table 1 of the paper says {says}")),
        "{err}"
    );
    assert!(!files[0].dest.exists());
    let files: Vec<Wanted> = files
        .iter()
        .cloned()
        .map(|mut w| {
            w.table1 = None;
            w
        })
        .collect();
    let files = &files;
    let written = unpack(&archive, files).unwrap();
    assert_eq!(written.len(), 3);
    assert!(written
        .iter()
        .all(|u| !u.verified && u.sha256 == sha256_file(&u.dest).unwrap()));
    assert!(
        !dest.join("ud-2.2/UD_Other").exists(),
        "only wanted members are written"
    );
    // Now the dataset is found, and its training file fails the Table 1 check.
    let eu = r.get("eu").unwrap();
    assert_eq!(eu.read(Split::Train, &roots).unwrap().tokens(), 1);
    let check = eu.check_file(Split::Train, &files[0].dest).unwrap();
    assert!(
        matches!(check, Check::Table1Mismatch { found: Some(_), .. }) && check.is_bad(),
        "{check:?}"
    );
    assert!(matches!(
        eu.check_file(Split::Dev, &files[1].dest).unwrap(),
        Check::Unverified { .. }
    ));
    assert_eq!(plan(r, &[eu], &roots, &dest).present, ["eu"]);
}

fn wanted(dest: &Path, member: &str, sha256: Option<String>) -> Wanted {
    Wanted {
        dataset: "x".into(),
        split: Split::Dev,
        member: member.into(),
        dest: dest.join(member),
        sha256,
        table1: None,
    }
}

fn sha_of(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f");
    std::fs::write(&p, text).unwrap();
    sha256_file(&p).unwrap()
}

#[test]
fn a_checksum_mismatch_deletes_the_file_and_names_both_sums() {
    let dir = tempfile::tempdir().unwrap();
    let archive = tgz(
        dir.path(),
        &[("a/good.txt", "good\n"), ("a/bad.txt", "bad\n")],
    );
    let out = dir.path().join("out");
    let good = wanted(&out, "a/good.txt", Some(sha_of("good\n")));
    let written = unpack(&archive, std::slice::from_ref(&good)).unwrap();
    assert!(written[0].verified);
    assert_eq!(
        std::fs::read_to_string(out.join("a/good.txt")).unwrap(),
        "good\n"
    );

    let bad = wanted(&out, "a/bad.txt", Some(sha_of("good\n")));
    let err = unpack(&archive, &[bad]).unwrap_err();
    assert!(
        matches!(&err, Error::Checksum { actual, .. } if *actual == sha_of("bad\n")),
        "{err:?}"
    );
    let left: Vec<_> = std::fs::read_dir(out.join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["good.txt"], "the bad file or its temporary was left");
}

#[test]
fn a_missing_member_or_a_non_archive_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let archive = tgz(dir.path(), &[("a/one.txt", "1\n")]);
    let err = unpack(&archive, &[wanted(dir.path(), "a/two.txt", None)]).unwrap_err();
    assert!(
        err.to_string().contains("has no member `a/two.txt`"),
        "{err}"
    );
    let junk = dir.path().join("junk.tgz");
    std::fs::write(&junk, "plain text").unwrap();
    assert!(matches!(
        unpack(&junk, &[]).unwrap_err(),
        Error::Archive { .. }
    ));
    let truncated = dir.path().join("trunc.tgz");
    std::fs::write(&truncated, &std::fs::read(&archive).unwrap()[..20]).unwrap();
    assert!(unpack(&truncated, &[wanted(dir.path(), "a/one.txt", None)]).is_err());
}

#[test]
fn unpack_a_zip_like_nltks_conll2002_package() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conll2002.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("conll2002/esp.testa", opts).unwrap();
    zip.write_all(b"Sao NC B-LOC\n").unwrap();
    zip.finish().unwrap();
    let w = wanted(
        &dir.path().join("root"),
        "conll2002/esp.testa",
        Some(sha_of("Sao NC B-LOC\n")),
    );
    let written = unpack(&path, &[w]).unwrap();
    assert!(written[0].verified);
    assert_eq!(
        Registry::builtin().source_for_archive(&path).unwrap().name,
        "conll2002"
    );
    assert_eq!(
        Registry::builtin()
            .source_for_archive(Path::new("x/ud.tar.gz"))
            .unwrap()
            .name,
        "ud-2.2"
    );
}
