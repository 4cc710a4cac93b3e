//! Cookie sessions: login (CSRF probe, credentials, TOTP code), the session epoch that lets
//! concurrent callers share one re-login, and the cooldown after a refused login (v3 blocks an IP
//! after 5 failures in 5 minutes, so the bot must never retry in a loop).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::time::Instant;

use super::{Body, Transport, parse_envelope, snippet};
use crate::config::Secret;
use crate::panel::error::{ErrorContext, PanelError, PanelResult};

/// After a refused login, further logins are not attempted for this long.
pub const LOGIN_COOLDOWN: Duration = Duration::from_secs(60);

/// How the transport authenticates.
pub(super) enum Auth {
    Cookie {
        username: String,
        password: Secret,
        totp: Option<totp_rs::Totp>,
    },
    Bearer(Secret),
}

#[derive(Default)]
pub(super) struct Session {
    pub(super) logged_in: bool,
    /// Incremented on every successful login; lets concurrent callers see a re-login happened.
    pub(super) epoch: u64,
    pub(super) csrf: Option<String>,
}

#[derive(Default)]
pub(super) struct LoginGate {
    pub(super) failed: Option<(Instant, String)>,
}

impl Transport {
    /// Logs in unless a session exists. Returns the session epoch and whether this call logged in.
    pub(super) async fn ensure_login(&self, op: &'static str) -> PanelResult<(u64, bool)> {
        if self.is_bearer() {
            return Ok((0, false));
        }
        if let Some(epoch) = self.current_epoch() {
            return Ok((epoch, false));
        }
        let mut gate = self.gate.lock().await;
        if let Some(epoch) = self.current_epoch() {
            return Ok((epoch, false));
        }
        if let Some((at, reason)) = &gate.failed
            && at.elapsed() < LOGIN_COOLDOWN
        {
            return Err(PanelError::Auth {
                ctx: ErrorContext::new(op, "login"),
                reason: format!(
                    "the last login failed ({reason}); not retrying for {} s to avoid the panel's lockout",
                    LOGIN_COOLDOWN.saturating_sub(at.elapsed()).as_secs()
                ),
            });
        }
        match self.login(op).await {
            Ok(()) => {
                gate.failed = None;
                let mut s = self.session.lock().expect("session lock");
                s.logged_in = true;
                s.epoch += 1;
                Ok((s.epoch, true))
            }
            Err(e) => {
                if let PanelError::Auth { reason, .. } = &e {
                    gate.failed = Some((Instant::now(), reason.clone()));
                }
                Err(e)
            }
        }
    }

    pub(super) fn current_epoch(&self) -> Option<u64> {
        let s = self.session.lock().expect("session lock");
        s.logged_in.then_some(s.epoch)
    }

    pub(super) fn invalidate(&self, epoch: u64) {
        let mut s = self.session.lock().expect("session lock");
        if s.epoch == epoch {
            s.logged_in = false;
        }
    }

    /// `GET {B}csrf-token`: `Some(token)` on v3, `None` on v2 (404).
    ///
    /// # Errors
    /// Unavailable / Protocol for anything else.
    pub(crate) async fn probe_csrf(&self, op: &'static str) -> PanelResult<Option<String>> {
        let ctx = ErrorContext::new(op, "csrf-token");
        let raw = self
            .send_raw(&ctx, Method::GET, "csrf-token", &Body::Empty)
            .await?;
        if raw.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if raw.status.is_server_error() {
            return Err(PanelError::Unavailable {
                ctx,
                reason: format!("HTTP {}{}", raw.status.as_u16(), snippet(&raw.body)),
                http_status: Some(raw.status.as_u16()),
            });
        }
        match parse_envelope(&raw) {
            Ok(env) if raw.status.is_success() && env.success => {
                let obj = env.obj.as_deref().map(RawValue::get);
                match obj.map(serde_json::from_str::<String>) {
                    Some(Ok(t)) if !t.is_empty() => Ok(Some(t)),
                    _ => Err(PanelError::Protocol {
                        ctx,
                        detail: format!("csrf-token answered without a token: {obj:?}"),
                    }),
                }
            }
            Ok(_) => Err(PanelError::Protocol {
                ctx,
                detail: format!(
                    "csrf-token answered HTTP {} success:false",
                    raw.status.as_u16()
                ),
            }),
            Err(detail) => Err(PanelError::Protocol { ctx, detail }),
        }
    }

    async fn login(&self, op: &'static str) -> PanelResult<()> {
        let Auth::Cookie {
            username,
            password,
            totp,
        } = &self.auth
        else {
            return Ok(());
        };
        let csrf = self.probe_csrf(op).await?;
        self.session
            .lock()
            .expect("session lock")
            .csrf
            .clone_from(&csrf);
        let mut body = serde_json::json!({ "username": username, "password": password.expose() });
        if let Some(totp) = totp {
            let code = totp.generate(unix_now_secs()).to_string();
            body["twoFactorCode"] = Value::String(code);
        }
        let ctx = ErrorContext::new(op, "login");
        tracing::debug!(v3 = csrf.is_some(), "logging in to the panel");
        let raw = self
            .send_raw(&ctx, Method::POST, "login", &Body::Json(body))
            .await?;
        login_status(&ctx, &raw)?;
        let env = parse_envelope(&raw).map_err(|detail| PanelError::Protocol {
            ctx: ctx.clone(),
            detail,
        })?;
        if env.success {
            Ok(())
        } else {
            Err(PanelError::Auth {
                ctx,
                reason: if env.msg.is_empty() {
                    "login refused".into()
                } else {
                    env.msg
                },
            })
        }
    }
}

pub(super) fn totp_from_base32(secret: &Secret) -> PanelResult<totp_rs::Totp> {
    let cleaned: String = secret
        .expose()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = totp_rs::Secret::try_from_base32(&cleaned)
        .map_err(|_| PanelError::Config("panel.totp_secret is not valid base32".into()))?;
    if bytes.as_bytes().is_empty() {
        return Err(PanelError::Config("panel.totp_secret is empty".into()));
    }
    // 3x-ui (gotp) uses SHA-1, 6 digits, 30 s steps; its secrets are often shorter than the
    // 128 bits RFC 4226 recommends, so the non-checking builder is used.
    Ok(totp_rs::Builder::new()
        .with_secret(bytes)
        .build_noncompliant())
}

/// Seconds since the Unix epoch (wall clock; TOTP needs the real time).
pub fn unix_now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The login answer's HTTP status: 200 goes on to the envelope; anything else is the error to
/// report (403 = the CSRF token was refused, 404 = `webBasePath` missing from the URL, 5xx =
/// the panel is down).
fn login_status(ctx: &ErrorContext, raw: &super::Raw) -> PanelResult<()> {
    let ctx = ctx.clone();
    match raw.status.as_u16() {
        200 => Ok(()),
        403 => Err(PanelError::Auth {
            ctx,
            reason: "HTTP 403 on login: the CSRF token was refused".into(),
        }),
        404 => Err(PanelError::Protocol {
            ctx,
            detail: "HTTP 404 on login: panel.base_url must include the panel's webBasePath".into(),
        }),
        s if s >= 500 => Err(PanelError::Unavailable {
            ctx,
            reason: format!("HTTP {s}{}", snippet(&raw.body)),
            http_status: Some(s),
        }),
        s => Err(PanelError::Protocol {
            ctx,
            detail: format!("HTTP {s} on login{}", snippet(&raw.body)),
        }),
    }
}

impl Auth {
    /// The authentication `panel.*` asks for: the API token (Bearer) when set, else the
    /// username and password (plus the TOTP secret when 2FA is on).
    ///
    /// # Errors
    /// [`PanelError::Config`] for neither, or a TOTP secret that is not base32.
    pub(super) fn from_config(cfg: &crate::config::PanelConfig) -> PanelResult<Self> {
        Ok(if !cfg.api_token.is_empty() {
            Auth::Bearer(cfg.api_token.clone())
        } else if !cfg.username.is_empty() && !cfg.password.is_empty() {
            let totp = if cfg.totp_secret.is_empty() {
                None
            } else {
                Some(totp_from_base32(&cfg.totp_secret)?)
            };
            Auth::Cookie {
                username: cfg.username.clone(),
                password: cfg.password.clone(),
                totp,
            }
        } else {
            return Err(PanelError::Config(
                "set panel.api_token, or panel.username and panel.password".into(),
            ));
        })
    }
}
