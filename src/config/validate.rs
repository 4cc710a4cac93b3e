//! Validation of values that parse but make no sense: each refusal is a
//! [`ConfigError::Invalid`] naming the key (`plans[1].price_minor`) and why.

use super::{Config, ConfigError, PanelKind};
use crate::panel::Capabilities;

/// A plan or payment-method id: 1-32 characters of a-z, 0-9, `_` or `-`.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Config {
    /// The metrics listener's address: `None` when `metrics.listen` is empty (off).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] (`metrics.listen`) for an address that does not parse, or one
    /// that is not loopback while `metrics.bearer_token` is empty.
    pub fn metrics_addr(&self) -> Result<Option<std::net::SocketAddr>, ConfigError> {
        let listen = self.metrics.listen.trim();
        if listen.is_empty() {
            return Ok(None);
        }
        let addr: std::net::SocketAddr = listen.parse().map_err(|e| {
            ConfigError::invalid(
                "metrics.listen",
                format!(
                    "{listen:?} is not host:port with an IP address ({e}), e.g. \"127.0.0.1:9464\""
                ),
            )
        })?;
        if !addr.ip().is_loopback() && self.metrics.bearer_token.is_empty() {
            return Err(ConfigError::invalid(
                "metrics.listen",
                "listening beyond loopback needs metrics.bearer_token (or VTB_METRICS_TOKEN)",
            ));
        }
        Ok(Some(addr))
    }

    /// `shop.default_language` and `[metrics]`.
    fn validate_world(&self) -> Result<(), ConfigError> {
        self.metrics_addr()?;
        let languages = [
            ("shop.default_language", &self.shop.default_language),
            ("shop.staff_language", &self.shop.staff_language),
        ];
        for (key, code) in languages {
            if crate::i18n::Lang::from_code(code).is_none() {
                return Err(ConfigError::invalid(
                    key,
                    format!("unknown language {code:?} (use \"en\", \"ru\" or \"fa\")"),
                ));
            }
        }
        Ok(())
    }

    /// Checks values that parse but make no sense.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first bad key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_panel()?;
        self.validate_backends()?;
        self.validate_catalogue()?;
        self.validate_world()?;
        if jiff::tz::TimeZone::get(&self.shop.time_zone).is_err() {
            return Err(ConfigError::invalid(
                "shop.time_zone",
                format!(
                    "unknown time zone {:?} (use an IANA name such as \"Europe/Berlin\" or \"UTC\")",
                    self.shop.time_zone
                ),
            ));
        }
        if self.storage.pool_size == 0 {
            return Err(ConfigError::invalid(
                "storage.pool_size",
                "must be at least 1",
            ));
        }
        if self.receipts.max_bytes == 0 {
            return Err(ConfigError::invalid(
                "receipts.max_bytes",
                "must be above 0",
            ));
        }
        if self.receipts.max_dimension == 0 {
            return Err(ConfigError::invalid(
                "receipts.max_dimension",
                "must be above 0",
            ));
        }
        if self.receipts.near_duplicate_distance > 64 {
            return Err(ConfigError::invalid(
                "receipts.near_duplicate_distance",
                "a 64-bit perceptual hash differs in at most 64 bits",
            ));
        }
        if !self.discord.rest_proxy_url.is_empty() {
            let url = reqwest::Url::parse(&self.discord.rest_proxy_url).map_err(|e| {
                ConfigError::invalid("discord.rest_proxy_url", format!("not a URL ({e})"))
            })?;
            if !matches!(url.scheme(), "http" | "https") || url.path().len() > 1 {
                return Err(ConfigError::invalid(
                    "discord.rest_proxy_url",
                    "must be http(s)://host:port without a path",
                ));
            }
        }
        if tracing_subscriber::EnvFilter::try_new(&self.logging.level).is_err() {
            return Err(ConfigError::invalid(
                "logging.level",
                format!("not a valid filter: {:?}", self.logging.level),
            ));
        }
        Ok(())
    }

    fn validate_backends(&self) -> Result<(), ConfigError> {
        let b = &self.backends;
        if b.subscription_listen.is_empty() {
            return Ok(());
        }
        if b.subscription_listen
            .parse::<std::net::SocketAddr>()
            .is_err()
        {
            return Err(ConfigError::invalid(
                "backends.subscription_listen",
                "use host:port with an IP address, e.g. \"127.0.0.1:8088\"",
            ));
        }
        if b.subscription_secret.expose().len() < 16 {
            return Err(ConfigError::invalid(
                "backends.subscription_secret",
                "set at least 16 characters (or VTB_SUBSCRIPTION_SECRET) when the endpoint is on",
            ));
        }
        if !b.subscription_public_url.is_empty() {
            reqwest::Url::parse(&b.subscription_public_url).map_err(|e| {
                ConfigError::invalid(
                    "backends.subscription_public_url",
                    format!("not a URL ({e})"),
                )
            })?;
        }
        Ok(())
    }

    fn validate_panel(&self) -> Result<(), ConfigError> {
        if self.panels.is_empty() {
            return check_panel("panel", &self.panel);
        }
        if !self.panel.base_url.is_empty() {
            return Err(ConfigError::invalid(
                "panels",
                "set [panel] or [[panels]], not both",
            ));
        }
        for (i, p) in self.panels.iter().enumerate() {
            let prefix = format!("panels[{i}]");
            if !valid_id(&p.id) {
                return Err(ConfigError::invalid(
                    format!("{prefix}.id"),
                    "use 1-32 characters of a-z, 0-9, '_' or '-'",
                ));
            }
            if self.panels[..i].iter().any(|q| q.id == p.id) {
                return Err(ConfigError::invalid(
                    format!("{prefix}.id"),
                    format!("{:?} is used twice", p.id),
                ));
            }
            check_panel(&prefix, p)?;
        }
        Ok(())
    }

    fn validate_catalogue(&self) -> Result<(), ConfigError> {
        self.validate_plans()?;
        self.validate_payment_methods()?;
        self.validate_cryptobot()?;
        self.validate_growth()
    }

    fn validate_plans(&self) -> Result<(), ConfigError> {
        for (i, plan) in self.plans.iter().enumerate() {
            let key = |field: &str| format!("plans[{i}].{field}");
            if !valid_id(&plan.id) {
                return Err(ConfigError::invalid(
                    key("id"),
                    "use 1-32 characters of a-z, 0-9, '_' or '-'",
                ));
            }
            if self.plans[..i].iter().any(|p| p.id == plan.id) {
                return Err(ConfigError::invalid(
                    key("id"),
                    format!("{:?} is used twice", plan.id),
                ));
            }
            if plan.name.trim().is_empty() {
                return Err(ConfigError::invalid(key("name"), "must not be empty"));
            }
            if plan.days == 0 {
                return Err(ConfigError::invalid(key("days"), "must be at least 1"));
            }
            if plan.price_minor <= 0 {
                return Err(ConfigError::invalid(key("price_minor"), "must be above 0"));
            }
            if plan.currency.len() != 3 || !plan.currency.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(ConfigError::invalid(
                    key("currency"),
                    "use a three-letter ISO 4217 code such as \"USD\"",
                ));
            }
            self.servable(i, plan)?;
        }
        Ok(())
    }

    /// What every configured backend can do (a customer may be placed on any of them).
    #[must_use]
    pub fn backend_capabilities(&self) -> Capabilities {
        if self
            .panel_list()
            .iter()
            .any(|p| p.kind == PanelKind::VpnApi)
        {
            Capabilities::MINIMAL
        } else {
            Capabilities::ALL
        }
    }

    /// Refuses plan `i` when the backend cannot serve it, naming the key.
    fn servable(&self, i: usize, plan: &super::Plan) -> Result<(), ConfigError> {
        let caps = self.backend_capabilities();
        let refused = if plan.start_on_first_use && !caps.first_use_expiry {
            Some((
                "start_on_first_use",
                "an expiry counted from the first connection",
            ))
        } else if plan.traffic_gib > 0 && !caps.traffic_limit {
            Some(("traffic_gib", "a traffic limit"))
        } else if plan.device_limit > 0 && !caps.device_limit {
            Some(("device_limit", "a device limit"))
        } else {
            None
        };
        match refused {
            Some((field, what)) => Err(ConfigError::invalid(
                format!("plans[{i}].{field}"),
                format!("panel.kind = \"vpn_api\" cannot enforce {what}"),
            )),
            None => Ok(()),
        }
    }

    fn validate_payment_methods(&self) -> Result<(), ConfigError> {
        for (i, method) in self.payment_methods.iter().enumerate() {
            let key = |field: &str| format!("payment_methods[{i}].{field}");
            if !valid_id(&method.id) {
                return Err(ConfigError::invalid(
                    key("id"),
                    "use 1-32 characters of a-z, 0-9, '_' or '-'",
                ));
            }
            if self.payment_methods[..i].iter().any(|m| m.id == method.id) {
                return Err(ConfigError::invalid(
                    key("id"),
                    format!("{:?} is used twice", method.id),
                ));
            }
            if method.kind == super::PaymentKind::Manual && method.instructions.trim().is_empty() {
                return Err(ConfigError::invalid(
                    key("instructions"),
                    "must not be empty",
                ));
            }
        }
        Ok(())
    }
}

/// Checks one panel's keys, named under `prefix` (`panel`, `panels[1]`).
fn check_panel(prefix: &str, p: &super::PanelConfig) -> Result<(), ConfigError> {
    let key = |field: &str| format!("{prefix}.{field}");
    if !p.base_url.is_empty() {
        let url = reqwest::Url::parse(&p.base_url)
            .map_err(|e| ConfigError::invalid(key("base_url"), format!("not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConfigError::invalid(
                key("base_url"),
                "must start with http:// or https://",
            ));
        }
        if p.kind == PanelKind::VpnApi {
            if p.vpn_api_key.is_empty() {
                return Err(ConfigError::invalid(
                    key("vpn_api_key"),
                    "kind = \"vpn_api\" needs the service's API key (or VTB_VPN_API_KEY)",
                ));
            }
        } else if p.api_token.is_empty() && (p.username.is_empty() || p.password.is_empty()) {
            return Err(ConfigError::invalid(
                key("api_token"),
                format!("set an API token, or {prefix}.username and {prefix}.password"),
            ));
        }
    }
    if p.timeout_secs == 0 || p.timeout_secs > 120 {
        return Err(ConfigError::invalid(
            key("timeout_secs"),
            "must be between 1 and 120",
        ));
    }
    if p.health_interval_secs == 0 {
        return Err(ConfigError::invalid(
            key("health_interval_secs"),
            "must be at least 1",
        ));
    }
    if p.health_failure_threshold == 0 {
        return Err(ConfigError::invalid(
            key("health_failure_threshold"),
            "must be at least 1",
        ));
    }
    if p.kind == PanelKind::VpnApi && p.subscription_base_url.is_some() {
        return Err(ConfigError::invalid(
            key("subscription_base_url"),
            "the vpn_api backend has no subscription server (see backends.subscription_listen)",
        ));
    }
    if let Some(sub) = &p.subscription_base_url {
        reqwest::Url::parse(sub).map_err(|e| {
            ConfigError::invalid(key("subscription_base_url"), format!("not a URL ({e})"))
        })?;
    }
    Ok(())
}
