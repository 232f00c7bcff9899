//! The `jobmatch` command line: `serve`, `keys create`, `accounts create`,
//! `reindex`, `openapi`.
//! Benchmarks and the evaluation are a separate tool (`tools/bench`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use jobmatch_core::config::{RawSettings, Settings};
use jobmatch_core::domain::OrgKind;
use jobmatch_core::{ApiError, AppState, Role};

use crate::{Application, ServiceRole};

#[derive(Parser, Debug)]
#[command(name = "jobmatch", version, about = "困难群体就业精准帮扶 · job matching for hardship-group job seekers")]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingFlags,
    #[command(subcommand)]
    pub command: Command,
}

/// Settings given as flags; they win over `JOBMATCH_*` variables and the file.
#[derive(Args, Debug, Default)]
pub struct SettingFlags {
    /// TOML settings file (also `JOBMATCH_CONFIG`).
    #[arg(long, global = true, env = "JOBMATCH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, global = true)]
    pub listen: Option<String>,
    /// sqlite://… or postgres://… [default: sqlite://<data dir>/jobmatch.db].
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Folder for indexes and the SQLite file [default: ./data].
    #[arg(long, global = true)]
    pub data_dir: Option<String>,
    /// text or json [default: text].
    #[arg(long, global = true)]
    pub log_format: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the services (all of them unless --role says one).
    Serve {
        #[arg(long, value_enum, default_value = "all")]
        role: ServiceRole,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage staff accounts (people who sign in to the console).
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Rebuild the matching indexes from the store (stop the servers using
    /// this data folder first).
    Reindex,
    /// Print the OpenAPI document (the one committed as schemas/openapi.json).
    Openapi,
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create a key for an organisation (created if missing) and print it once,
    /// alone on the last line.
    Create {
        /// Organisation name, e.g. 市人社局.
        #[arg(long)]
        org: String,
        /// gig_market, community, employer, hr_agency or bureau.
        #[arg(long)]
        kind: String,
        /// admin, staff, publisher or agency.
        #[arg(long)]
        role: String,
        /// Region code of the organisation and the key, e.g. 330400.
        #[arg(long)]
        region: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccountsCommand {
    /// Open a staff account for an organisation (created if missing) and
    /// print its first password once, alone on the last line.
    Create {
        /// Organisation name, e.g. 市人社局.
        #[arg(long)]
        org: String,
        /// gig_market, community, employer, hr_agency or bureau.
        #[arg(long)]
        kind: String,
        /// admin, staff, publisher or agency.
        #[arg(long)]
        role: String,
        /// Region code of the organisation and the account, e.g. 330400.
        #[arg(long)]
        region: String,
        /// What the person types to sign in, e.g. admin.
        #[arg(long)]
        login: String,
        /// The person's name, e.g. 王丽.
        #[arg(long)]
        name: String,
    },
}

impl SettingFlags {
    /// Defaults < file < environment < flags, validated.
    pub fn resolve(&self) -> anyhow::Result<Settings> {
        let file = match &self.config {
            Some(path) => RawSettings::from_toml_file(path)?,
            None => RawSettings::default(),
        };
        let flags = RawSettings {
            listen: self.listen.clone(),
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            log_format: self.log_format.clone(),
            ..RawSettings::default()
        };
        Ok(file.overlay(RawSettings::from_env(std::env::vars())).overlay(flags).resolve()?)
    }
}

/// Run a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Reindex => {
            let settings = cli.settings.resolve()?;
            jobmatch_core::telemetry::init(settings.log_format);
            let state = AppState::open(settings).await?;
            let config =
                jobmatch_matching::engine::config::MatchConfig::load(state.settings.index_config_dir.as_deref())
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            let matcher = jobmatch_matching::Matcher::open(state.clone(), std::sync::Arc::new(config))
                .await
                .map_err(|e| anyhow::anyhow!("{e:#} (is a server using this data folder still running?)"))?;
            let (jobs, persons) = matcher.rebuild().await?;
            println!("reindexed {jobs} open jobs and {persons} matchable people");
            Ok(())
        }
        Command::Openapi => {
            print!("{}", crate::openapi_json());
            Ok(())
        }
        Command::Serve { role } => {
            let settings = cli.settings.resolve()?;
            jobmatch_core::telemetry::init(settings.log_format);
            crate::ops::install_panic_hook();
            // Before the listener opens: a SIGTERM from then on stops cleanly.
            let stop = crate::shutdown_signal();
            let app = Application::build(settings, role).await?;
            app.run_until_stopped(stop).await
        }
        Command::Accounts { command: AccountsCommand::Create { org, kind, role, region, login, name } } => {
            let settings = cli.settings.resolve()?;
            jobmatch_core::telemetry::init(settings.log_format);
            let state = AppState::open(settings).await?;
            let password = create_account(&state, &org, &kind, &role, &region, &login, &name).await?;
            println!("{password}");
            state.db.pool.close().await;
            Ok(())
        }
        Command::Keys { command: KeysCommand::Create { org, kind, role, region } } => {
            let settings = cli.settings.resolve()?;
            jobmatch_core::telemetry::init(settings.log_format);
            let state = AppState::open(settings).await?;
            let key = create_key(&state, &org, &kind, &role, &region).await?;
            println!("{key}");
            state.db.pool.close().await;
            Ok(())
        }
    }
}

/// Find or create the organisation `org` and open it an account; its
/// first password is returned.
pub async fn create_account(
    state: &AppState,
    org: &str,
    kind: &str,
    role: &str,
    region: &str,
    login: &str,
    name: &str,
) -> anyhow::Result<String> {
    use jobmatch_core::accounts::{insert, login_taken, AccountInput};
    use jobmatch_posting::accounts::AccountCreate;
    let (org, role) = org_for_grant(state, org, kind, role, region).await?;
    // The API's reader checks the login and name: one rule for both ways in.
    let body = serde_json::json!({"login": login.trim(), "name": name.trim(), "role": role.as_str()});
    let AccountCreate { login, name, .. } =
        jobmatch_core::validate::read_body::<AccountCreate>(&body, state).map_err(explain)?;
    let mut errs = jobmatch_core::validate::Errors::default();
    let region = jobmatch_posting::orgs::check_grant(state, &org, role, Some(region), "账号", &mut errs);
    errs.finish(|| ()).map_err(explain)?;
    if login_taken(state, &login).await.map_err(explain)? {
        anyhow::bail!("login {login} is taken");
    }
    let input = AccountInput { org_id: &org.id, login: &login, name: &name, phone: None, role, region_code: &region };
    let account = insert(state, &input, "cli").await.map_err(explain)?;
    eprintln!(
        "organisation {} ({}), account {} ({login}) with role {}",
        org.name,
        org.id,
        account.account.id,
        role.as_str()
    );
    Ok(account.password)
}

fn explain(e: ApiError) -> anyhow::Error {
    match e {
        ApiError::Problem(p) => {
            let fields: Vec<String> = p.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            anyhow::anyhow!("{} {}", p.detail, fields.join("; "))
        }
        ApiError::Internal(e) => e,
    }
}

/// The organisation named `org` (created if missing, of `kind` in
/// `region`) and the parsed `role`.
async fn org_for_grant(
    state: &AppState,
    org: &str,
    kind: &str,
    role: &str,
    region: &str,
) -> anyhow::Result<(jobmatch_posting::orgs::Org, Role)> {
    use jobmatch_posting::orgs::{find_org_by_name, insert_org};
    let kind =
        OrgKind::parse(kind).ok_or_else(|| anyhow::anyhow!("--kind must be one of {}", OrgKind::ALL.join(", ")))?;
    let role = Role::parse(role).ok_or_else(|| anyhow::anyhow!("--role must be one of {}", Role::ALL.join(", ")))?;
    if !state.regions.contains(region) {
        anyhow::bail!("--region {region} is not a known region code");
    }
    let org = match find_org_by_name(state, org).await.map_err(explain)? {
        Some(existing) if existing.kind != kind => {
            anyhow::bail!("organisation {} exists with kind {}", existing.name, existing.kind.as_str())
        }
        Some(existing) => existing,
        None => insert_org(state, org, kind, region).await.map_err(explain)?,
    };
    Ok((org, role))
}

/// Find or create the organisation `org` and issue it a key.
pub async fn create_key(state: &AppState, org: &str, kind: &str, role: &str, region: &str) -> anyhow::Result<String> {
    let (org, role) = org_for_grant(state, org, kind, role, region).await?;
    let key = jobmatch_posting::orgs::issue_key(state, &org, role, Some(region), None).await.map_err(explain)?;
    eprintln!("organisation {} ({}), key {} with role {}", org.name, org.id, key.id, role.as_str());
    Ok(key.key)
}
