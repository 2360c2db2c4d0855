//! Which addresses a delivery may connect to (SPEC §5.7). Webhook URLs are typed by tenant
//! users, so without this check Herald would reach into its own network on their behalf:
//! every resolved address must be public, unless the operator allowed it.

use std::{net::IpAddr, sync::LazyLock};

use ipnet::IpNet;

/// Address ranges that are never a public endpoint, with the reason shown in a refused attempt.
const NON_PUBLIC: &[(&str, &str)] = &[
    ("0.0.0.0/8", "this-network"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved or broadcast"),
    ("::/96", "unspecified, loopback or IPv4-compatible"),
    ("::ffff:0:0/96", "IPv4-mapped"),
    ("64:ff9b::/96", "NAT64"),
    ("64:ff9b:1::/48", "local NAT64"),
    ("100::/64", "discard"),
    ("2001::/32", "Teredo"),
    ("2001:db8::/32", "documentation"),
    ("2002::/16", "6to4"),
    ("fc00::/7", "unique local"),
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
];

/// Why an address may not be connected to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{address} is not a public address ({range}: {kind}); deliveries go to public endpoints only"
)]
pub struct Refused {
    pub address: IpAddr,
    pub range: IpNet,
    pub kind: &'static str,
}

/// The operator's exceptions: networks that deliveries may reach although they are not public.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allowed: Vec<IpNet>,
}

impl AddressPolicy {
    pub fn new(allowed: Vec<IpNet>) -> Self {
        Self { allowed }
    }

    /// `Ok` when a delivery may connect to `address`.
    pub fn check(&self, address: IpAddr) -> Result<(), Refused> {
        if self
            .allowed
            .iter()
            .any(|network| network.contains(&address))
        {
            return Ok(());
        }
        match non_public_range(address) {
            Some((range, kind)) => Err(Refused {
                address,
                range,
                kind,
            }),
            None => Ok(()),
        }
    }
}

fn non_public_range(address: IpAddr) -> Option<(IpNet, &'static str)> {
    static RANGES: LazyLock<Vec<(IpNet, &'static str)>> = LazyLock::new(|| {
        NON_PUBLIC
            .iter()
            .map(|(range, kind)| {
                let range = range
                    .parse()
                    .unwrap_or_else(|_| unreachable!("the ranges above are valid CIDRs"));
                (range, *kind)
            })
            .collect()
    });
    RANGES
        .iter()
        .find(|(range, _)| range.contains(&address))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        AddressPolicy::default()
            .check(text.parse().expect("address"))
            .is_err()
    }

    #[test]
    fn every_non_public_range_is_refused() {
        for address in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.1.2.3",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "2002:7f00:1::1",
            "fc00::1",
            "fd12:3456:789a::1",
            "fe80::1",
            "febf::1",
            "ff02::1",
        ] {
            assert!(refused(address), "{address} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for address in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.169.0.1",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
        ] {
            assert!(!refused(address), "{address} is public");
        }
    }

    #[test]
    fn the_refusal_names_the_address_and_the_range() {
        let error = AddressPolicy::default()
            .check("169.254.169.254".parse().expect("address"))
            .expect_err("link-local");
        assert_eq!(
            error.to_string(),
            "169.254.169.254 is not a public address (169.254.0.0/16: link-local); \
             deliveries go to public endpoints only"
        );
    }

    #[test]
    fn the_operator_allow_list_opens_only_its_networks() {
        let policy = AddressPolicy::new(vec!["10.1.0.0/16".parse().expect("network")]);
        assert!(policy.check("10.1.2.3".parse().expect("address")).is_ok());
        assert!(policy.check("10.2.0.1".parse().expect("address")).is_err());
        assert!(policy.check("127.0.0.1".parse().expect("address")).is_err());
    }
}
