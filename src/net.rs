//! Small network helpers shared by the panel client and the Discord layer.

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
