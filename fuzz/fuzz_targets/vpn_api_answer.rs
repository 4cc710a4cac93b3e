//! `vpn_ticket_bot::fuzzing::vpn_api_answer`: see that function for what is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vpn_ticket_bot::fuzzing::vpn_api_answer(data);
});
