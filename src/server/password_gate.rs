//! Password hashing without exhausting the machine. argon2id takes ~19 MiB and a core for each
//! hash; a sign-in rush must not start hundreds at once. One thread per core hashes, a bounded
//! number of callers wait their turn, and past that the answer is an immediate "busy, try again
//! in a few seconds" (503 with `Retry-After`) instead of a growing pile.

use crate::error::{AppError, AppResult, ErrorKind};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

/// What a caller sees when the queue is full.
pub const BUSY_MESSAGE: &str = "The server is busy signing people in; try again in a few seconds.";
/// The `Retry-After` sent with [`BUSY_MESSAGE`], in seconds.
pub const BUSY_RETRY_AFTER_SECONDS: u64 = 3;
/// Waiting callers allowed per core.
const WAITING_PER_CORE: usize = 32;

pub struct HashGate {
    /// Running plus waiting: a caller who cannot get one of these is turned away.
    admitted: Arc<Semaphore>,
    /// Jobs for the hashing threads, taken in arrival order.
    jobs: std::sync::mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

impl HashGate {
    /// `threads` hashing threads and room for `waiting` more callers. The threads are the
    /// gate's own, not tokio's blocking pool: each thread that ever hashed keeps its ~19 MiB in
    /// its malloc arena, so a pool of hundreds of threads would keep hundreds of those.
    pub fn new(threads: usize, waiting: usize) -> HashGate {
        let threads = threads.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || loop {
                    let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match job {
                        // A job that panics loses its answer (the caller sees an internal
                        // error) but not the thread.
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        Err(_) => return, // the gate is gone
                    }
                })
                .expect("cannot start a password hashing thread");
        }
        HashGate {
            admitted: Arc::new(Semaphore::new(threads + waiting)),
            jobs,
        }
    }

    /// Runs `job` on a hashing thread when one is free; busy if too many are waiting.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| busy())?;
        let (done, result) = tokio::sync::oneshot::channel();
        // The permit travels with the job: if the caller goes away, the job still counts until
        // it has finished.
        let job: Job = Box::new(move || {
            let _ = done.send(job());
            drop(admitted);
        });
        self.jobs.send(job).map_err(|_| AppError::internal())?;
        result.await.map_err(|_| AppError::internal())
    }
}

fn busy() -> AppError {
    AppError::new(ErrorKind::Busy, BUSY_MESSAGE)
}

/// The process-wide gate: as many hashes at once as there are cores.
pub fn gate() -> &'static HashGate {
    static GATE: OnceLock<HashGate> = OnceLock::new();
    GATE.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        HashGate::new(cores, WAITING_PER_CORE * cores)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn past_the_queue_callers_are_turned_away_at_once() {
        let gate = Arc::new(HashGate::new(1, 1));
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let first = tokio::spawn({
            let gate = gate.clone();
            async move {
                gate.run(move || {
                    started_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                    1
                })
                .await
            }
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        // The second waits for the core…
        let second = tokio::spawn({
            let gate = gate.clone();
            async move { gate.run(|| 2).await }
        });
        while gate.admitted.available_permits() > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // … and the third finds the queue full.
        let refused = gate.run(|| 3).await.unwrap_err();
        assert_eq!(refused.kind, ErrorKind::Busy);
        assert_eq!(refused.kind.status_code(), 503);
        assert_eq!(refused.message, BUSY_MESSAGE);
        release_tx.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Ok(1));
        assert_eq!(second.await.unwrap(), Ok(2));
        assert_eq!(gate.run(|| 4).await, Ok(4));
    }
}
