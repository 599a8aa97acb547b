//! openraft itself over walogs stores, beyond the storage suite: a 3-node cluster whose
//! leader builds a snapshot and purges its log, a follower that was down meanwhile brought
//! back from its directory by `install_snapshot` (its store purged past its end), then
//! restarted from its directory again, and the leader restarted from its purged log.
//!
//! The state machines are in memory but survive a node's restart (the test keeps each
//! node's `MemStateMachine`, as a durable state machine would keep its applied state and
//! snapshot); the log store is reopened from its directory every time.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openraft::error::{InstallSnapshotError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{BasicNode, Config, Raft, RaftNetwork, RaftNetworkFactory, SnapshotPolicy};
use support::{Store, TestConfig, TestSm};

type Rpc<E = openraft::error::Infallible> = RPCError<u64, BasicNode, RaftError<u64, E>>;

/// The nodes that are up, by id: calls go straight into their `Raft`.
#[derive(Clone, Default)]
struct Router(Arc<Mutex<BTreeMap<u64, Raft<TestConfig>>>>);

struct Conn {
    router: Router,
    target: u64,
}

impl Conn {
    fn raft(&self) -> Option<Raft<TestConfig>> {
        self.router.0.lock().unwrap().get(&self.target).cloned()
    }
    fn down<E: std::error::Error>(&self) -> Rpc<E> {
        let down = std::io::Error::other(format!("node {} is down", self.target));
        RPCError::Unreachable(Unreachable::new(&down))
    }
    fn remote<E: std::error::Error>(&self, e: RaftError<u64, E>) -> Rpc<E> {
        RPCError::RemoteError(RemoteError::new(self.target, e))
    }
}

impl RaftNetworkFactory<TestConfig> for Router {
    type Network = Conn;
    async fn new_client(&mut self, target: u64, _node: &BasicNode) -> Conn {
        Conn {
            router: self.clone(),
            target,
        }
    }
}

impl RaftNetwork<TestConfig> for Conn {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TestConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, Rpc> {
        let Some(raft) = self.raft() else {
            return Err(self.down());
        };
        raft.append_entries(rpc).await.map_err(|e| self.remote(e))
    }
    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TestConfig>,
        _option: RPCOption,
    ) -> Result<InstallSnapshotResponse<u64>, Rpc<InstallSnapshotError>> {
        let Some(raft) = self.raft() else {
            return Err(self.down());
        };
        raft.install_snapshot(rpc).await.map_err(|e| self.remote(e))
    }
    async fn vote(
        &mut self,
        rpc: VoteRequest<u64>,
        _option: RPCOption,
    ) -> Result<VoteResponse<u64>, Rpc> {
        let Some(raft) = self.raft() else {
            return Err(self.down());
        };
        raft.vote(rpc).await.map_err(|e| self.remote(e))
    }
}

const WAIT: Option<Duration> = Some(Duration::from_secs(30));

async fn start(id: u64, base: &Path, router: &Router, sm: &TestSm) -> Raft<TestConfig> {
    let config = Config {
        heartbeat_interval: 50,
        election_timeout_min: 300,
        election_timeout_max: 600,
        // Snapshots only when the test asks; a purge removes everything the snapshot holds.
        snapshot_policy: SnapshotPolicy::Never,
        max_in_snapshot_log_to_keep: 0,
        purge_batch_size: 1,
        ..Default::default()
    };
    let store = Store::open(base.join(format!("node-{id}"))).expect("open the store");
    let raft = Raft::new(
        id,
        Arc::new(config.validate().unwrap()),
        router.clone(),
        store,
        sm.clone(),
    )
    .await
    .expect("start raft");
    router.0.lock().unwrap().insert(id, raft.clone());
    raft
}

async fn stop(id: u64, router: &Router) {
    let raft = router
        .0
        .lock()
        .unwrap()
        .remove(&id)
        .expect("the node is up");
    raft.shutdown().await.expect("shut down");
}

async fn write(raft: &Raft<TestConfig>, n: usize) -> u64 {
    let mut last = 0;
    for i in 0..n {
        last = raft
            .client_write(vec![i as u8; 16])
            .await
            .expect("a write")
            .log_id
            .index;
    }
    last
}

async fn applied(raft: &Raft<TestConfig>, index: u64) {
    raft.wait(WAIT)
        .applied_index_at_least(Some(index), "applied")
        .await
        .expect("applies");
}

/// Reopen a stopped node's store and check it: the floor, and entries floor+1..=last.
fn check_dir(base: &Path, id: u64, floor: Option<u64>, last_at_least: u64) -> u64 {
    let s = Store::open(base.join(format!("node-{id}"))).expect("reopen");
    let st = s.log_state();
    assert_eq!(
        st.last_purged_log_id.map(|l| l.index),
        floor,
        "node {id}: purge floor"
    );
    let last = st.last_log_id.expect("a last log id").index;
    assert!(
        last >= last_at_least,
        "node {id}: last {last} < {last_at_least}"
    );
    let idx: Vec<u64> = s
        .entries(..)
        .unwrap()
        .iter()
        .map(|e| e.log_id.index)
        .collect();
    let first = floor.map_or(0, |f| f + 1);
    assert_eq!(idx, (first..=last).collect::<Vec<_>>(), "node {id}: dense");
    assert!(s.stored_state().vote.is_some(), "node {id}: a vote");
    assert!(s.stored_state().committed.is_some(), "node {id}: committed");
    last
}

#[test]
fn a_follower_catches_up_by_snapshot_and_restarts_from_its_directory() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path();
        let router = Router::default();
        let sms: BTreeMap<u64, TestSm> = (1..=3).map(|id| (id, TestSm::default())).collect();
        let mut rafts = BTreeMap::new();
        for id in 1..=3 {
            rafts.insert(id, start(id, base, &router, &sms[&id]).await);
        }
        let members: BTreeMap<u64, BasicNode> =
            (1..=3).map(|id| (id, BasicNode::default())).collect();
        rafts[&1].initialize(members).await.unwrap();
        let m = rafts[&1]
            .wait(WAIT)
            .metrics(|m| m.current_leader.is_some(), "a leader")
            .await
            .unwrap();
        let leader = m.current_leader.unwrap();
        let follower = (1..=3).find(|&id| id != leader).unwrap();

        let last = write(&rafts[&leader], 20).await;
        for r in rafts.values() {
            applied(r, last).await;
        }

        // The follower goes down; the leader writes on, snapshots and purges its log.
        stop(follower, &router).await;
        rafts.remove(&follower);
        let last = write(&rafts[&leader], 50).await;
        rafts[&leader].trigger().snapshot().await.unwrap();
        let snap = rafts[&leader]
            .wait(WAIT)
            .metrics(|m| m.snapshot.is_some_and(|s| s.index >= last), "snapshot")
            .await
            .unwrap()
            .snapshot
            .unwrap();
        rafts[&leader]
            .trigger()
            .purge_log(snap.index)
            .await
            .unwrap();
        rafts[&leader]
            .wait(WAIT)
            .metrics(
                |m| m.purged.is_some_and(|p| p.index >= snap.index),
                "purged",
            )
            .await
            .unwrap();

        // Back from its directory: its log ends far below the leader's floor, so the leader
        // sends its snapshot and the follower's store purges past its end.
        let r = start(follower, base, &router, &sms[&follower]).await;
        applied(&r, last).await;
        r.wait(WAIT)
            .metrics(
                |m| m.purged.is_some_and(|p| p.index >= snap.index),
                "the follower purged up to the snapshot",
            )
            .await
            .unwrap();
        rafts.insert(follower, r);
        let last = write(&rafts[&leader], 10).await;
        applied(&rafts[&follower], last).await;
        assert_eq!(sms[&follower].app().requests, 80);

        // Restart the follower from its directory once more: its log starts after the
        // snapshot and holds every later entry.
        stop(follower, &router).await;
        rafts.remove(&follower);
        check_dir(base, follower, Some(snap.index), last);
        let r = start(follower, base, &router, &sms[&follower]).await;
        rafts.insert(follower, r);
        let last = write(&rafts[&leader], 10).await;
        applied(&rafts[&follower], last).await;

        // The leader restarts from its purged log; the cluster goes on.
        stop(leader, &router).await;
        rafts.remove(&leader);
        check_dir(base, leader, Some(snap.index), last);
        let r = start(leader, base, &router, &sms[&leader]).await;
        rafts.insert(leader, r);
        let any = rafts.values().next().unwrap().clone();
        let m = any
            .wait(WAIT)
            .metrics(|m| m.current_leader.is_some(), "a leader again")
            .await
            .unwrap();
        let now = rafts[&m.current_leader.unwrap()].clone();
        let last = write(&now, 10).await;
        for r in rafts.values() {
            applied(r, last).await;
        }
        for (id, sm) in &sms {
            assert_eq!(sm.app().requests, 100, "node {id}");
        }
        for id in rafts.keys().copied().collect::<Vec<_>>() {
            stop(id, &router).await;
        }
    });
}
