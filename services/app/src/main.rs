use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = jobmatch_app::cli::Cli::parse();
    match jobmatch_app::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jobmatch: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
