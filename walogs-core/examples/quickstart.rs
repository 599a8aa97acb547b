//! The README's Rust quickstart, as a program that runs (`cargo run -p walogs-core --example
//! quickstart [DIR]`; scripts/test-rust.sh runs it). The README shows the body of `run`.

use std::path::Path;
use std::time::Duration;

use walogs_core::{Durability, Lsn, SharedWal, Wal, WalError, WalOptions};

fn main() -> Result<(), WalError> {
    let base = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("walogs-quickstart-{}", std::process::id()))
        });
    let _ = std::fs::remove_dir_all(&base);
    run(&base)?;
    std::fs::remove_dir_all(&base).map_err(WalError::Io)?;
    println!("quickstart: ok");
    Ok(())
}

fn run(base: &Path) -> Result<(), WalError> {
    let mut wal = Wal::open(&base.join("wal"))?; // creates the directory (mode 0700)
    let lsn = wal.append(b"set x = 1")?; // durable when Ok
    let batch = wal.append_batch(&[b"a".as_slice(), b"b"])?; // one write, one fdatasync, all-or-nothing
    for entry in wal.iter_from(lsn)? {
        let (lsn, data) = entry?;
        println!("{lsn}: {}", String::from_utf8_lossy(&data));
    }
    assert_eq!(wal.read_range(lsn, 10, 1 << 20)?.len(), 3); // bounded reads
    wal.truncate_after(batch.first)?; // drop the newest entries, even inside a batch
    wal.set_user_data(b"term=3 vote=2")?; // durable, next to the log
    wal.rotate()?;
    wal.purge_up_to(lsn)?; // entries <= lsn are gone for good
    assert_eq!(wal.first_lsn(), batch.first);
    wal.close()?;

    // Many threads: appends share fdatasyncs (group commit). Relaxed durability with a
    // background flusher, and a notification when an entry is durable.
    let shared: SharedWal = WalOptions::new()
        .durability(Durability::Interval(Duration::from_millis(5)))
        .open_shared(base.join("wal2"))?;
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| shared.append(b"x").unwrap());
        }
    });
    let last = Lsn(shared.next_lsn().0 - 1);
    shared.on_durable(last, |r| println!("entry durable: {r:?}"))?;
    shared.wait_durable(last, Some(Duration::from_secs(10)))?;
    shared.close()?;
    Ok(())
}
