//! The client's address: the TCP peer, or — when the peer is one of the
//! proxies named in `JOBMATCH_TRUSTED_PROXIES` — the right-most
//! `X-Forwarded-For` entry that is not itself a trusted proxy. Every
//! per-address limit and the sign-in audit read it from [`ClientIp`], which
//! the server puts on each request; no handler looks at the peer itself.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;

/// An address or a network (`10.0.0.0/8`, `::1`, `192.168.1.5`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `a.b.c.d`, `a.b.c.d/n`, an IPv6 address, or one with `/n`; None
    /// when it is none of these or host bits are set.
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse::<u8>().ok()?,
            Some(_) => return None,
            None => max,
        };
        if prefix > max {
            return None;
        }
        // 10.1.2.3/8 is a typo for 10.0.0.0/8 or for one address: refuse it.
        (mask(net, prefix) == bits(net)).then_some(Cidr { net, prefix })
    }

    /// Whether `ip` lies in this network (an IPv4-mapped IPv6 address
    /// counts as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.net, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                mask(ip, self.prefix) == mask(self.net, self.prefix)
            }
            _ => false,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn mask(ip: IpAddr, prefix: u8) -> u128 {
    let width = if ip.is_ipv4() { 32 } else { 128 };
    let host = width - u32::from(prefix);
    if host >= 128 {
        0
    } else {
        (bits(ip) >> host) << host
    }
}

/// The setting: comma-separated addresses or networks; the first bad entry
/// is returned as the error.
pub fn parse_list(s: &str) -> Result<Vec<Cidr>, String> {
    s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(|p| Cidr::parse(p).ok_or_else(|| p.to_string())).collect()
}

/// The client of a request that came from `peer` with `headers`.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.iter().any(|t| t.contains(peer)) {
        return peer;
    }
    // Each proxy appends the address it was reached from: read right to
    // left, past the proxies we trust, to the first one we do not.
    let mut entries: Vec<&str> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(v) = value.to_str() else { return peer };
        entries.extend(v.split(','));
    }
    for entry in entries.iter().rev() {
        let Some(ip) = parse_entry(entry) else { return peer };
        let ip = canonical(ip);
        if !trusted.iter().any(|t| t.contains(ip)) {
            return ip;
        }
    }
    peer
}

/// One `X-Forwarded-For` entry: an address, `[v6]`, or either with a port.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let e = entry.trim();
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Some(ip);
    }
    e.parse::<SocketAddr>().ok().map(|s| s.ip())
}

/// The client's address as the server resolved it for this request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The key of this address in the per-address limits: an IPv4 address,
    /// or the /64 an IPv6 address is in (one subscriber's network: its
    /// addresses are not separate budgets).
    pub fn limit_key(&self) -> String {
        match self.0 {
            IpAddr::V4(a) => format!("ip:{a}"),
            IpAddr::V6(a) => format!("ip:{}/64", std::net::Ipv6Addr::from(u128::from(a) >> 64 << 64)),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    /// The resolved address; a request that came in otherwise (an in-process
    /// call) has its peer, or the unspecified address.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(of(parts))
    }
}

/// [`ClientIp`] of a request's parts.
pub fn of(parts: &Parts) -> ClientIp {
    parts
        .extensions
        .get::<ClientIp>()
        .copied()
        .or_else(|| parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| ClientIp(canonical(c.0.ip()))))
        .unwrap_or(ClientIp(IpAddr::from([0, 0, 0, 0])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_contain() {
        let net = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(net.contains(ip("10.200.3.4")));
        assert!(!net.contains(ip("11.0.0.1")));
        assert!(net.contains(ip("::ffff:10.1.1.1")), "IPv4-mapped");
        assert!(Cidr::parse("127.0.0.1").unwrap().contains(ip("127.0.0.1")));
        assert!(!Cidr::parse("127.0.0.1").unwrap().contains(ip("127.0.0.2")));
        assert!(Cidr::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "10.1.2.3/8", "x", "10.0.0.0/", "10.0.0.0/-1", "::1/129", ""] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
        assert_eq!(parse_list(" 10.0.0.0/8, 127.0.0.1 ,").unwrap().len(), 2);
        assert_eq!(parse_list("10.0.0.0/8,nope").unwrap_err(), "nope");
        assert!(parse_list("").unwrap().is_empty());
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_forwarded_entry() {
        let trusted = parse_list("10.0.0.0/8").unwrap();
        let peer = ip("10.0.0.5");
        assert_eq!(resolve(peer, &headers(&["203.0.113.9"]), &trusted), ip("203.0.113.9"));
        // A client's own X-Forwarded-For is left of what the proxy added.
        assert_eq!(resolve(peer, &headers(&["1.2.3.4, 203.0.113.9"]), &trusted), ip("203.0.113.9"));
        // Proxies in a chain are skipped; several header lines are one list.
        assert_eq!(resolve(peer, &headers(&["1.2.3.4, 203.0.113.9", "10.0.0.7"]), &trusted), ip("203.0.113.9"));
        assert_eq!(resolve(peer, &headers(&["[2001:db8::1]:443"]), &trusted), ip("2001:db8::1"));
        // Nothing forwarded, only proxies, or a garbled entry: the peer.
        assert_eq!(resolve(peer, &headers(&[]), &trusted), peer);
        assert_eq!(resolve(peer, &headers(&["10.0.0.9"]), &trusted), peer);
        assert_eq!(resolve(peer, &headers(&["1.2.3.4, garbage"]), &trusted), peer);
        // From an untrusted peer the header is ignored.
        assert_eq!(resolve(ip("198.51.100.1"), &headers(&["203.0.113.9"]), &trusted), ip("198.51.100.1"));
        assert_eq!(resolve(ip("198.51.100.1"), &headers(&["203.0.113.9"]), &[]), ip("198.51.100.1"));
    }

    #[test]
    fn an_ipv6_network_is_one_budget() {
        let a = ClientIp(ip("2001:db8:1:2:aaaa::1")).limit_key();
        assert_eq!(a, "ip:2001:db8:1:2::/64");
        assert_eq!(ClientIp(ip("2001:db8:1:2:ffff::9")).limit_key(), a);
        assert_ne!(ClientIp(ip("2001:db8:1:3::1")).limit_key(), a);
        assert_eq!(ClientIp(ip("203.0.113.9")).limit_key(), "ip:203.0.113.9");
    }
}
