//! Saved-plan loading on arbitrary text: a plan or a clear refusal, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = trailform::plan::load_saved(text);
    }
});
