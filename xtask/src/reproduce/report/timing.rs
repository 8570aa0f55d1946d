//! Figure 6: training time of STL, Q-MTL(k) and the ensemble(k) for each k of
//! the profile (section 3.2), as seconds per epoch on a log scale. Per epoch,
//! because a profile may time the larger ensembles over fewer epochs; the
//! paper's totals are 20 times these. Beside the wall-clock training time that
//! `qmtl train` measures (the paper's quantity), the CPU seconds the runner
//! measured per run (training and dev scoring) are plotted where a treebank's
//! runs have them and were all made on one CPU model: on a shared machine they
//! are the faithful measure of cost, so the orderings are checked on them, but
//! seconds of different CPUs (or instruction sets) do not compare.

use anyhow::Result;
use std::collections::BTreeSet;

use super::plot::{Figure, Kind, Panel, Series};
use super::{mean, verdict, Check, Rep, Section};
use crate::speed::study::{median, Study};

const NAMES: [&str; 3] = ["STL", "Q-MTL", "ensemble"];

/// One treebank's STL, Q-MTL(k), ensemble(k) per-epoch times.
#[derive(Clone)]
struct Row {
    x: f64,
    name: String,
    wall: [f64; 3],
    /// CPU seconds per epoch when all three have them and were made on one
    /// CPU model (what the CPU panel plots).
    cpu: Option<[f64; 3]>,
    /// Each one's CPU seconds per epoch, where recorded.
    cpu_each: [Option<f64>; 3],
    epochs: [f64; 3],
    /// The CPU models each one's runs were made on (empty: not recorded).
    made_on: [BTreeSet<String>; 3],
}

impl Row {
    /// Whether STL's and `i`'s runs were made on one CPU model (none recorded:
    /// older records, taken as one machine), so that their times compare.
    fn comparable(&self, i: usize) -> bool {
        self.made_on[0].union(&self.made_on[i]).count() <= 1
    }

    /// STL's and `i`'s seconds per epoch: CPU seconds when both have them on
    /// one recorded CPU model, else wall clock (`cpu` false).
    fn pair(&self, i: usize) -> (f64, f64, bool) {
        let one = self.made_on[0].union(&self.made_on[i]).count() == 1;
        match (self.cpu_each[0], self.cpu_each[i]) {
            (Some(a), Some(b)) if one => (a, b, true),
            _ => (self.wall[0], self.wall[i], false),
        }
    }
}

fn rows(rep: &mut Rep, k: usize) -> Vec<Row> {
    let ctx = rep.ctx;
    let mut out = Vec::new();
    for (x, d) in ctx.ud().enumerate() {
        let (mut wall, mut cpu_each, mut epochs) = ([0.0; 3], [None; 3], [0.0; 3]);
        let mut made_on: [BTreeSet<String>; 3] = Default::default();
        for i in 0..3 {
            let spec = |s| ctx.timing(d, k, s)[i].clone();
            let cpus = rep.seeds(d, spec, |r| r.meta.as_ref().map(|m| m.cpu.clone()));
            made_on[i].extend(cpus.into_iter().flatten().flatten());
            let Some(v) = rep.seeds(d, spec, |r| (r.seconds_per_epoch(), r.epochs.len() as f64))
            else {
                break;
            };
            wall[i] = mean(&v.iter().map(|p| p.0).collect::<Vec<_>>());
            epochs[i] = v[0].1;
            cpu_each[i] = rep.cpu_seconds(d, spec).map(|s| s / epochs[i]);
            if i == 2 {
                let all: BTreeSet<&String> = made_on.iter().flatten().collect();
                let cpu = match cpu_each {
                    [Some(a), Some(b), Some(c)] if all.len() == 1 => Some([a, b, c]),
                    _ => None,
                };
                out.push(Row {
                    x: x as f64,
                    name: d.name.clone(),
                    wall,
                    cpu,
                    cpu_each,
                    epochs,
                    made_on: made_on.clone(),
                });
            }
        }
    }
    out
}

fn panel(title: String, rows: &[Row], f: impl Fn(&Row) -> [f64; 3]) -> Panel {
    Panel {
        title,
        series: (0..3)
            .map(|i| Series {
                name: NAMES[i].into(),
                points: rows.iter().map(|r| (r.x, f(r)[i])).collect(),
            })
            .collect(),
    }
}

pub fn fig6(rep: &mut Rep) -> Result<Section> {
    let ks = rep.ctx.profile.fig6_ks.clone();
    let mut csv = String::from(
        "dataset,k,stl,qmtl,ensemble,cpu_stl,cpu_qmtl,cpu_ensemble,epochs_stl,epochs_qmtl,epochs_ensemble\n",
    );
    let (mut wall_panels, mut cpu_panels, mut checks) = (vec![], vec![], vec![]);
    for &k in &ks {
        let rows = rows(rep, k);
        for r in &rows {
            let c = |i: usize| r.cpu.map_or(String::new(), |c| format!("{:.4}", c[i]));
            csv += &format!(
                "{},{k},{:.4},{:.4},{:.4},{},{},{},{},{},{}\n",
                r.name,
                r.wall[0],
                r.wall[1],
                r.wall[2],
                c(0),
                c(1),
                c(2),
                r.epochs[0],
                r.epochs[1],
                r.epochs[2]
            );
        }
        wall_panels.push(panel(
            format!("k = {k}: training, wall clock"),
            &rows,
            |r| r.wall,
        ));
        let with_cpu: Vec<Row> = rows.iter().filter(|r| r.cpu.is_some()).cloned().collect();
        if !with_cpu.is_empty() {
            cpu_panels.push(panel(
                format!("k = {k}: CPU (training + dev scoring)"),
                &with_cpu,
                |r| r.cpu.unwrap(),
            ));
        }
        // The orderings, per pair with STL: the timing study's ratio where it
        // has the pair, else the grid's two runs when they share a CPU model.
        let kf = k as f64;
        let claims = [
            (
                1,
                format!("Figure 6: Q-MTL({k}) trains about as fast as STL (under 2x)"),
                "practically concur".to_string(),
            ),
            (
                2,
                format!("Figure 6: ensemble({k}) costs about k = {k} times STL"),
                format!("a factor of k = {k}"),
            ),
        ];
        let names: Vec<String> = rep.ctx.ud().map(|d| d.name.clone()).collect();
        for (i, claim, paper) in claims {
            let (judged, apart) = ratios(&names, &rows, rep.speed.as_ref(), i, k);
            let n = judged.len();
            let ratios: Vec<f64> = judged.iter().map(|j| j.0).collect();
            let mut what = sources(&judged);
            let plural = if apart == 1 { "" } else { "s" };
            if apart > 0 {
                what += &format!(
                    "; {apart} treebank{plural} whose runs were made on different CPUs left out"
                );
            }
            let (good, ours) = if i == 1 {
                let close = ratios.iter().filter(|&&r| r < 2.0).count();
                let q = mean(&ratios);
                (
                    close,
                    format!("{close} of {n} treebanks; mean ratio {q:.2}x ({what})"),
                )
            } else {
                let kfold = ratios
                    .iter()
                    .filter(|&&r| r > 0.6 * kf && r < 1.5 * kf)
                    .count();
                let e = mean(&ratios);
                (
                    kfold,
                    format!(
                        "{kfold} of {n} treebanks within 0.6k-1.5k; mean ratio {e:.1}x ({what})"
                    ),
                )
            };
            checks.push(Check {
                claim,
                paper,
                ours: match (n, apart) {
                    (0, 0) => "–".into(),
                    (0, _) => format!(
                        "– (the runs of {apart} treebank{plural} were made on different CPUs)"
                    ),
                    _ => ours,
                },
                verdict: verdict(good, n),
            });
        }
    }
    let cats: Vec<String> = rep.ctx.ud().map(|d| d.name.clone()).collect();
    let fig = Figure {
        title: "Figure 6: time per epoch (log scale)",
        x_desc: "treebank",
        y_desc: "seconds per epoch",
        x_integer: false,
        kind: Kind::Bars {
            categories: cats,
            log: true,
        },
        panels: wall_panels.into_iter().chain(cpu_panels).collect(),
    };
    let mut md = String::from("## Figure 6: training times of STL, Q-MTL and the ensemble\n\n");
    md += &rep.figure("fig6", &fig, &csv)?;
    md += "\nTop: seconds of training per epoch as `qmtl train` measures them (wall clock, \
           evaluation excluded; an ensemble's is the sum over its members), one thread per \
           run. Bottom, for the treebanks whose runs all have it and were made on one CPU \
           model: CPU seconds per epoch of the whole run (training and dev scoring), which \
           do not depend on what else the machine was doing; the orderings are checked on \
           these when present (seconds of two CPU models, or of AVX-512 and AVX2 kernels, \
           do not compare).\n";
    if let Some(study) = &rep.speed {
        md += &study_table(rep, study, &ks)?;
    }
    Ok(Section { md, checks })
}

/// Where a treebank's time ratio to STL comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    /// The timing study (`speed.json`): one machine, alternating rounds.
    Study,
    /// The grid's two runs, CPU seconds.
    Cpu,
    /// The grid's two runs, wall clock.
    Wall,
}

/// The ratios of configuration `i` (1: Q-MTL(k), 2: ensemble(k)) to STL that
/// Figure 6's orderings are judged on, one per treebank of `names` that has
/// one: the timing study's median per-round ratio where it has both, else
/// the grid's finished runs when they were made on one CPU model (CPU
/// seconds when every such pair has them, else wall clock for all of them);
/// and the number of treebanks left out because their grid runs were made on
/// different CPUs.
fn ratios(
    names: &[String],
    rows: &[Row],
    study: Option<&Study>,
    i: usize,
    k: usize,
) -> (Vec<(f64, Source)>, usize) {
    let mode = ["stl", "qmtl", "ensemble"][i];
    let (mut out, mut grid, mut apart) = (Vec::new(), Vec::new(), 0);
    for name in names {
        let timed = study
            .and_then(|s| s.dataset(name))
            .and_then(|t| t.ratio_to_stl(mode, k));
        if let Some(r) = timed {
            out.push((r.median, Source::Study));
        } else if let Some(row) = rows.iter().find(|r| &r.name == name) {
            if row.comparable(i) {
                grid.push(row);
            } else {
                apart += 1;
            }
        }
    }
    let pairs: Vec<(f64, f64, bool)> = grid.iter().map(|r| r.pair(i)).collect();
    if pairs.iter().all(|p| p.2) {
        out.extend(pairs.iter().map(|&(stl, x, _)| (x / stl, Source::Cpu)));
    } else {
        out.extend(grid.iter().map(|r| (r.wall[i] / r.wall[0], Source::Wall)));
    }
    (out, apart)
}

/// What the ratios were measured on, for the claim's text.
fn sources(judged: &[(f64, Source)]) -> String {
    let n = judged.len();
    let parts: Vec<String> = [
        (Source::Study, "timed on one machine, speed.json"),
        (Source::Cpu, "CPU"),
        (Source::Wall, "wall clock"),
    ]
    .into_iter()
    .filter_map(|(src, what)| {
        let m = judged.iter().filter(|j| j.1 == src).count();
        match m {
            0 => None,
            m if m == n => Some(what.to_string()),
            m => Some(format!("{m} {what}")),
        }
    })
    .collect();
    if parts.is_empty() {
        "wall clock".into()
    } else {
        parts.join("; ")
    }
}

/// The timing study's table (and `tables/fig6-speed.csv`).
fn study_table(rep: &Rep, study: &Study, ks: &[usize]) -> Result<String> {
    let configs: Vec<(&str, usize)> = ks
        .iter()
        .map(|&k| ("qmtl", k))
        .chain(ks.iter().map(|&k| ("ensemble", k)))
        .collect();
    let label = |mode: &str, k: usize| match mode {
        "qmtl" => format!("Q-MTL({k})"),
        _ => format!("ensemble({k})"),
    };
    let capped = study.max_sentences.map_or_else(String::new, |n| {
        format!(", the first {n} sentences of each set")
    });
    let mut md = format!(
        "\n**Timed on one machine** (`speed.json`: {}, {} kernels, `{}`, {}): one epoch of \
         each configuration{capped}, one thread, {} rounds, the configurations in turn \
         within each round. Seconds of STL's epoch (median), and each configuration's time \
         over STL's in the same round (median over rounds, and range). Figure 6's \
         orderings are judged on these ratios where the study has them: unlike the grid's \
         runs, they come from one machine at one time.\n\n| treebank | STL s/epoch |",
        study.cpu, study.isa, study.qmtl, study.date, study.rounds
    );
    let mut csv = String::from("dataset,mode,k,median_seconds,ratio,ratio_lo,ratio_hi\n");
    for &(mode, k) in &configs {
        md += &format!(" {} / STL |", label(mode, k));
    }
    md += "\n|---|---|";
    md += &"---|".repeat(configs.len());
    md += "\n";
    for t in &study.datasets {
        let Some(stl) = t.config("stl", 1, 1) else {
            continue;
        };
        let stl_s = median(stl.seconds.clone());
        md += &format!("| {} | {stl_s:.2} |", t.dataset);
        csv += &format!("{},stl,1,{stl_s:.4},1,1,1\n", t.dataset);
        for &(mode, k) in &configs {
            match (t.config(mode, k, 1), t.ratio_to_stl(mode, k)) {
                (Some(c), Some(r)) => {
                    md += &format!(" {:.2} ({:.2}-{:.2}) |", r.median, r.lo, r.hi);
                    csv += &format!(
                        "{},{mode},{k},{:.4},{:.4},{:.4},{:.4}\n",
                        t.dataset,
                        median(c.seconds.clone()),
                        r.median,
                        r.lo,
                        r.hi
                    );
                }
                _ => md += " – |",
            }
        }
        md += "\n";
    }
    let path = rep.file("tables", "fig6-speed.csv", &csv)?;
    md += &format!("\nNumbers: [{path}]({path})\n");
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speed::study::{Config, Timed};

    fn row(name: &str, cpus: [&str; 3]) -> Row {
        Row {
            x: 0.0,
            name: name.into(),
            wall: [2.0, 3.0, 30.0],
            cpu: None,
            cpu_each: [Some(1.0), Some(1.5), Some(12.0)],
            epochs: [20.0; 3],
            made_on: cpus.map(|c| BTreeSet::from([c.to_string()])),
        }
    }

    fn study(sets: &[&str]) -> Study {
        let config = |mode: &str, k: usize, s: f64| Config {
            mode: mode.into(),
            k,
            threads: 1,
            seconds: vec![s, 2.0 * s],
            tokens_per_second: vec![1.0, 1.0],
        };
        Study::of_test_machine(
            2,
            sets.iter()
                .map(|d| Timed {
                    dataset: d.to_string(),
                    configs: vec![config("stl", 1, 1.0), config("ensemble", 10, 9.0)],
                })
                .collect(),
        )
    }

    #[test]
    fn the_study_judges_what_the_grid_made_on_two_cpus() {
        let names: Vec<String> = ["ta", "hu", "tr"].map(String::from).to_vec();
        // ta's runs on one CPU; hu's ensemble on another than its STL; tr unfinished.
        let rows = [row("ta", ["A"; 3]), row("hu", ["A", "A", "B"])];
        let (grid, apart) = ratios(&names, &rows, None, 2, 10);
        assert_eq!((grid, apart), (vec![(12.0, Source::Cpu)], 1));
        // Q-MTL's pair of hu shares a CPU.
        assert_eq!(ratios(&names, &rows, None, 1, 10).0.len(), 2);
        let s = study(&["hu", "tr"]);
        let (judged, apart) = ratios(&names, &rows, Some(&s), 2, 10);
        assert_eq!(apart, 0);
        assert_eq!(
            judged,
            [
                (9.0, Source::Study),
                (9.0, Source::Study),
                (12.0, Source::Cpu)
            ]
        );
        assert_eq!(
            sources(&judged),
            "2 timed on one machine, speed.json; 1 CPU"
        );
        // The study has no Q-MTL: the grid judges it.
        let (judged, _) = ratios(&names, &rows, Some(&s), 1, 10);
        assert_eq!(judged, [(1.5, Source::Cpu), (1.5, Source::Cpu)]);
        assert_eq!(sources(&judged), "CPU");
    }

    #[test]
    fn one_pair_without_cpu_seconds_puts_the_grid_on_wall_clock() {
        let names: Vec<String> = ["ta", "hu"].map(String::from).to_vec();
        let mut hu = row("hu", ["A"; 3]);
        hu.cpu_each[2] = None;
        let rows = [row("ta", ["A"; 3]), hu];
        let (judged, _) = ratios(&names, &rows, None, 2, 10);
        assert_eq!(judged, [(15.0, Source::Wall), (15.0, Source::Wall)]);
        let s = study(&["hu"]);
        let (judged, _) = ratios(&names, &rows, Some(&s), 2, 10);
        assert_eq!(judged, [(9.0, Source::Study), (12.0, Source::Cpu)]);
    }
}
