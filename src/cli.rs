//! Command-line interface (clap), exactly as `product.md` specifies it.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// A Discord bot that runs a VPN shop on a 3x-ui panel.
#[derive(Debug, Parser)]
#[command(name = "vpn-ticket-bot", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML); see config.example.toml.
    #[arg(long, short, global = true, default_value = "config.toml", env = "VTB_CONFIG")]
    pub config: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to Discord and serve.
    Run,
    /// Offline showcase against an emulated Discord and an emulated 3x-ui panel.
    Demo {
        /// Write the emulator's request/frame log as JSON lines to FILE.
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
    },
    /// Apply database migrations.
    Migrate,
    /// Online, verified backup of the database.
    Backup {
        /// Write the backup to FILE instead of <data_dir>/backups/bot-<UTC>.db.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Verified restore of a backup file (the bot must be stopped).
    Restore {
        /// The backup file to restore.
        file: PathBuf,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Validate the config and reach the panel; print a summary.
    Check,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_restore_with_yes_and_global_config() {
        let cli = Cli::parse_from(["vpn-ticket-bot", "restore", "b.db", "--yes", "--config", "c.toml"]);
        assert_eq!(cli.config, PathBuf::from("c.toml"));
        match cli.command {
            Command::Restore { file, yes } => {
                assert_eq!(file, PathBuf::from("b.db"));
                assert!(yes);
            }
            other => panic!("parsed as {other:?}"),
        }
    }
}
