//! The state every handler gets: cheap, clonable handles.

use std::sync::Arc;

use crate::config::Settings;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::regions::Regions;
use crate::vocab::Vocabulary;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub regions: Arc<Regions>,
    pub vocab: Arc<Vocabulary>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// Open the store, seed reference data and load the configuration files.
    pub async fn open(settings: Settings) -> anyhow::Result<AppState> {
        let vocab = Vocabulary::load(settings.index_config_dir.as_deref())?;
        std::fs::create_dir_all(&settings.data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create the data folder {}: {e}", settings.data_dir.display()))?;
        let db = Db::connect(settings.database_url.expose()).await?;
        let seed = crate::regions::parse_csv(crate::regions::SEED_CSV)
            .map_err(|e| anyhow::anyhow!("schemas/seed/regions-jiaxing.csv: {e}"))?;
        Regions::seed(&db, &seed).await?;
        let regions = Regions::load(&db).await?;
        Ok(AppState {
            db,
            regions: Arc::new(regions),
            vocab: Arc::new(vocab),
            settings: Arc::new(settings),
            metrics: Arc::new(Metrics::default()),
        })
    }
}
