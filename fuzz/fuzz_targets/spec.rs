//! The spec parser and every validation rule on arbitrary text: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = trailform::spec::check_str(text, "fuzz.yaml");
    }
});
