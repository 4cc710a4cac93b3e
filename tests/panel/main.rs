//! The 3x-ui panel client: its contract with both API generations through the panel emulator
//! (`panel_contract`) and every vendored 3x-ui sample read with the client's types
//! (`panel_samples`, `tests/fixtures/3xui-repo-samples/`).

mod panel_contract;
mod panel_samples;
mod vpn_api_contract;
