//! The fuzz targets' committed inputs, replayed on the stable toolchain: every seed in
//! `fuzz/corpus/<target>/` and every crash regression in `fuzz/regressions/<target>/` goes
//! through the same `vpn_ticket_bot::fuzzing` entry point the fuzzer calls (which panics on a
//! broken invariant), and the verdict must be the one the file's name promises: `accept-…` is
//! accepted, `refuse-…` is refused with a typed error.

use std::path::{Path, PathBuf};

use vpn_ticket_bot::fuzzing::{self, Verdict};

type Target = fn(&[u8]) -> Verdict;

const TARGETS: [(&str, Target); 7] = [
    ("receipt", fuzzing::receipt),
    ("custom_id", fuzzing::custom_id),
    ("config", fuzzing::config),
    ("panel_answer", fuzzing::panel_answer),
    ("cryptopay_answer", fuzzing::cryptopay_answer),
    ("vpn_api_answer", fuzzing::vpn_api_answer),
    ("restore_file", fuzzing::restore_file),
];

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

fn expected(path: &Path) -> Verdict {
    let name = path.file_name().unwrap().to_string_lossy();
    if name.starts_with("accept-") {
        Verdict::Accepted
    } else if name.starts_with("refuse-") {
        Verdict::Refused
    } else {
        panic!("{} is named neither accept-… nor refuse-…", path.display())
    }
}

#[test]
fn every_committed_fuzz_input_gets_its_verdict() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (target, run) in TARGETS {
        let seeds = files(&fuzz.join("corpus").join(target));
        for verdict in [Verdict::Accepted, Verdict::Refused] {
            assert!(
                seeds.iter().any(|p| expected(p) == verdict),
                "{target}: no {verdict:?} seed"
            );
        }
        let regressions = files(&fuzz.join("regressions").join(target));
        for path in seeds.iter().chain(&regressions) {
            let data = std::fs::read(path).unwrap();
            assert_eq!(run(&data), expected(path), "{}", path.display());
        }
    }
}
