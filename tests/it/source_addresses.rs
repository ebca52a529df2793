//! Source addresses (`--source-addresses`): the users' connections come from the addresses
//! given, user `i` from the `i % n`th, as the server sees them; an address this machine does
//! not have fails the users' connects as `io` failures naming it, never blamed on the target;
//! a small step leaves the choice to the system.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::routing::get;
use loadspec::prelude::*;
use loadspec::{ErrorKind, Scenario};
use loadspec_runner::plan::{HttpClient, Overrides, SourceAddresses};
use loadspec_suite::{full_run, run_silently};

/// Requests per peer address, as the server saw them.
type Peers = Arc<Mutex<BTreeMap<IpAddr, u64>>>;

/// A server on 127.0.0.1 that counts its requests by the address they came from; stopped when
/// the test's runtime is dropped.
struct PeerCounter {
    base_url: String,
    peers: Peers,
    _runtime: tokio::runtime::Runtime,
}

impl PeerCounter {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let peers = Peers::default();
        let app = Router::new()
            .route(
                "/who",
                get(
                    |State(peers): State<Peers>, ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
                        *peers.lock().unwrap().entry(peer.ip()).or_default() += 1;
                        "seen"
                    },
                ),
            )
            .with_state(Arc::clone(&peers));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Self {
            base_url: format!("http://{addr}"),
            peers,
            _runtime: runtime,
        }
    }

    fn seen(&self) -> BTreeMap<IpAddr, u64> {
        self.peers.lock().unwrap().clone()
    }
}

fn ask(users: u32) -> Scenario {
    Scenario::builder("who")
        .threads([users])
        .iterations(3)
        .build(async |user: &mut User| {
            user.get("/who").label("who").send().await?;
            Ok(())
        })
}

fn from(addresses: &[[u8; 4]], client: HttpClient, target: &str) -> Overrides {
    Overrides {
        source_addresses: Some(SourceAddresses::List(
            addresses.iter().map(|&a| IpAddr::from(a)).collect(),
        )),
        http_client: Some(client),
        ..full_run(target)
    }
}

#[test]
fn each_user_connects_from_its_share_of_the_addresses() {
    let server = PeerCounter::start();
    let addresses = [[127, 0, 0, 2], [127, 0, 0, 3], [127, 0, 0, 4]];
    let results = run_silently(
        &[ask(6)],
        &from(&addresses, HttpClient::Direct, &server.base_url),
    )
    .unwrap();
    let total = &results.steps[0].scenarios[0].total_requests;
    assert_eq!((total.count, total.failures), (18, 0), "{:?}", total.errors);
    // Six users over three addresses: two users, so six requests, from each.
    let expected: BTreeMap<IpAddr, u64> = addresses.iter().map(|&a| (a.into(), 6)).collect();
    assert_eq!(server.seen(), expected);
    assert_eq!(
        results.plan.source_addresses.as_deref(),
        Some("127.0.0.2–127.0.0.4")
    );
}

#[test]
fn the_pooled_client_connects_from_the_addresses_too() {
    let server = PeerCounter::start();
    let addresses = [[127, 0, 0, 5], [127, 0, 0, 6]];
    let results = run_silently(
        &[ask(4)],
        &from(&addresses, HttpClient::Reqwest, &server.base_url),
    )
    .unwrap();
    let total = &results.steps[0].scenarios[0].total_requests;
    assert_eq!((total.count, total.failures), (12, 0), "{:?}", total.errors);
    let seen = server.seen();
    assert_eq!(seen.values().sum::<u64>(), 12);
    let allowed: Vec<IpAddr> = addresses.iter().map(|&a| a.into()).collect();
    assert!(
        seen.keys().all(|ip| allowed.contains(ip)),
        "reqwest's connections came from {seen:?}"
    );
}

#[test]
fn an_address_this_machine_lacks_fails_as_io_naming_it() {
    let server = PeerCounter::start();
    // TEST-NET-1 (RFC 5737): never an address of this machine.
    let results = run_silently(
        &[ask(2)],
        &from(&[[192, 0, 2, 1]], HttpClient::Direct, &server.base_url),
    )
    .unwrap();
    let total = &results.steps[0].scenarios[0].total_requests;
    assert_eq!((total.count, total.failures), (6, 6));
    let io = total
        .errors
        .iter()
        .find(|e| e.kind == ErrorKind::Io)
        .expect("io failures");
    assert_eq!(io.count, 6, "{:?}", total.errors);
    assert!(
        io.sample.contains("source address 192.0.2.1")
            && io.sample.contains("not an address of this machine"),
        "{}",
        io.sample
    );
    assert!(server.seen().is_empty(), "nothing reached the server");
}

#[test]
fn a_step_that_fits_one_address_leaves_the_choice_to_the_system() {
    let server = PeerCounter::start();
    let results = run_silently(&[ask(3)], &full_run(&server.base_url)).unwrap();
    assert_eq!(results.plan.source_addresses, None);
    assert_eq!(
        server.seen(),
        BTreeMap::from([(IpAddr::V4(Ipv4Addr::LOCALHOST), 9)])
    );
}
