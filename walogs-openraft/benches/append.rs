//! Log-store append throughput through openraft's `RaftLogStorage` API: 256-byte entries in
//! batches of 1, 16 and 256, each batch appended with `blocking_append` (openraft's own helper:
//! `append`, then wait for the `LogFlushed` callback), for
//!
//! * `walogs`: [`WalogsLogStore`]; the callback fires after the flush worker's fdatasync;
//! * `in-memory`: a `BTreeMap` store in this file (openraft-memstore 0.9 implements only the
//!   v1 `RaftStorage` API, which openraft hides once `storage-v2` is enabled), whose callback
//!   fires at once: the ceiling, durable nothing;
//! * `sqlite`: a `rusqlite` store in this file, one transaction per batch, WAL journal with
//!   `synchronous=FULL` (every commit is fsync'd before the callback fires).
//!
//! A fourth row, `walogs pipelined`, appends batches with `WalogsLogStore::append_with` without
//! waiting for each callback (as openraft does: it keeps appending while earlier flushes are in
//! flight) and waits for the last one: the flush worker's fdatasyncs cover many batches.
//!
//! Run: `cargo bench -p walogs-openraft --bench append` (`WALOGS_BENCH_DIR` picks the
//! directory, default the target's temporary directory; `WALOGS_BENCH_SCALE` multiplies the
//! entry counts).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io::Cursor;
use std::ops::RangeBounds;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage, RaftLogStorageExt};
use openraft::{
    AnyError, CommittedLeaderId, Entry, EntryPayload, LogId, OptionalSend, RaftLogReader,
    StorageError, StorageIOError, Vote,
};
use walogs_openraft::WalogsLogStore;

openraft::declare_raft_types!(
    /// The benchmark's type config: requests are bytes.
    pub BenchConfig: D = Vec<u8>, R = (), SnapshotData = Cursor<Vec<u8>>
);

type E = Entry<BenchConfig>;
type SErr = StorageError<u64>;

const ENTRY_BYTES: usize = 256;

fn entry(index: u64) -> E {
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
        payload: EntryPayload::Normal(vec![(index % 251) as u8; ENTRY_BYTES]),
    }
}

// ---- in-memory store -----------------------------------------------------------------------

/// The smallest `RaftLogStorage`: a `BTreeMap` behind a mutex; flushed at once.
#[derive(Clone, Default)]
struct MemLog {
    inner: Arc<Mutex<MemInner>>,
}

#[derive(Default)]
struct MemInner {
    log: BTreeMap<u64, E>,
    vote: Option<Vote<u64>>,
    purged: Option<LogId<u64>>,
}

impl RaftLogReader<BenchConfig> for MemLog {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<E>, SErr> {
        let g = self.inner.lock().unwrap();
        Ok(g.log.range(range).map(|(_, e)| e.clone()).collect())
    }
}

impl RaftLogStorage<BenchConfig> for MemLog {
    type LogReader = Self;
    async fn get_log_state(&mut self) -> Result<LogState<BenchConfig>, SErr> {
        let g = self.inner.lock().unwrap();
        let last = g.log.values().next_back().map(|e| e.log_id).or(g.purged);
        Ok(LogState {
            last_purged_log_id: g.purged,
            last_log_id: last,
        })
    }
    async fn get_log_reader(&mut self) -> Self {
        self.clone()
    }
    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), SErr> {
        self.inner.lock().unwrap().vote = Some(*vote);
        Ok(())
    }
    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, SErr> {
        Ok(self.inner.lock().unwrap().vote)
    }
    async fn append<I>(&mut self, entries: I, callback: LogFlushed<BenchConfig>) -> Result<(), SErr>
    where
        I: IntoIterator<Item = E> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut g = self.inner.lock().unwrap();
        for e in entries {
            g.log.insert(e.log_id.index, e);
        }
        callback.log_io_completed(Ok(()));
        Ok(())
    }
    async fn truncate(&mut self, log_id: LogId<u64>) -> Result<(), SErr> {
        self.inner.lock().unwrap().log.split_off(&log_id.index);
        Ok(())
    }
    async fn purge(&mut self, log_id: LogId<u64>) -> Result<(), SErr> {
        let mut g = self.inner.lock().unwrap();
        g.log = g.log.split_off(&(log_id.index + 1));
        g.purged = Some(log_id);
        Ok(())
    }
}

// ---- sqlite store ---------------------------------------------------------------------------

/// A `RaftLogStorage` on sqlite: one row per entry (bincode of the entry), one transaction per
/// append; WAL journal, `synchronous=FULL`.
#[derive(Clone)]
struct SqliteLog {
    conn: Arc<Mutex<rusqlite::Connection>>,
}

fn sql_err(e: impl std::error::Error + 'static) -> SErr {
    StorageIOError::write_logs(AnyError::new(&e)).into()
}

impl SqliteLog {
    fn open(path: &Path) -> rusqlite::Result<SqliteLog> {
        let conn = rusqlite::Connection::open(path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        assert_eq!(mode, "wal");
        conn.execute_batch(
            "PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS log (idx INTEGER PRIMARY KEY, entry BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB NOT NULL);",
        )?;
        let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
        assert_eq!(sync, 2, "synchronous=FULL");
        Ok(SqliteLog {
            conn: Arc::new(Mutex::new(conn)),
        })
    }
}

impl RaftLogReader<BenchConfig> for SqliteLog {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<E>, SErr> {
        let c = self.conn.lock().unwrap();
        let mut st = c
            .prepare("SELECT idx, entry FROM log ORDER BY idx")
            .map_err(sql_err)?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .map_err(sql_err)?;
        let mut out = Vec::new();
        for row in rows {
            let (i, b) = row.map_err(sql_err)?;
            if range.contains(&(i as u64)) {
                out.push(bincode::deserialize(&b).map_err(sql_err)?);
            }
        }
        Ok(out)
    }
}

impl RaftLogStorage<BenchConfig> for SqliteLog {
    type LogReader = Self;
    async fn get_log_state(&mut self) -> Result<LogState<BenchConfig>, SErr> {
        let mut r = self.clone();
        let last = r.try_get_log_entries(..).await?.last().map(|e| e.log_id);
        Ok(LogState {
            last_purged_log_id: None,
            last_log_id: last,
        })
    }
    async fn get_log_reader(&mut self) -> Self {
        self.clone()
    }
    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), SErr> {
        let b = bincode::serialize(vote).map_err(sql_err)?;
        let c = self.conn.lock().unwrap();
        c.execute(
            "INSERT OR REPLACE INTO meta (k, v) VALUES ('vote', ?1)",
            [b],
        )
        .map_err(sql_err)?;
        Ok(())
    }
    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, SErr> {
        let c = self.conn.lock().unwrap();
        let b: Option<Vec<u8>> = c
            .query_row("SELECT v FROM meta WHERE k = 'vote'", [], |r| r.get(0))
            .ok();
        match b {
            Some(b) => Ok(Some(bincode::deserialize(&b).map_err(sql_err)?)),
            None => Ok(None),
        }
    }
    async fn append<I>(&mut self, entries: I, callback: LogFlushed<BenchConfig>) -> Result<(), SErr>
    where
        I: IntoIterator<Item = E> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut c = self.conn.lock().unwrap();
        let tx = c.transaction().map_err(sql_err)?;
        {
            let mut st = tx
                .prepare_cached("INSERT OR REPLACE INTO log (idx, entry) VALUES (?1, ?2)")
                .map_err(sql_err)?;
            for e in entries {
                let b = bincode::serialize(&e).map_err(sql_err)?;
                st.execute(rusqlite::params![e.log_id.index as i64, b])
                    .map_err(sql_err)?;
            }
        }
        tx.commit().map_err(sql_err)?;
        callback.log_io_completed(Ok(()));
        Ok(())
    }
    async fn truncate(&mut self, log_id: LogId<u64>) -> Result<(), SErr> {
        let c = self.conn.lock().unwrap();
        c.execute("DELETE FROM log WHERE idx >= ?1", [log_id.index as i64])
            .map_err(sql_err)?;
        Ok(())
    }
    async fn purge(&mut self, log_id: LogId<u64>) -> Result<(), SErr> {
        let c = self.conn.lock().unwrap();
        c.execute("DELETE FROM log WHERE idx <= ?1", [log_id.index as i64])
            .map_err(sql_err)?;
        Ok(())
    }
}

// ---- the run --------------------------------------------------------------------------------

/// Append `total` entries in batches of `batch` with `blocking_append`; entries per second.
async fn drive<S: RaftLogStorage<BenchConfig>>(store: &mut S, batch: u64, total: u64) -> f64 {
    let t = Instant::now();
    let mut next = 0;
    while next < total {
        let es: Vec<E> = (next..next + batch).map(entry).collect();
        store.blocking_append(es).await.expect("append");
        next += batch;
    }
    total as f64 / t.elapsed().as_secs_f64()
}

/// walogs with `append_with`, waiting only for the last callback.
fn drive_pipelined(store: &mut WalogsLogStore<BenchConfig>, batch: u64, total: u64) -> f64 {
    let t = Instant::now();
    let mut next = 0;
    let (tx, rx) = std::sync::mpsc::channel();
    while next < total {
        let es: Vec<E> = (next..next + batch).map(entry).collect();
        next += batch;
        let tx = tx.clone();
        let last = next >= total;
        store
            .append_with(es, move |r| {
                r.expect("flushed");
                if last {
                    let _ = tx.send(());
                }
            })
            .expect("append");
    }
    rx.recv().expect("the last callback");
    total as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this with no argument: then
    // a tiny run only checks that it works.
    let benching = std::env::args().any(|a| a == "--bench");
    let scale: f64 = std::env::var("WALOGS_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 1.0 } else { 0.01 });
    let base = std::env::var_os("WALOGS_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_TARGET_TMPDIR").into());
    std::fs::create_dir_all(&base).expect("the bench directory");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "{:<18} {:>6} {:>8} {:>12} {:>9}",
        "store", "batch", "entries", "entries/s", "x walogs"
    );
    for (batch, total) in [(1u64, 1000u64), (16, 16_000), (256, 64_000)] {
        let total = ((total as f64 * scale) as u64 / batch).max(2) * batch;
        let dir = tempfile::tempdir_in(&base).expect("a temporary directory");
        let mut w = WalogsLogStore::<BenchConfig>::open(dir.path().join("walogs")).unwrap();
        let walogs = rt.block_on(drive(&mut w, batch, total));
        drop(w);
        let mut w = WalogsLogStore::<BenchConfig>::open(dir.path().join("walogs-pipe")).unwrap();
        let pipelined = drive_pipelined(&mut w, batch, total);
        drop(w);
        let mem = rt.block_on(drive(&mut MemLog::default(), batch, total));
        let mut sq = SqliteLog::open(&dir.path().join("log.sqlite")).unwrap();
        let sqlite = rt.block_on(drive(&mut sq, batch, total));
        for (name, eps) in [
            ("walogs", walogs),
            ("walogs pipelined", pipelined),
            ("in-memory", mem),
            ("sqlite", sqlite),
        ] {
            println!(
                "{name:<18} {batch:>6} {total:>8} {eps:>12.0} {:>9.2}",
                eps / walogs
            );
        }
    }
}
