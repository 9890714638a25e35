//! Metrics as CloudWatch Embedded Metric Format lines on stdout: in Lambda, CloudWatch Logs turns
//! each line into metrics with no API call and no extra latency. On by default in Lambda
//! (`AWS_LAMBDA_FUNCTION_NAME` set); `DOC_INGEST_METRICS=emf|off` overrides.

use serde_json::{Map, Value, json};
use std::io::Write;
use std::sync::OnceLock;

pub const NAMESPACE: &str = "DocIngest";

#[derive(Clone, Copy, Debug)]
pub enum Unit {
    Milliseconds,
    Count,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Milliseconds => "Milliseconds",
            Unit::Count => "Count",
        }
    }
}

pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| match std::env::var("DOC_INGEST_METRICS").ok().as_deref() {
        Some(v) if v.eq_ignore_ascii_case("emf") => true,
        Some(_) => false,
        None => std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some(),
    })
}

/// One EMF document: every value under one dimension set.
pub fn render(timestamp_ms: i64, dimensions: &[(&str, &str)], values: &[(&str, f64, Unit)]) -> String {
    let metrics: Vec<Value> = values.iter().map(|(n, _, u)| json!({ "Name": n, "Unit": u.as_str() })).collect();
    let dims: Vec<&str> = dimensions.iter().map(|(k, _)| *k).collect();
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{ "Namespace": NAMESPACE, "Dimensions": [dims], "Metrics": metrics }],
        }),
    );
    for (k, v) in dimensions {
        doc.insert((*k).into(), json!(v));
    }
    for (n, v, _) in values {
        doc.insert((*n).into(), json!(v));
    }
    Value::Object(doc).to_string()
}

pub fn emit(dimensions: &[(&str, &str)], values: &[(&str, f64, Unit)]) {
    if !enabled() || values.is_empty() {
        return;
    }
    let line = render(chrono::Utc::now().timestamp_millis(), dimensions, values);
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_an_emf_document_cloudwatch_accepts() {
        let line = render(
            1_700_000_000_000,
            &[("Stage", "embed")],
            &[("Duration", 12.5, Unit::Milliseconds), ("Chunks", 3.0, Unit::Count)],
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        let directive = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Dimensions"], json!([["Stage"]]));
        assert_eq!(directive["Metrics"][0], json!({ "Name": "Duration", "Unit": "Milliseconds" }));
        // Every dimension and metric named in the directive is a top-level member.
        assert_eq!(v["Stage"], "embed");
        assert_eq!(v["Duration"], 12.5);
        assert_eq!(v["Chunks"], 3.0);
        assert!(!line.contains('\n'));
    }
}
