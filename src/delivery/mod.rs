//! Delivery: hands each due message to the transport from a few worker
//! threads (one connection each), records every outcome in the [`ledger`],
//! retries transient failures with exponential backoff and jitter, paces
//! sending to the configured rate, and stops cleanly when the server stays
//! down.

pub mod ledger;
pub mod transport;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Condvar;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use lettre::Address;

use ledger::{Ledger, Status};
use transport::{ConnectError, Failure, Outgoing, Transport};

/// How a run sends.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Parallel connections (workers).
    pub connections: usize,
    /// Messages per second at most (0: no limit).
    pub max_per_second: f64,
    /// Messages per hour at most (0: no limit).
    pub max_per_hour: f64,
    /// Attempts per message in one run, and connection attempts per worker.
    pub max_attempts: u32,
    /// First retry delay; doubled for each further attempt.
    pub retry_base: Duration,
}

/// One message to deliver.
#[derive(Debug, Clone)]
pub struct Item {
    /// Index of the subscriber (for the message builder).
    pub subscriber: usize,
    /// Envelope sender (`MAIL FROM`): the bounce address, VERP-encoded.
    pub sender: Address,
    /// Envelope recipient.
    pub to: Address,
    /// Message-ID.
    pub message_id: String,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Accepted by the server.
    pub sent: u64,
    /// Refused for good (5xx), addresses suppressed.
    pub failed: u64,
    /// Not delivered in this run; a rerun tries again.
    pub left: u64,
    /// Retries made after transient failures.
    pub retries: u64,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
    /// Whether the stop was the server refusing the configuration (not a down server).
    pub refused: bool,
    /// Permanent failures: (address, reply), first ones.
    pub failures: Vec<(String, String)>,
}

/// Builds the formatted message of an item.
pub type Builder<'a> = dyn Fn(&Item) -> Result<Vec<u8>> + Sync + 'a;

/// A delivery run.
pub struct Run<'a> {
    /// The week (ledger key).
    pub week: String,
    /// Where messages go.
    pub transport: &'a Transport,
    /// Settings.
    pub settings: Settings,
    /// The ledger, or `None` for a test message.
    pub ledger: Option<&'a Mutex<Ledger>>,
    /// Message builder.
    pub build: &'a Builder<'a>,
    /// Called after each accepted message with the count so far.
    pub on_sent: &'a (dyn Fn(u64) + Sync),
}

/// Items waiting, by the time they may be tried.
struct Queue {
    state: Mutex<QueueState>,
    wake: Condvar,
}

struct QueueState {
    waiting: BinaryHeap<Reverse<(Instant, usize)>>,
    in_flight: usize,
    workers: usize,
    stopped: Option<(String, bool)>,
}

impl Queue {
    fn new(items: usize, workers: usize) -> Queue {
        let now = Instant::now();
        Queue {
            state: Mutex::new(QueueState {
                waiting: (0..items).map(|i| Reverse((now, i))).collect(),
                in_flight: 0,
                workers,
                stopped: None,
            }),
            wake: Condvar::new(),
        }
    }

    /// The next item that may be tried, waiting for it; `None` when all are
    /// done or the run stopped.
    fn next(&self) -> Option<usize> {
        let mut s = self.state.lock().expect("queue lock");
        loop {
            if s.stopped.is_some() {
                return None;
            }
            let now = Instant::now();
            match s.waiting.peek() {
                None if s.in_flight == 0 => return None,
                None => s = self.wake.wait(s).expect("queue lock"),
                Some(Reverse((at, _))) if *at <= now => {
                    let Reverse((_, i)) = s.waiting.pop().expect("peeked");
                    s.in_flight += 1;
                    return Some(i);
                }
                Some(Reverse((at, _))) => {
                    let wait = *at - now;
                    s = self.wake.wait_timeout(s, wait).expect("queue lock").0;
                }
            }
        }
    }

    /// An item is finished (whatever the outcome).
    fn done(&self) {
        let mut s = self.state.lock().expect("queue lock");
        s.in_flight -= 1;
        self.wake.notify_all();
    }

    /// An item goes back, to be tried at `at`.
    fn retry(&self, i: usize, at: Instant) {
        let mut s = self.state.lock().expect("queue lock");
        s.in_flight -= 1;
        s.waiting.push(Reverse((at, i)));
        self.wake.notify_all();
    }

    /// Stops the run: nothing more is handed out.
    fn stop(&self, why: String, refused: bool) {
        let mut s = self.state.lock().expect("queue lock");
        s.stopped.get_or_insert((why, refused));
        self.wake.notify_all();
    }

    /// A worker could not connect and gave up; the last one out stops the run.
    fn worker_gone(&self, why: String, refused: bool) {
        let mut s = self.state.lock().expect("queue lock");
        s.workers -= 1;
        if s.workers == 0 || refused {
            s.stopped.get_or_insert((why, refused));
        }
        self.wake.notify_all();
    }
}

/// Paces sends to at most one per interval, shared by all workers.
struct Pacer {
    interval: Option<Duration>,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    fn new(per_second: f64, per_hour: f64) -> Pacer {
        let mut gap = 0.0f64;
        if per_second > 0.0 {
            gap = gap.max(1.0 / per_second);
        }
        if per_hour > 0.0 {
            gap = gap.max(3600.0 / per_hour);
        }
        Pacer {
            interval: (gap > 0.0).then(|| Duration::from_secs_f64(gap)),
            next: Mutex::new(None),
        }
    }

    /// Waits for this send's slot.
    fn wait(&self) {
        let Some(gap) = self.interval else { return };
        let slot = {
            let mut next = self.next.lock().expect("pacer lock");
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + gap);
            slot
        };
        let now = Instant::now();
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }
}

/// Exponential backoff with jitter: base × 2^(n−1), times a random factor in [0.5, 1.5), at most 5 minutes.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let capped = exp.min(Duration::from_secs(300));
    capped.mul_f64(0.5 + fastrand::f64())
}

struct Tally {
    sent: AtomicU64,
    failed: AtomicU64,
    retries: AtomicU64,
    failures: Mutex<Vec<(String, String)>>,
}

/// Delivers `items`; returns what happened. Errors only for a ledger that
/// cannot be written or a message that cannot be built.
pub fn deliver(run: &Run<'_>, items: &[Item]) -> Result<Outcome> {
    let workers = run.settings.connections.clamp(1, items.len().max(1));
    let queue = Queue::new(items.len(), workers);
    let pacer = Pacer::new(run.settings.max_per_second, run.settings.max_per_hour);
    let attempts: Vec<AtomicU64> = items.iter().map(|_| AtomicU64::new(0)).collect();
    let tally = Tally {
        sent: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        retries: AtomicU64::new(0),
        failures: Mutex::new(Vec::new()),
    };
    let fatal: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                if let Err(e) = worker(run, items, &queue, &pacer, &attempts, &tally) {
                    queue.stop(format!("{e:#}"), false);
                    fatal.lock().expect("lock").get_or_insert(e);
                }
            });
        }
    });
    if let Some(e) = fatal.into_inner().expect("lock") {
        return Err(e);
    }
    let stopped = queue.state.into_inner().expect("queue lock").stopped;
    let (sent, failed) = (tally.sent.into_inner(), tally.failed.into_inner());
    Ok(Outcome {
        sent,
        failed,
        // Everything else: refused after every attempt, or not reached before a stop.
        left: items.len() as u64 - sent - failed,
        retries: tally.retries.into_inner(),
        refused: stopped.as_ref().is_some_and(|s| s.1),
        stopped: stopped.map(|s| s.0),
        failures: tally.failures.into_inner().expect("lock"),
    })
}

fn worker(
    run: &Run<'_>,
    items: &[Item],
    queue: &Queue,
    pacer: &Pacer,
    attempts: &[AtomicU64],
    tally: &Tally,
) -> Result<()> {
    let s = &run.settings;
    let mut channel = None;
    let mut connect_failures = 0u32;
    let record = |email: &str, status: Status, reply: &str| -> Result<()> {
        if let Some(l) = run.ledger {
            l.lock().expect("ledger lock").finish(&run.week, email, status, reply)?;
        }
        Ok(())
    };
    while let Some(i) = queue.next() {
        let item = &items[i];
        let ch = match &mut channel {
            Some(ch) => ch,
            None => match run.transport.open() {
                Ok(ch) => {
                    connect_failures = 0;
                    channel.insert(ch)
                }
                Err(e) => {
                    connect_failures += 1;
                    tracing::debug!(attempt = connect_failures, error = %e, "could not connect");
                    // The item goes back at once for a worker that is connected.
                    queue.retry(i, Instant::now());
                    let refused = matches!(e, ConnectError::Refused(_));
                    if refused || connect_failures >= s.max_attempts {
                        let why = if refused {
                            format!("the server refused the connection: {e}")
                        } else {
                            format!("could not connect after {connect_failures} attempts: {e}")
                        };
                        queue.worker_gone(why, refused);
                        return Ok(());
                    }
                    std::thread::sleep(backoff(s.retry_base, connect_failures));
                    continue;
                }
            },
        };
        let bytes = match (run.build)(item) {
            Ok(b) => b,
            Err(e) => {
                queue.done();
                return Err(e.context(format!("failed to build the message for {}", item.to)));
            }
        };
        pacer.wait();
        if let Some(l) = run.ledger {
            l.lock().expect("ledger lock").start_attempt(&run.week, item.to.as_ref())?;
        }
        let n = attempts[i].fetch_add(1, Ordering::Relaxed) + 1;
        let msg = Outgoing {
            from: &item.sender,
            to: &item.to,
            message_id: &item.message_id,
            bytes: &bytes,
        };
        match ch.send(&msg) {
            Ok(reply) => {
                tracing::debug!(to = %item.to, attempt = n, reply = %reply, "sent");
                record(item.to.as_ref(), Status::Sent, &reply)?;
                let sent = tally.sent.fetch_add(1, Ordering::Relaxed) + 1;
                (run.on_sent)(sent);
                queue.done();
            }
            Err(Failure::Permanent(reply)) => {
                tracing::warn!(to = %item.to, attempt = n, reply = %reply, "refused for good; address suppressed");
                record(item.to.as_ref(), Status::Failed, &reply)?;
                tally.failed.fetch_add(1, Ordering::Relaxed);
                tally.failures.lock().expect("lock").push((item.to.to_string(), reply));
                queue.done();
            }
            Err(Failure::Transient { reply, lost }) => {
                tracing::debug!(to = %item.to, attempt = n, reply = %reply, lost, "refused for now");
                record(item.to.as_ref(), Status::Deferred, &reply)?;
                if lost {
                    channel = None;
                }
                if n >= u64::from(s.max_attempts) {
                    queue.done();
                } else {
                    tally.retries.fetch_add(1, Ordering::Relaxed);
                    queue.retry(i, Instant::now() + backoff(s.retry_base, n as u32));
                }
            }
        }
    }
    if let Some(mut ch) = channel {
        ch.close();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4u32 {
            let nominal = 100.0 * f64::from(1u32 << (attempt - 1));
            let d = backoff(base, attempt).as_secs_f64() * 1000.0;
            assert!(d >= nominal * 0.5 && d < nominal * 1.5, "attempt {attempt}: {d} ms");
        }
        assert!(backoff(Duration::from_secs(10), 30) < Duration::from_secs(451));
    }

    #[test]
    fn the_pacer_spaces_sends() {
        let p = Pacer::new(200.0, 0.0);
        let t = Instant::now();
        for _ in 0..5 {
            p.wait();
        }
        // Four gaps of 5 ms after the first, immediate, slot.
        assert!(t.elapsed() >= Duration::from_millis(20), "{:?}", t.elapsed());
        assert!(Pacer::new(0.0, 0.0).interval.is_none());
        assert_eq!(Pacer::new(50.0, 360.0).interval, Some(Duration::from_secs(10)));
    }
}
