//! A local Discord that an unmodified serenity 0.12.5 / poise 0.7.1 client talks to: REST under
//! `/api/v10` (plain HTTP for serenity's proxy mode, and TLS for the name `discord.com` so
//! serenity's rate limiter stays on), a gateway websocket, a guild state that is
//! permission-consistent, the interaction lifecycle, limits, faults, rate limits, a request/frame
//! log and a test driver ([`Emulator`]'s `driver` methods) that acts like people do.
//!
//! ```no_run
//! # async fn f() {
//! use vpn_ticket_bot::sim::discord::{Emulator, EmulatorConfig};
//! let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
//! // Option A (proxy, rate limiter off) or B (TLS `discord.com`, rate limiter on):
//! let http = emu.http_proxy_mode("token"); // or emu.http_tls_mode("token")
//! // serenity::ClientBuilder::new_with_http(http, intents).framework(..).await?.start()
//! let general = emu.read(|s| s.channel_by_name("general").unwrap().id);
//! let alice = emu.add_user("alice", &[]);
//! let i = emu.run_command(alice, general, "ticket", &[]);
//! let reply = emu
//!     .wait_for(std::time::Duration::from_secs(10), |s| s.original_response(i.id).cloned())
//!     .await
//!     .unwrap();
//! # }
//! ```
//!
//! * State and queries: [`State`] (`guild_channels`, `channel_by_name`, `can_view`, `can_send`,
//!   `permissions_in`, `messages_in`, `dms_of`, `ephemeral_for`, `interaction`,
//!   `original_response`, `file`, `log`), read with [`Emulator::read`] or awaited with
//!   [`Emulator::wait_for`].
//! * People: `add_user`, `add_member` (re-join), `remove_member`, `add_role`,
//!   `set_role_permissions`, `set_overwrite`, `run_command`, `click_button`, `select`,
//!   `submit_modal(_until_acked)`, `user_message` / `user_message_files` (any number of files),
//!   `delete_channel_by_hand`, `set_dms_closed`. They work with no bot connected: the state
//!   changes, nothing is dispatched, and a bot that identifies later catches up through REST
//!   (`GET /channels/{id}/messages` with `before`/`after`/`around`, `GET /users/{id}`, `GET
//!   /guilds/{id}/members/{id}`); `State::gateway_connected` / `gateway_sessions` tell whether
//!   a bot listens.
//! * Faults: `drop_gateway`, `fail_next_resume`, `fail_route` (5xx), `fail_route_with` /
//!   `fail_route_in` (a Discord status + error code, e.g. 403/50013, optionally for one
//!   channel), `slow_route`, `set_rate_limit`.
//! * Checks: [`selfcheck`] (serenity parses every payload), [`openapi`] (request bodies against
//!   Discord's spec), [`LogEntry`] and [`Emulator::write_log`] (JSON lines).
//! * A bot in another process: fixed ports in [`EmulatorConfig`], then [`http_proxy_mode`] or
//!   [`http_tls_mode`] with the emulator's URL / TLS address and [`Emulator::ca_pem`].

mod channels;
mod driver;
pub mod faults;
pub mod gateway;
mod history;
mod http;
mod interactions;
pub mod limits;
pub mod log;
mod members;
mod messages;
pub mod openapi;
pub mod payload;
mod records;
mod rest;
mod route;
pub mod selfcheck;
mod session;
pub mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

pub use driver::{CommandOption, InteractionRef, WaitTimeout};
pub use faults::Budget;
pub use log::LogEntry;
pub use state::State;

/// How the emulated Discord is set up.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub guild_name: String,
    pub bot_name: String,
    pub owner_name: String,
    /// Gateway heartbeat interval sent in HELLO.
    pub heartbeat_interval_ms: u64,
    /// Also serve REST over TLS for `discord.com` (needed by [`Emulator::http_tls_mode`]).
    pub tls: bool,
    /// How long the bot has to acknowledge an interaction (Discord: 3 s). Only raise it for a
    /// machine too loaded to answer in time; tests of the rule itself pause tokio's clock.
    pub ack_window: Duration,
    /// Keep the request/frame log (turn off for long benchmarks; memory grows with it).
    pub record_log: bool,
    /// The bot token Discord knows. `Some`: REST calls with another `Bot` token get 401
    /// `{"message": "401: Unauthorized", "code": 0}` and an IDENTIFY with another token is
    /// closed with 4004 "Authentication failed." (as Discord). `None`: any token is accepted.
    pub bot_token: Option<String>,
    /// Ports on 127.0.0.1 (0 = any free port; fixed ports suit a demo bot in another process).
    pub rest_port: u16,
    pub gateway_port: u16,
    pub tls_port: u16,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            guild_name: "VPN Shop".into(),
            bot_name: "vpn-bot".into(),
            owner_name: "owner".into(),
            heartbeat_interval_ms: 5000,
            tls: true,
            ack_window: Duration::from_secs(3),
            record_log: true,
            bot_token: None,
            rest_port: 0,
            gateway_port: 0,
            tls_port: 0,
        }
    }
}

/// Errors starting the emulator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("bind: {0}")]
    Io(#[from] std::io::Error),
    #[error("certificate: {0}")]
    Cert(#[from] rcgen::Error),
    #[error("tls: {0}")]
    Tls(#[from] rustls::Error),
}

pub(crate) struct Inner {
    state: Mutex<State>,
    changed: watch::Sender<u64>,
    pub(crate) kill_gateway: watch::Sender<u64>,
    pub(crate) config: EmulatorConfig,
    http_addr: SocketAddr,
    ws_addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    ca_pem: String,
}

impl Inner {
    /// Whether `token` (with or without its `Bot ` prefix) is the bot's, per
    /// [`EmulatorConfig::bot_token`].
    pub(crate) fn token_ok(&self, token: &str) -> bool {
        self.config
            .bot_token
            .as_deref()
            .is_none_or(|known| token.strip_prefix("Bot ").unwrap_or(token) == known)
    }

    /// Runs `f` on the state and wakes every `wait_for`.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let r = {
            let mut s = self
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut s)
        };
        self.changed.send_modify(|v| *v += 1);
        r
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    pub(crate) fn ws_url(&self) -> String {
        format!("ws://{}", self.ws_addr)
    }
}

/// A running emulator. Cloning shares it; the servers stop when the runtime does.
#[derive(Clone)]
pub struct Emulator {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("http", &self.inner.http_addr)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts the REST, gateway (and TLS) servers on 127.0.0.1 with OS-chosen ports.
    ///
    /// # Errors
    /// When a port cannot be bound or the certificate cannot be made.
    pub async fn start(config: EmulatorConfig) -> Result<Self, StartError> {
        let http = TcpListener::bind(("127.0.0.1", config.rest_port)).await?;
        let ws = TcpListener::bind(("127.0.0.1", config.gateway_port)).await?;
        let (tls, acceptor, ca_pem) = if config.tls {
            let (acceptor, pem) = tls_acceptor()?;
            (
                Some(TcpListener::bind(("127.0.0.1", config.tls_port)).await?),
                Some(acceptor),
                pem,
            )
        } else {
            (None, None, String::new())
        };
        let mut state = State::new(&config.guild_name, &config.bot_name, &config.owner_name);
        state.ack_window = config.ack_window;
        state.record_log = config.record_log;
        let inner = Arc::new(Inner {
            state: Mutex::new(state),
            changed: watch::channel(0).0,
            kill_gateway: watch::channel(0).0,
            config,
            http_addr: http.local_addr()?,
            ws_addr: ws.local_addr()?,
            tls_addr: tls.as_ref().map(TcpListener::local_addr).transpose()?,
            ca_pem,
        });
        let i = inner.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = http.accept().await {
                let _ = stream.set_nodelay(true);
                let i = i.clone();
                tokio::spawn(http::serve(stream, move |req| rest::handle(i.clone(), req)));
            }
        });
        let i = inner.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = ws.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(gateway::serve(i.clone(), stream));
            }
        });
        if let (Some(tls), Some(acceptor)) = (tls, acceptor) {
            let i = inner.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = tls.accept().await {
                    let _ = stream.set_nodelay(true);
                    let (i, acceptor) = (i.clone(), acceptor.clone());
                    tokio::spawn(async move {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            http::serve(stream, move |req| rest::handle(i.clone(), req)).await;
                        }
                    });
                }
            });
        }
        Ok(Emulator { inner })
    }

    /// `http://127.0.0.1:PORT`: the proxy URL and the attachment host.
    pub fn base_url(&self) -> String {
        self.inner.base_url()
    }

    /// The gateway URL `GET /gateway` answers.
    pub fn ws_url(&self) -> String {
        self.inner.ws_url()
    }

    /// The TLS listener that poses as `discord.com`.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.inner.tls_addr
    }

    /// The PEM of the self-signed `discord.com` certificate.
    pub fn ca_pem(&self) -> &str {
        &self.inner.ca_pem
    }

    /// Option A: serenity's proxy with its rate limiter off (429s are not retried here).
    pub fn http_proxy_mode(&self, token: &str) -> serenity::http::Http {
        http_proxy_mode(&self.base_url(), token)
    }

    /// Option B: a client that resolves `discord.com` to the TLS listener and trusts its
    /// certificate, so serenity's rate limiter stays on and handles 429s.
    ///
    /// # Panics
    /// When the emulator was started with `tls: false`.
    pub fn http_tls_mode(&self, token: &str) -> serenity::http::Http {
        let addr = self.inner.tls_addr.expect("emulator started without tls");
        http_tls_mode(addr, &self.inner.ca_pem, token).expect("emulator certificate")
    }

    /// Reads the state.
    pub fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        self.inner.with(|s| f(s))
    }

    /// Waits until `f` returns `Some`, re-checking on every state change. The timeout runs on
    /// tokio's clock: with `time::pause` an idle runtime jumps straight to it, so paused tests
    /// should await the bot's REST calls themselves rather than `wait_for` a real bot.
    ///
    /// # Errors
    /// [`WaitTimeout`] when `timeout` passes first.
    pub async fn wait_for<T>(
        &self,
        timeout: Duration,
        mut f: impl FnMut(&State) -> Option<T>,
    ) -> Result<T, WaitTimeout> {
        let mut rx = self.inner.changed.subscribe();
        let fut = async {
            loop {
                rx.borrow_and_update();
                let found = {
                    let s = self
                        .inner
                        .state
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    f(&s)
                };
                if let Some(v) = found {
                    return v;
                }
                if rx.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| WaitTimeout)
    }

    /// A copy of the request/frame log.
    pub fn log(&self) -> Vec<LogEntry> {
        self.read(|s| s.log.clone())
    }

    /// Writes the log as JSON lines.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write_log(&self, path: &std::path::Path) -> std::io::Result<()> {
        log::write_jsonl(&self.log(), path)
    }
}

/// Option A for a bot in another process: serenity's proxy (`base_url` is the emulator's
/// `http://127.0.0.1:PORT`) with its rate limiter off, and a client that ignores env proxies.
///
/// # Panics
/// When reqwest cannot build a client (no TLS backend).
pub fn http_proxy_mode(base_url: &str, token: &str) -> serenity::http::Http {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client");
    serenity::http::HttpBuilder::new(token)
        .client(client)
        .proxy(base_url.trim_end_matches('/'))
        .ratelimiter_disabled(true)
        .build()
}

/// Option B for a bot in another process: `discord.com` resolves to the emulator's TLS address
/// and its certificate (PEM, see [`Emulator::ca_pem`]) is trusted; the rate limiter stays on.
///
/// # Errors
/// When the PEM is not a certificate or the client cannot be built.
pub fn http_tls_mode(
    tls_addr: SocketAddr,
    ca_pem: &str,
    token: &str,
) -> Result<serenity::http::Http, reqwest::Error> {
    let cert = reqwest::Certificate::from_pem(ca_pem.as_bytes())?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .use_rustls_tls()
        .add_root_certificate(cert)
        .resolve("discord.com", tls_addr)
        .build()?;
    Ok(serenity::http::HttpBuilder::new(token)
        .client(client)
        .build())
}

fn tls_acceptor() -> Result<(TlsAcceptor, String), StartError> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let ck = rcgen::generate_simple_self_signed(vec!["discord.com".to_owned()])?;
    let pem = ck.cert.pem();
    let cert = CertificateDer::from(ck.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((TlsAcceptor::from(Arc::new(cfg)), pem))
}
