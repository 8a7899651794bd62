//! HTTP integration suite: the real server, a real SQLite file, real HTTP.

mod helpers;

mod accounts;
mod authorization;
mod check_in;
mod input;
mod live;
mod live_limits;
mod races;
mod scale_out;
mod sign_in;
mod sign_out_live;
