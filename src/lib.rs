//! `radar`: the nightly sales opportunity radar.
//!
//! One run is one as-of date D. The stages of DESIGN.md section 3 are one
//! module each: [`ingest`] reads and checks the sources, [`snapshot`] cuts
//! them at D, [`features`] computes the per-account dimensions, [`score`]
//! trains and applies the calibrated models, [`signals`] turns scores into
//! actions for people, [`white_space`] ranks new regions and writes their
//! reports, and [`publish`] writes every table for D at once. [`run`] ties
//! them together; [`check`] is the quality gate between ingest and the
//! rest; [`cli`] is the command line.

pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod contract;
pub mod features;
pub mod fx;
pub mod generate;
pub mod ingest;
pub mod publish;
pub mod regions;
pub mod run;
pub mod score;
pub mod signals;
pub mod snapshot;
pub mod white_space;
