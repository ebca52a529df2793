//! `loadspec-demo`: runs the openIMIS-like demo target until Ctrl-C.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser;
use loadspec_demo::DemoConfig;

/// Serve the openIMIS-like demo target (axum + SQLite) on a loopback address.
#[derive(Debug, Parser)]
#[command(name = "loadspec-demo", version)]
struct Args {
    /// Loopback address to listen on (127.0.0.1 or ::1).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of insurees.
    #[arg(long, default_value_t = 20_000)]
    insurees: u32,
    /// Number of claims.
    #[arg(long, default_value_t = 100_000)]
    claims: u32,
    /// Number of `userN` accounts (password `password<N>`) besides admin/admin123.
    #[arg(long, default_value_t = 100)]
    users: u32,
    /// SQLite connections in the pool.
    #[arg(long, default_value_t = 4)]
    pool_size: u32,
    /// Server-side request timeout in milliseconds (504 past it).
    #[arg(long, default_value_t = 10_000)]
    request_timeout_ms: u64,
    /// SQLite busy timeout in milliseconds (503 past it).
    #[arg(long, default_value_t = 200)]
    busy_timeout_ms: u64,
    /// PBKDF2 iterations of the seeded password hashes [default: 10000, 1000 in debug builds].
    #[arg(long)]
    password_iterations: Option<u32>,
    /// Behave like openIMIS with MODE=PROD: /api/graphql limited to 150 requests per minute
    /// per client address (429 beyond), accounts locked after 5 failed logins.
    #[arg(long)]
    prod_mode: bool,
    /// Run mutations this many milliseconds after they arrive (openIMIS with ASYNC=True):
    /// their mutation log shows status 0 until then.
    #[arg(long)]
    mutation_delay_ms: Option<u64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` chains the causes on one line.
            eprintln!("loadspec-demo: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    if !args.host.is_loopback() {
        bail!(
            "refusing to listen on {}: only loopback addresses are allowed",
            args.host
        );
    }
    let defaults = DemoConfig::default();
    let config = DemoConfig {
        seed: args.seed,
        insurees: args.insurees,
        claims: args.claims,
        users: args.users,
        password_iterations: args
            .password_iterations
            .unwrap_or(defaults.password_iterations),
        pool_size: args.pool_size,
        request_timeout: Duration::from_millis(args.request_timeout_ms),
        busy_timeout: Duration::from_millis(args.busy_timeout_ms),
        bind: SocketAddr::new(args.host, args.port),
        mutation_delay: args.mutation_delay_ms.map(Duration::from_millis),
        ..defaults
    };
    let config = if args.prod_mode {
        config.prod_mode()
    } else {
        config
    };
    let server = loadspec_demo::serve(config)
        .await
        .context("starting the demo target")?;
    let stats = server.stats();
    let url = server.base_url();
    println!("loadspec-demo listening on {url}");
    println!(
        "seeded {} rows in {:.2} s: {} insurees in {} families, {} policies, {} claims \
         ({} item and {} service lines), {} users",
        stats.total_rows(),
        stats.duration.as_secs_f64(),
        stats.insurees,
        stats.families,
        stats.policies,
        stats.claims,
        stats.claim_items,
        stats.claim_services,
        stats.users,
    );
    println!(
        "openIMIS API: POST {url}/api/graphql (tokenAuth with a csrftoken cookie + X-CSRFToken \
         header, then Authorization: Bearer <token>); log in as Admin/admin123 or \
         userN/passwordN (N < {}); PBKDF2 iterations: {}",
        args.users,
        args.password_iterations
            .unwrap_or(DemoConfig::default().password_iterations)
    );
    for (method, path) in [
        ("GET ", "/api/admin/login/"),
        ("GET ", "/api/core/users/current_user/"),
        ("GET ", "/health"),
        ("GET ", "/metrics"),
    ] {
        println!("  {method} {url}{path}");
    }
    println!(
        "  plus the REST routes of loadspec's own tests (/api/auth/login, /api/insurees, ...)"
    );
    let info = server.info().clone();
    let samples = tokio::task::spawn_blocking(move || info.sample_insurees(1))
        .await
        .context("reading a sample insuree")?
        .context("reading a sample insuree")?;
    if let Some(sample) = samples.first() {
        println!(
            "e.g. insuree {} ({} {}), family {}",
            sample.chf_id, sample.other_names, sample.last_name, sample.family_id
        );
    }
    println!("Ctrl-C to stop");
    stop_signal().await.context("waiting for Ctrl-C")?;
    // Graceful: in-flight requests finish, and the temporary database is removed.
    server.shutdown().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix (so `kill` also cleans up the temporary database).
async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
