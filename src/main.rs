//! The Rollcall server: configuration → store → router → serve until Ctrl-C or SIGTERM.

use leptos::config::get_configuration;
use rollcall::server::{config::Config, seed};
use rollcall::startup::start;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    if let Err(message) = run().await {
        eprintln!("rollcall: {message}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    // Leptos.toml sits next to the binary's working directory; without it, LEPTOS_* variables
    // (as set by cargo-leptos) or Leptos' defaults apply.
    let leptos_file = std::path::Path::new("Leptos.toml")
        .exists()
        .then_some("Leptos.toml");
    let leptos_options = get_configuration(leptos_file)
        .map_err(|e| format!("cannot read the Leptos settings: {e}"))?
        .leptos_options;
    let config = Config::from_env(leptos_options.site_addr)?;
    let database = config.database_url.clone();
    let seeded_demo = config.seed_demo;
    let server = start(config, leptos_options).await?;
    println!("\nRollcall is running at http://{}", server.addr);
    println!("  database: {database}");
    if seeded_demo {
        println!(
            "Demo logins (username / password):\n{}",
            seed::demo_logins()
        );
    }
    println!("Press Ctrl-C to stop.\n");
    shutdown_signal().await;
    println!("Stopping…");
    server.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
