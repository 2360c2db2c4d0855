//! The SSRF guard (SPEC §5.7) as the delivery client's DNS resolver: a name resolves through
//! the operator's hosts override or DNS, and if any answer is not a public address the whole
//! name is refused — unless the operator allowed that address or name. The client connects
//! only to the addresses returned here, so nothing can change between check and connect.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::address_policy::{AddressPolicy, Refused};

/// The resolver given to the shared delivery client.
#[derive(Debug, Clone, Default)]
pub struct GuardedResolver {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    policy: AddressPolicy,
    allowed_hosts: Vec<String>,
    hosts: HashMap<String, Vec<IpAddr>>,
}

/// A name that did not resolve to anything.
#[derive(Debug, thiserror::Error)]
#[error("{name} has no address")]
struct NoAddress {
    name: String,
}

impl GuardedResolver {
    pub fn new(
        policy: AddressPolicy,
        allowed_hosts: Vec<String>,
        hosts: HashMap<String, Vec<IpAddr>>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                policy,
                allowed_hosts,
                hosts,
            }),
        }
    }

    /// The checked addresses of `name` (port 0: the client puts the URL's port in).
    pub async fn lookup(
        &self,
        name: &str,
    ) -> Result<Vec<IpAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let addresses: Vec<IpAddr> = match self.inner.hosts.get(&name) {
            Some(addresses) => addresses.clone(),
            None => tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .map(|address| address.ip())
                .collect(),
        };
        if addresses.is_empty() {
            return Err(Box::new(NoAddress { name }));
        }
        if !self.inner.allowed_hosts.contains(&name) {
            for address in &addresses {
                self.check(*address)?;
            }
        }
        Ok(addresses)
    }

    /// The policy's verdict on one address (also for URLs that name an address directly).
    pub fn check(&self, address: IpAddr) -> Result<(), Refused> {
        self.inner.policy.check(address)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        let name = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = resolver.lookup(&name).await?;
            let addrs: Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|address| SocketAddr::new(address, 0)),
            );
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(allowed_hosts: &[&str], allowed: &[&str]) -> GuardedResolver {
        let hosts = HashMap::from([
            (
                "hook.example.test".to_owned(),
                vec!["127.0.0.1".parse().expect("ip")],
            ),
            (
                "mixed.example.test".to_owned(),
                vec![
                    "93.184.216.34".parse().expect("ip"),
                    "10.1.2.3".parse().expect("ip"),
                ],
            ),
            (
                "public.example.test".to_owned(),
                vec!["93.184.216.34".parse().expect("ip")],
            ),
        ]);
        GuardedResolver::new(
            AddressPolicy::new(allowed.iter().map(|n| n.parse().expect("cidr")).collect()),
            allowed_hosts.iter().map(|h| h.to_string()).collect(),
            hosts,
        )
    }

    fn refused(error: &(dyn std::error::Error + 'static)) -> bool {
        error.downcast_ref::<Refused>().is_some()
    }

    #[tokio::test]
    async fn one_non_public_answer_refuses_the_name() {
        let guard = resolver(&[], &[]);
        let error = guard
            .lookup("hook.example.test")
            .await
            .expect_err("loopback");
        assert!(refused(error.as_ref()), "{error}");
        let error = guard
            .lookup("MIXED.example.test.")
            .await
            .expect_err("one private");
        assert!(error.to_string().contains("10.1.2.3"), "{error}");
        assert_eq!(
            guard.lookup("public.example.test").await.expect("public"),
            ["93.184.216.34".parse::<IpAddr>().expect("ip")]
        );
    }

    #[tokio::test]
    async fn the_operator_may_allow_networks_or_names() {
        let by_network = resolver(&[], &["127.0.0.0/8"]);
        assert!(by_network.lookup("hook.example.test").await.is_ok());
        assert!(by_network.lookup("mixed.example.test").await.is_err());
        let by_name = resolver(&["mixed.example.test"], &[]);
        assert_eq!(
            by_name
                .lookup("mixed.example.test")
                .await
                .expect("allowed")
                .len(),
            2
        );
        assert!(by_name.lookup("hook.example.test").await.is_err());
    }
}
