//! Memory figures of this process from `/proc/self/status` (Linux), for the benchmarks.

/// A `kB` field of `/proc/self/status` (`VmHWM` = peak RSS, `VmRSS` = current RSS) in KiB;
/// `None` off Linux or when the field is missing.
pub(crate) fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// KiB → MiB.
#[allow(clippy::cast_precision_loss)]
pub(crate) fn kib_to_mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
