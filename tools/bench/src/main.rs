//! `jobmatch-bench`: the benchmarks of BENCHMARKS.md and `eval`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "jobmatch-bench", about = "jobmatch benchmarks and matching evaluation (never against a real store)")]
struct Cli {
    /// An empty database (sqlite://… or postgres://…) for the benchmark's
    /// store [default: SQLite in a temporary folder]. A database holding
    /// anything but an earlier benchmark's tables is refused.
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Score matching on an evaluation set (eval/shared-set/FORMAT.md): load
    /// it into a fresh store through the API and print nDCG@k both ways and
    /// the count of hard-rule violations as one JSON line.
    Eval {
        /// The folder with jobs.jsonl, persons.jsonl, judgments.tsv, forbidden.tsv.
        dir: PathBuf,
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Also print each person's and each job's nDCG and top list to stderr.
        #[arg(long)]
        detail: bool,
    },
    /// Index generated jobs and people and time matches both ways; with
    /// --postgres, answer the same queries with ILIKE / pg_trgm there.
    Matching {
        #[arg(long, default_value_t = 100_000)]
        jobs: usize,
        #[arg(long, default_value_t = 100_000)]
        people: usize,
        #[arg(long, default_value_t = 1000)]
        queries: usize,
        /// An empty PostgreSQL database for the SQL comparison (its bench_* tables are replaced).
        #[arg(long)]
        postgres: Option<String>,
    },
    /// nDCG of the ILIKE / pg_trgm approach on an evaluation set.
    PgEval {
        dir: PathBuf,
        #[arg(long)]
        postgres: String,
    },
    /// nDCG of plain jieba + BM25 with the hard rules as filters on an
    /// evaluation set (the baseline the engine is read against).
    Bm25Eval { dir: PathBuf },
    /// With many people indexed: job created → notifications queued, and
    /// webhook deliveries per second to a loopback receiver.
    Push {
        #[arg(long, default_value_t = 100_000)]
        people: usize,
        #[arg(long, default_value_t = 200)]
        jobs: usize,
        #[arg(long, default_value_t = 5000)]
        webhooks: usize,
    },
    /// The monthly progress report over generated people and a year of
    /// records, and the console's pages over them and generated jobs.
    Report {
        #[arg(long, default_value_t = 100_000)]
        people: usize,
        #[arg(long, default_value_t = 100_000)]
        jobs: usize,
        #[arg(long, default_value_t = 2025)]
        year: i32,
    },
    /// A month's payment lists (every unit) over generated people and a year
    /// of evidence from other departments.
    Subsidies {
        #[arg(long, default_value_t = 100_000)]
        people: usize,
        #[arg(long, default_value_t = 2025)]
        year: i32,
    },
    /// Import a generated department list of people through the API, twice.
    ImportPersons {
        #[arg(long, default_value_t = 50_000)]
        rows: usize,
    },
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    use jobmatch_bench::{bm25, eval, import, matching, pg, push, report, subsidies};
    let database_url = cli.database_url;
    match cli.command {
        Command::Eval { dir, k, detail } => {
            println!("{}", eval::run(&dir, k, detail, database_url).await?);
            Ok(())
        }
        Command::Matching { jobs, people, queries, postgres } => matching::run(jobs, people, queries, postgres).await,
        Command::PgEval { dir, postgres } => {
            println!("{}", pg::eval(&dir, &postgres).await?);
            Ok(())
        }
        Command::Bm25Eval { dir } => {
            println!("{}", bm25::eval(&dir).await?);
            Ok(())
        }
        Command::Push { people, jobs, webhooks } => push::run(people, jobs, webhooks, database_url).await,
        Command::Report { people, jobs, year } => report::run(people, jobs, year, database_url).await,
        Command::Subsidies { people, year } => subsidies::run(people, year, database_url).await,
        Command::ImportPersons { rows } => import::import_persons(rows, database_url).await,
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jobmatch-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
