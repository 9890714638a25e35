//! `parse-probe PDF`: the local parser on one file, as the parse Lambda runs it (the system
//! allocator, no embedding model linked in), printing its pages, CPU time and peak RSS as one
//! JSON line on stderr. `ingestctl parse --stats` and `bench-parse` run it so that the memory
//! they report is the parse function's, not that of ingestctl's mimalloc arenas (2× on small files).

#[allow(dead_code)]
#[path = "../usage.rs"]
mod usage;

use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let path = std::env::args_os().nth(1).ok_or_else(|| anyhow::anyhow!("usage: parse-probe FILE"))?;
    let started = Instant::now();
    let bytes = std::fs::read(&path)?;
    let name = std::path::Path::new(&path).file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let kind = doc_ingest::parsing::detect(&bytes, name)?;
    let parsed = doc_ingest::parsing::parse(kind, &bytes, &doc_ingest::parsing::Limits::from_env()?)?;
    let wall = started.elapsed();
    drop(parsed.markdown);
    let r = usage::rusage(libc::RUSAGE_SELF);
    let stats = serde_json::json!({
        "pages": parsed.page_count,
        "parser": parsed.parser,
        "wall_s": wall.as_secs_f64(),
        "cpu_s": usage::cpu(&r),
        "peak_rss_mb": usage::rss_mb(&r),
    });
    eprintln!("{stats}");
    Ok(())
}
