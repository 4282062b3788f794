//! The `radar` binary: logging set-up and the exit code; the work is in
//! the library.

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = radar::cli::Cli::parse();

    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("RADAR_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    std::process::exit(radar::cli::main(cli));
}
