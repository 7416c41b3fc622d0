#![no_main]
//! parse_any: no panics on any input; every output form of valid data parses again.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let parsed = gs1::parse_any(data);
    if let Err(e) = &parsed {
        // Reasons are one human-readable line, whatever the input.
        assert!(!e.to_string().contains('\n'), "{e}");
    }
    if let Ok(d) = parsed {
        let es = d.element_string();
        if !es.is_empty() {
            assert!(gs1::parse_any(&es).is_ok(), "{es}");
        }
        if let Some(dl) = d.digital_link() {
            assert!(gs1::parse_any(&dl).is_ok(), "{dl}");
        }
        let _ = d.epc_urn(Some(7));
        let _ = d.raw();
    }
});
