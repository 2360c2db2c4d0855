//! The address of the person behind a request, for throttling.
//!
//! `X-Forwarded-For` is believed only when the connection comes from a configured trusted proxy;
//! then the right-most address that is not itself a trusted proxy is the client (entries further
//! left were written by the client and may be forged).

use std::net::IpAddr;

use ipnet::IpNet;

/// The client's address: the peer, or what trusted proxies say it forwarded for.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted_proxies: &[IpNet],
) -> Option<IpAddr> {
    let trusted = |address: &IpAddr| trusted_proxies.iter().any(|net| net.contains(address));
    let peer = peer?;
    if !trusted(&peer) {
        return Some(peer);
    }
    let Some(forwarded_for) = forwarded_for else {
        return Some(peer);
    };
    let mut last_hop = peer;
    for entry in forwarded_for.rsplit(',') {
        match entry.trim().parse::<IpAddr>() {
            Ok(address) if trusted(&address) => last_hop = address,
            Ok(address) => return Some(address),
            // An unreadable entry: the last trusted hop is the best we know.
            Err(_) => return Some(last_hop),
        }
    }
    Some(last_hop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn without_a_trusted_proxy_the_peer_is_the_client() {
        assert_eq!(
            client_address(Some(ip("203.0.113.9")), Some("198.51.100.1"), &[]),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(client_address(None, Some("198.51.100.1"), &[]), None);
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_entry_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        assert_eq!(
            client_address(
                Some(ip("10.0.0.2")),
                Some("6.6.6.6, 198.51.100.1, 10.0.0.1"),
                &trusted
            ),
            Some(ip("198.51.100.1"))
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), None, &trusted),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), Some("garbage"), &trusted),
            Some(ip("10.0.0.2"))
        );
    }
}
