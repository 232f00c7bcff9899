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
}

/// The raw, optional form of every setting: what a file, the environment or
/// flags may provide.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<String>,
    pub log_format: Option<String>,
    pub index_config_dir: Option<String>,
    pub max_body_bytes: Option<String>,
    pub expiry_sweep_secs: Option<String>,
    pub import_max_rows: Option<String>,
    pub person_import_max_bytes: Option<String>,
    pub data_key: Option<String>,
    pub policy_file: Option<String>,
}

impl RawSettings {
    /// Layer `other` over `self`: every value `other` sets wins.
    pub fn overlay(mut self, other: RawSettings) -> RawSettings {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f; } )* };
        }
        take!(
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
            policy_file
        );
        self
    }

    /// Read the `JOBMATCH_*` variables from an environment listing.
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> RawSettings {
        let vars: BTreeMap<String, String> = vars.into_iter().collect();
        let get = |name: &str| vars.get(name).filter(|v| !v.is_empty()).cloned();
        RawSettings {
            listen: get("JOBMATCH_LISTEN"),
            database_url: get("JOBMATCH_DATABASE_URL"),
            data_dir: get("JOBMATCH_DATA_DIR"),
            log_format: get("JOBMATCH_LOG_FORMAT"),
            index_config_dir: get("JOBMATCH_INDEX_CONFIG_DIR"),
            max_body_bytes: get("JOBMATCH_MAX_BODY_BYTES"),
            expiry_sweep_secs: get("JOBMATCH_EXPIRY_SWEEP_SECS"),
            import_max_rows: get("JOBMATCH_IMPORT_MAX_ROWS"),
            person_import_max_bytes: get("JOBMATCH_PERSON_IMPORT_MAX_BYTES"),
            data_key: get("JOBMATCH_DATA_KEY"),
            policy_file: get("JOBMATCH_POLICY_FILE"),
        }
    }

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
    fn secrets_do_not_print() {
        let s = Secret::new("postgres://u:pw@h/db");
        assert!(!format!("{s:?}").contains("pw"));
    }
}
