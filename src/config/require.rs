//! What a command needs beyond a valid file: keys that may stay empty for `migrate`, `backup`
//! or `demo` but that `run` and `check` cannot do without. Each refusal names the key.

use std::num::NonZeroU64;

use super::{Config, ConfigError};

fn missing(key: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

impl Config {
    /// The panel's URL is set (`check` and `run` talk to the panel).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming `panel.base_url`.
    pub fn require_panel(&self) -> Result<(), ConfigError> {
        if self.panel.base_url.is_empty() {
            return Err(missing(
                "panel.base_url",
                "not set: the 3x-ui panel's URL (with its webBasePath) is needed",
            ));
        }
        Ok(())
    }

    /// `discord.guild_id`, which must be set (not 0).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the key.
    pub fn guild_id(&self) -> Result<NonZeroU64, ConfigError> {
        NonZeroU64::new(self.discord.guild_id).ok_or_else(|| {
            missing(
                "discord.guild_id",
                "not set: the id of the shop's Discord server",
            )
        })
    }

    /// `discord.admin_channel_id`, which must be set (not 0).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the key.
    pub fn admin_channel_id(&self) -> Result<NonZeroU64, ConfigError> {
        NonZeroU64::new(self.discord.admin_channel_id).ok_or_else(|| {
            missing(
                "discord.admin_channel_id",
                "not set: the id of the channel where review cards are posted",
            )
        })
    }

    /// Everything `run` (and `discord::start`) needs: the bot token, the panel, the guild and
    /// the admin review channel (checked in that order). Ids of 0 are refused rather than guessed.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first missing key.
    pub fn require_for_run(&self) -> Result<(), ConfigError> {
        if self.discord.token.is_empty() {
            return Err(missing(
                "discord.token",
                "not set: `run` needs the bot token (in the config or VTB_DISCORD_TOKEN)",
            ));
        }
        self.require_panel()?;
        self.guild_id()?;
        self.admin_channel_id()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn config(discord: &str) -> Config {
        // A panel is configured: the Discord keys are what is checked here.
        let text = format!(
            "[discord]\n{discord}\n[panel]\nbase_url = \"https://p.example/x/\"\nusername = \"a\"\n\
             password = \"b\"\npublic_host = \"vpn.example\"\n"
        );
        Config::from_toml_with_env(&text, |_| None).expect("valid file")
    }

    #[test]
    fn run_refuses_a_zero_id_naming_the_key() {
        let no_guild = config("token = \"t\"\nadmin_channel_id = 5");
        assert_eq!(
            no_guild.require_for_run().unwrap_err().key(),
            "discord.guild_id"
        );
        let no_admin = config("token = \"t\"\nguild_id = 4");
        assert_eq!(
            no_admin.require_for_run().unwrap_err().key(),
            "discord.admin_channel_id"
        );
        let no_token = config("guild_id = 4\nadmin_channel_id = 5");
        assert_eq!(
            no_token.require_for_run().unwrap_err().key(),
            "discord.token"
        );
        config("token = \"t\"\nguild_id = 4\nadmin_channel_id = 5")
            .require_for_run()
            .expect("complete");
    }
}
