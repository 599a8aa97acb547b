//! Quick throughput comparison: 8 threads appending durable 128-byte records round-robin
//! over 64 topics of one store, against 8 threads appending 128-byte entries to one plain
//! `SharedWal`. Both use `Durability::EveryAppend` (every append durable when it returns).
//!
//! `cargo run --release -p walogs-streams --example throughput [dir] [appends-per-thread]`

use std::sync::Arc;
use std::time::Instant;

use walogs_core::SharedWal;
use walogs_streams::Streams;

const THREADS: usize = 8;
const TOPICS: usize = 64;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let base = args.get(1).map_or_else(std::env::temp_dir, Into::into);
    let per_thread: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let total = (THREADS * per_thread) as f64;
    let data = [7u8; 128];

    let dir = base.join(format!("walogs-streams-tp-{}", std::process::id()));
    let s = Arc::new(Streams::open(&dir)?);
    let t0 = Instant::now();
    std::thread::scope(|sc| {
        for t in 0..THREADS {
            let s = s.clone();
            sc.spawn(move || {
                for i in 0..per_thread {
                    let topic = format!("topic-{}", (t * per_thread + i) % TOPICS);
                    s.append(&topic, &data).expect("append");
                }
            });
        }
    });
    let streams = t0.elapsed().as_secs_f64();
    s.close()?;
    std::fs::remove_dir_all(&dir)?;

    let dir = base.join(format!("walogs-streams-tp-wal-{}", std::process::id()));
    let wal = Arc::new(SharedWal::open(&dir)?);
    let t0 = Instant::now();
    std::thread::scope(|sc| {
        for _ in 0..THREADS {
            let wal = wal.clone();
            sc.spawn(move || {
                for _ in 0..per_thread {
                    let _ = wal.append(&data).expect("append");
                }
            });
        }
    });
    let plain = t0.elapsed().as_secs_f64();
    wal.close()?;
    std::fs::remove_dir_all(&dir)?;

    println!(
        "streams: {THREADS} threads x {TOPICS} topics: {:.0} appends/s ({total} in {streams:.2} s)",
        total / streams
    );
    println!(
        "SharedWal: {THREADS} threads: {:.0} appends/s ({total} in {plain:.2} s)",
        total / plain
    );
    Ok(())
}
