//! # zoorank-experiments
//!
//! The measurement programs behind BENCHMARKS.md and `docs/benchmarks/` (`examples/`, run
//! with `cargo run --release -p zoorank-experiments --example NAME`) and what they share:
//! the shipped image zoo ([`common`]) and the leave-one-target-out evaluations of two-phase
//! selection ([`select_bench`]). Experiments reach into the pipeline's public API only; no
//! library crate depends on this one.
#![warn(missing_docs)]

pub mod common;
pub mod select_bench;
