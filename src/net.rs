//! Small network helpers shared by the panel client, the Crypto Pay client and the Discord layer.

use reqwest::Url;

/// Whether `url` points at this machine (`127.0.0.0/8`, `::1`, `localhost`). Such hosts are
/// always reached directly: an `HTTP(S)_PROXY` in the environment is meant for the outside
/// world, and most proxies cannot reach the machine's own loopback anyway.
#[must_use]
pub fn is_loopback(url: &Url) -> bool {
    url.host_str().is_some_and(|host| {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

/// Why a request got no answer, for an "unavailable" error: `no answer within 5 s`, or
/// `cannot connect: …` / `request failed: …` followed by the chain of causes.
#[must_use]
pub fn transport_failure(e: &reqwest::Error, timeout: std::time::Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", timeout.as_secs_f32());
    }
    let mut text = if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A JSON API client for the service at `base_url` (http or https; a missing final `/` is
/// added): `timeout` bounds each request and its connection, redirects are not followed, a
/// loopback host bypasses environment proxies. Returns the client and the parsed base URL.
/// `what` names the service in errors (`the Crypto Pay URL`).
///
/// # Errors
/// A sentence naming `what` for a URL that does not parse or is not http(s), or a TLS set-up
/// failure.
pub fn api_client(
    what: &str,
    base_url: &str,
    timeout: std::time::Duration,
) -> Result<(reqwest::Client, Url), String> {
    let mut base = Url::parse(base_url.trim())
        .map_err(|e| format!("{what} {base_url:?} is not a URL ({e})"))?;
    if !matches!(base.scheme(), "https" | "http") {
        return Err(format!("{what} {base_url:?} is not http(s)"));
    }
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("vpn-ticket-bot/", env!("CARGO_PKG_VERSION")));
    if is_loopback(&base) {
        builder = builder.no_proxy();
    }
    let http = builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    Ok((http, base))
}

/// A small HTTP server (axum) running on its own task: the Crypto Pay webhook and the
/// subscription endpoint. [`Served::shutdown`] stops it gracefully (requests in flight finish);
/// dropping it aborts it.
#[derive(Debug)]
pub struct Served {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Served {
    /// Binds `addr` (port 0 picks a free one) and serves `app`; `what` names it in the logs.
    ///
    /// # Errors
    /// Binding the address fails.
    pub async fn start(
        addr: std::net::SocketAddr,
        app: axum::Router,
        what: &'static str,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "{what} stopped");
            }
        });
        tracing::info!(%addr, "{what} started");
        Ok(Self {
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address actually bound.
    #[must_use]
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// Stops taking connections and waits for requests in flight to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised() {
        for url in [
            "http://127.0.0.1:2053/x/",
            "http://127.8.9.10/",
            "https://[::1]:2053/",
            "http://LOCALHOST:54321/",
        ] {
            assert!(is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
        for url in [
            "https://panel.example.com/",
            "http://10.0.0.1/",
            "http://[2001:db8::1]/",
        ] {
            assert!(!is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
    }
}
