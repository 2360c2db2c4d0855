//! The public URL: where people reach this Herald (often a TLS reverse proxy in front of it).

use std::{fmt, net::SocketAddr, str::FromStr};

/// An origin (`scheme://host[:port]`) people use to reach the console and the APIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// Without a trailing slash, e.g. `https://herald.example.com`.
    origin: String,
    https: bool,
}

impl PublicUrl {
    /// The default when none is configured: plain HTTP on the listen address.
    pub fn for_listen_address(listen: SocketAddr) -> Self {
        Self {
            origin: format!("http://{listen}"),
            https: false,
        }
    }

    /// `scheme://host[:port]`, as browsers send it in `Origin`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    /// An absolute URL for `path_and_query` (which starts with `/`).
    pub fn join(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.origin)
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)
    }
}

impl FromStr for PublicUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parsed = url::Url::parse(text.trim()).map_err(|error| {
            format!("not a URL ({error}); expected e.g. https://herald.example.com")
        })?;
        let https = match parsed.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(format!("the scheme must be http or https, not {other}")),
        };
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err("the URL needs a host".into());
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err("the URL must not carry a user name or password".into());
        }
        if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(
                "Herald must be served at the root: give only scheme, host and port".into(),
            );
        }
        Ok(Self {
            origin: parsed.origin().ascii_serialization(),
            https,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_kept_without_trailing_slash() {
        let url: PublicUrl = "https://Herald.Example.com/".parse().expect("valid");
        assert_eq!(url.origin(), "https://herald.example.com");
        assert!(url.is_https());
        assert_eq!(
            url.join("/setup?token=x"),
            "https://herald.example.com/setup?token=x"
        );
        let local: PublicUrl = "http://127.0.0.1:3000".parse().expect("valid");
        assert_eq!(local.origin(), "http://127.0.0.1:3000");
        assert!(!local.is_https());
        assert_eq!(
            PublicUrl::for_listen_address("127.0.0.1:3000".parse().expect("addr")),
            local
        );
    }

    #[test]
    fn paths_queries_credentials_and_other_schemes_are_refused() {
        for bad in [
            "herald.example.com",
            "ftp://herald.example.com",
            "https://herald.example.com/console",
            "https://herald.example.com/?a=b",
            "https://user:pw@herald.example.com",
        ] {
            assert!(bad.parse::<PublicUrl>().is_err(), "{bad}");
        }
    }
}
