//! Tables 1-3 of the paper: dataset statistics, Q-MTL dev accuracy for several
//! k, and NER F1 of mean STL, Q-MTL and ensemble with all or 10% of the data.

use anyhow::Result;

use super::super::data::{self, Dataset, Stats};
use super::super::paper;
use super::super::spec::Mode;
use super::{cell, diff, mean, pct, verdict, Check, Rep, Section};

pub fn table1(rep: &mut Rep, missing: &[String]) -> Result<Section> {
    let mut md = String::from(
        "## Table 1: training data (sentences / distinct word forms / tokens)\n\n\
         | dataset | ours | paper | equal |\n|---|---|---|---|\n",
    );
    let mut csv = String::from(
        "dataset,sentences,word_forms,tokens,paper_sentences,paper_word_forms,paper_tokens\n",
    );
    let (mut equal, mut compared) = (0, 0);
    let fmt = |s: Stats| format!("{} / {} / {}", s.sentences, s.word_forms, s.tokens);
    for d in &rep.ctx.datasets {
        let ours = d.stats[0];
        let p = data::table1(&d.name);
        let same = p.map(|p| p == ours);
        compared += usize::from(same.is_some());
        equal += usize::from(same == Some(true));
        md += &format!(
            "| {} | {} | {} | {} |\n",
            d.name,
            fmt(ours),
            p.map_or("–".into(), fmt),
            same.map_or("–", |b| if b { "yes" } else { "**no**" })
        );
        let pc = |f: fn(Stats) -> usize| p.map_or(String::new(), |p| f(p).to_string());
        csv += &format!(
            "{},{},{},{},{},{},{}\n",
            d.name,
            ours.sentences,
            ours.word_forms,
            ours.tokens,
            pc(|s| s.sentences),
            pc(|s| s.word_forms),
            pc(|s| s.tokens)
        );
    }
    for m in missing {
        md += &format!(
            "| {m} | not present | {} | – |\n",
            data::table1(m).map_or("–".into(), fmt)
        );
    }
    let link = rep.file("tables", "table1.csv", &csv)?;
    md +=
        &format!("\nNumbers: [{link}]({link}). Counted on the full files, whatever the profile.\n");
    Ok(Section {
        md,
        checks: vec![Check {
            claim: "Table 1: treebank statistics".into(),
            paper: "as printed".into(),
            ours: format!("{equal} of {compared} present treebanks equal"),
            verdict: verdict(equal, compared),
        }],
    })
}

pub fn table2(rep: &mut Rep) -> Result<Section> {
    let ks = rep.ctx.profile.table2_ks.clone();
    let k = rep.ctx.profile.k;
    let mut md = format!(
        "## Table 2: Q-MTL dev accuracy for k in {{{}}} (k = 1 is STL)\n\n| dataset |",
        ks.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    for k in &ks {
        md += &format!(" k={k} | paper | Δ |");
    }
    md += &format!("\n|---|{}\n", "---|".repeat(3 * ks.len()));
    let mut csv = String::from("dataset,k,dev_accuracy,paper\n");
    let mut rows: Vec<Vec<Option<f64>>> = Vec::new();
    let mut names = Vec::new();
    let datasets: Vec<_> = rep.ctx.ud().cloned().collect();
    for d in &datasets {
        let ctx = rep.ctx;
        let row: Vec<Option<f64>> = ks
            .iter()
            .map(|&kk| rep.mean(d, |s| ctx.table2(d, kk, s), |r| r.dev().avg))
            .collect();
        md += &format!("| {} |", d.name);
        for (&kk, &v) in ks.iter().zip(&row) {
            let p = paper::table2(&d.name, kk);
            md += &format!(
                " {} | {} | {} |",
                pct(v),
                p.map_or("–".into(), |p| format!("{p:.2}")),
                diff(v, p)
            );
            csv += &format!(
                "{},{kk},{},{}\n",
                d.name,
                cell(v),
                p.map_or(String::new(), |p| p.to_string())
            );
        }
        md.push('\n');
        rows.push(row);
        names.push(d.name.clone());
    }
    // Averages over the treebanks that have every k, the paper's over the same ones.
    let full: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].iter().all(Option::is_some))
        .collect();
    md += "| **avg** |";
    let mut avg = Vec::new();
    for (j, &kk) in ks.iter().enumerate() {
        let ours = (!full.is_empty()).then(|| {
            mean(
                &full
                    .iter()
                    .map(|&i| rows[i][j].unwrap())
                    .collect::<Vec<_>>(),
            )
        });
        let papers: Option<Vec<f64>> = full.iter().map(|&i| paper::table2(&names[i], kk)).collect();
        let p = papers.filter(|v| !v.is_empty()).map(|v| mean(&v));
        md += &format!(
            " {} | {} | {} |",
            pct(ours),
            p.map_or("–".into(), |p| format!("{p:.2}")),
            diff(ours, p)
        );
        avg.push(ours);
    }
    let link = rep.file("tables", "table2.csv", &csv)?;
    md += &format!(
        "\n\nAverages over the {} treebanks with every k (the paper's over the same ones; its \
         10-treebank averages are 93.45 / 93.82 / 93.63). Numbers: [{link}]({link}).\n",
        full.len()
    );
    let mut checks = Vec::new();
    let col = |kk: usize| ks.iter().position(|&x| x == kk);
    if let (Some(a), Some(b)) = (col(1), col(k)) {
        let n = full.iter().filter(|&&i| rows[i][b] > rows[i][a]).count();
        checks.push(Check {
            claim: format!("Table 2: Q-MTL({k}) above STL on dev"),
            paper: "9 of 10 treebanks; avg 93.82 vs 93.45".into(),
            ours: format!(
                "{n} of {}; avg {} vs {}",
                full.len(),
                pct(avg[b]),
                pct(avg[a])
            ),
            verdict: verdict(n, full.len()),
        });
    }
    if let (Some(b), Some(c)) = (col(k), ks.iter().rposition(|&x| x > k)) {
        let n = full.iter().filter(|&&i| rows[i][b] > rows[i][c]).count();
        checks.push(Check {
            claim: format!("Table 2: k = {k} above k = {} on dev", ks[c]),
            paper: "8 of 10 treebanks; avg 93.82 vs 93.63".into(),
            ours: format!(
                "{n} of {}; avg {} vs {}",
                full.len(),
                pct(avg[b]),
                pct(avg[c])
            ),
            verdict: verdict(n, full.len()),
        });
    }
    Ok(Section { md, checks })
}

/// One dataset's row of Table 3 (test F1 as fractions, means over the seeds):
/// mean STL_j, Q-MTL, ensemble, with all the training data or with the
/// profile's fraction; None where a run is missing.
pub fn table3_row(rep: &mut Rep, d: &Dataset, full: bool) -> [Option<f64>; 3] {
    let ctx = rep.ctx;
    let ens = |s| ctx.ner_run(d, Mode::Ensemble, full, s);
    [
        rep.mean(d, ens, |r| r.test.mean_heads()),
        rep.mean(d, |s| ctx.ner_run(d, Mode::Qmtl, full, s), |r| r.test.avg),
        rep.mean(d, ens, |r| r.test.avg),
    ]
}

pub fn table3(rep: &mut Rep) -> Result<Section> {
    let mut md = String::from("## Table 3: NER F1, mean STL / Q-MTL / ensemble (test)\n\n");
    let mut csv =
        String::from("dataset,data,stl_mean,qmtl,ensemble,paper_stl,paper_qmtl,paper_ensemble\n");
    let mut checks = Vec::new();
    let (mut above_stl, mut ens_above, mut cases) = (0, 0, 0);
    let mut avgs = Vec::new();
    let datasets: Vec<_> = rep.ctx.ner().cloned().collect();
    let pc = (100.0 * rep.ctx.profile.small_fraction).round();
    for full in [true, false] {
        md += &format!(
            "{} {}% of the training data\n\n| dataset | STL | paper | Δ | Q-MTL | paper | Δ | ensemble | paper | Δ |\n|---|{}\n",
            if full { "(a)" } else { "\n(b)" },
            if full { 100.0 } else { pc },
            "---|".repeat(9)
        );
        let (mut rows, mut complete) = (Vec::new(), Vec::new());
        for d in &datasets {
            let v = table3_row(rep, d, full);
            let p = paper::table3(&d.name, full);
            let name = d.name.trim_end_matches("-ner");
            md += &format!("| {name} |");
            for i in 0..3 {
                let pi = p.map(|p| p[i]);
                md += &format!(
                    " {} | {} | {} |",
                    pct(v[i]),
                    pi.map_or("–".into(), |x| format!("{x:.2}")),
                    diff(v[i], pi)
                );
            }
            md.push('\n');
            let pcell = |i: usize| p.map_or(String::new(), |p| p[i].to_string());
            csv += &format!(
                "{},{},{},{},{},{},{},{}\n",
                d.name,
                if full { "full" } else { "small" },
                cell(v[0]),
                cell(v[1]),
                cell(v[2]),
                pcell(0),
                pcell(1),
                pcell(2)
            );
            if let [Some(s), Some(q), Some(e)] = v {
                cases += 1;
                above_stl += usize::from(q > s);
                ens_above += usize::from(e > q);
                rows.push([s, q, e]);
                complete.push(name);
            }
        }
        let a: Vec<f64> = (0..3)
            .map(|i| mean(&rows.iter().map(|r| r[i]).collect::<Vec<_>>()))
            .collect();
        // Over the datasets with all three models, named when not all have.
        let label = match rows.len() {
            n if n == datasets.len() => "**avg**".to_string(),
            0 => "**avg** (no dataset has all three)".to_string(),
            _ => format!("**avg** of {}", complete.join(", ")),
        };
        let avg = |x: f64| pct((!rows.is_empty()).then_some(x));
        md += &format!(
            "| {label} | {} | | | {} | | | {} | | |\n",
            avg(a[0]),
            avg(a[1]),
            avg(a[2])
        );
        avgs.push((rows.len(), a));
    }
    let link = rep.file("tables", "table3.csv", &csv)?;
    md += &format!("\nSTL is the mean of the k ensemble members (STL_j); F1 as conlleval computes it. Numbers: [{link}]({link}).\n");
    checks.push(Check {
        claim: "Table 3: Q-MTL above mean STL (NER)".into(),
        paper: "6 of 6".into(),
        ours: format!("{above_stl} of {cases}"),
        verdict: verdict(above_stl, cases),
    });
    checks.push(Check {
        claim: "Table 3: ensemble above Q-MTL (NER)".into(),
        paper: "5 of 6 (not en at 10%)".into(),
        ours: format!("{ens_above} of {cases}"),
        verdict: verdict(ens_above, cases),
    });
    let claim = format!("Table 3: with {pc}% of the data Q-MTL keeps the largest share of its F1");
    let paper = "STL 86.4%, Q-MTL 87.5%, ensemble 86.7%".to_string();
    match &avgs[..] {
        // A share of (or in) a near-zero F1 (too little data or training) means nothing.
        // Both averages over every dataset, so that they compare.
        [(n1, a), (n2, b)]
            if *n1 > 0
                && *n1 == datasets.len()
                && *n2 == datasets.len()
                && a.iter().chain(b).all(|&x| x > 0.05) =>
        {
            let kept: Vec<f64> = (0..3).map(|i| b[i] / a[i]).collect();
            let ok = kept[1] > kept[0] && kept[1] > kept[2];
            checks.push(Check {
                claim,
                paper,
                ours: format!(
                    "STL {:.1}%, Q-MTL {:.1}%, ensemble {:.1}%",
                    100.0 * kept[0],
                    100.0 * kept[1],
                    100.0 * kept[2]
                ),
                verdict: if ok { "yes".into() } else { "no".into() },
            });
        }
        _ => checks.push(Check {
            claim,
            paper,
            ours: "–".into(),
            verdict: "– (not every dataset has all its runs, or an average F1 under 5%)".into(),
        }),
    }
    Ok(Section { md, checks })
}
