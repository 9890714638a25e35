use std::time::Duration;

/// Visibility delay before receive `n + 1`, after a transient failure on receive `n`:
/// 3·2^(n−1) s (3, 6, 12 …), capped at 300 s, and never shorter than the server asked for.
pub fn retry_delay(receive_count: u32, retry_after: Option<Duration>) -> Duration {
    let n = receive_count.clamp(1, 16);
    let exp = Duration::from_secs(3u64 << (n - 1));
    let floor = retry_after.unwrap_or_default();
    exp.max(floor).min(Duration::from_secs(300))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_three_seconds_and_caps() {
        let secs: Vec<u64> = (1..=8).map(|n| retry_delay(n, None).as_secs()).collect();
        assert_eq!(secs, [3, 6, 12, 24, 48, 96, 192, 300]);
        assert_eq!(retry_delay(0, None).as_secs(), 3);
        assert_eq!(retry_delay(40, None).as_secs(), 300);
    }

    #[test]
    fn honours_retry_after_up_to_the_cap() {
        assert_eq!(retry_delay(1, Some(Duration::from_secs(20))).as_secs(), 20);
        assert_eq!(retry_delay(3, Some(Duration::from_secs(5))).as_secs(), 12);
        assert_eq!(retry_delay(1, Some(Duration::from_secs(900))).as_secs(), 300);
    }
}
