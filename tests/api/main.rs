//! HTTP integration suite: the real server, a real SQLite file, real HTTP.

#[path = "../support/generators.rs"]
mod generators;
mod helpers;

mod authorization;
mod check_in;
mod crash_safety;
mod fuzz;
mod fuzz_live;
mod input;
mod live;
mod live_limits;
mod races;
mod scale_out;
mod sign_in;
