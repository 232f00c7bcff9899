//! Where webhooks may go. An agency names its endpoint, so the URL is
//! untrusted: without a guard it could make the push service call the
//! cloud metadata service, a database on loopback or any intranet host, and
//! read the answers back as delivery errors (a port scanner). Refused:
//! URLs with credentials, and hosts that are — or resolve to — loopback,
//! private, link-local, shared (CGNAT), multicast, documentation, reserved
//! or otherwise special addresses, unless the operator allows the host
//! (`JOBMATCH_WEBHOOK_ALLOW_HOSTS`). The check runs when the URL is
//! registered and again at every connection (the resolver below), so a name
//! that later resolves to an internal address is refused too.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Whether `ip` is anything but an ordinary public unicast address.
pub fn is_special(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_special_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_special_v4(v4);
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 to IPv4
                || (s[0] == 0x2002) // 6to4 (embeds any IPv4)
                || (s[0] == 0x2001 && s[1] == 0) // Teredo
                || s[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible ::a.b.c.d
        }
    }
}

fn is_special_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240 // reserved
}

/// The operator's allow-list of host names or addresses, compared in one
/// form: lower case, IPv6 addresses without brackets.
#[derive(Clone, Debug, Default)]
pub struct AllowList(Arc<Vec<String>>);

fn bare_host(host: &str) -> String {
    host.trim().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase()
}

/// A host given as an address (the URL parser has normalised literals:
/// `0x7f.1` is 127.0.0.1), not a name.
fn literal(host: &str) -> Option<IpAddr> {
    bare_host(host).parse().ok()
}

impl AllowList {
    pub fn new(hosts: &[String]) -> AllowList {
        AllowList(Arc::new(hosts.iter().map(|h| bare_host(h)).collect()))
    }

    fn allows(&self, host: &str) -> bool {
        self.0.contains(&bare_host(host))
    }
}

/// Why a URL is refused (the message is for the agency's staff).
#[derive(Debug, PartialEq, Eq)]
pub struct Refused(pub &'static str, pub &'static str);

/// Check what can be checked without the network: scheme, credentials,
/// and a host given as an address.
pub fn check_url(url: &str, allow: &AllowList) -> Result<Url, Refused> {
    let parsed = Url::parse(url).map_err(|_| Refused("invalid_url", "应为 http:// 或 https:// 开头的完整地址"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Refused("invalid_url", "应为 http:// 或 https:// 开头的完整地址"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Refused("credentials_in_url", "地址中不能包含用户名或密码；请用回调密钥验证"));
    }
    let Some(host) = parsed.host_str() else { return Err(Refused("invalid_url", "地址缺少主机名")) };
    if allow.allows(host) {
        return Ok(parsed);
    }
    if literal(host).is_some_and(is_special) || host.eq_ignore_ascii_case("localhost") || host.ends_with(".localhost") {
        return Err(Refused("forbidden_address", "不能向内网、本机或其他保留地址回调"));
    }
    Ok(parsed)
}

/// Resolve `host` and refuse it when any address it has is special (a host
/// with one public and one internal address is refused: the connection
/// might use either).
pub async fn resolve_public(host: &str, port: u16, allow: &AllowList) -> Result<Vec<SocketAddr>, Refused> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| Refused("unresolvable_host", "无法解析该主机名"))?
        .collect();
    if addrs.is_empty() {
        return Err(Refused("unresolvable_host", "无法解析该主机名"));
    }
    if !allow.allows(host) && addrs.iter().any(|a| is_special(a.ip())) {
        return Err(Refused("forbidden_address", "不能向内网、本机或其他保留地址回调"));
    }
    Ok(addrs)
}

/// The webhook client's resolver: every connection to a named host resolves
/// through [`resolve_public`].
pub struct GuardedResolver(pub AllowList);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.0.clone();
        Box::pin(async move {
            let addrs = resolve_public(name.as_str(), 0, &allow)
                .await
                .map_err(|r| -> Box<dyn std::error::Error + Send + Sync> { format!("{}: {}", r.0, r.1).into() })?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The check when an agency registers `url`: [`check_url`], and for a host
/// name, that it resolves to public addresses only.
pub async fn check_target(url: &str, allow: &AllowList) -> Result<(), Refused> {
    let parsed = check_url(url, allow)?;
    match (parsed.host_str(), parsed.port_or_known_default()) {
        (Some(host), Some(port)) if literal(host).is_none() => resolve_public(host, port, allow).await.map(|_| ()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_and_reserved_addresses_are_special() {
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "198.18.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "ff02::1",
        ] {
            assert!(is_special(ip(s)), "{s} must be refused");
        }
        for s in ["8.8.8.8", "114.114.114.114", "2400:3200::1"] {
            assert!(!is_special(ip(s)), "{s} is public");
        }
    }

    #[test]
    fn urls_with_credentials_or_internal_literals_are_refused() {
        let none = AllowList::default();
        let code = |u: &str| check_url(u, &none).err().map(|r| r.0);
        assert_eq!(code("http://169.254.169.254/latest/meta-data/"), Some("forbidden_address"));
        assert_eq!(code("http://[::1]:22/"), Some("forbidden_address"));
        assert_eq!(code("http://user:pw@127.0.0.1:5432/"), Some("credentials_in_url"));
        assert_eq!(code("http://localhost:8080/"), Some("forbidden_address"));
        assert_eq!(code("http://0x7f.1/"), Some("forbidden_address"), "URL parsing normalises 0x7f.1 to 127.0.0.1");
        assert_eq!(code("ftp://example.com/"), Some("invalid_url"));
        assert_eq!(code("https://hr.example.com/hook"), None);
        let allow = AllowList::new(&["127.0.0.1".into()]);
        assert!(check_url("http://127.0.0.1:9000/hook", &allow).is_ok());
        assert_eq!(check_url("http://u:p@127.0.0.1:9000/", &allow).err().map(|r| r.0), Some("credentials_in_url"));
    }
}
