//! HTTP integration suite: the real server, a real SQLite file, real HTTP.

mod helpers;

mod authorization;
mod check_in;
mod cross_site;
mod headers;
mod input;
mod live;
mod live_limits;
mod privacy;
mod races;
mod scale_out;
mod sign_in;
mod sign_in_throttle;
