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
        // The orderings, per pair with STL: only treebanks whose two runs share
        // a CPU model; on CPU seconds when every such pair has them.
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
        for (i, claim, paper) in claims {
            let same: Vec<&Row> = rows.iter().filter(|r| r.comparable(i)).collect();
            let apart = rows.len() - same.len();
            let pairs: Vec<(f64, f64, bool)> = same.iter().map(|r| r.pair(i)).collect();
            let on_cpu = pairs.iter().all(|p| p.2);
            // Wall clock for all when one pair lacks CPU seconds.
            let ratios: Vec<f64> = if on_cpu {
                pairs.iter().map(|&(stl, other, _)| other / stl).collect()
            } else {
                same.iter().map(|r| r.wall[i] / r.wall[0]).collect()
            };
            let n = ratios.len();
            let mut what = String::from(if on_cpu { "CPU" } else { "wall clock" });
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
    Ok(Section { md, checks })
}
