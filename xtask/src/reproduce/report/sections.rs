//! The frame of the report: title, what was run, the orderings at a glance,
//! the environment and the missing data, then one section per experiment.

use super::super::env;
use super::super::experiments::Ctx;
use super::Section;

/// What one invocation of `cargo xtask reproduce` did.
pub struct Summary {
    pub planned: usize,
    pub reused: usize,
    pub executed: usize,
    pub failed: usize,
    pub pending: usize,
    pub wall_seconds: f64,
    /// CPU seconds of the runs executed by this invocation.
    pub cpu_seconds: Option<f64>,
    pub missing: Vec<String>,
}

/// Where and how the records of a report were made.
#[derive(Default, Clone)]
pub struct Provenance {
    /// CPU models with their number of runs.
    pub cpus: String,
    /// Kernels (instruction sets) with their number of runs.
    pub kernels: String,
    pub hosts: String,
    /// What the last `--verify` found (one sentence).
    pub verification: String,
}

/// `1, 2, 3`.
fn list(seeds: &[u64]) -> String {
    seeds
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report; `seed_study` when the `seeds` experiment is part of it.
pub fn assemble(
    ctx: &Ctx,
    s: &Summary,
    prov: &Provenance,
    parts: &[Section],
    seed_study: bool,
) -> String {
    let p = &ctx.profile;
    let mut md =
        String::from("# Reproduction report: Frustratingly Easy Quasi-Multitask Learning\n\n");
    md += &format!(
        "Profile **{}**: {}. Seeds: {}{}. Generated {} by `cargo xtask reproduce --profile {}`.\n\n",
        p.name,
        p.about,
        list(&p.seeds),
        if seed_study {
            format!(" (the seed study's: {})", list(&p.study_seeds))
        } else {
            String::new()
        },
        env::now_utc(),
        p.name
    );
    md += &format!(
        "Runs: {} planned, {} finished, **{} pending**{}.\n\n",
        s.planned,
        s.planned - s.pending,
        s.pending,
        if s.pending > 0 {
            " (their cells show –; rerun the same command to finish them)"
        } else {
            ""
        }
    );
    md += "We have no pretrained (polyglot) embeddings, so absolute scores are lower than \
           the paper's; what should reproduce are its orderings (model-spec section 7). \
           Scores are percentages; Δ is ours minus the paper's, in points.\n\n";
    md += "## The paper's orderings\n\n| claim | paper | ours | reproduced |\n|---|---|---|---|\n";
    for c in parts.iter().flat_map(|p| &p.checks) {
        md += &format!(
            "| {} | {} | {} | {} |\n",
            c.claim, c.paper, c.ours, c.verdict
        );
    }
    md += "\n## Environment\n\n";
    md += "Everything below comes from the records (`runs/<key>/meta.json`), so the report \
           reads the same whoever rebuilds it with `--report-only`.\n\n";
    md += &format!(
        "| | |\n|---|---|\n| CPU of the runs | {} |\n| kernels of the runs | {} |\n\
         | hosts | {} |\n| threads per run | 1 |\n| profile | {} |\n\n",
        prov.cpus, prov.kernels, prov.hosts, p.name,
    );
    md += "Figure 6's wall-clock training times depend on what else ran on the machine \
           (parallel runs share it, and records keep the times of the machine and moment \
           that made them: each record's `meta.json` names its host, revision, CPU and CPU \
           seconds); its CPU seconds do not. The kernels are the instruction set the run \
           computed with (`QMTL_ISA`; recorded from meta.json schema 2 on): AVX-512 and \
           AVX2 add in different orders, so the same run gives other float rounding, and \
           after 20 epochs scores that differ like another seed's.\n\n";
    md += &prov.verification;
    md.push('\n');
    md += "## Data\n\n";
    let present: Vec<&str> = ctx.datasets.iter().map(|d| d.name.as_str()).collect();
    md += &format!("Present and used: {}.", present.join(", "));
    if s.missing.is_empty() {
        md += " Missing: none.\n\n";
    } else {
        md += &format!(
            " **Missing, skipped: {}** (`qmtl data fetch {}` adds them where a network is \
             available; see `qmtl data list`).\n\n",
            s.missing.join(", "),
            s.missing.join(" ")
        );
    }
    if let Some(n) = p.max_sentences {
        md += &format!("Every file is cut to its first {n} sentences (`--max-sentences`).\n\n");
    }
    if let Some(n) = p.ner_max_sentences {
        md += &format!("The NER files are cut to their first {n} sentences.\n\n");
    }
    for part in parts {
        md += &part.md;
        md.push('\n');
    }
    md
}
