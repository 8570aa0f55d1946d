//! The last section of the report: every run of the plan with its record folder,
//! status and headline numbers (`tables/runs.csv`), and which git revisions and
//! hosts made the records, since reused runs may come from older builds.

use anyhow::Result;
use std::collections::BTreeMap;

use super::super::meta::Meta;
use super::super::plan::Job;
use super::sections::Provenance;
use super::{cell, Rep, Section};

pub fn index(rep: &mut Rep, jobs: &[Job]) -> Result<Section> {
    let mut csv = String::from(
        "key,run,status,train_seconds,cpu_seconds,dev_avg,test_avg,git_revision,host\n",
    );
    let mut revisions: BTreeMap<String, usize> = BTreeMap::new();
    let mut finished = 0;
    let (mut cpu, mut with_cpu) = (0.0, 0);
    for j in jobs {
        let run = match rep.store.load(&j.key) {
            Ok(r) => r.cloned(),
            Err(_) => None,
        };
        let meta = run.as_ref().and_then(|r| r.meta.as_ref());
        let status = if run.is_some() { "finished" } else { "pending" };
        let cpu_seconds = run.as_ref().and_then(|r| r.whole_cpu_seconds());
        if let Some(c) = cpu_seconds {
            cpu += c;
            with_cpu += 1;
        }
        if run.is_some() {
            finished += 1;
            let rev = meta.map_or("unknown (emitted job)".into(), |m| m.git_revision.clone());
            *revisions.entry(rev).or_default() += 1;
        }
        csv += &format!(
            "{},{},{status},{},{},{},{},{},{}\n",
            j.key,
            j.spec.label(),
            cell(run.as_ref().map(|r| r.train_seconds)),
            cell(cpu_seconds),
            cell(run.as_ref().map(|r| r.dev().avg)),
            cell(run.as_ref().map(|r| r.test.avg)),
            meta.map_or("", |m| m.git_revision.as_str()),
            meta.map_or("", |m| m.host.as_str())
        );
    }
    let link = rep.file("tables", "runs.csv", &csv)?;
    let revs: Vec<String> = revisions
        .iter()
        .map(|(r, n)| format!("{r} ({n})"))
        .collect();
    let md = format!(
        "## Runs\n\n{} runs in this report, {finished} finished; each is `runs/<key>/` \
         (`run.json` from `qmtl train`, `model.qmtl`, `train.log`, `meta.json`). \
         Index: [{link}]({link}). Records made by git revision{}: {}. CPU time of the \
         {with_cpu} runs that recorded it whole (not resumed): {:.0} s.\n",
        jobs.len(),
        if revs.len() == 1 { "" } else { "s" },
        if revs.is_empty() {
            "none yet".into()
        } else {
            revs.join(", ")
        },
        cpu
    );
    Ok(Section { md, checks: vec![] })
}

/// The CPUs and hosts that made the finished records of `jobs`, with counts.
pub fn provenance(rep: &mut Rep, jobs: &[Job]) -> Provenance {
    let (mut cpus, mut kernels, mut hosts): (
        BTreeMap<String, usize>,
        BTreeMap<String, usize>,
        BTreeMap<String, usize>,
    ) = Default::default();
    for j in jobs {
        if !rep.store.finished(&j.key) {
            continue;
        }
        let Ok(Some(run)) = rep.store.load(&j.key) else {
            continue;
        };
        let field = |f: fn(&Meta) -> &String| {
            run.meta
                .as_ref()
                .map_or_else(|| "not recorded".to_string(), |m| f(m).clone())
        };
        *cpus.entry(field(|m| &m.cpu)).or_default() += 1;
        *hosts.entry(field(|m| &m.host)).or_default() += 1;
        let isa = run.meta.as_ref().and_then(|m| m.isa.clone());
        *kernels
            .entry(isa.unwrap_or_else(|| "not recorded".into()))
            .or_default() += 1;
    }
    let list = |m: BTreeMap<String, usize>| {
        if m.is_empty() {
            return "– (no finished run)".to_string();
        }
        m.iter()
            .map(|(k, n)| format!("{k} ({n} run{})", if *n == 1 { "" } else { "s" }))
            .collect::<Vec<_>>()
            .join("; ")
    };
    Provenance {
        cpus: list(cpus),
        kernels: list(kernels),
        hosts: list(hosts),
        verification: String::new(),
    }
}
