//! When a failed message comes back: 3·2^(n−1) s after its n-th try (3, 6, 12 …), capped at
//! 300 s, never sooner than the server asked, spread by jitter so that a burst of 429s does not
//! retry in lockstep.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

pub const BASE: Duration = Duration::from_secs(3);
pub const CAP: Duration = Duration::from_secs(300);
/// SQS refuses a visibility timeout above 12 hours.
pub const SQS_MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);

/// The schedule's delay for try `n`, before jitter: 3·2^(n−1) s, capped.
pub fn scheduled(n: u32) -> Duration {
    let n = n.clamp(1, 16);
    (BASE * (1u32 << (n - 1))).min(CAP)
}

/// The delay before try `n + 1`. Jitter only lengthens the schedule's delay (by up to half, and
/// never past the cap), so a retry is never sooner than 3·2^(n−1) s; `jitter` is in [0, 1).
pub fn retry_delay(n: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
    let base = scheduled(n);
    let spread = base.mul_f64(0.5 * jitter.clamp(0.0, 1.0));
    let delay = (base + spread).min(CAP.max(base));
    delay.max(retry_after.unwrap_or_default()).min(SQS_MAX_VISIBILITY)
}

/// A jitter fraction in [0, 1) that differs between messages and tries but is the same for the
/// same message and try, so retries of one burst spread out without a random number source.
pub fn jitter_for(message_id: &str, n: u32) -> f64 {
    let mut h = DefaultHasher::new();
    (message_id, n).hash(&mut h);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// SQS visibility timeouts are whole seconds; round up so the wait is never shorter.
pub fn visibility_seconds(d: Duration) -> i32 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    secs.min(SQS_MAX_VISIBILITY.as_secs()) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_three_seconds_and_caps() {
        let secs: Vec<u64> = (1..=8).map(|n| retry_delay(n, None, 0.0).as_secs()).collect();
        assert_eq!(secs, [3, 6, 12, 24, 48, 96, 192, 300]);
        assert_eq!(retry_delay(0, None, 0.0).as_secs(), 3);
        assert_eq!(retry_delay(40, None, 0.99).as_secs(), 300, "jitter never passes the cap");
    }

    #[test]
    fn jitter_lengthens_within_half_the_step() {
        for n in 1..=6 {
            let base = scheduled(n);
            for j in [0.0, 0.3, 0.999] {
                let d = retry_delay(n, None, j);
                assert!(d >= base && d <= base.mul_f64(1.5), "n={n} j={j}: {d:?}");
            }
        }
    }

    #[test]
    fn jitter_spreads_a_burst() {
        let delays: std::collections::BTreeSet<u64> =
            (0..50).map(|i| retry_delay(3, None, jitter_for(&format!("m{i}"), 3)).as_millis() as u64).collect();
        assert!(delays.len() > 25, "50 messages failing together get different delays: {delays:?}");
        assert_eq!(jitter_for("m1", 2), jitter_for("m1", 2));
    }

    #[test]
    fn honours_retry_after_up_to_the_sqs_maximum() {
        assert_eq!(retry_delay(1, Some(Duration::from_secs(20)), 0.0).as_secs(), 20);
        assert_eq!(retry_delay(3, Some(Duration::from_secs(5)), 0.0).as_secs(), 12);
        assert_eq!(retry_delay(1, Some(Duration::from_secs(900)), 0.0).as_secs(), 900);
        assert_eq!(retry_delay(1, Some(Duration::from_secs(90_000)), 0.0), SQS_MAX_VISIBILITY);
        assert_eq!(visibility_seconds(Duration::from_millis(3001)), 4);
    }
}
