//! Tagging end to end: a model trained by `qmtl train` on the generated corpus
//! tags the test file with its tags blanked out; `qmtl tag` fills UPOS, keeps
//! every other byte (a multiword token line too), and `qmtl score` reads the
//! result against the gold file.

use qmtl_e2e::{generated_files, ok, qmtl, train};

#[test]
fn tag_fills_upos_and_keeps_everything_else() {
    let dir = generated_files();
    let d = dir.path();
    ok(&train(d, "m", &["--mode", "stl"]));
    let input = std::fs::read_to_string(d.join("test.conllu")).unwrap();
    // Blank out the tags, add a multiword token line that must survive untouched.
    let blanked: String = input
        .replace("\tNOUN\t", "\t_\t")
        .replace("\tVERB\t", "\t_\t")
        .replace("\tADJ\t", "\t_\t");
    let blanked = blanked.replacen("1\t", "1-2\tkalo\t_\t_\t_\t_\t_\t_\t_\t_\n1\t", 1);
    std::fs::write(d.join("in.conllu"), &blanked).unwrap();
    ok(&qmtl(
        d,
        &[
            "tag",
            "--model",
            "m/model.qmtl",
            "--input",
            "in.conllu",
            "--output",
            "out.conllu",
            "--probs",
        ],
    ));
    let out = std::fs::read_to_string(d.join("out.conllu")).unwrap();
    assert_eq!(out.lines().count(), blanked.lines().count());
    for (a, b) in blanked.lines().zip(out.lines()) {
        let (fa, fb): (Vec<&str>, Vec<&str>) = (a.split('\t').collect(), b.split('\t').collect());
        if fa.len() == 10 && fa[0].parse::<usize>().is_ok() {
            assert!(["NOUN", "VERB", "ADJ"].contains(&fb[3]), "{b}");
            assert_eq!((&fa[..3], &fa[4..9]), (&fb[..3], &fb[4..9]));
            assert!(
                fb[9].starts_with("QmtlProb=") && fb[9].ends_with("/1"),
                "{b}"
            );
        } else {
            assert_eq!(a, b, "non-token lines are kept");
        }
    }
    // The tagged file scores like the model does.
    ok(&qmtl(
        d,
        &["score", "--gold", "test.conllu", "--pred", "out.conllu"],
    ));
}
