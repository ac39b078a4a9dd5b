//! Exponential backoff with full jitter, shared by source polling and alert delivery.
//!
//! The schedule is persisted (the outbox stores the next attempt time), so a looping
//! retry crate does not fit; this is the one formula both sides use.

use std::time::Duration;

/// Delay before retry number `attempt` (1 = first retry): a random duration in
/// `[base/2, base]` where `base = min(max, initial * 2^(attempt-1))`.
///
/// Half-jitter keeps retries spread out without ever retrying immediately.
pub fn delay(attempt: u32, initial: Duration, max: Duration) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let base = initial
        .saturating_mul(1u32 << exp)
        .min(max)
        .max(initial.min(max));
    let half = base / 2;
    let jitter = rand::random_range(0.0..=1.0);
    half + half.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_caps() {
        let i = Duration::from_secs(5);
        let m = Duration::from_secs(60);
        for _ in 0..100 {
            let d1 = delay(1, i, m);
            assert!(d1 >= Duration::from_millis(2500) && d1 <= i);
            let d3 = delay(3, i, m);
            assert!(d3 >= Duration::from_secs(10) && d3 <= Duration::from_secs(20));
            let d30 = delay(30, i, m);
            assert!(d30 >= Duration::from_secs(30) && d30 <= m);
            assert!(delay(u32::MAX, i, m) <= m);
        }
    }
}
