//! Fork-join for one model's training step on two cores.
//!
//! The two directions of a BiLSTM and the two groups of heads run at the same
//! time ([`join`]). With `rayon::join` the second closure goes to a pool worker
//! that has gone to sleep since the last fork: one sentence forks five times,
//! and waking a worker costs tens of microseconds (a fifth of the second
//! core's gain on a Xeon with AVX-512, where a step is short: 1.21x instead of
//! the 1.75x the parallel share allows).
//!
//! A [`Spinner`] is one helper thread that polls a mailbox for a while after
//! each job (about a millisecond, longer than the serial gap between two
//! sentences' forks), so a fork is a store and a load of one cache line; it
//! parks when nothing comes. [`join`] uses the spinner of the calling thread
//! when there is one ([`Spinner::enter`]), and `rayon::join` otherwise. The
//! same closures run either way, so results do not depend on it.

use std::cell::{Cell, UnsafeCell};
use std::panic::{self, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

/// How long the helper polls for the next job before it parks.
const SPIN: Duration = Duration::from_millis(1);

/// A job in the mailbox: its header is the first field of a [`StackJob`],
/// which lives on the stack of the [`join`] that posted it until `done`.
#[repr(C)]
struct Header {
    run: unsafe fn(*const Header),
    done: AtomicBool,
}

#[repr(C)]
struct StackJob<F, R> {
    header: Header,
    f: UnsafeCell<Option<F>>,
    out: UnsafeCell<Option<thread::Result<R>>>,
}

impl<F: FnOnce() -> R, R> StackJob<F, R> {
    /// Runs the closure on the helper; `done` is set last, with Release, so
    /// the poster sees the output once it sees `done`.
    ///
    /// # Safety
    /// `h` is the header of a live `StackJob<F, R>` whose closure has not run.
    unsafe fn run(h: *const Header) {
        let job = &*(h as *const Self);
        let f = (*job.f.get()).take().expect("a job runs once");
        *job.out.get() = Some(panic::catch_unwind(AssertUnwindSafe(f)));
        job.header.done.store(true, Ordering::Release);
    }
}

struct Shared {
    mailbox: AtomicPtr<Header>,
    parked: AtomicBool,
    stop: AtomicBool,
}

/// The helper thread of one training loop; stops when dropped.
pub struct Spinner {
    shared: Arc<Shared>,
    helper: Option<JoinHandle<()>>,
    thread: Thread,
}

thread_local! {
    /// The spinner [`join`] posts to from this thread (null: none).
    static CURRENT: Cell<*const Spinner> = const { Cell::new(ptr::null()) };
    /// Set on helper threads: a join there runs both sides in turn (posting
    /// to itself, or waiting on rayon workers that may all be waiting on
    /// spinners, could never end).
    static ON_HELPER: Cell<bool> = const { Cell::new(false) };
}

impl Spinner {
    /// Starts the helper thread.
    pub fn new() -> Spinner {
        let shared = Arc::new(Shared {
            mailbox: AtomicPtr::new(ptr::null_mut()),
            parked: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let helper = thread::Builder::new()
            .name("qmtl-spinner".into())
            .spawn(move || helper(&s))
            .expect("spawning the helper thread");
        let thread = helper.thread().clone();
        Spinner {
            shared,
            helper: Some(helper),
            thread,
        }
    }

    /// Makes [`join`] on this thread use the spinner until `f` returns.
    pub fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Restore(*const Spinner);
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.with(|c| c.set(self.0));
            }
        }
        let _restore = Restore(CURRENT.with(|c| c.replace(self)));
        f()
    }

    /// Runs `b` on the helper and `a` here; `b` inline if the helper is busy.
    fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA,
        B: FnOnce() -> RB + Send,
        RB: Send,
    {
        let job = StackJob {
            header: Header {
                run: StackJob::<B, RB>::run,
                done: AtomicBool::new(false),
            },
            f: UnsafeCell::new(Some(b)),
            out: UnsafeCell::new(None),
        };
        // From the whole job, so the helper may reach past the header.
        let h = ptr::addr_of!(job).cast::<Header>().cast_mut();
        if self
            .shared
            .mailbox
            .compare_exchange(ptr::null_mut(), h, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            // A job is posted and not taken yet (a join inside a join): no
            // second helper.
            let f = job.f.into_inner().expect("not taken");
            return (a(), f());
        }
        if self.shared.parked.load(Ordering::SeqCst) {
            self.thread.unpark();
        }
        // `job` must outlive the helper's use of it, even if `a` panics.
        let ra = panic::catch_unwind(AssertUnwindSafe(a));
        // Nothing in this loop may panic: unwinding would free `job` while
        // the helper runs it.
        let mut turns = 0u32;
        while !job.header.done.load(Ordering::Acquire) {
            turns = turns.saturating_add(1);
            if turns < 1 << 10 {
                std::hint::spin_loop();
            } else {
                thread::yield_now();
            }
        }
        let rb = job.out.into_inner().expect("the helper ran the job");
        match (ra, rb) {
            (Ok(ra), Ok(rb)) => (ra, rb),
            (Err(p), _) | (_, Err(p)) => panic::resume_unwind(p),
        }
    }
}

impl Default for Spinner {
    fn default() -> Self {
        Spinner::new()
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.thread.unpark();
        if let Some(h) = self.helper.take() {
            let _ = h.join();
        }
    }
}

/// Polls the mailbox, runs what comes, and parks after [`SPIN`] of nothing.
fn helper(s: &Shared) {
    ON_HELPER.with(|h| h.set(true));
    let mut idle = Instant::now();
    let mut turns = 0u32;
    loop {
        // Taking the job empties the mailbox before the job ends, so the
        // poster's next fork finds it free.
        let h = s.mailbox.swap(ptr::null_mut(), Ordering::SeqCst);
        if !h.is_null() {
            // SAFETY: a posted header belongs to a `StackJob` that its
            // `join` keeps alive until `done`, which `run` sets last.
            unsafe { ((*h).run)(h) };
            idle = Instant::now();
            continue;
        }
        if s.stop.load(Ordering::Acquire) {
            return;
        }
        turns = turns.wrapping_add(1);
        if !turns.is_multiple_of(64) || idle.elapsed() < SPIN {
            std::hint::spin_loop();
            continue;
        }
        // Announce, then re-check (both SeqCst, as the poster's post and
        // read of `parked`): either the poster sees `parked` and unparks, or
        // this sees the job. The timeout bounds the cost of a missed wake.
        s.parked.store(true, Ordering::SeqCst);
        if s.mailbox.load(Ordering::SeqCst).is_null() && !s.stop.load(Ordering::Acquire) {
            thread::park_timeout(Duration::from_millis(50));
        }
        s.parked.store(false, Ordering::SeqCst);
        idle = Instant::now();
    }
}

/// `(a(), b())`, `b` on another thread: the calling thread's [`Spinner`]
/// when it has entered one, else `rayon::join`.
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    if ON_HELPER.with(Cell::get) {
        return (a(), b());
    }
    let current = CURRENT.with(Cell::get);
    if current.is_null() {
        return rayon::join(a, b);
    }
    // SAFETY: `enter` keeps the spinner borrowed while CURRENT points to it.
    unsafe { &*current }.join(a, b)
}

/// Whether [`join`] on this thread goes to a spinner.
pub fn spinning() -> bool {
    !CURRENT.with(Cell::get).is_null()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_runs_both_closures_on_two_threads_and_returns_both_results() {
        let spinner = Spinner::new();
        let here = thread::current().id();
        spinner.enter(|| {
            assert!(spinning());
            for i in 0..1000u64 {
                let (a, (b, t)) = join(|| i * 2, || (i * 3, thread::current().id()));
                assert_eq!((a, b), (i * 2, i * 3));
                assert_ne!(t, here, "b ran on the calling thread");
            }
        });
        assert!(!spinning());
    }

    #[test]
    fn a_join_inside_a_join_runs_inline() {
        let spinner = Spinner::new();
        let v = spinner.enter(|| join(|| join(|| 1, || 2), || 3));
        assert_eq!(v, ((1, 2), 3));
    }

    #[test]
    fn a_join_on_the_helper_thread_runs_there_in_turn() {
        let spinner = Spinner::new();
        let ids = spinner.enter(|| {
            join(
                || (),
                || {
                    let me = thread::current().id();
                    // Inside `b`, on the helper: entering its own spinner must not
                    // post to itself.
                    let (x, y) = spinner
                        .enter(|| join(|| thread::current().id(), || thread::current().id()));
                    (me, x, y)
                },
            )
            .1
        });
        assert_eq!((ids.0, ids.0), (ids.1, ids.2));
    }

    #[test]
    fn the_helper_wakes_after_parking() {
        let spinner = Spinner::new();
        spinner.enter(|| {
            for _ in 0..3 {
                thread::sleep(SPIN * 5);
                assert_eq!(join(|| 1, || 2), (1, 2));
            }
        });
    }

    #[test]
    fn a_panic_on_either_side_reaches_the_caller_after_both_end() {
        let spinner = Spinner::new();
        spinner.enter(|| {
            let r = panic::catch_unwind(AssertUnwindSafe(|| join(|| 1, || panic!("in b"))));
            assert!(r.is_err());
            let r = panic::catch_unwind(AssertUnwindSafe(|| {
                join(
                    || panic!("in a"),
                    || thread::sleep(Duration::from_millis(5)),
                )
            }));
            assert!(r.is_err());
            // Still usable.
            assert_eq!(join(|| 1, || 2), (1, 2));
        });
    }

    #[test]
    fn borrowed_data_is_written_by_both_sides() {
        let spinner = Spinner::new();
        let mut v = vec![0u32; 1024];
        spinner.enter(|| {
            let (l, r) = v.split_at_mut(512);
            join(|| l.fill(1), || r.fill(2));
        });
        assert!(v[..512].iter().all(|&x| x == 1) && v[512..].iter().all(|&x| x == 2));
    }
}
