//! Progress of a reproduction: one overall bar (runs done of total, elapsed,
//! time left) and one line per run in flight. The bar moves by estimated cost,
//! not by run count (an ensemble costs k STL runs), and advances between
//! completions at the measured speed, so its time left is meaningful. When
//! stderr is not a terminal the bars are hidden and one line per finished run
//! is printed instead.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::plan::Job;

/// Cost units (STL token-epochs) per CPU second of one run, before any run has
/// finished. Measured: the whole quick profile (31 M units) took 3922 CPU
/// seconds of runs, ~7900 units/s; a busy machine gives each run less than a core.
pub const INITIAL_RATE: f64 = 7500.0;

/// Rough wall time of `jobs` on `workers`: the total work spread over the
/// workers, but never less than the longest run.
pub fn estimate_seconds(jobs: &[Job], workers: usize) -> f64 {
    let total: f64 = jobs.iter().map(|j| j.cost).sum();
    let longest = jobs.iter().map(|j| j.cost).fold(0.0, f64::max);
    (total / workers.max(1) as f64).max(longest) / INITIAL_RATE
}

/// `1 h 05 min`, `12 min`, `40 s`.
pub fn human(secs: f64) -> String {
    let s = secs.round() as u64;
    match s {
        0..=89 => format!("{s} s"),
        90..=3599 => format!("{} min", (s + 30) / 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600 + 30) / 60),
    }
}

struct Slot {
    label: String,
    cost: f64,
    start: Instant,
}

struct State {
    done: usize,
    done_cost: f64,
    busy_seconds: f64,
    slots: Vec<Option<Slot>>,
    idle: usize,
}

pub struct Progress {
    multi: MultiProgress,
    main: ProgressBar,
    lines: Vec<ProgressBar>,
    total: usize,
    terminal: bool,
    state: Mutex<State>,
}

fn clock(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

impl Progress {
    pub fn new(jobs: &[Job], workers: usize, terminal: bool) -> Progress {
        let target = if terminal {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let total_cost: f64 = jobs.iter().map(|j| j.cost).sum();
        let main = multi.add(ProgressBar::new(total_cost.ceil().max(1.0) as u64));
        main.set_style(
            ProgressStyle::with_template(
                "[{bar:32.cyan/blue}] {msg}  elapsed {elapsed_precise}  left ~{eta_precise}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        main.set_message(format!("0/{} runs", jobs.len()));
        let lines = (0..workers)
            .map(|_| {
                let b = multi.add(ProgressBar::new_spinner());
                b.set_style(ProgressStyle::with_template("  {msg}").expect("a valid template"));
                b
            })
            .collect();
        Progress {
            multi,
            main,
            lines,
            total: jobs.len(),
            terminal,
            state: Mutex::new(State {
                done: 0,
                done_cost: 0.0,
                busy_seconds: 0.0,
                slots: (0..workers).map(|_| None).collect(),
                idle: 0,
            }),
        }
    }

    pub fn start(&self, worker: usize, job: &Job) {
        self.state.lock().unwrap().slots[worker] = Some(Slot {
            label: job.spec.label(),
            cost: job.cost,
            start: Instant::now(),
        });
    }

    pub fn idle(&self, worker: usize) {
        let mut st = self.state.lock().unwrap();
        st.slots[worker] = None;
        st.idle += 1;
    }

    pub fn finish(&self, worker: usize, job: &Job, secs: f64, failed: usize) {
        let mut st = self.state.lock().unwrap();
        st.slots[worker] = None;
        st.done += 1;
        st.done_cost += job.cost;
        st.busy_seconds += secs;
        let msg = if failed > 0 {
            format!("{}/{} runs, {failed} failed", st.done, self.total)
        } else {
            format!("{}/{} runs", st.done, self.total)
        };
        self.main.set_message(msg);
        if !self.terminal {
            eprintln!(
                "[{}/{}] {} finished in {:.1} s",
                st.done,
                self.total,
                job.spec.label(),
                secs
            );
        }
    }

    /// Redraws every quarter second until every worker is idle.
    pub fn tick_until_done(&self) {
        loop {
            {
                let st = self.state.lock().unwrap();
                if st.idle == st.slots.len() {
                    break;
                }
                let rate = if st.busy_seconds > 1.0 {
                    st.done_cost / st.busy_seconds
                } else {
                    INITIAL_RATE
                };
                let mut pos = st.done_cost;
                for (slot, line) in st.slots.iter().zip(&self.lines) {
                    match slot {
                        Some(s) => {
                            let t = s.start.elapsed().as_secs_f64();
                            pos += (t * rate).min(0.95 * s.cost);
                            line.set_message(format!(
                                "{}  {} of ~{}",
                                s.label,
                                clock(t),
                                clock(s.cost / rate)
                            ));
                        }
                        None => line.set_message(""),
                    }
                }
                self.main.set_position(pos as u64);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    pub fn clear(&self) {
        for l in &self.lines {
            l.finish_and_clear();
        }
        self.main.finish_and_clear();
        let _ = self.multi.clear();
    }
}
