//! What HTTP APIs say about when to try again, for the clients of paid APIs (embeddings,
//! LlamaParse): `retry-after` (seconds), `retry-after-ms`, and OpenAI's
//! `x-ratelimit-reset-{requests,tokens}` durations such as `1s`, `6m0s`, `20ms`.

use crate::error::{ApiClasses, StageError};

/// Every reqwest client starts here: reqwest is built without a crypto provider of its own
/// (its default is aws-lc, several MB per function), so rustls' process-wide provider is set to
/// ring first; `reqwest::Client::new()` without it would panic on first use.
pub fn client_builder() -> reqwest::ClientBuilder {
    // Err only means a provider is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}
use reqwest::header::HeaderMap;
use std::time::Duration;

/// A request that got no answer: a timeout is charged to the document (its size may be why), a
/// refused or broken connection is an outage.
pub fn transport_error(api: &ApiClasses, request: &str, e: reqwest::Error) -> StageError {
    let (class, how) = if e.is_timeout() {
        (api.timeout, "timed out")
    } else if e.is_connect() {
        (api.unavailable, "could not connect")
    } else {
        (api.unavailable, "failed")
    };
    StageError::new(class, format!("{request} request {how}")).with_source(e)
}

/// The longest wait any of the rate-limit headers asks for.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let candidates = [
        get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()).map(|ms| Duration::from_secs_f64(ms / 1000.0)),
        get("retry-after").and_then(|v| v.parse::<f64>().ok()).map(Duration::from_secs_f64),
        get("x-ratelimit-reset-requests").and_then(parse_reset),
        get("x-ratelimit-reset-tokens").and_then(parse_reset),
    ];
    candidates.into_iter().flatten().max()
}

/// `1s`, `6m0s`, `20ms`, `1h2m3.5s` → a duration.
fn parse_reset(v: &str) -> Option<Duration> {
    let mut total = 0.0;
    let mut num = String::new();
    let mut chars = v.chars().peekable();
    let mut seen = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        let unit = match c {
            'h' => 3600.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        total += n * unit;
        seen = true;
    }
    (seen && num.is_empty()).then(|| Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_durations_parse() {
        assert_eq!(parse_reset("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_reset("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(parse_reset("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(parse_reset("1h2m3.5s"), Some(Duration::from_secs_f64(3723.5)));
        assert_eq!(parse_reset("soon"), None);
        assert_eq!(parse_reset("12"), None);
    }

    #[test]
    fn retry_after_takes_the_longest_hint() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        h.insert("x-ratelimit-reset-tokens", "7s".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let mut h = HeaderMap::new();
        h.insert("retry-after-ms", "1500".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
}
