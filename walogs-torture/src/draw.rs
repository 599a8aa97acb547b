//! The draws the workloads make beyond what [`walogs_testkit::Rng`] offers: a value in a
//! closed range, and one seeded stream per purpose. Every workload draws through these, so
//! a run is fixed by its seed.

use walogs_testkit::Rng;

/// A value in `lo..=hi` (`lo` when `hi <= lo`).
pub fn between(rng: &mut Rng, lo: u64, hi: u64) -> u64 {
    if hi <= lo {
        lo
    } else {
        lo + rng.below(hi - lo + 1)
    }
}

/// True with probability `percent` / 100.
pub fn percent(rng: &mut Rng, percent: u64) -> bool {
    rng.chance(percent, 100)
}

/// A generator for the stream `stream` of `seed` (independent streams for independent
/// purposes: lengths, contents, operations, kill times).
pub fn stream(seed: u64, stream: u64) -> Rng {
    Rng::new(Rng::mix(seed, stream))
}

/// A length in `lo..=hi`, log-uniform (every power of two as likely as the next), with
/// each bound forced one time in fifty.
pub fn log_uniform(rng: &mut Rng, lo: u64, hi: u64) -> u64 {
    if hi <= lo {
        return lo;
    }
    match rng.below(100) {
        0..2 => return lo,
        2..4 => return hi,
        _ => {}
    }
    let span = hi - lo + 1;
    let bits = 64 - u64::from(span.leading_zeros());
    let b = rng.below(bits);
    let top = ((1u64 << b) * 2 - 1).min(span);
    lo + between(rng, (1u64 << b).min(top), top) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_stay_in_range_and_reach_both_ends() {
        let mut r = stream(7, 1);
        let v: Vec<u64> = (0..2000).map(|_| between(&mut r, 3, 5)).collect();
        for x in 3..=5 {
            assert!(v.iter().filter(|&&y| y == x).count() > 400, "{x}");
        }
        assert_eq!(between(&mut r, 9, 2), 9);
        let l: Vec<u64> = (0..3000).map(|_| log_uniform(&mut r, 1, 1 << 20)).collect();
        assert!(l.iter().all(|&x| (1..=1 << 20).contains(&x)));
        assert!(l.contains(&1) && l.contains(&(1 << 20)));
        assert!(l.iter().any(|&x| (100..1000).contains(&x)));
        assert!(l.iter().any(|&x| (10_000..100_000).contains(&x)));
        let s: Vec<u64> = (0..1000).map(|_| log_uniform(&mut r, 24, 30)).collect();
        assert!(s.iter().all(|&x| (24..=30).contains(&x)));
    }
}
