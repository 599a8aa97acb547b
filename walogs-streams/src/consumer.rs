//! Consumers: registration, delivery in LSN order, waiting for appends, and the position
//! kept in the store (durably before each delivery for `Strict`, every `persist_every`
//! records and on commit for `AtLeastOnce`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::append::check_name;
use crate::batch::Sink;
use crate::codec;
use crate::read::{self, FetchError, Pick};
use crate::state::Registered;
use crate::store::Shared;
use crate::{ConsumerMode, StreamsError};

/// How many times a delivery retries when retention purged its records between the lookup
/// and the read (each retry looks again and skips what was deleted).
const PURGE_RETRIES: usize = 8;

/// The state of one open consumer.
#[derive(Debug)]
pub(crate) struct Open {
    pub shared: Arc<Shared>,
    pub topic: String,
    pub id: u32,
    pub name: String,
    pub mode: ConsumerMode,
    /// The LSN delivered next.
    pub position: u64,
    /// The position persisted (or queued for persisting) in the store.
    pub committed: u64,
    pub skipped: u64,
    /// Records delivered since the last persist (at-least-once).
    pub since_persist: u64,
    /// The in-use mark was released.
    pub released: bool,
}

fn same_kind(a: ConsumerMode, b: ConsumerMode) -> bool {
    matches!(
        (a, b),
        (ConsumerMode::Strict, ConsumerMode::Strict)
            | (
                ConsumerMode::AtLeastOnce { .. },
                ConsumerMode::AtLeastOnce { .. }
            )
    )
}

/// Open (registering it at the topic's oldest record if new) consumer `name` of `topic`.
pub(crate) fn open(
    sh: &Arc<Shared>,
    topic: &str,
    name: &str,
    mode: ConsumerMode,
) -> Result<Open, StreamsError> {
    sh.ensure_writable()?;
    check_name("topic", topic)?;
    check_name("consumer", name)?;
    if mode == (ConsumerMode::AtLeastOnce { persist_every: 0 }) {
        return Err(StreamsError::InvalidArgument {
            reason: "persist_every must be at least 1".into(),
        });
    }
    let wal = sh.wal();
    let mut st = sh.lock();
    sh.ensure_open()?;
    let t = st.known(topic)?;
    let id = t.id;
    let first = t.first();
    let key = (id, name.to_string());
    if st.in_use.contains(&key) {
        return Err(StreamsError::ConsumerInUse {
            topic: topic.to_string(),
            consumer: name.to_string(),
        });
    }
    let open = |position: u64| Open {
        shared: sh.clone(),
        topic: topic.to_string(),
        id,
        name: name.to_string(),
        mode,
        position,
        committed: position,
        skipped: 0,
        since_persist: 0,
        released: false,
    };
    if let Some(reg) = st.consumers.get_mut(&key) {
        if !same_kind(reg.mode, mode) {
            return Err(StreamsError::ConsumerModeMismatch {
                topic: topic.to_string(),
                consumer: name.to_string(),
                existing: reg.mode,
                requested: mode,
            });
        }
        // A new persist_every is kept from the next persisted position on.
        reg.mode = mode;
        let position = reg.position;
        st.in_use.insert(key);
        return Ok(open(position));
    }
    let queued = wal.append_queued(&codec::encode_position(id, mode, first, name))?;
    st.consumers.insert(
        key.clone(),
        Registered {
            mode,
            position: first,
        },
    );
    st.in_use.insert(key.clone());
    drop(st);
    if let Err(e) = sh.settle_durably(&wal, queued) {
        sh.lock().in_use.remove(&key);
        return Err(e);
    }
    Ok(open(first))
}

impl Open {
    /// Deliver up to `max_records` records within `max_bytes` (at least one) into `out`,
    /// waiting up to `timeout` for the first; how many were delivered (0 on timeout).
    pub fn deliver(
        &mut self,
        max_records: usize,
        max_bytes: usize,
        timeout: Option<Duration>,
        out: &mut impl Sink,
    ) -> Result<usize, StreamsError> {
        let sh = self.shared.clone();
        sh.ensure_open()?;
        let deadline = timeout.and_then(|d| Instant::now().checked_add(d));
        let mut retries = 0;
        loop {
            let wal = sh.wal();
            let picks = match self.wait_for_records(max_records, max_bytes, timeout, deadline)? {
                Some(p) => p,
                None => return Ok(0),
            };
            let before = out.count();
            match read::fetch(&wal, self.id, &picks, out) {
                Ok(()) => {}
                Err(FetchError::Purged) if retries < PURGE_RETRIES => {
                    retries += 1;
                    continue;
                }
                Err(FetchError::Purged) => {
                    return Err(StreamsError::LsnOutOfRange {
                        topic: self.topic.clone(),
                        lsn: self.position,
                        first: self.position,
                        next: self.position,
                    });
                }
                Err(FetchError::Other(e)) => {
                    out.truncate(before);
                    return Err(e);
                }
            };
            let delivered = out.count() - before;
            let Some(last) = out.last_lsn().filter(|_| delivered > 0) else {
                continue;
            };
            let new_position = last + 1;
            // The position moves (and the records are handed out) only once any persist it
            // needs has succeeded.
            let persisted = match self.mode {
                ConsumerMode::Strict => self.persist(new_position).map(|()| true),
                ConsumerMode::AtLeastOnce { persist_every } => {
                    if self.since_persist + delivered as u64 >= u64::from(persist_every) {
                        self.persist(new_position).map(|()| true)
                    } else {
                        Ok(false)
                    }
                }
            };
            match persisted {
                Err(e) => {
                    out.truncate(before);
                    return Err(e);
                }
                Ok(false) => self.since_persist += delivered as u64,
                Ok(true) => {}
            }
            self.position = new_position;
            return Ok(delivered);
        }
    }

    /// Under the store mutex: skip what retention deleted, then pick the next visible
    /// records, waiting on the store's condition variable while there are none. `None` on
    /// timeout; `Wal(Closed)` when the store closes meanwhile.
    fn wait_for_records(
        &mut self,
        max_records: usize,
        max_bytes: usize,
        timeout: Option<Duration>,
        deadline: Option<Instant>,
    ) -> Result<Option<Vec<Pick>>, StreamsError> {
        let sh = self.shared.clone();
        let wal = sh.wal();
        let mut st = sh.lock();
        loop {
            sh.ensure_open()?;
            let visible = sh.visible(&st, &wal);
            let Some(t) = st.topics.get(&self.id) else {
                return Err(StreamsError::UnknownTopic {
                    topic: self.topic.clone(),
                });
            };
            if self.position < t.first() {
                self.skipped += t.first() - self.position;
                self.position = t.first();
            }
            if self.position < t.visible_end(visible) {
                return read::pick(t, visible, self.position, max_records, max_bytes).map(Some);
            }
            st.waiting += 1;
            st = match (timeout, deadline) {
                (None, _) | (Some(_), None) => sh.cv.wait(st).unwrap_or_else(|p| p.into_inner()),
                (Some(_), Some(d)) => {
                    let now = Instant::now();
                    if now >= d {
                        st.waiting -= 1;
                        return Ok(None);
                    }
                    sh.cv
                        .wait_timeout(st, d - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
            st.waiting -= 1;
        }
    }

    /// Persist `position` durably (one position entry; a shared fdatasync, plus a `sync`
    /// under the relaxed policies).
    pub fn persist(&mut self, position: u64) -> Result<(), StreamsError> {
        let sh = self.shared.clone();
        let wal = sh.wal();
        let queued = {
            let mut st = sh.lock();
            sh.ensure_open()?;
            let q = wal.append_queued(&codec::encode_position(
                self.id, self.mode, position, &self.name,
            ))?;
            st.consumers.insert(
                (self.id, self.name.clone()),
                Registered {
                    mode: self.mode,
                    position,
                },
            );
            q
        };
        sh.settle_durably(&wal, queued)?;
        self.committed = position;
        self.since_persist = 0;
        Ok(())
    }

    /// Persist the position if it moved (at-least-once); a no-op for a strict consumer.
    pub fn commit(&mut self) -> Result<(), StreamsError> {
        self.shared.ensure_open()?;
        if matches!(self.mode, ConsumerMode::AtLeastOnce { .. }) && self.position != self.committed
        {
            self.persist(self.position)?;
        }
        Ok(())
    }

    /// Release the in-use mark (once).
    pub fn release(&mut self) {
        // (In a forked child the mark is the parent's: the store mutex is not taken there.)
        if !self.released && !self.shared.forked() {
            self.released = true;
            self.shared
                .lock()
                .in_use
                .remove(&(self.id, self.name.clone()));
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.release();
    }
}
