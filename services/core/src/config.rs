//! Settings: embedded defaults, then an optional TOML file, then `JOBMATCH_*`
//! environment variables, then command-line flags (each layer wins over the
//! one before). Everything is validated once at start so that a bad value
//! stops the process with a message naming the setting.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A value that must never be printed (database URLs may hold passwords).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

/// The validated settings of one process.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Address the HTTP server binds (`JOBMATCH_LISTEN`, default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// Database URL (`JOBMATCH_DATABASE_URL`): `sqlite://…` or `postgres://…`.
    /// Default: `sqlite://<data dir>/jobmatch.db`.
    pub database_url: Secret,
    /// Folder for indexes and the default SQLite file (`JOBMATCH_DATA_DIR`, default `./data`).
    pub data_dir: PathBuf,
    /// Log format (`JOBMATCH_LOG_FORMAT`: `text` or `json`, default `text`).
    pub log_format: LogFormat,
    /// Folder overriding the embedded `index-config/` files (`JOBMATCH_INDEX_CONFIG_DIR`).
    pub index_config_dir: Option<PathBuf>,
    /// Largest accepted request body in bytes (`JOBMATCH_MAX_BODY_BYTES`, default 1 MiB).
    pub max_body_bytes: usize,
    /// Seconds between sweeps that expire jobs past `valid_until` (`JOBMATCH_EXPIRY_SWEEP_SECS`, default 30).
    pub expiry_sweep_secs: u64,
    /// Largest number of rows in one bulk job import (`JOBMATCH_IMPORT_MAX_ROWS`, default 1000).
    pub import_max_rows: usize,
    /// Largest person import file in bytes (`JOBMATCH_PERSON_IMPORT_MAX_BYTES`, default 64 MiB).
    pub person_import_max_bytes: usize,
    /// The key protecting ID numbers and phones (`JOBMATCH_DATA_KEY`, 64 hex
    /// characters). Unset: `<data dir>/data.key`, made on first start. Every
    /// replica on one PostgreSQL must be given the same key.
    pub data_key: Option<Secret>,
    /// A replacement for the embedded `schemas/seed/policy.toml` (`JOBMATCH_POLICY_FILE`).
    pub policy_file: Option<PathBuf>,
    /// A replacement for the embedded `schemas/seed/calendar-cn.toml` (`JOBMATCH_CALENDAR_FILE`).
    pub calendar_file: Option<PathBuf>,
    /// The push service's settings (`JOBMATCH_PUSH_*`, `JOBMATCH_SMS_*`, `JOBMATCH_MATCHING_*`).
    pub push: PushSettings,
    /// Requests per minute one agency key may make to list endpoints
    /// (`JOBMATCH_AGENCY_RATE_LIMIT_PER_MINUTE`, default 120).
    pub agency_rate_limit_per_minute: u32,
    /// Connections served at once (`JOBMATCH_MAX_CONNECTIONS`, default
    /// 1024); more wait in the listen queue.
    pub max_connections: usize,
    /// Longest time one request may take, body included
    /// (`JOBMATCH_REQUEST_TIMEOUT_SECS`, default 120; imports of large files
    /// need the most). Request headers must arrive within 10 s of connecting
    /// or of the previous answer, so an idle connection closes after 10 s.
    pub request_timeout: std::time::Duration,
    /// Failed authentications answered per minute, per key and per client
    /// address (`JOBMATCH_AUTH_FAILURES_PER_MINUTE`, default 20); beyond
    /// that 429 until the minute is over.
    pub auth_failures_per_minute: u32,
    /// The address people reach this service at, for the links in SMS
    /// (`JOBMATCH_PUBLIC_URL`, e.g. `https://jy.jiaxing.gov.cn`; at most 60
    /// characters so that a notice stays within two SMS; default
    /// `http://<listen>`).
    pub public_url: String,
    /// Days a job seeker's SMS link opens their page (`JOBMATCH_LINK_TTL_DAYS`, 1–365, default 30).
    pub link_ttl_days: u32,
    /// The proxies in front of this service (`JOBMATCH_TRUSTED_PROXIES`,
    /// comma-separated addresses or networks, none by default): from one of
    /// them, the client is the right-most `X-Forwarded-For` entry that is
    /// not itself a trusted proxy.
    pub trusted_proxies: Vec<crate::client::Cidr>,
    /// A clock the admin may move forward (`JOBMATCH_SETTABLE_CLOCK=true`,
    /// off by default): for a rehearsal (演练环境) or tests, never a live store.
    pub settable_clock: bool,
}

/// Quiet hours in Asia/Shanghai, as minutes after midnight: no message to a
/// person is sent from `start` until `end` (the window may wrap midnight).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    pub start: u32,
    pub end: u32,
}

/// The SMS gateway: an HTTP endpoint taking `POST {"phone","template","text"}`.
#[derive(Clone, Debug)]
pub struct SmsGateway {
    pub url: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub key: Option<Secret>,
    pub template: String,
}

/// How the push service picks recipients and delivers.
#[derive(Clone, Debug)]
pub struct PushSettings {
    /// Lowest match score that is pushed (`JOBMATCH_PUSH_MIN_SCORE`, 0–1, default 0.3).
    pub min_score: f32,
    /// Most people notified per job (`JOBMATCH_PUSH_MAX_PER_JOB`, default 200).
    pub max_per_job: usize,
    /// Most jobs pushed to one person per day (`JOBMATCH_PUSH_DAILY_CAP`, default 3).
    pub daily_cap: u32,
    /// `JOBMATCH_PUSH_QUIET_HOURS`, default `21:00-08:00`; `off` for none.
    pub quiet_hours: Option<QuietHours>,
    /// Waits before each retry (`JOBMATCH_PUSH_RETRY_SCHEDULE`, default
    /// `30s,2m,10m,1h,6h,24h`); after the last one a row is `dead`.
    pub retry_schedule: Vec<std::time::Duration>,
    /// How long a claimed row is a worker's (`JOBMATCH_PUSH_LEASE_SECS`, default 60).
    pub lease: std::time::Duration,
    /// How often the queue and the outbox are polled (`JOBMATCH_PUSH_POLL_MS`, default 200).
    pub poll: std::time::Duration,
    /// Timeout of one outbound call (`JOBMATCH_PUSH_HTTP_TIMEOUT_SECS`, default 10).
    pub http_timeout: std::time::Duration,
    /// Deliveries in flight at once per process (`JOBMATCH_PUSH_CONCURRENCY`, default 64).
    pub concurrency: usize,
    /// `JOBMATCH_SMS_GATEWAY_URL`, `JOBMATCH_SMS_GATEWAY_KEY`, `JOBMATCH_SMS_TEMPLATE`.
    pub sms: Option<SmsGateway>,
    /// The matching service when push runs apart from it
    /// (`JOBMATCH_MATCHING_URL`, with an admin key in `JOBMATCH_MATCHING_KEY`).
    pub matching_url: Option<String>,
    pub matching_key: Option<Secret>,
    /// Webhook hosts (names or addresses, `JOBMATCH_WEBHOOK_ALLOW_HOSTS`,
    /// comma-separated) that may be reached although they resolve to a
    /// loopback, private, link-local or other special address. Empty by
    /// default: agencies' endpoints must be public addresses.
    pub webhook_allow_hosts: Vec<String>,
}

fn parse_clock(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// `21:00-08:00` or `off`.
pub fn parse_quiet_hours(s: &str) -> Option<Option<QuietHours>> {
    if s.trim() == "off" {
        return Some(None);
    }
    let (a, b) = s.split_once('-')?;
    let (start, end) = (parse_clock(a)?, parse_clock(b)?);
    (start != end).then_some(Some(QuietHours { start, end }))
}

/// `30s,2m,1h` (each 1 s to 7 days).
pub fn parse_durations(s: &str) -> Option<Vec<std::time::Duration>> {
    s.split(',')
        .map(|part| {
            let part = part.trim();
            let unit = part.chars().last()?;
            let n: u64 = part[..part.len() - unit.len_utf8()].parse().ok()?;
            let secs = match unit {
                's' => n,
                'm' => n * 60,
                'h' => n * 3600,
                'd' => n * 86_400,
                _ => return None,
            };
            (1..=7 * 86_400).contains(&secs).then(|| std::time::Duration::from_secs(secs))
        })
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty() && v.len() <= 20)
}

/// Declares the raw settings: each is an optional string from a file, the
/// environment (`JOBMATCH_<NAME>`) or flags.
macro_rules! raw_settings {
    ($($f:ident),* $(,)?) => {
        /// The raw, optional form of every setting: what a file, the environment or
        /// flags may provide.
        #[derive(Clone, Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct RawSettings {
            $(pub $f: Option<String>,)*
        }

        impl RawSettings {
            /// Layer `other` over `self`: every value `other` sets wins.
            pub fn overlay(mut self, other: RawSettings) -> RawSettings {
                $( if other.$f.is_some() { self.$f = other.$f; } )*
                self
            }

            /// Read the `JOBMATCH_*` variables from an environment listing.
            pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> RawSettings {
                let vars: BTreeMap<String, String> = vars.into_iter().collect();
                let get = |name: &str| {
                    vars.get(&format!("JOBMATCH_{}", name.to_ascii_uppercase())).filter(|v| !v.is_empty()).cloned()
                };
                RawSettings { $($f: get(stringify!($f)),)* }
            }
        }
    };
}

raw_settings!(
    listen,
    database_url,
    data_dir,
    log_format,
    index_config_dir,
    max_body_bytes,
    expiry_sweep_secs,
    import_max_rows,
    person_import_max_bytes,
    data_key,
    policy_file,
    calendar_file,
    push_min_score,
    push_max_per_job,
    push_daily_cap,
    push_quiet_hours,
    push_retry_schedule,
    push_lease_secs,
    push_poll_ms,
    push_http_timeout_secs,
    push_concurrency,
    sms_gateway_url,
    sms_gateway_key,
    sms_template,
    matching_url,
    matching_key,
    agency_rate_limit_per_minute,
    webhook_allow_hosts,
    max_connections,
    request_timeout_secs,
    auth_failures_per_minute,
    public_url,
    link_ttl_days,
    trusted_proxies,
    settable_clock,
);

impl RawSettings {
    /// Read a TOML settings file; keys are the setting names in snake case.
    pub fn from_toml_file(path: &Path) -> Result<RawSettings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            setting: "config".into(),
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        // Numbers in the file are accepted as numbers or strings.
        let value: toml::Table = toml::from_str(&text)
            .map_err(|e| ConfigError { setting: "config".into(), message: format!("{}: {e}", path.display()) })?;
        let mut stringly = toml::Table::new();
        for (k, v) in value {
            let s = match v {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                other => {
                    return Err(ConfigError {
                        setting: k,
                        message: format!("{}: expected a string or number, got {other}", path.display()),
                    })
                }
            };
            stringly.insert(k, toml::Value::String(s));
        }
        stringly.try_into().map_err(|e: toml::de::Error| ConfigError {
            setting: "config".into(),
            message: format!("{}: {e}", path.display()),
        })
    }

    /// Validate and fill defaults.
    pub fn resolve(self) -> Result<Settings, ConfigError> {
        let err = |setting: &str, message: String| ConfigError { setting: setting.into(), message };
        let listen = self.listen.as_deref().unwrap_or("127.0.0.1:8080");
        let listen: SocketAddr =
            listen.parse().map_err(|_| err("listen", format!("'{listen}' is not an address like 127.0.0.1:8080")))?;
        let data_dir = PathBuf::from(self.data_dir.as_deref().unwrap_or("./data"));
        let database_url = match self.database_url {
            Some(url) => {
                if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(err("database_url", "must start with sqlite:, postgres:// or postgresql://".into()));
                }
                url
            }
            None => format!("sqlite://{}", data_dir.join("jobmatch.db").display()),
        };
        let log_format = match self.log_format.as_deref().unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => return Err(err("log_format", format!("'{other}' is not one of text, json"))),
        };
        let number = |name: &str, raw: Option<String>, default: u64, min: u64, max: u64| match raw {
            None => Ok(default),
            Some(s) => match s.trim().parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(err(name, format!("'{s}' is not a whole number from {min} to {max}"))),
            },
        };
        Ok(Settings {
            listen,
            database_url: Secret::new(database_url),
            data_dir,
            log_format,
            index_config_dir: self.index_config_dir.map(PathBuf::from),
            max_body_bytes: number("max_body_bytes", self.max_body_bytes, 1 << 20, 1024, 64 << 20)? as usize,
            expiry_sweep_secs: number("expiry_sweep_secs", self.expiry_sweep_secs, 30, 1, 86_400)?,
            import_max_rows: number("import_max_rows", self.import_max_rows, 1000, 1, 100_000)? as usize,
            person_import_max_bytes: number(
                "person_import_max_bytes",
                self.person_import_max_bytes,
                64 << 20,
                1024,
                1 << 30,
            )? as usize,
            data_key: match self.data_key {
                Some(k) if k.trim().len() == 64 && k.trim().bytes().all(|b| b.is_ascii_hexdigit()) => {
                    Some(Secret::new(k.trim()))
                }
                Some(_) => return Err(err("data_key", "expected 64 hex characters (32 bytes)".into())),
                None => None,
            },
            policy_file: self.policy_file.map(PathBuf::from),
            calendar_file: self.calendar_file.map(PathBuf::from),
            push: PushSettings {
                min_score: match self.push_min_score {
                    None => 0.3,
                    Some(s) => match s.trim().parse::<f32>() {
                        Ok(v) if (0.0..=1.0).contains(&v) => v,
                        _ => return Err(err("push_min_score", format!("'{s}' is not a number from 0 to 1"))),
                    },
                },
                max_per_job: number("push_max_per_job", self.push_max_per_job, 200, 1, 10_000)? as usize,
                daily_cap: number("push_daily_cap", self.push_daily_cap, 3, 1, 100)? as u32,
                quiet_hours: match self.push_quiet_hours {
                    None => Some(QuietHours { start: 21 * 60, end: 8 * 60 }),
                    Some(s) => parse_quiet_hours(&s)
                        .ok_or_else(|| err("push_quiet_hours", format!("'{s}' is not like 21:00-08:00 (or off)")))?,
                },
                retry_schedule: parse_durations(self.push_retry_schedule.as_deref().unwrap_or("30s,2m,10m,1h,6h,24h"))
                    .ok_or_else(|| {
                        err("push_retry_schedule", "expected waits like 30s,2m,10m,1h (1 s to 7 d, at most 20)".into())
                    })?,
                lease: std::time::Duration::from_secs(number("push_lease_secs", self.push_lease_secs, 60, 1, 3600)?),
                poll: std::time::Duration::from_millis(number("push_poll_ms", self.push_poll_ms, 200, 10, 60_000)?),
                http_timeout: std::time::Duration::from_secs(number(
                    "push_http_timeout_secs",
                    self.push_http_timeout_secs,
                    10,
                    1,
                    300,
                )?),
                concurrency: number("push_concurrency", self.push_concurrency, 64, 1, 1024)? as usize,
                sms: match self.sms_gateway_url {
                    None => None,
                    Some(url) => {
                        if !(url.starts_with("http://") || url.starts_with("https://")) {
                            return Err(err("sms_gateway_url", "must be an http:// or https:// URL".into()));
                        }
                        Some(SmsGateway {
                            url,
                            key: self.sms_gateway_key.map(Secret::new),
                            template: self.sms_template.unwrap_or_else(|| "JOB_NOTICE".into()),
                        })
                    }
                },
                matching_url: match self.matching_url {
                    Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
                        return Err(err("matching_url", "must be an http:// or https:// URL".into()))
                    }
                    other => other.map(|u| u.trim_end_matches('/').to_string()),
                },
                matching_key: self.matching_key.map(Secret::new),
                webhook_allow_hosts: self
                    .webhook_allow_hosts
                    .unwrap_or_default()
                    .split(',')
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty())
                    .collect(),
            },
            max_connections: number("max_connections", self.max_connections, 1024, 1, 100_000)? as usize,
            request_timeout: std::time::Duration::from_secs(number(
                "request_timeout_secs",
                self.request_timeout_secs,
                120,
                1,
                3600,
            )?),
            auth_failures_per_minute: number("auth_failures_per_minute", self.auth_failures_per_minute, 20, 1, 100_000)?
                as u32,
            public_url: match self.public_url {
                None => format!("http://{listen}"),
                Some(u) => {
                    let u = u.trim().trim_end_matches('/').to_string();
                    let scheme = u.starts_with("http://") || u.starts_with("https://");
                    if !scheme || u.chars().count() > 60 || u.contains(['?', '#', ' ']) {
                        return Err(err(
                            "public_url",
                            "must be an http:// or https:// address of at most 60 characters, without ? or #".into(),
                        ));
                    }
                    u
                }
            },
            link_ttl_days: number("link_ttl_days", self.link_ttl_days, 30, 1, 365)? as u32,
            trusted_proxies: crate::client::parse_list(self.trusted_proxies.as_deref().unwrap_or("")).map_err(
                |bad| err("trusted_proxies", format!("'{bad}' is not an address or a network like 10.0.0.0/8")),
            )?,
            settable_clock: match self.settable_clock.as_deref().map(str::trim) {
                None | Some("false") => false,
                Some("true") => true,
                Some(_) => return Err(err("settable_clock", "must be true or false".into())),
            },
            agency_rate_limit_per_minute: number(
                "agency_rate_limit_per_minute",
                self.agency_rate_limit_per_minute,
                120,
                1,
                100_000,
            )? as u32,
        })
    }
}

/// A setting that could not be accepted.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting `{setting}`: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

impl Settings {
    /// Settings for tests and tools: defaults with the given store and data folder.
    pub fn for_data_dir(data_dir: &Path, database_url: Option<String>) -> Result<Settings, ConfigError> {
        RawSettings {
            listen: Some("127.0.0.1:0".into()),
            data_dir: Some(data_dir.display().to_string()),
            database_url,
            ..RawSettings::default()
        }
        .resolve()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> RawSettings {
        RawSettings::from_env(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn defaults_use_an_embedded_sqlite_file_in_the_data_folder() {
        let s = RawSettings::default().resolve().unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.database_url.expose(), "sqlite://./data/jobmatch.db");
    }

    #[test]
    fn flags_win_over_variables_which_win_over_the_file() {
        let file =
            RawSettings { listen: Some("127.0.0.1:1".into()), data_dir: Some("/f".into()), ..Default::default() };
        let vars = env(&[("JOBMATCH_LISTEN", "127.0.0.1:2"), ("JOBMATCH_LOG_FORMAT", "json")]);
        let flags = RawSettings { listen: Some("127.0.0.1:3".into()), ..Default::default() };
        let s = file.overlay(vars).overlay(flags).resolve().unwrap();
        assert_eq!(s.listen.port(), 3);
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.data_dir, PathBuf::from("/f"));
    }

    #[test]
    fn a_bad_value_names_the_setting() {
        let e = env(&[("JOBMATCH_LISTEN", "localhost")]).resolve().unwrap_err();
        assert_eq!(e.setting, "listen");
        let e = env(&[("JOBMATCH_DATABASE_URL", "mysql://x")]).resolve().unwrap_err();
        assert_eq!(e.setting, "database_url");
        let e = env(&[("JOBMATCH_MAX_BODY_BYTES", "-5")]).resolve().unwrap_err();
        assert_eq!(e.setting, "max_body_bytes");
    }

    #[test]
    fn the_public_url_is_checked_and_defaults_to_the_listen_address() {
        let s = RawSettings::default().resolve().unwrap();
        assert_eq!(s.public_url, "http://127.0.0.1:8080");
        assert_eq!(s.link_ttl_days, 30);
        let s = env(&[("JOBMATCH_PUBLIC_URL", "https://jy.jiaxing.gov.cn/")]).resolve().unwrap();
        assert_eq!(s.public_url, "https://jy.jiaxing.gov.cn");
        for bad in ["jy.jiaxing.gov.cn", "https://x.cn/?a=1", &format!("https://{}.cn", "a".repeat(60))] {
            assert_eq!(env(&[("JOBMATCH_PUBLIC_URL", bad)]).resolve().unwrap_err().setting, "public_url", "{bad}");
        }
        assert_eq!(env(&[("JOBMATCH_LINK_TTL_DAYS", "0")]).resolve().unwrap_err().setting, "link_ttl_days");
    }

    #[test]
    fn push_settings_parse_and_name_bad_values() {
        let s = RawSettings::default().resolve().unwrap();
        assert_eq!(s.push.quiet_hours, Some(QuietHours { start: 21 * 60, end: 8 * 60 }));
        assert_eq!(s.push.retry_schedule.len(), 6);
        let s = env(&[("JOBMATCH_PUSH_QUIET_HOURS", "off"), ("JOBMATCH_PUSH_RETRY_SCHEDULE", "1s,2m,1h")])
            .resolve()
            .unwrap();
        assert_eq!(s.push.quiet_hours, None);
        assert_eq!(s.push.retry_schedule[1].as_secs(), 120);
        for (k, v, name) in [
            ("JOBMATCH_PUSH_QUIET_HOURS", "25:00-08:00", "push_quiet_hours"),
            ("JOBMATCH_PUSH_RETRY_SCHEDULE", "5x", "push_retry_schedule"),
            ("JOBMATCH_PUSH_MIN_SCORE", "1.5", "push_min_score"),
            ("JOBMATCH_SMS_GATEWAY_URL", "ftp://x", "sms_gateway_url"),
        ] {
            assert_eq!(env(&[(k, v)]).resolve().unwrap_err().setting, name);
        }
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("postgres://u:pw@h/db");
        assert!(!format!("{s:?}").contains("pw"));
    }
}
