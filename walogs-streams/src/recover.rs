//! Opening a store: the marker check, and the one scan of the whole log that rebuilds the
//! in-memory state; and the read-only `refresh`, which scans what was appended since.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex, RwLock};

use walogs_core::{Lsn, ProcessOwner, SharedWal, WalCursor};

use crate::cleaner::Cleaner;
use crate::codec;
use crate::state::State;
use crate::store::{MARKER, Shared};
use crate::{StreamsError, StreamsOptions};

/// Open (or create) the store in `dir`.
pub(crate) fn open(opts: &StreamsOptions, dir: &Path) -> Result<Arc<Shared>, StreamsError> {
    if opts.cleanup_interval.is_some_and(|d| d.is_zero()) {
        return Err(StreamsError::InvalidArgument {
            reason: "cleanup_interval must be greater than zero".into(),
        });
    }
    if opts.segment_duration.is_some_and(|d| d.as_millis() == 0) {
        return Err(StreamsError::InvalidArgument {
            reason: "segment_duration must be at least one millisecond".into(),
        });
    }
    let wal = Shared::wal_options(opts).open_shared(dir)?;
    check_marker(&wal, opts.read_only)?;
    let state = scan_all(&wal, opts)?;
    let shared = Arc::new(Shared {
        dir: wal.dir().to_path_buf(),
        opts: opts.clone(),
        wal: RwLock::new(Arc::new(wal)),
        state: Mutex::new(state),
        cv: Condvar::new(),
        closed: AtomicBool::new(false),
        cleaner: Mutex::new(None),
        owner: ProcessOwner::current(),
    });
    if let (Some(every), false) = (opts.cleanup_interval, opts.read_only) {
        let c = Cleaner::start(&shared, every)?;
        *shared.cleaner.lock().unwrap_or_else(|p| p.into_inner()) = Some(c);
    }
    Ok(shared)
}

/// A store holds the marker; a log that never held an entry and has no user data becomes
/// one (a writable open writes the marker, durably).
fn check_marker(wal: &SharedWal, read_only: bool) -> Result<(), StreamsError> {
    let ud = wal.user_data()?;
    if ud == MARKER {
        return Ok(());
    }
    let not_a_store = |reason: &str| StreamsError::NotAStore {
        path: wal.dir().to_path_buf(),
        reason: reason.to_string(),
    };
    if !ud.is_empty() {
        return Err(not_a_store("its user data is not the streams marker"));
    }
    if wal.next_lsn() != Lsn(1) {
        return Err(not_a_store("the log holds entries but no streams marker"));
    }
    if !read_only {
        wal.set_user_data(MARKER)?;
    }
    Ok(())
}

/// Rebuild the state from every entry of the log.
fn scan_all(wal: &SharedWal, opts: &StreamsOptions) -> Result<State, StreamsError> {
    let mut st = State {
        window_ms: opts.segment_duration.map(|d| d.as_millis() as u64),
        next_topic_id: 1,
        ..State::default()
    };
    scan(&mut st, wal.cursor()?)?;
    st.finish()?;
    st.scanned_to = wal.next_lsn().0;
    st.visible_log = wal.next_lsn().0 - 1;
    Ok(st)
}

/// Apply every entry `cursor` yields.
fn scan(st: &mut State, mut cursor: WalCursor) -> Result<(), StreamsError> {
    while let Some(r) = cursor.next_entry() {
        let (lsn, bytes) = r?;
        let entry = codec::decode(bytes).map_err(|reason| StreamsError::Format {
            log_lsn: lsn.0,
            reason,
        })?;
        st.apply(lsn.0, &entry)?;
    }
    Ok(())
}

/// Reopen a read-only store's log and index what was appended since the last scan (all of
/// it again when the writer purged past that point).
pub(crate) fn refresh(sh: &Shared) -> Result<(), StreamsError> {
    sh.ensure_open()?;
    if !sh.opts.read_only {
        return Ok(());
    }
    let wal = Shared::wal_options(&sh.opts).open_shared(&sh.dir)?;
    check_marker(&wal, true)?;
    let mut st = sh.lock();
    sh.ensure_open()?;
    let from = st.scanned_to;
    if wal.first_lsn().0 <= from && from <= wal.next_lsn().0 {
        scan(&mut st, wal.cursor_from(Lsn(from))?)?;
        st.finish()?;
    } else {
        let fresh = scan_all(&wal, &sh.opts)?;
        *st = fresh;
    }
    st.scanned_to = wal.next_lsn().0;
    let last = wal.next_lsn().0 - 1;
    sh.publish(&mut st, last);
    *sh.wal.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(wal);
    Ok(())
}
