//! The engine's method-id parser (`MethodSpec::from_str`, what `--methods`, `recommend
//! --method` and the API take) on any text: an id it accepts prints back as an id that parses
//! to the same method, and one it refuses is refused with an error naming the id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zoorank_predict::rank::{MethodIdError, MethodSpec};

fuzz_target!(|data: &[u8]| {
    let Ok(id) = std::str::from_utf8(data) else {
        return;
    };
    match id.parse::<MethodSpec>() {
        Ok(spec) => {
            let printed = spec.to_string();
            let again: MethodSpec = printed
                .parse()
                .unwrap_or_else(|e| panic!("{id:?} printed as {printed:?}, which fails: {e}"));
            assert_eq!(again, spec, "{id:?} printed as {printed:?}");
            // The printed form is canonical: printing it again gives the same text.
            assert_eq!(again.to_string(), printed);
            // Anything that uses the method's parts must not fail on a parsed id.
            let _ = (spec.graph(), spec.inductive_graph(), spec.uses_trend());
            let _ = spec.stored_scores();
        }
        Err(MethodIdError { id: named, reason }) => {
            assert_eq!(named, id);
            assert!(!reason.is_empty());
        }
    }
});
