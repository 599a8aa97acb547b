//! Timed loops: run an operation until a deadline or an operation cap, on one thread or on
//! many threads started together.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use crate::error::{BenchError, Result};
use crate::stats::Sample;

/// How long a round may run and how many operations it may do (whichever ends first).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Stop starting new operations after this long.
    pub duration: Duration,
    /// Stop after this many operations (all threads together for threaded loops).
    pub max_ops: u64,
}

/// Call `op(i)` for i = 0, 1, ... until the limits are reached; `bytes_per_op` payload
/// bytes are counted per call. Only the loop is timed.
pub fn run_single(
    limits: Limits,
    bytes_per_op: u64,
    mut op: impl FnMut(u64) -> Result<()>,
) -> Result<Sample> {
    let start = Instant::now();
    let deadline = start + limits.duration;
    let mut ops = 0u64;
    while ops < limits.max_ops {
        op(ops)?;
        ops += 1;
        if Instant::now() >= deadline {
            break;
        }
    }
    Ok(Sample {
        ops,
        bytes: ops * bytes_per_op,
        elapsed: start.elapsed(),
    })
}

/// Run `threads` threads that each call `op(thread, i)` until the limits are reached (each
/// thread gets `max_ops / threads` operations). The clock starts when all threads are
/// ready and stops when the last one finishes.
pub fn run_threads<F>(threads: usize, limits: Limits, bytes_per_op: u64, op: F) -> Result<Sample>
where
    F: Fn(usize, u64) -> Result<()> + Sync,
{
    let threads = threads.max(1);
    let per_thread = (limits.max_ops / threads as u64).max(1);
    let barrier = Barrier::new(threads + 1);
    let op = &op;
    let barrier = &barrier;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || -> Result<u64> {
                    barrier.wait();
                    let deadline = Instant::now() + limits.duration;
                    let mut ops = 0u64;
                    while ops < per_thread {
                        op(t, ops)?;
                        ops += 1;
                        if Instant::now() >= deadline {
                            break;
                        }
                    }
                    Ok(ops)
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let mut total = 0u64;
        let mut first_err = None;
        for h in handles {
            match h.join() {
                Ok(Ok(n)) => total += n,
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(_) => {
                    first_err
                        .get_or_insert(BenchError::Check("a benchmark thread panicked".into()));
                }
            }
        }
        let elapsed = start.elapsed();
        match first_err {
            Some(e) => Err(e),
            None => Ok(Sample {
                ops: total,
                bytes: total * bytes_per_op,
                elapsed,
            }),
        }
    })
}

/// Call `op` once per item and return how long each call took, in microseconds (the calls
/// run one after another on this thread; only the call is timed).
pub fn latencies<T: Copy>(items: &[T], mut op: impl FnMut(T) -> Result<()>) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(items.len());
    for &item in items {
        let t = Instant::now();
        op(item)?;
        out.push(t.elapsed().as_secs_f64() * 1e6);
    }
    Ok(out)
}

/// `count` LSNs drawn uniformly from `lo..=hi` by the test kit's seeded generator (the same
/// seed picks the same entries in every run), for point reads.
pub fn picks(seed: u64, lo: u64, hi: u64, count: usize) -> Vec<u64> {
    let mut rng = walogs_testkit::Rng::new(seed);
    let span = hi.saturating_sub(lo).saturating_add(1);
    (0..count).map(|_| lo + rng.below(span)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn single_stops_at_the_cap_and_counts_bytes() {
        let mut seen = Vec::new();
        let lim = Limits {
            duration: Duration::from_secs(60),
            max_ops: 5,
        };
        let s = run_single(lim, 10, |i| {
            seen.push(i);
            Ok(())
        })
        .unwrap();
        assert_eq!(s.ops, 5);
        assert_eq!(s.bytes, 50);
        assert_eq!(seen, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn single_stops_at_the_deadline() {
        let lim = Limits {
            duration: Duration::from_millis(30),
            max_ops: u64::MAX,
        };
        let s = run_single(lim, 1, |_| {
            std::thread::sleep(Duration::from_millis(5));
            Ok(())
        })
        .unwrap();
        assert!(s.ops >= 2 && s.ops < 50, "{s:?}");
        assert!(s.elapsed >= Duration::from_millis(30));
    }

    #[test]
    fn errors_stop_the_loop() {
        let lim = Limits {
            duration: Duration::from_secs(60),
            max_ops: 100,
        };
        let r = run_single(lim, 1, |i| {
            if i == 3 {
                Err(BenchError::Check("boom".into()))
            } else {
                Ok(())
            }
        });
        assert!(matches!(r, Err(BenchError::Check(_))));
        let t = run_threads(3, lim, 1, |t, _| {
            if t == 1 {
                Err(BenchError::Check("thread".into()))
            } else {
                Ok(())
            }
        });
        assert!(matches!(t, Err(BenchError::Check(_))));
    }

    #[test]
    fn latencies_time_every_call_and_stop_on_error() {
        let mut seen = Vec::new();
        let l = latencies(&[3u64, 1, 2], |x| {
            seen.push(x);
            Ok(())
        })
        .unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(seen, vec![3, 1, 2]);
        assert!(l.iter().all(|&us| us >= 0.0));
        let e = latencies(&[1u64, 2], |x| {
            if x == 2 {
                Err(BenchError::Check("no".into()))
            } else {
                Ok(())
            }
        });
        assert!(e.is_err());
    }

    #[test]
    fn picks_stay_in_range_and_spread() {
        let p = picks(7, 10, 19, 1000);
        assert!(p.iter().all(|&x| (10..=19).contains(&x)));
        for v in 10..=19 {
            assert!(p.contains(&v), "{v} never drawn");
        }
        assert_eq!(picks(7, 10, 19, 5), p[..5].to_vec());
        assert_eq!(picks(1, 5, 5, 3), vec![5, 5, 5]);
    }

    #[test]
    fn threads_share_the_cap_and_all_run() {
        let per = [
            AtomicU64::new(0),
            AtomicU64::new(0),
            AtomicU64::new(0),
            AtomicU64::new(0),
        ];
        let lim = Limits {
            duration: Duration::from_secs(60),
            max_ops: 400,
        };
        let s = run_threads(4, lim, 2, |t, _| {
            per[t].fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
        assert_eq!(s.ops, 400);
        assert_eq!(s.bytes, 800);
        for p in &per {
            assert_eq!(p.load(Ordering::Relaxed), 100);
        }
    }
}
