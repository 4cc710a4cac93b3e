//! Benchmark settings from the environment.

use std::str::FromStr;

/// `name` parsed as `T`, or `default` when it is unset or does not parse.
#[allow(dead_code)]
pub(crate) fn env_or<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A count from `name`: `default` when it is unset, does not parse, or is 0.
#[allow(dead_code)]
pub(crate) fn count_or<T: FromStr + PartialOrd + Default>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > T::default())
        .unwrap_or(default)
}
