//! Stable-Rust fuzzing of the two inputs trailform reads from files: the spec
//! (`spec::check_str`: parse + every validation rule) and a saved plan
//! (`plan::load_saved`). The same functions as the cargo-fuzz targets in `fuzz/`.
//!
//! Seeds are every example spec, every bad-spec fixture and a rendered plan; each case
//! mutates one seed (byte flips, deletions, duplications, splices of another seed,
//! truncation, YAML/JSON-significant insertions) with a fixed-seed PRNG, so a failure
//! is repeatable. The suite runs `TRAILFORM_FUZZ_CASES` cases per target (default
//! 2,000); run more with e.g. `TRAILFORM_FUZZ_CASES=200000 cargo test --release --test
//! fuzz_inputs`. Crashes found are kept as regression cases in `REGRESSIONS`.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_dir_texts(dir: &str, ext: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
        return out;
    };
    let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.extension().is_some_and(|e| e == ext) {
            if let Ok(t) = std::fs::read_to_string(&p) {
                out.push(t);
            }
        }
    }
    out
}

fn spec_seeds() -> Vec<String> {
    let mut seeds = read_dir_texts("examples", "yaml");
    seeds.extend(read_dir_texts("tests/fixtures/invalid", "yaml"));
    assert!(seeds.len() >= 5, "seed corpus missing");
    seeds
}

fn plan_seed() -> String {
    let snap =
        std::fs::read_to_string(root().join("tests/snapshots/plan_render__json_rendering.snap"))
            .expect("plan snapshot");
    // insta header: `---\n...\n---\n` then the body.
    let body = snap
        .splitn(3, "---\n")
        .nth(2)
        .expect("snapshot body")
        .to_owned();
    assert!(
        trailform::plan::load_saved(&body).is_ok(),
        "the plan seed itself must load"
    );
    body
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&str] = &[
    ":",
    "- ",
    "\n",
    "  ",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    "&a ",
    "*a",
    "!!str ",
    "<<: *a\n",
    "~",
    "null",
    "true",
    "1e999",
    "-1",
    "18446744073709551616",
    "\u{0}",
    "\u{feff}",
    "é",
    "#",
    "---\n",
    "...\n",
    "? ",
    "|\n",
    ">-\n",
    "\t",
    "\\u0000",
    ",",
    "{account_id}",
    "*",
    "\"\\ud800\"",
];

fn mutate(rng: &mut Rng, seed: &str, other: &str) -> String {
    let mut b = seed.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(7) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            1 if !b.is_empty() => {
                let end = (at + 1 + rng.below(64)).min(b.len());
                b.drain(at.min(end)..end);
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                b.splice(at..at, t.iter().copied());
            }
            3 if !b.is_empty() => {
                let start = rng.below(b.len());
                let end = (start + 1 + rng.below(128)).min(b.len());
                let chunk = b[start..end].to_vec();
                b.splice(at..at, chunk);
            }
            4 => {
                let o = other.as_bytes();
                let start = rng.below(o.len());
                let end = (start + rng.below(256)).min(o.len());
                b.splice(at..at, o[start..end].iter().copied());
            }
            5 => b.truncate(at),
            _ => {
                let t = rng.below(10);
                b.splice(at..at, std::iter::repeat_n(b'[', t * 50));
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn cases() -> usize {
    std::env::var("TRAILFORM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

/// Inputs that once crashed a target (none yet).
const REGRESSIONS: &[&str] = &[];

#[test]
fn spec_checking_never_panics_on_mutated_specs() {
    let seeds = spec_seeds();
    let mut rng = Rng(0x7261_696c_666f_726d);
    for r in REGRESSIONS {
        let _ = trailform::spec::check_str(r, "regression.yaml");
    }
    for case in 0..cases() {
        let seed = &seeds[rng.below(seeds.len())];
        let other = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed, other);
        let result = std::panic::catch_unwind(|| trailform::spec::check_str(&input, "fuzz.yaml"));
        assert!(result.is_ok(), "case {case} panicked on:\n{input:?}");
    }
}

#[test]
fn plan_loading_never_panics_and_refuses_mutations_clearly() {
    let seed = plan_seed();
    let mut rng = Rng(0x706c_616e_6669_6c65);
    let (mut loaded, mut refused) = (0, 0);
    for r in REGRESSIONS {
        let _ = trailform::plan::load_saved(r);
    }
    for case in 0..cases() {
        let input = mutate(&mut rng, &seed, &seed);
        match std::panic::catch_unwind(|| trailform::plan::load_saved(&input)) {
            Ok(Ok(_)) => loaded += 1,
            Ok(Err(e)) => {
                assert!(!e.to_string().is_empty());
                refused += 1;
            }
            Err(_) => panic!("case {case} panicked on:\n{input:?}"),
        }
    }
    // Most mutations of a plan are refused; a few (in a string's text) still load,
    // and apply's staleness check refuses those whose calls changed.
    assert!(refused > loaded, "{refused} refused, {loaded} loaded");
}
