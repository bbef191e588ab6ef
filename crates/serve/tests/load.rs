//! A bounded load test: 2,000 `GET /v1/recommend` from 32 concurrent clients over loopback
//! while records are imported every 200 ms; every request must be answered 200. The
//! latency figures are printed (BENCHMARKS.md has the full 10,000-request run of
//! `examples/load.rs`); only a loose bound is asserted, as CI machines vary.

mod common;

#[path = "../examples/load.rs"]
mod load;

use std::time::Duration;

#[test]
fn thirty_two_clients_during_imports_get_no_error() {
    let s = common::TestServer::start_on_copy();
    let report = load::run(
        s.addr,
        &load::Load {
            clients: 32,
            requests: 2_000,
            import_every: Some(Duration::from_millis(100)),
            import_records: 2_000,
            token: common::TOKEN.to_string(),
            top: 10,
            method: None,
            warm_up: true,
        },
    );
    println!("{}", report.line());
    assert_eq!(report.errors, 0, "{:?}", report.first_error);
    assert!(report.imports >= 1, "no import ran during the load");
    assert!(report.ms(0.99) < 2_000.0, "{}", report.line());
}
