//! The Rollcall server: configuration → store → router → serve until Ctrl-C or SIGTERM; or an
//! account command (`rollcall admin …`, see `server::cli`).

use leptos::config::get_configuration;
use rollcall::server::cli::{self, redact_database_url, redact_in, Command};
use rollcall::server::store::Store;
use rollcall::server::{config::Config, seed};
use rollcall::startup::start;

// Many small, short-lived allocations (rendered pages, frames, rows) across threads: mimalloc
// serves them faster than the system allocator and returns memory more readily.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse_args(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    // Error messages may quote the database URL: never print its password.
    let database_url = std::env::var("DATABASE_URL").unwrap_or_default();
    let outcome = match command {
        Command::Serve { demo } => serve(demo).await,
        other => admin(other).await,
    };
    if let Err(message) = outcome {
        eprintln!("rollcall: {}", redact_in(&message, &database_url));
        std::process::exit(1);
    }
}

/// `rollcall admin …`: works on the database directly, with or without a server running.
async fn admin(command: Command) -> Result<(), String> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite:rollcall.db".into());
    let password = match command {
        Command::RotateVapidKeys => String::new(),
        _ => cli::read_new_password()?,
    };
    let (committed, _) = tokio::sync::mpsc::unbounded_channel();
    let store = Store::open(&url, committed).await.map_err(|e| {
        format!(
            "cannot open the database {}: {e}",
            redact_database_url(&url)
        )
    })?;
    let outcome = match command {
        Command::CreateAdmin {
            username,
            display_name,
        } => cli::create_admin(&store, &username, display_name.as_deref(), &password).await,
        Command::ResetPassword { username } => {
            cli::reset_password(&store, &username, &password).await
        }
        Command::RotateVapidKeys => {
            cli::rotate_vapid_keys(&store, rollcall::server::now_ms()).await
        }
        Command::Serve { .. } => unreachable!("handled by serve"),
    };
    store.close().await;
    println!("{}", outcome?);
    Ok(())
}

async fn serve(demo_flag: bool) -> Result<(), String> {
    // Leptos.toml sits next to the binary's working directory; without it, LEPTOS_* variables
    // (as set by cargo-leptos) or Leptos' defaults apply.
    let leptos_file = std::path::Path::new("Leptos.toml")
        .exists()
        .then_some("Leptos.toml");
    let leptos_options = get_configuration(leptos_file)
        .map_err(|e| format!("cannot read the Leptos settings: {e}"))?
        .leptos_options;
    let mut config = Config::from_env(leptos_options.site_addr)?;
    config.seed_demo |= demo_flag;
    let database = redact_database_url(&config.database_url);
    let demo = config.seed_demo;
    let server = start(config, leptos_options).await?;
    println!("\nRollcall is running at http://{}", server.addr);
    println!("  database: {database}");
    if server.seeded_demo {
        println!(
            "Demo school seeded (sample data; these passwords are public, never use it for a real school).\n\
             Demo logins (username / password):\n{}",
            seed::demo_logins()
        );
    } else if demo {
        println!("Demo mode: the database already had users, so nothing was seeded.");
    } else if server
        .state
        .store
        .user_count()
        .await
        .map_err(|e| e.message)?
        == 0
    {
        println!(
            "No accounts yet. Create the first administrator with:\n  \
             rollcall admin create <username> --name \"Your Name\""
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
