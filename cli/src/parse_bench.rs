//! `ingestctl bench-parse PDF`: pages per CPU-second and peak RSS of the local parser (the work
//! of the parse handler: validate, lay out, write markdown), each round in a fresh child process
//! so that its peak RSS is its own, against Debian's `pdftotext` on the same file in the same run.

use crate::usage::{cpu, rusage};
use anyhow::Context as _;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// `parse-probe`, built beside ingestctl: the parser with the parse Lambda's allocator.
fn probe() -> anyhow::Result<std::path::PathBuf> {
    let path = std::env::current_exe()?.with_file_name("parse-probe");
    anyhow::ensure!(path.exists(), "{} is missing: cargo build --release -p ingestctl builds it", path.display());
    Ok(path)
}

/// `ingestctl parse --stats`: the probe's JSON line, passed through on stderr.
pub fn probe_stats(pdf: &Path) -> anyhow::Result<()> {
    let status = Command::new(probe()?).arg(pdf).stdout(Stdio::null()).status()?;
    anyhow::ensure!(status.success(), "parse-probe failed on {}", pdf.display());
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn run(pdf: &Path, rounds: usize) -> anyhow::Result<()> {
    let probe = probe()?;
    let size_mb = std::fs::metadata(pdf).with_context(|| pdf.display().to_string())?.len() as f64 / 1e6;
    let (mut ours_cpu, mut ours_wall, mut rss, mut pages) = (vec![], vec![], 0.0f64, 0u64);
    for _ in 0..rounds {
        let out = Command::new(&probe).arg(pdf).stdout(Stdio::null()).output()?;
        anyhow::ensure!(out.status.success(), "parse-probe failed: {}", String::from_utf8_lossy(&out.stderr));
        let line = String::from_utf8_lossy(&out.stderr);
        let stats: Value = serde_json::from_str(line.lines().last().unwrap_or_default())?;
        pages = stats["pages"].as_u64().unwrap_or(0);
        ours_cpu.push(stats["cpu_s"].as_f64().unwrap_or(0.0));
        ours_wall.push(stats["wall_s"].as_f64().unwrap_or(0.0));
        rss = rss.max(stats["peak_rss_mb"].as_f64().unwrap_or(0.0));
    }
    let mut theirs_cpu = vec![];
    let mut theirs_wall = vec![];
    for _ in 0..rounds {
        let before = cpu(&rusage(libc::RUSAGE_CHILDREN));
        let started = Instant::now();
        let status = Command::new("pdftotext").arg("-q").arg(pdf).arg("/dev/null").status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => anyhow::bail!("pdftotext failed: {s}"),
            Err(e) => anyhow::bail!("pdftotext not found ({e}): install Debian's poppler-utils"),
        }
        theirs_wall.push(started.elapsed().as_secs_f64());
        theirs_cpu.push(cpu(&rusage(libc::RUSAGE_CHILDREN)) - before);
    }
    let (oc, tc) = (median(ours_cpu), median(theirs_cpu));
    println!("{} ({size_mb:.1} MB, {pages} pages), median of {rounds} rounds, each in its own process:", pdf.display());
    println!(
        "  doc-ingest local parser  {:>8.0} pages/CPU-s  {:>8.0} pages/s wall  peak RSS {rss:.0} MB",
        pages as f64 / oc,
        pages as f64 / median(ours_wall)
    );
    println!(
        "  pdftotext (poppler)      {:>8.0} pages/CPU-s  {:>8.0} pages/s wall",
        pages as f64 / tc,
        pages as f64 / median(theirs_wall)
    );
    println!("  speed ratio (ours / pdftotext, per CPU-second): {:.2}", tc / oc);
    Ok(())
}
