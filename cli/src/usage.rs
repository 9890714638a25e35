//! Resource usage of this process and its children: CPU seconds and peak RSS, read the same way
//! by `ingestctl` and by `parse-probe` (which shares this file).

/// CPU seconds (user + system) from a getrusage result.
pub fn cpu(r: &libc::rusage) -> f64 {
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(r.ru_utime) + t(r.ru_stime)
}

#[allow(unsafe_code)]
pub fn rusage(who: libc::c_int) -> libc::rusage {
    // SAFETY: getrusage fills the struct it is given; a zeroed rusage is a valid value.
    unsafe {
        let mut r: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut r);
        r
    }
}

/// This process's own peak RSS in MB: `VmHWM` belongs to its address space, while `ru_maxrss`
/// survives exec on Linux and so reports a large parent's peak (a Python harness) as ours.
pub fn peak_rss_mb() -> f64 {
    rss_mb(&rusage(libc::RUSAGE_SELF))
}

pub fn rss_mb(r: &libc::rusage) -> f64 {
    let hwm = std::fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse::<f64>().ok()
    });
    // Both are in KiB.
    hwm.unwrap_or(r.ru_maxrss as f64) / 1024.0
}
