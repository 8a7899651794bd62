//! HTTP integration suite: the real server, a real SQLite file, real HTTP.

#[path = "../support/generators.rs"]
mod generators;
mod helpers;

mod absence_warnings;
mod accounts;
mod admin_people;
mod authorization;
mod authorization_live;
mod check_in;
mod compression;
mod corrections;
mod crash_notify;
mod crash_outbox;
mod crash_safety;
mod cross_site;
mod excuses;
mod fuzz;
mod fuzz_live;
mod headers;
mod import;
mod input;
mod jobs;
mod live;
mod live_limits;
mod notifications;
mod outbox;
mod presence;
mod privacy;
mod races;
mod reports;
mod scale_out;
mod sign_in;
mod sign_in_throttle;
mod sign_out_live;
mod timetable;
mod upgrade;
