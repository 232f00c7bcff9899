//! The state every handler gets: cheap, clonable handles.

use std::sync::Arc;

use crate::config::Settings;
use crate::crypto::Vault;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::policy::Policy;
use crate::regions::Regions;
use crate::vocab::Vocabulary;

/// Text search over open jobs with the Chinese analyzer. The matching service
/// provides it when it runs in the same process; without it, job search
/// falls back to plain substring matching.
pub trait JobSearch: Send + Sync {
    /// Ids of open jobs matching `q`, best first, at most `limit`.
    fn search_open_jobs(&self, q: &str, limit: usize) -> anyhow::Result<Vec<String>>;
}

/// A person who fits a job, as the push service needs it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Candidate {
    pub person_id: String,
    pub score: f32,
    pub region_code: String,
    pub push_consent: bool,
    pub share_consent: bool,
}

impl Candidate {
    /// The order every candidate source answers in: best score first, ties
    /// by person id, higher first (the matcher's order).
    pub fn best_first(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
        b.score.total_cmp(&a.score).then_with(|| b.person_id.cmp(&a.person_id))
    }
}

/// Which fitting people a push plan asks for.
#[derive(Clone, Debug, Default)]
pub struct CandidateQuery {
    /// Only people who consented to push.
    pub push_consent: bool,
    /// Only these people (an agency's assigned people).
    pub ids: Option<Vec<String>>,
    /// Answer only once every outbox event up to here is in the answer
    /// (else [`NotCaughtUp`]): a person registered just before the job
    /// opened must not be missed.
    pub through: Option<crate::events::Position>,
}

/// The candidate source has not yet applied the outbox events a question
/// needs; ask again later.
#[derive(Debug, thiserror::Error)]
#[error("the matching service has not yet applied the outbox up to {0}")]
pub struct NotCaughtUp(pub crate::events::Position);

/// An open job that fits a person, as the push service needs it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct JobFit {
    pub job_id: String,
    pub score: f32,
}

type Answer<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<Vec<T>>> + Send + 'a>>;

/// The fitting people of an open job and the fitting open jobs of a person,
/// best first: the matching service in this process, or its HTTP API when
/// the push service runs apart.
pub trait CandidateSource: Send + Sync {
    fn fitting_people<'a>(&'a self, job_id: &'a str, limit: usize, query: CandidateQuery) -> Answer<'a, Candidate>;

    /// The best open jobs for a person (nothing when the person is not
    /// matchable); [`NotCaughtUp`] while the answer would miss events up to
    /// `through`.
    fn fitting_jobs<'a>(
        &'a self,
        person_id: &'a str,
        limit: usize,
        through: Option<crate::events::Position>,
    ) -> Answer<'a, JobFit>;
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub regions: Arc<Regions>,
    pub vocab: Arc<Vocabulary>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub vault: Arc<Vault>,
    pub policy: Arc<Policy>,
    /// Per-key budgets of agency list endpoints.
    pub limiter: Arc<crate::ratelimit::RateLimiter>,
    /// Failed authentications per presented key and per client address.
    pub auth_failures: Arc<crate::ratelimit::RateLimiter>,
    /// Set once when the matching service starts in this process.
    pub job_search: Arc<std::sync::OnceLock<Arc<dyn JobSearch>>>,
    /// Reports kept while their records are unchanged ([`crate::memo`]).
    pub memo: Arc<crate::memo::Memo>,
    /// The time every part reads ([`crate::clock`]).
    pub clock: crate::clock::Clock,
}

impl AppState {
    /// Open the store, seed reference data and load the configuration files.
    pub async fn open(settings: Settings) -> anyhow::Result<AppState> {
        let vocab = Vocabulary::load(settings.index_config_dir.as_deref())?;
        let policy = Policy::load(settings.policy_file.as_deref())?;
        let (name, text) = crate::vocab::read_config(
            settings.calendar_file.as_deref(),
            "calendar-cn.toml",
            crate::calendar::EMBEDDED,
        )?;
        let shipped_years = crate::calendar::Calendar::parse_years(&name, &text)?;
        crate::files::private_dir(&settings.data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create the data folder {}: {e}", settings.data_dir.display()))?;
        let swept = crate::files::sweep_spool(&settings.data_dir)?;
        if swept > 0 {
            tracing::warn!(files = swept, "removed import spools left by an earlier process");
        }
        let db = Db::connect(settings.database_url.expose()).await?;
        if db.backend == crate::db::Backend::Sqlite {
            let path = crate::db::sqlite_path(settings.database_url.expose());
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                crate::files::make_private(std::path::Path::new(&file))?;
            }
        }
        // Indexes and files of earlier versions: private too.
        crate::files::restrict_tree(&settings.data_dir)?;
        let seed = crate::regions::parse_csv(crate::regions::SEED_CSV)
            .map_err(|e| anyhow::anyhow!("schemas/seed/regions-jiaxing.csv: {e}"))?;
        Regions::seed(&db, &seed).await?;
        crate::calendar::seed(&db.pool, &shipped_years).await?;
        let regions = Regions::load(&db).await?;
        let vault = Vault::load(settings.data_key.as_ref().map(|k| k.expose()), &settings.data_dir)?;
        check_vault(&db, &vault).await?;
        let clock = crate::clock::Clock::open(&db.pool, settings.settable_clock).await?;
        if clock.is_settable() {
            tracing::warn!(now = %clock.now_text(), "settable clock: this is a rehearsal (演练环境), not a live service");
        }
        Ok(AppState {
            db,
            regions: Arc::new(regions),
            vocab: Arc::new(vocab),
            settings: Arc::new(settings),
            metrics: Arc::new(Metrics::default()),
            vault: Arc::new(vault),
            policy: Arc::new(policy),
            limiter: Arc::new(crate::ratelimit::RateLimiter::default()),
            auth_failures: Arc::new(crate::ratelimit::RateLimiter::default()),
            job_search: Arc::new(std::sync::OnceLock::new()),
            memo: Arc::new(crate::memo::Memo::default()),
            clock,
        })
    }
}

impl AppState {
    /// Today in Asia/Shanghai by the service's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// Now by the service's clock, in the store's text form.
    pub fn now_text(&self) -> String {
        self.clock.now_text()
    }

    /// Working days, for the 公示 of public-welfare placements: the
    /// calendar as the store holds it now (a year the admin added is seen
    /// by every replica at once).
    pub async fn calendar(&self) -> crate::ApiResult<crate::calendar::Calendar> {
        Ok(crate::calendar::load_stored(&self.db.pool).await?)
    }
}

/// Refuse to start with a data key other than the one the store was written
/// with (a check value is stored on first start).
async fn check_vault(db: &Db, vault: &Vault) -> anyhow::Result<()> {
    const PLAIN: &str = "jobmatch vault check";
    sqlx::query("INSERT INTO meta (key, value) VALUES ('vault_check', $1) ON CONFLICT (key) DO NOTHING")
        .bind(vault.encrypt(PLAIN))
        .execute(&db.pool)
        .await?;
    let stored: String =
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'vault_check'").fetch_one(&db.pool).await?;
    match vault.decrypt(&stored) {
        Ok(p) if p == PLAIN => Ok(()),
        _ => anyhow::bail!(
            "the data key does not match this store: set JOBMATCH_DATA_KEY to the key it was written with \
             (or restore <data dir>/data.key)"
        ),
    }
}
