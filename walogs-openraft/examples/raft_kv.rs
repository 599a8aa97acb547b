//! A three-node openraft key-value cluster in one process, each node's Raft log in its own
//! walogs directory (`WalogsLogStore`). The network is direct calls between the nodes' `Raft`
//! handles; the state machine is in memory (so the log is its only durable copy, and snapshots
//! are off).
//!
//! It elects a leader, replicates writes to every node, shuts the leader down, lets the other
//! two elect a new leader and take more writes, then restarts the old leader from its
//! directory: its log store reopens with its entries, openraft re-applies the committed ones
//! (the committed log id is durable in the store) and the node catches up. Every step is
//! checked; any failure exits non-zero.
//!
//! ```text
//! cargo run -p walogs-openraft --example raft_kv -- [--short] [--dir DIR]
//! ```
//! `--short` (or `RAFT_KV_SHORT=1`) writes 20 keys per phase instead of 200. Without `--dir`
//! the directories go to a temporary directory removed at exit.

#[path = "../tests/support/mem_sm.rs"]
mod mem_sm;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mem_sm::{AppState, MemStateMachine};
use openraft::error::{InstallSnapshotError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{BasicNode, Config, Raft, RaftNetwork, RaftNetworkFactory, SnapshotPolicy};
use serde::{Deserialize, Serialize};
use walogs_openraft::WalogsLogStore;

type NodeId = u64;

/// Set `key` to `value`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Put {
    key: String,
    value: String,
}

/// The value `key` had before.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Previous(Option<String>);

openraft::declare_raft_types!(
    /// The example's type config.
    pub KvConfig: D = Put, R = Previous, SnapshotData = Cursor<Vec<u8>>
);

/// The key-value state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Kv(BTreeMap<String, String>);

impl AppState<KvConfig> for Kv {
    fn apply(&mut self, p: &Put) -> Previous {
        Previous(self.0.insert(p.key.clone(), p.value.clone()))
    }
}

type Sm = MemStateMachine<KvConfig, Kv>;
type Store = WalogsLogStore<KvConfig>;
type Rpc<E = openraft::error::Infallible> = RPCError<NodeId, BasicNode, RaftError<NodeId, E>>;

/// The in-process network: who is up, by node id.
#[derive(Clone, Default)]
struct Router {
    nodes: Arc<Mutex<BTreeMap<NodeId, Raft<KvConfig>>>>,
}

impl Router {
    fn get(&self, id: NodeId) -> Option<Raft<KvConfig>> {
        self.nodes.lock().unwrap().get(&id).cloned()
    }
    fn add(&self, id: NodeId, raft: Raft<KvConfig>) {
        self.nodes.lock().unwrap().insert(id, raft);
    }
    fn remove(&self, id: NodeId) -> Option<Raft<KvConfig>> {
        self.nodes.lock().unwrap().remove(&id)
    }
}

/// A connection to one node: a direct call into its `Raft`, or "unreachable" when it is down.
struct Conn {
    router: Router,
    target: NodeId,
}

impl Conn {
    /// The error of a call to a node that is down.
    fn down<E: std::error::Error>(&self) -> Rpc<E> {
        let down = std::io::Error::new(
            std::io::ErrorKind::NotConnected,
            format!("node {} is down", self.target),
        );
        RPCError::Unreachable(Unreachable::new(&down))
    }
    fn remote<E: std::error::Error>(&self, e: RaftError<NodeId, E>) -> Rpc<E> {
        RPCError::RemoteError(RemoteError::new(self.target, e))
    }
}

impl RaftNetworkFactory<KvConfig> for Router {
    type Network = Conn;
    async fn new_client(&mut self, target: NodeId, _node: &BasicNode) -> Conn {
        Conn {
            router: self.clone(),
            target,
        }
    }
}

impl RaftNetwork<KvConfig> for Conn {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<KvConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, Rpc> {
        let Some(raft) = self.router.get(self.target) else {
            return Err(self.down());
        };
        raft.append_entries(rpc).await.map_err(|e| self.remote(e))
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<KvConfig>,
        _option: RPCOption,
    ) -> Result<InstallSnapshotResponse<NodeId>, Rpc<InstallSnapshotError>> {
        let Some(raft) = self.router.get(self.target) else {
            return Err(self.down());
        };
        raft.install_snapshot(rpc).await.map_err(|e| self.remote(e))
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        _option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, Rpc> {
        let Some(raft) = self.router.get(self.target) else {
            return Err(self.down());
        };
        raft.vote(rpc).await.map_err(|e| self.remote(e))
    }
}

/// A running node: its Raft handle and its state machine (shared with Raft).
struct Node {
    raft: Raft<KvConfig>,
    sm: Sm,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn fail(msg: impl Into<String>) -> Failure {
    msg.into().into()
}

async fn start(id: NodeId, base: &Path, router: &Router) -> Result<Node, Failure> {
    let config = Config {
        cluster_name: "walogs-raft-kv".into(),
        heartbeat_interval: 50,
        election_timeout_min: 200,
        election_timeout_max: 400,
        // The state machine is in memory: the log must stay whole to rebuild it.
        snapshot_policy: SnapshotPolicy::Never,
        ..Default::default()
    };
    let store = Store::open(base.join(format!("node-{id}")))?;
    let sm = Sm::default();
    let raft = Raft::new(
        id,
        Arc::new(config.validate()?),
        router.clone(),
        store,
        sm.clone(),
    )
    .await?;
    router.add(id, raft.clone());
    Ok(Node { raft, sm })
}

async fn leader_among(
    nodes: &BTreeMap<NodeId, Node>,
    not: Option<NodeId>,
) -> Result<NodeId, Failure> {
    let (_, any) = nodes.iter().next().ok_or_else(|| fail("no node is up"))?;
    let m = any
        .raft
        .wait(Some(Duration::from_secs(10)))
        .metrics(
            |m| m.current_leader.is_some() && m.current_leader != not,
            "a leader is elected",
        )
        .await?;
    m.current_leader.ok_or_else(|| fail("no leader"))
}

async fn write(leader: &Node, phase: &str, n: usize) -> Result<u64, Failure> {
    let mut last = 0;
    for i in 0..n {
        let r = leader
            .raft
            .client_write(Put {
                key: format!("{phase}-{i:04}"),
                value: format!("value {i} of {phase}"),
            })
            .await?;
        last = r.log_id.index;
    }
    Ok(last)
}

async fn all_applied(
    nodes: &BTreeMap<NodeId, Node>,
    index: u64,
    keys: usize,
) -> Result<(), Failure> {
    for (id, n) in nodes {
        n.raft
            .wait(Some(Duration::from_secs(10)))
            .applied_index_at_least(Some(index), format!("node {id} applies up to {index}"))
            .await?;
        let kv = n.sm.app();
        if kv.0.len() != keys {
            return Err(fail(format!(
                "node {id} holds {} keys, not {keys}",
                kv.0.len()
            )));
        }
    }
    Ok(())
}

async fn run(base: &Path, per_phase: usize) -> Result<(), Failure> {
    let t0 = Instant::now();
    let router = Router::default();
    let mut nodes = BTreeMap::new();
    for id in 1..=3 {
        nodes.insert(id, start(id, base, &router).await?);
    }
    let members: BTreeMap<NodeId, BasicNode> =
        (1..=3).map(|id| (id, BasicNode::default())).collect();
    nodes[&1].raft.initialize(members).await?;
    let leader = leader_among(&nodes, None).await?;
    println!("leader elected: node {leader}");

    let last = write(&nodes[&leader], "first", per_phase).await?;
    all_applied(&nodes, last, per_phase).await?;
    println!("{per_phase} writes replicated to all 3 nodes (last index {last})");

    // Kill the leader: shut it down and take it off the network.
    router.remove(leader);
    let old = nodes.remove(&leader).expect("the leader is a node");
    old.raft.shutdown().await?;
    drop(old);
    let new_leader = leader_among(&nodes, Some(leader)).await?;
    println!("node {leader} shut down; node {new_leader} leads the remaining two");
    let last = write(&nodes[&new_leader], "second", per_phase).await?;
    all_applied(&nodes, last, 2 * per_phase).await?;
    println!("{per_phase} more writes committed by 2 of 3 nodes (last index {last})");

    // Restart the old leader from its directory.
    let store = Store::open(base.join(format!("node-{leader}")))?;
    let state = store.log_state();
    let kept = state.last_log_id.map_or(0, |l| l.index);
    let committed = store.stored_state().committed.map(|c| c.index);
    drop(store);
    println!(
        "node {leader}'s log reopens with entries up to index {kept}, committed {committed:?}"
    );
    nodes.insert(leader, start(leader, base, &router).await?);
    all_applied(&nodes, last, 2 * per_phase).await?;
    let ids: BTreeSet<_> = nodes.keys().copied().collect();
    println!(
        "node {leader} restarted and caught up: nodes {ids:?} all hold {} keys",
        2 * per_phase
    );

    for n in nodes.values() {
        n.raft.shutdown().await?;
    }
    println!("ok in {:.2?}", t0.elapsed());
    Ok(())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut short = std::env::var_os("RAFT_KV_SHORT").is_some_and(|v| v != "0");
    let mut dir: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--short" => short = true,
            "--dir" => dir = args.next().map(PathBuf::from),
            other => {
                eprintln!("unknown argument {other}; usage: raft_kv [--short] [--dir DIR]");
                std::process::exit(2);
            }
        }
    }
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let base = dir.unwrap_or_else(|| tmp.path().to_path_buf());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let per_phase = if short { 20 } else { 200 };
    if let Err(e) = rt.block_on(run(&base, per_phase)) {
        eprintln!("raft_kv failed: {e}");
        std::process::exit(1);
    }
}
