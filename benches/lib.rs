//! Shared helpers of the criterion benchmarks in this package's `[[bench]]`
//! targets: time measured as the benchmark thread's CPU time.
//!
//! Why CPU time: this machine kind is shared (long experiment grids run on
//! the same cores), and wall-clock time then counts the spells when the
//! scheduler runs someone else. The thread's CPU time counts only the time
//! this thread ran; on an idle machine the two agree for these
//! single-threaded benchmarks.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The calling thread's CPU time so far (wall time where the clock is missing).
pub fn thread_cpu_time() -> Duration {
    #[cfg(target_os = "linux")]
    {
        #[repr(C)]
        struct Timespec {
            sec: i64,
            nsec: i64,
        }
        extern "C" {
            fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
        }
        const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
        let mut t = Timespec { sec: 0, nsec: 0 };
        // SAFETY: `t` is a valid, writable timespec; the clock id is Linux's.
        if unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0 {
            return Duration::new(t.sec as u64, t.nsec as u32);
        }
    }
    thread_local!(static START: Instant = Instant::now());
    START.with(|s| s.elapsed())
}

/// For `Bencher::iter_custom`: runs `f` `iters` times and returns the CPU
/// time it took.
pub fn on_cpu<R>(iters: u64, mut f: impl FnMut() -> R) -> Duration {
    let t0 = thread_cpu_time();
    for _ in 0..iters {
        std::hint::black_box(f());
    }
    thread_cpu_time() - t0
}

/// Seconds per iteration of every call of [`on_cpu_noted`], by name.
static NOTED: Mutex<BTreeMap<String, Vec<f64>>> = Mutex::new(BTreeMap::new());

/// [`on_cpu`], noting the seconds per iteration under `name` for [`noted`].
pub fn on_cpu_noted<R>(name: &str, iters: u64, f: impl FnMut() -> R) -> Duration {
    let t = on_cpu(iters, f);
    let mut noted = NOTED.lock().unwrap();
    let v = noted.entry(name.to_string()).or_default();
    v.push(t.as_secs_f64() / iters.max(1) as f64);
    t
}

/// The median seconds per iteration noted under `name` (criterion's warm-up
/// calls included: the median is little moved by them), if it ran.
pub fn noted(name: &str) -> Option<f64> {
    let noted = NOTED.lock().unwrap();
    let mut v = noted.get(name)?.clone();
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_time_advances_with_work() {
        let t = super::on_cpu(1, || {
            (0..20_000_000u64).fold(0u64, |a, i| a ^ i.wrapping_mul(a | 1))
        });
        assert!(t > std::time::Duration::ZERO);
    }

    #[test]
    fn noted_is_the_median_per_iteration() {
        for iters in [1, 2, 4] {
            super::on_cpu_noted("spin", iters, || std::hint::black_box(1));
        }
        assert!(super::noted("spin").is_some_and(|s| s >= 0.0));
        assert_eq!(super::noted("never ran"), None);
    }
}
