//! Panel health monitor (in progress).
