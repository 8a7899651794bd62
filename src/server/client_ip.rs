//! Which address a request comes from, for sign-in limits and the audit trail. Behind a reverse
//! proxy every connection comes from the proxy, whose `Forwarded` / `X-Forwarded-For` header
//! names the client; anyone can send those headers, so they count only when the connection
//! itself comes from a proxy the operator trusts (`ROLLCALL_TRUSTED_PROXIES`).

use crate::domain::{CheckInRules, NetworkRule};
use axum::http::{header, HeaderMap};
use ipnet::{IpNet, Ipv6Net};
use std::net::{IpAddr, SocketAddr};

/// A list of addresses and CIDR ranges: the reverse proxies whose forwarding headers are
/// believed, or the networks check-ins may come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpRanges(Vec<IpNet>);

/// The reverse proxies whose forwarding headers are believed.
pub type TrustedProxies = IpRanges;

impl IpRanges {
    /// A comma-separated list such as `10.0.0.0/8, 192.0.2.7, ::1`; empty is an empty list.
    /// Errors name the item that is not an address or range.
    pub fn parse(text: &str) -> Result<IpRanges, String> {
        text.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| {
                        item.parse::<IpAddr>()
                            .map(|ip| IpNet::from(ip.to_canonical()))
                    })
                    .map_err(|_| format!("{item:?} is not an IP address or CIDR range."))
            })
            .collect::<Result<_, _>>()
            .map(IpRanges)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// Is the client inside a class's allowed networks (its own list, else the school's)? `None` when the rules do not guard by network, or no list
/// applies (none configured: nobody counts as outside).
pub fn allowed_network(
    rules: &CheckInRules,
    school: &IpRanges,
    ip: Option<IpAddr>,
) -> Option<bool> {
    if rules.network == NetworkRule::Anywhere {
        return None;
    }
    let own = IpRanges::parse(&rules.networks.join(",")).unwrap_or_default();
    let list = if own.is_empty() { school } else { &own };
    if list.is_empty() {
        return None;
    }
    Some(ip.is_some_and(|ip| list.contains(ip)))
}

/// The client's address: the TCP peer, or, when the peer is a trusted proxy, the right-most
/// forwarded address that is not itself a trusted proxy (addresses further left were written by
/// the client and prove nothing). A missing or unreadable header means the peer.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let Some(hops) = forwarded_hops(headers) else {
        return peer;
    };
    let mut nearest_proxy = peer;
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if trusted.contains(ip) => nearest_proxy = ip,
            Some(ip) => return ip,
            // A trusted proxy wrote something unreadable (or `unknown`): fall back to the peer.
            None => return peer,
        }
    }
    nearest_proxy
}

/// The forwarded-for entries, left (client) to right (nearest proxy): from `Forwarded` when
/// present, else from `X-Forwarded-For`. Several header lines read as one list.
fn forwarded_hops(headers: &HeaderMap) -> Option<Vec<String>> {
    let joined = |name| -> Option<Option<String>> {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().ok())
            .collect::<Option<_>>()?;
        Some((!values.is_empty()).then(|| values.join(",")))
    };
    if let Some(forwarded) = joined(header::FORWARDED)? {
        // Each element is `for=…;proto=…;by=…`; an element without `for` is unreadable.
        return Some(
            forwarded
                .split(',')
                .map(|element| {
                    element
                        .split(';')
                        .filter_map(|pair| pair.trim().split_once('='))
                        .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                        .map(|(_, value)| value.trim().trim_matches('"').to_string())
                        .unwrap_or_default()
                })
                .collect(),
        );
    }
    let forwarded_for = joined(header::HeaderName::from_static("x-forwarded-for"))??;
    Some(
        forwarded_for
            .split(',')
            .map(|s| s.trim().to_string())
            .collect(),
    )
}

/// One hop: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let ip = text
        .parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| text.strip_prefix('[')?.strip_suffix(']')?.parse().ok())?;
    Some(ip.to_canonical())
}

/// The key under which an address's sign-in failures are counted: an IPv4 address itself, an
/// IPv6 address by its /64 (one home or office network gets a whole /64 to pick from).
pub fn address_group(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => Ipv6Net::new(v6, 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| v6.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn proxies(text: &str) -> TrustedProxies {
        TrustedProxies::parse(text).unwrap()
    }

    #[test]
    fn the_trusted_list_takes_addresses_and_ranges() {
        let trusted = proxies(" 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,");
        assert!(trusted.contains(ip("10.20.30.40")));
        assert!(trusted.contains(ip("192.0.2.7")));
        assert!(trusted.contains(ip("::ffff:192.0.2.7")));
        assert!(trusted.contains(ip("2001:db8::5")));
        assert!(!trusted.contains(ip("192.0.2.8")));
        assert_eq!(
            TrustedProxies::parse("").unwrap(),
            TrustedProxies::default()
        );
        let error = TrustedProxies::parse("10.0.0.1, proxy.example").unwrap_err();
        assert!(error.contains("proxy.example"), "{error}");
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let forged = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            client_ip(ip("198.51.100.1"), &forged, &TrustedProxies::default()),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_ip(ip("198.51.100.1"), &forged, &proxies("10.0.0.1")),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = proxies("10.0.0.0/8");
        // The client claims to be 1.1.1.1; the proxies appended what they saw.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.2")]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &chain, &trusted),
            ip("203.0.113.9")
        );
        // Two header lines are one list.
        let split = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &split, &trusted),
            ip("203.0.113.9")
        );
        // Every hop a trusted proxy: the left-most one.
        let inside = headers(&[("x-forwarded-for", "10.1.1.1, 10.0.0.2")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &inside, &trusted), ip("10.1.1.1"));
        // Garbage the client wrote further left does not matter.
        let junk = headers(&[("x-forwarded-for", "not an ip,, 203.0.113.9")]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &junk, &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn forwarded_takes_precedence_and_is_parsed() {
        let trusted = proxies("10.0.0.1");
        let both = headers(&[
            (
                "forwarded",
                r#"for=198.51.100.17;proto=https, for="[2001:db8:cafe::17]:4711";by=10.0.0.1"#,
            ),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &both, &trusted),
            ip("2001:db8:cafe::17")
        );
        let with_port = headers(&[("forwarded", "For=\"192.0.2.60:8080\"")]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &with_port, &trusted),
            ip("192.0.2.60")
        );
    }

    #[test]
    fn unreadable_headers_fall_back_to_the_peer() {
        let trusted = proxies("10.0.0.1");
        let peer = ip("10.0.0.1");
        for bad in [
            "",
            " ",
            ",",
            "unknown",
            "_hidden",
            "999.1.1.1",
            "[::1",
            "1.2.3.4:99999",
            "💥",
            "for=",
        ] {
            for name in ["x-forwarded-for", "forwarded"] {
                let Ok(value) = axum::http::HeaderValue::from_str(bad) else {
                    continue;
                };
                let mut map = HeaderMap::new();
                map.insert(header::HeaderName::from_static(name), value);
                assert_eq!(client_ip(peer, &map, &trusted), peer, "{name}: {bad:?}");
            }
        }
        let mut binary = HeaderMap::new();
        binary.insert(
            "x-forwarded-for",
            axum::http::HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert_eq!(client_ip(peer, &binary, &trusted), peer);
        assert_eq!(client_ip(peer, &HeaderMap::new(), &trusted), peer);
        let no_for = headers(&[("forwarded", "proto=https;by=10.0.0.1")]);
        assert_eq!(client_ip(peer, &no_for, &trusted), peer);
    }

    #[test]
    fn ipv6_addresses_are_grouped_by_their_64_bit_prefix() {
        assert_eq!(address_group(ip("192.0.2.1")), "192.0.2.1");
        assert_eq!(address_group(ip("::ffff:192.0.2.1")), "192.0.2.1");
        let a = address_group(ip("2001:db8:1:2:aaaa::1"));
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, address_group(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        assert_ne!(a, address_group(ip("2001:db8:1:3::1")));
    }
}

#[cfg(test)]
mod network_tests {
    use super::*;

    #[test]
    fn the_class_list_replaces_the_schools_and_no_list_means_nobody_is_outside() {
        let school = IpRanges::parse("10.0.0.0/8").unwrap();
        let ip = |text: &str| Some(text.parse::<IpAddr>().unwrap());
        let review = CheckInRules {
            network: NetworkRule::Review,
            ..CheckInRules::default()
        };
        assert_eq!(
            allowed_network(&review, &school, ip("10.1.2.3")),
            Some(true)
        );
        assert_eq!(
            allowed_network(&review, &school, ip("192.0.2.1")),
            Some(false)
        );
        // IPv4 seen as an IPv6-mapped address is the same address.
        assert_eq!(
            allowed_network(&review, &school, ip("::ffff:10.1.2.3")),
            Some(true)
        );
        let own = CheckInRules {
            networks: vec!["192.0.2.0/24".into()],
            ..review.clone()
        };
        assert_eq!(allowed_network(&own, &school, ip("192.0.2.1")), Some(true));
        assert_eq!(allowed_network(&own, &school, ip("10.1.2.3")), Some(false));
        assert_eq!(
            allowed_network(&review, &IpRanges::default(), ip("1.2.3.4")),
            None
        );
        assert_eq!(
            allowed_network(&CheckInRules::default(), &school, ip("1.2.3.4")),
            None
        );
        // No address at all counts as outside.
        assert_eq!(allowed_network(&review, &school, None), Some(false));
    }
}
