//! Starting and stopping: on the caller's runtime and in the background.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

mod common;

use std::net::{Ipv4Addr, SocketAddr};

use loadspec_demo::{DemoConfig, DemoError, serve, start_in_background};

#[tokio::test]
async fn serve_runs_on_the_callers_runtime_and_shuts_down() {
    let server = serve(DemoConfig::small()).await.unwrap();
    let base = server.base_url();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert_eq!(server.stats().insurees, 500);
    assert!(server.seeding_time().as_nanos() > 0);
    let db = server.info().db_path().to_owned();
    assert!(db.exists());
    let response = common::client()
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    server.shutdown().await;
    assert!(
        common::client()
            .get(format!("{base}/health"))
            .send()
            .await
            .is_err(),
        "stopped"
    );
    // The temporary database goes away with the server.
    for _ in 0..50 {
        if !db.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!db.exists());
}

#[test]
fn background_demo_has_its_own_runtime_and_stops_on_drop() {
    let demo = start_in_background(DemoConfig::small()).unwrap();
    let base = demo.base_url();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = common::client()
            .get(format!("{base}/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    });
    let sample = demo.info().sample_insurees(3).unwrap();
    assert_eq!(sample.len(), 3);
    assert_eq!(
        demo.info().credentials(13),
        ("user3".to_owned(), "password3".to_owned())
    );
    drop(demo);
    runtime.block_on(async {
        assert!(
            common::client()
                .get(format!("{base}/health"))
                .send()
                .await
                .is_err(),
            "stopped on drop"
        );
    });
}

#[test]
fn only_loopback_binds_are_accepted() {
    let config = DemoConfig {
        bind: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        ..DemoConfig::small()
    };
    let err = start_in_background(config).unwrap_err();
    assert!(matches!(err, DemoError::NonLoopbackBind(_)), "{err}");
    let config = DemoConfig {
        pool_size: 0,
        ..DemoConfig::small()
    };
    assert!(matches!(
        start_in_background(config),
        Err(DemoError::InvalidConfig(_))
    ));
}

#[test]
fn data_dir_is_honoured() {
    let dir = common::temp_dir("data-dir");
    let demo = start_in_background(DemoConfig {
        data_dir: Some(dir.clone()),
        ..DemoConfig::small()
    })
    .unwrap();
    assert!(demo.info().db_path().starts_with(&dir));
    demo.stop();
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "temp dir removed"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
