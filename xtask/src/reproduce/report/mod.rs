//! `results/report.md`: every table with our numbers beside the paper's and the
//! difference, every figure as an SVG with a CSV of its numbers beside it, the
//! paper's orderings (model-spec section 7) checked one by one, the
//! environment and the datasets that were missing.

mod figs;
mod noise;
mod plot;
mod runs;
mod sections;
mod seeds;
mod tables;
mod timing;
mod trust;

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

use super::data::Dataset;
use super::experiments::{Ctx, Exp};
use super::plan::Job;
use super::records::{Run, Store};
use super::spec::RunSpec;

pub use sections::Summary;

/// One ordering of the paper checked against our numbers.
#[derive(Clone)]
pub struct Check {
    pub claim: String,
    pub paper: String,
    pub ours: String,
    pub verdict: String,
}

/// "yes" when all `m` cases agree, "mostly" for a majority, else "no".
pub fn verdict(n: usize, m: usize) -> String {
    match (n, m) {
        (_, 0) => "– (no finished runs)".into(),
        (n, m) if n == m => "yes".into(),
        (n, m) if 2 * n > m => format!("mostly ({n} of {m})"),
        (n, m) => format!("no ({n} of {m})"),
    }
}

/// A section of the report and the orderings it checked.
#[derive(Default)]
pub struct Section {
    pub md: String,
    pub checks: Vec<Check>,
}

/// What a section needs: the experiments' runs and where to put files.
pub struct Rep<'a> {
    pub ctx: &'a Ctx,
    store: &'a mut Store,
    pub dir: PathBuf,
    /// The timing study of Figure 6 (`speed.json`), when the results have one.
    pub speed: Option<crate::speed::study::Study>,
}

impl Rep<'_> {
    /// `f` of the run of `spec(seed)` for every seed; None if one is not finished.
    pub fn seeds<T>(
        &mut self,
        d: &Dataset,
        spec: impl Fn(u64) -> RunSpec,
        f: impl Fn(&Run) -> T,
    ) -> Option<Vec<T>> {
        let mut out = Vec::new();
        for &s in &self.ctx.profile.seeds {
            let key = spec(s).key(d);
            match self.store.load(&key) {
                Ok(Some(run)) => out.push(f(run)),
                Ok(None) => return None,
                Err(e) => {
                    eprintln!("reproduce: warning: {e:#}; treated as not run");
                    return None;
                }
            }
        }
        Some(out)
    }

    /// The mean over seeds of a number of the run of `spec(seed)`.
    pub fn mean(
        &mut self,
        d: &Dataset,
        spec: impl Fn(u64) -> RunSpec,
        f: impl Fn(&Run) -> f64,
    ) -> Option<f64> {
        self.seeds(d, spec, f).map(|v| mean(&v))
    }

    /// The mean over seeds of the CPU seconds the runner measured for the run of
    /// `spec(seed)` (None if one has no `meta.json` with them).
    pub fn cpu_seconds(&mut self, d: &Dataset, spec: impl Fn(u64) -> RunSpec) -> Option<f64> {
        let v = self.seeds(d, spec, |r| r.whole_cpu_seconds())?;
        v.into_iter()
            .collect::<Option<Vec<f64>>>()
            .map(|v| mean(&v))
    }

    /// Writes `<results>/<sub>/<name>` and returns its path relative to the report.
    pub fn file(&self, sub: &str, name: &str, text: &str) -> Result<String> {
        let dir = self.dir.join(sub);
        crate::replace::replace(&dir.join(name), text.as_bytes())?;
        Ok(format!("{sub}/{name}"))
    }

    /// Writes `figures/<name>.svg` and `figures/<name>.csv` and returns the
    /// markdown that shows the figure and links its numbers.
    pub fn figure(&self, name: &str, fig: &plot::Figure, csv: &str) -> Result<String> {
        let dir = self.dir.join("figures");
        std::fs::create_dir_all(&dir)?;
        plot::draw(&dir.join(format!("{name}.svg")), fig)?;
        let csv_path = self.file("figures", &format!("{name}.csv"), csv)?;
        Ok(format!(
            "![{}](figures/{name}.svg)\n\nNumbers: [{csv_path}]({csv_path})\n",
            fig.title
        ))
    }
}

pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// A fraction as a percentage with two decimals, or a dash when missing.
pub fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{:.2}", 100.0 * v))
}

/// Ours (a fraction) minus the paper's (a percentage), in points.
pub fn diff(ours: Option<f64>, paper: Option<f64>) -> String {
    match (ours, paper) {
        (Some(o), Some(p)) => format!("{:+.2}", 100.0 * o - p),
        _ => "–".into(),
    }
}

/// CSV cell of an optional number.
pub fn cell(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{v:.6}"))
}

/// Writes the report and returns its path.
pub fn write(
    ctx: &Ctx,
    exps: &[Exp],
    jobs: &[Job],
    store: &mut Store,
    results: &Path,
    summary: &Summary,
) -> Result<PathBuf> {
    std::fs::create_dir_all(results).with_context(|| format!("creating {}", results.display()))?;
    let mut rep = Rep {
        ctx,
        store,
        dir: results.to_path_buf(),
        speed: crate::speed::study::Study::load(&results.join(crate::speed::study::FILE))?,
    };
    let mut parts = Vec::new();
    let mut claims = Vec::new();
    for &e in exps {
        let s = match e {
            Exp::Table1 => tables::table1(&mut rep, &summary.missing)?,
            Exp::Table2 => tables::table2(&mut rep)?,
            Exp::Fig2 => figs::fig2(&mut rep)?,
            Exp::Fig3 => figs::fig3(&mut rep)?,
            Exp::Fig4 => figs::fig4(&mut rep)?,
            Exp::Fig5 => noise::fig5(&mut rep)?,
            Exp::Fig6 => timing::fig6(&mut rep)?,
            Exp::Table3 => tables::table3(&mut rep)?,
            Exp::Fig7 => noise::fig7(&mut rep)?,
            Exp::Trust => trust::section(&mut rep)?,
            Exp::Seeds => {
                let (s, c) = seeds::section(&mut rep)?;
                claims = c;
                s
            }
        };
        parts.push(s);
    }
    let checks: Vec<Check> = parts
        .iter()
        .flat_map(|p| p.checks.iter().cloned())
        .collect();
    parts.push(seeds::diagnosis(&mut rep, &checks, &claims));
    parts.push(runs::index(&mut rep, jobs)?);
    let mut prov = runs::provenance(&mut rep, jobs);
    prov.verification = match super::verify::Verification::load(results)? {
        Some(v) => v.summary(),
        None => "Verification: not run yet (`--verify N` retrains the N cheapest finished \
                 runs and compares their test scores with the records).\n"
            .into(),
    };
    let md = sections::assemble(ctx, summary, &prov, &parts, exps.contains(&Exp::Seeds));
    let path = results.join("report.md");
    crate::replace::replace(&path, md.as_bytes())?;
    Ok(path)
}
