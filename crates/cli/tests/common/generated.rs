//! The small generated CoNLL-U corpus of the command-line tests, one copy:
//! `crates/cli/tests/common` and the workspace's end-to-end tests (`tests/lib.rs`)
//! both include this file.

/// Word stems and (ending, UPOS) pairs of the generated corpus.
pub const STEMS: [&str; 6] = ["ka", "lo", "mi", "nu", "pe", "ra"];
pub const ENDS: [(&str, &str); 3] = [("x", "NOUN"), ("y", "VERB"), ("z", "ADJ")];

/// `n` CoNLL-U sentences of 3-6 tokens whose UPOS follows the word's ending;
/// `offset` gives another corpus of the same language.
pub fn conllu(n: usize, offset: usize) -> String {
    let mut out = String::new();
    for s in 0..n {
        out.push_str(&format!("# sent_id = {s}\n"));
        for i in 0..(3 + (s + offset) % 4) {
            let k = s * 7 + i * 3 + offset;
            let (end, tag) = ENDS[k % 3];
            out.push_str(&format!(
                "{}\t{}{end}\t_\t{tag}\t_\t_\t0\t_\t_\t_\n",
                i + 1,
                STEMS[k % 6]
            ));
        }
        out.push('\n');
    }
    out
}
