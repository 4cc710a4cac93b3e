//! Memory and CPU figures of a process from `/proc/<pid>/status` and `/proc/<pid>/stat`
//! (Linux), for the benchmarks.

/// A `kB` field of `/proc/self/status` (`VmHWM` = peak RSS, `VmRSS` = current RSS) in KiB;
/// `None` off Linux or when the field is missing.
#[allow(dead_code)]
pub(crate) fn status_kib(field: &str) -> Option<u64> {
    status_kib_of("self", field)
}

/// [`status_kib`] of process `pid` (`"self"` or a number).
pub(crate) fn status_kib_of(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// User + system CPU time of process `pid` in clock ticks (`utime` and `stime`, fields 14 and
/// 15 of `/proc/<pid>/stat`; `ticks_per_second` converts them).
#[allow(dead_code)]
pub(crate) fn cpu_ticks_of(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count from the closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 when it cannot be asked).
#[allow(dead_code)]
pub(crate) fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// KiB → MiB.
#[allow(clippy::cast_precision_loss)]
pub(crate) fn kib_to_mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
