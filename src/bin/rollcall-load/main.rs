//! rollcall-load: drives a running Rollcall server over real sockets and HTTP, like many real
//! clients, and prints one JSON line of figures per scenario. See docs/benchmarks.md.
//!
//!   rollcall-load seed     --students 10000 [--tokens load-tokens.txt]        (uses DATABASE_URL)
//!   rollcall-load hold     --url http://127.0.0.1:3000 --clients 10000 --seconds 600 [--pid P]
//!   rollcall-load fanout   --url … --watchers 1000 --idle 9000 --rate 20 --seconds 30
//!                          [--target bare|socketio] [--publish-url …: check in on another instance]
//!   rollcall-load checkins --url … --seconds 20 (--concurrency 64 | --rate 1000)
//!   rollcall-load outbox-sync --url … --devices 1000 [--pid P]
//!   rollcall-load push     --url … --devices 1000 --events 100
//!   rollcall-load storm    --url … --clients 10000 --server-bin target/release/rollcall
//!   rollcall-load login-rush --url … --students 1000 --seconds 60 --concurrency 64 [--pid P]
//!   rollcall-load school   --classes 100 --days 180                          (uses DATABASE_URL)
//!   rollcall-load reports  --students 2000 --classes 100 --weeks 18     (a fresh DATABASE_URL)
//!   rollcall-load compare  --lines fanout.jsonl    (the fan-out lines of a run, as ratios to bare)
//!   rollcall-load soak     --url … --seconds 3600 --warmup 300 --sockets 1000 --rate 20 [--pid P]

mod accounts;
mod args;
mod checkins;
mod client;
mod compare;
mod fanout;
mod hold;
mod login_rush;
mod outbox;
mod push;
mod reports;
mod school;
mod seed;
mod soak;
mod stats;
mod storm;
mod target;

use args::Args;

#[tokio::main]
async fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let scenario = argv.get(1).cloned().unwrap_or_default();
    let args = Args::parse(&argv[2.min(argv.len())..]);
    let result = match scenario.as_str() {
        "seed" => seed::seed(&args).await,
        "hold" => hold::hold(&args).await,
        "fanout" => fanout::fanout(&args).await,
        "checkins" => checkins::checkins(&args).await,
        "outbox-sync" => outbox::outbox_sync(&args).await,
        "push" => push::push(&args).await,
        "storm" => storm::storm(&args).await,
        "login-rush" => login_rush::login_rush(&args).await,
        "school" => school::school(&args).await,
        "reports" => reports::reports(&args).await,
        "soak" => soak::soak(&args).await,
        "compare" => compare::compare(&args),
        _ => {
            eprintln!("usage: rollcall-load seed|hold|fanout|checkins|outbox-sync|push|storm|login-rush|school|reports|soak|compare [--option value …] (see docs/benchmarks.md)");
            std::process::exit(2);
        }
    };
    println!("{result}");
}
