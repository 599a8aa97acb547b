//! A minimal in-memory openraft state machine for the tests and the example: it applies
//! entries to an application state `S`, records the last applied log id and membership, and
//! keeps its current snapshot (the bincode of all three) in memory. Nothing here is durable.

use std::io::Cursor;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard};

use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    Entry, EntryPayload, LogId, OptionalSend, RaftSnapshotBuilder, RaftTypeConfig, SnapshotMeta,
    StorageError, StorageIOError, StoredMembership,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The application's state: how a normal entry changes it.
pub trait AppState<C: RaftTypeConfig>:
    Default + Clone + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// Apply one request; its response.
    fn apply(&mut self, data: &C::D) -> C::R;
}

type Meta<C> = SnapshotMeta<<C as RaftTypeConfig>::NodeId, <C as RaftTypeConfig>::Node>;

struct Inner<C: RaftTypeConfig, S> {
    applied: Option<LogId<C::NodeId>>,
    membership: StoredMembership<C::NodeId, C::Node>,
    app: S,
    snapshot: Option<(Meta<C>, Vec<u8>)>,
    snapshots_built: u64,
}

/// The state machine; clones share one state (a clone is also its snapshot builder).
pub struct MemStateMachine<C: RaftTypeConfig, S> {
    inner: Arc<Mutex<Inner<C, S>>>,
    _c: PhantomData<fn() -> C>,
}

impl<C: RaftTypeConfig, S> Clone for MemStateMachine<C, S> {
    fn clone(&self) -> Self {
        MemStateMachine {
            inner: self.inner.clone(),
            _c: PhantomData,
        }
    }
}

impl<C: RaftTypeConfig, S: Default> Default for MemStateMachine<C, S> {
    fn default() -> Self {
        MemStateMachine {
            inner: Arc::new(Mutex::new(Inner {
                applied: None,
                membership: StoredMembership::default(),
                app: S::default(),
                snapshot: None,
                snapshots_built: 0,
            })),
            _c: PhantomData,
        }
    }
}

impl<C: RaftTypeConfig, S: Clone> MemStateMachine<C, S> {
    fn lock(&self) -> MutexGuard<'_, Inner<C, S>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of the application state.
    #[allow(dead_code)]
    pub fn app(&self) -> S {
        self.lock().app.clone()
    }
}

type Image<C, S> = (
    Option<LogId<<C as RaftTypeConfig>::NodeId>>,
    StoredMembership<<C as RaftTypeConfig>::NodeId, <C as RaftTypeConfig>::Node>,
    S,
);

impl<C, S> RaftSnapshotBuilder<C> for MemStateMachine<C, S>
where
    C: RaftTypeConfig<Entry = Entry<C>, SnapshotData = Cursor<Vec<u8>>>,
    S: AppState<C>,
{
    async fn build_snapshot(&mut self) -> Result<Snapshot<C>, StorageError<C::NodeId>> {
        let mut g = self.lock();
        let image: Image<C, S> = (g.applied.clone(), g.membership.clone(), g.app.clone());
        let bytes =
            bincode::serialize(&image).map_err(|e| StorageIOError::write_snapshot(None, &e))?;
        g.snapshots_built += 1;
        let meta = SnapshotMeta {
            last_log_id: g.applied.clone(),
            last_membership: g.membership.clone(),
            snapshot_id: format!("snapshot-{}", g.snapshots_built),
        };
        g.snapshot = Some((meta.clone(), bytes.clone()));
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(bytes)),
        })
    }
}

impl<C, S> RaftStateMachine<C> for MemStateMachine<C, S>
where
    C: RaftTypeConfig<Entry = Entry<C>, SnapshotData = Cursor<Vec<u8>>>,
    C::R: Default,
    S: AppState<C>,
{
    type SnapshotBuilder = Self;

    async fn applied_state(
        &mut self,
    ) -> Result<
        (
            Option<LogId<C::NodeId>>,
            StoredMembership<C::NodeId, C::Node>,
        ),
        StorageError<C::NodeId>,
    > {
        let g = self.lock();
        Ok((g.applied.clone(), g.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<C::R>, StorageError<C::NodeId>>
    where
        I: IntoIterator<Item = C::Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut g = self.lock();
        let mut out = Vec::new();
        for e in entries {
            g.applied = Some(e.log_id.clone());
            out.push(match e.payload {
                EntryPayload::Blank => C::R::default(),
                EntryPayload::Normal(d) => g.app.apply(&d),
                EntryPayload::Membership(m) => {
                    g.membership = StoredMembership::new(Some(e.log_id.clone()), m);
                    C::R::default()
                }
            });
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<C::NodeId>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &Meta<C>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<C::NodeId>> {
        let bytes = snapshot.into_inner();
        let (applied, membership, app): Image<C, S> = bincode::deserialize(&bytes)
            .map_err(|e| StorageIOError::read_snapshot(Some(meta.signature()), &e))?;
        let mut g = self.lock();
        g.applied = applied;
        g.membership = membership;
        g.app = app;
        g.snapshot = Some((meta.clone(), bytes));
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<C>>, StorageError<C::NodeId>> {
        let g = self.lock();
        Ok(g.snapshot.as_ref().map(|(meta, bytes)| Snapshot {
            meta: meta.clone(),
            snapshot: Box::new(Cursor::new(bytes.clone())),
        }))
    }
}
