//! A child process runs the store (appends without waiting for their flush, votes,
//! truncations, purges, committed log ids) and is SIGKILLed part way, several times over the
//! same directory. It reports to the parent, through its stdout pipe, every flush callback that
//! fired and every operation it started or finished. After each kill the parent reopens the
//! directory and checks: no hole in the log; the vote is never ahead of the log appended before
//! it; every entry whose flush callback fired is there byte for byte (unless a truncation or a
//! purge started later may have removed it); the purge floor, vote and committed log id are at
//! least what was acknowledged.
//!
//! The child is this test binary, run again with `WALOGS_OPENRAFT_CRASH_CHILD` set to the
//! directory: then [`crash_child_process`] runs the workload instead of returning at once.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use openraft::Vote;
use support::{Store, log_id, normal, payload_of};
use walogs_openraft::codec::encode_entry;
use walogs_testkit::Rng;

const CHILD_ENV: &str = "WALOGS_OPENRAFT_CRASH_CHILD";
const SEED_ENV: &str = "WALOGS_OPENRAFT_CRASH_SEED";
const NODE: u64 = 1;

/// Payload length of index `i` (1..=200 bytes).
fn len_of(i: u64) -> usize {
    (i * 13 % 200) as usize + 1
}

/// The workload, in the child. Lines starting with `@` go to the parent.
fn child_workload(dir: &Path, seed: u64) -> ! {
    let mut s = Store::open(dir).expect("child: open");
    let mut rng = Rng::new(seed);
    let mut term = s.stored_state().vote.map_or(0, |v| v.leader_id.term);
    let vote = |s: &mut Store, term: &mut u64| {
        *term += 1;
        let upto = s.next_index() as i64 - 1;
        println!("@VOTING {term} {upto}");
        s.save_vote_now(&Vote::new(*term, NODE))
            .expect("child: vote");
        println!("@VOTE {term}");
    };
    vote(&mut s, &mut term);
    loop {
        let floor = s.stored_state().purged.as_ref().map(|p| p.index);
        let first = floor.map_or(0, |f| f + 1);
        let next = s.next_index();
        // As Raft does: truncate only above the committed index, purge only up to it (or past
        // the end, as installing a snapshot does).
        let committed = s.stored_state().committed.as_ref().map(|c| c.index);
        let cuttable = committed.map_or(first, |c| (c + 1).max(first));
        match rng.below(100) {
            0..70 => {
                let n = 1 + rng.below(8);
                let t = term;
                let es = (next..next + n).map(|i| normal(t, i, len_of(i)));
                let last = next + n - 1;
                s.append_with(es, move |r| {
                    r.expect("child: flush");
                    println!("@ACK {next} {last} {t}");
                })
                .expect("child: append");
            }
            70..78 => vote(&mut s, &mut term),
            78..85 if next > cuttable + 1 => {
                vote(&mut s, &mut term);
                let at = cuttable + 1 + rng.below(next - cuttable - 1);
                println!("@TRUNCATING {at} {term}");
                s.truncate_from(&log_id(term, NODE, at))
                    .expect("child: truncate");
                println!("@TRUNC {at}");
            }
            85..90 if committed.is_some_and(|c| c >= first) => {
                let id = if rng.chance(1, 4) {
                    log_id(term, NODE, next + rng.below(4))
                } else {
                    let at = first + rng.below(committed.unwrap_or(0) - first + 1);
                    s.entries(at..=at).expect("child: read")[0].log_id
                };
                println!("@PURGING {}", id.index);
                s.purge_to(&id).expect("child: purge");
                println!("@PURGE {}", id.index);
            }
            90..100 => {
                if let Some(last) = s.log_state().last_log_id {
                    s.save_committed_now(Some(last)).expect("child: committed");
                    println!("@COMMIT {}", last.index);
                }
            }
            _ => {}
        }
    }
}

/// What the parent learned from the child's lines, over every round.
#[derive(Default)]
struct Model {
    /// Index → term of every entry whose flush callback fired (the latest term).
    acked: BTreeMap<u64, u64>,
    /// Truncations started: (first index removed, the vote term they ran under).
    truncations: Vec<(u64, u64)>,
    /// Vote term → the last index appended before it was saved (-1: none).
    voting: BTreeMap<u64, i64>,
    vote_acked: u64,
    purge_acked: Option<u64>,
    commit_acked: Option<u64>,
}

impl Model {
    fn learn(&mut self, line: &str) {
        let w: Vec<&str> = line.split_whitespace().collect();
        let n = |i: usize| w[i].parse::<i64>().expect("a number");
        match w[0] {
            "@ACK" => {
                for i in n(1)..=n(2) {
                    let t = self.acked.entry(i as u64).or_default();
                    *t = (*t).max(n(3) as u64);
                }
            }
            "@VOTING" => {
                self.voting.insert(n(1) as u64, n(2));
            }
            "@VOTE" => self.vote_acked = self.vote_acked.max(n(1) as u64),
            "@TRUNCATING" => self.truncations.push((n(1) as u64, n(2) as u64)),
            "@PURGE" => self.purge_acked = self.purge_acked.max(Some(n(1) as u64)),
            "@COMMIT" => self.commit_acked = self.commit_acked.max(Some(n(1) as u64)),
            _ => {}
        }
    }

    /// Whether a truncation started after entry (`index`, `term`) was appended may have cut it.
    fn may_be_cut(&self, index: u64, term: u64) -> bool {
        self.truncations
            .iter()
            .any(|&(at, t)| at <= index && t > term)
    }

    fn check(&self, dir: &Path, round: u64) {
        let s = Store::open(dir).expect("reopen after the kill");
        let st = s.stored_state().clone();
        let floor = st.purged.as_ref().map(|p| p.index);
        let entries = s.entries(..).expect("read every entry");
        let ctx = format!("round {round}");
        // No hole: indexes run densely from the floor to the last entry.
        let first = floor.map_or(0, |f| f + 1);
        for (k, e) in entries.iter().enumerate() {
            assert_eq!(e.log_id.index, first + k as u64, "{ctx}: a hole in the log");
        }
        let last = s.log_state().last_log_id.map(|l| l.index);
        if let Some(e) = entries.last() {
            assert_eq!(Some(e.log_id.index), last, "{ctx}");
        }
        // Acknowledged state is durable.
        assert!(
            floor >= self.purge_acked,
            "{ctx}: purge floor {floor:?} < acked {:?}",
            self.purge_acked
        );
        let vote = st.vote.expect("a vote was saved").leader_id.term;
        assert!(
            vote >= self.vote_acked,
            "{ctx}: vote {vote} < acked {}",
            self.vote_acked
        );
        let committed = st.committed.as_ref().map(|c| c.index);
        assert!(
            committed >= self.commit_acked,
            "{ctx}: committed {committed:?} < acked {:?}",
            self.commit_acked
        );
        // The vote is never ahead of the log appended before it.
        let upto = *self
            .voting
            .get(&vote)
            .expect("the recovered vote was being saved");
        let cut = self
            .truncations
            .iter()
            .filter(|&&(_, t)| t == vote)
            .map(|&(at, _)| at as i64 - 1)
            .min()
            .unwrap_or(i64::MAX);
        let last_or_floor = last.or(floor).map_or(-1, |l| l as i64);
        assert!(
            last_or_floor >= upto.min(cut),
            "{ctx}: vote {vote} is durable but the log ends at {last_or_floor}, before {upto}"
        );
        // Every acknowledged entry is there byte for byte.
        let mut checked = 0;
        for (&i, &t) in &self.acked {
            if floor.is_some_and(|f| i <= f) || self.may_be_cut(i, t) {
                continue;
            }
            let want = normal(t, i, len_of(i));
            let at = (i - first) as usize;
            let got = entries
                .get(at)
                .unwrap_or_else(|| panic!("{ctx}: acked entry {i} (term {t}) is missing"));
            assert_eq!(got, &want, "{ctx}: acked entry {i} differs");
            assert_eq!(
                s.wal().read(walogs_core::Lsn(i + 1)).unwrap(),
                encode_entry(&want).unwrap(),
                "{ctx}: the stored bytes of entry {i}"
            );
            assert!(
                matches!(&got.payload, openraft::EntryPayload::Normal(d) if *d == payload_of(t, i, len_of(i)))
            );
            checked += 1;
        }
        assert!(
            checked > 0 || self.acked.is_empty() || floor.is_some(),
            "{ctx}: nothing checked"
        );
    }
}

#[test]
fn acknowledged_state_survives_sigkill_at_any_point() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    let exe = std::env::current_exe().unwrap();
    let mut model = Model::default();
    for round in 0..6u64 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &dir)
            .env(SEED_ENV, (round * 7919 + 1).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the child");
        let mut lines = BufReader::new(child.stdout.take().unwrap());
        let kill_after = 25 + round * 37 % 90;
        let mut acks = 0;
        let mut buf = String::new();
        let mut seen = Vec::new();
        loop {
            buf.clear();
            if lines.read_line(&mut buf).unwrap() == 0 {
                break;
            }
            if buf.ends_with('\n') && buf.starts_with('@') {
                seen.push(buf.trim_end().to_string());
                if buf.starts_with("@ACK") {
                    acks += 1;
                    if acks == kill_after {
                        child.kill().expect("SIGKILL the child");
                    }
                }
            }
        }
        let status = child.wait().unwrap();
        if acks < kill_after {
            let mut err = String::new();
            use std::io::Read;
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!(
                "round {round}: the child ended on its own ({status}) after {acks} acks:\n{err}"
            );
        }
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGKILL), "round {round}");
        for l in &seen {
            model.learn(l);
        }
        model.check(&dir, round);
    }
    assert!(model.truncations.len() + model.purge_acked.iter().count() > 0);
}

/// The child's entry point: runs the workload when started by the test above (never returns
/// then), and returns at once otherwise.
#[test]
fn crash_child_process() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        let seed = std::env::var(SEED_ENV).unwrap().parse().unwrap();
        child_workload(Path::new(&dir), seed);
    }
}
