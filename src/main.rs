//! Bootstrap only: parse the command line, load the config, start logging, dispatch.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
