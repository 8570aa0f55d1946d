//! Figure 6: training time of STL, Q-MTL(k) and the ensemble(k) for each k of
//! the profile (section 3.2), as seconds per epoch on a log scale. Per epoch,
//! because a profile may time the larger ensembles over fewer epochs; the
//! paper's totals are 20 times these.

use anyhow::Result;

use super::plot::{Figure, Kind, Panel, Series};
use super::{mean, verdict, Check, Rep, Section};

pub fn fig6(rep: &mut Rep) -> Result<Section> {
    let ks = rep.ctx.profile.fig6_ks.clone();
    let mut csv =
        String::from("dataset,k,stl,qmtl,ensemble,epochs_stl,epochs_qmtl,epochs_ensemble\n");
    let mut panels = Vec::new();
    let mut checks = Vec::new();
    let mut cats: Vec<String> = Vec::new();
    let datasets: Vec<_> = rep.ctx.ud().cloned().collect();
    for &k in &ks {
        let mut series: Vec<Series> = ["STL", "Q-MTL", "ensemble"]
            .iter()
            .map(|n| Series {
                name: n.to_string(),
                points: vec![],
            })
            .collect();
        let mut ratios = Vec::new();
        for d in &datasets {
            let ctx = rep.ctx;
            let mut v = Vec::new();
            for i in 0..3 {
                let spec = |s| ctx.timing(d, k, s)[i].clone();
                let secs = rep.mean(d, spec, |r| r.seconds_per_epoch());
                let epochs = rep.mean(d, spec, |r| r.epochs.len() as f64);
                v.push(secs.zip(epochs));
            }
            let Some(v) = v.into_iter().collect::<Option<Vec<(f64, f64)>>>() else {
                continue;
            };
            let x = match cats.iter().position(|c| *c == d.name) {
                Some(x) => x,
                None => {
                    cats.push(d.name.clone());
                    cats.len() - 1
                }
            } as f64;
            for (s, &(secs, _)) in series.iter_mut().zip(&v) {
                s.points.push((x, secs));
            }
            csv += &format!(
                "{},{k},{:.4},{:.4},{:.4},{},{},{}\n",
                d.name, v[0].0, v[1].0, v[2].0, v[0].1, v[1].1, v[2].1
            );
            ratios.push((v[1].0 / v[0].0, v[2].0 / v[0].0));
        }
        let n = ratios.len();
        let q = mean(&ratios.iter().map(|r| r.0).collect::<Vec<_>>());
        let e = mean(&ratios.iter().map(|r| r.1).collect::<Vec<_>>());
        let close = ratios.iter().filter(|r| r.0 < 2.0).count();
        let kfold = ratios
            .iter()
            .filter(|r| r.1 > 0.6 * k as f64 && r.1 < 1.5 * k as f64)
            .count();
        checks.push(Check {
            claim: format!("Figure 6: Q-MTL({k}) trains about as fast as STL (under 2x)"),
            paper: "practically concur".into(),
            ours: format!("{close} of {n} treebanks; mean ratio {q:.2}x"),
            verdict: verdict(close, n),
        });
        checks.push(Check {
            claim: format!("Figure 6: ensemble({k}) costs about k = {k} times STL"),
            paper: format!("a factor of k = {k}"),
            ours: format!("{kfold} of {n} treebanks within 0.6k-1.5k; mean ratio {e:.1}x"),
            verdict: verdict(kfold, n),
        });
        panels.push(Panel {
            title: format!("k = {k}"),
            series,
        });
    }
    let fig = Figure {
        title: "Figure 6: training time per epoch (log scale)",
        x_desc: "treebank",
        y_desc: "seconds per epoch",
        x_integer: false,
        kind: Kind::Bars {
            categories: cats,
            log: true,
        },
        panels,
    };
    let mut md = String::from("## Figure 6: training times of STL, Q-MTL and the ensemble\n\n");
    md += &rep.figure("fig6", &fig, &csv)?;
    md += "\nSeconds of training per epoch (evaluation excluded), one thread per run; an \
           ensemble's time is the sum over its members.\n";
    Ok(Section { md, checks })
}
