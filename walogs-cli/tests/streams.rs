//! The walogs-streams commands, run as the built binary: `stream-append` (arguments as one
//! atomic batch, stdin lines one by one), `tail` (from the start, `--from`, `--since-ms`,
//! `--hex`, `--headers`, `--json`, `-f` beside a writer in another process), `cleanup`
//! (time and size retention), `info` on a store (topics and consumers), and bad input
//! (unknown topic, bad LSN, empty topic name, not a store, no log at all).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use walogs_core::WalOptions;
use walogs_streams::{ConsumerMode, NewRecord, Streams, StreamsOptions};

/// How long a follower may take to print a line before the test gives up (generous: the
/// tests never assert a timing, this only keeps a broken build from hanging).
const PATIENCE: Duration = Duration::from_secs(60);

/// Lines of stdout of a running `walogs`, read by a thread (so a wait can give up).
struct Lines(mpsc::Receiver<String>);

impl Lines {
    fn of(child: &mut Child) -> Lines {
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Lines(rx)
    }

    fn next(&self) -> String {
        self.0
            .recv_timeout(PATIENCE)
            .expect("the follower printed no line")
    }
}

/// Close `store` (under the fork guard: it holds the directory lock).
fn close_store(store: Streams) {
    guarded(|| store.close().unwrap());
}

/// A store in `dir` with topic `t` holding records `a`, `b`, `c` stamped 1000, 2000, 3000
/// with headers `h1`, `h2`, `h3`.
fn three_records(dir: &Path) {
    let s = Streams::open(dir).unwrap();
    for (i, data) in ["a", "b", "c"].iter().enumerate() {
        let header = format!("h{}", i + 1);
        s.append_record(
            "t",
            NewRecord {
                data: data.as_bytes(),
                header: header.as_bytes(),
                timestamp_ms: Some(1000 * (i as u64 + 1)),
            },
        )
        .unwrap();
    }
    close_store(s);
}

/// The LSN and data columns of `tail` text output.
fn lsn_data(stdout: &str) -> Vec<(u64, String)> {
    stdout
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[0].parse().unwrap(), cols.last().unwrap().to_string())
        })
        .collect()
}

#[test]
fn stream_append_acknowledges_batches_and_lines_and_tail_prints_them_in_order() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let a = walogs(&["stream-append", p(&store), "orders", "one", "two", "three"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(a.stdout, "1\n2\n3\n");
    assert!(
        a.stderr
            .contains("appended 3 records (LSN 1..=3) to topic orders"),
        "{}",
        a.stderr
    );
    let l = walogs_stdin(&["stream-append", p(&store), "orders"], b"four\r\nfive\n");
    assert_eq!((l.code, l.stdout.as_str()), (0, "4\n5\n"), "{}", l.stderr);
    let other = walogs(&["--json", "stream-append", p(&store), "audit", "x"]);
    assert_eq!(other.code, 0, "{}", other.stderr);
    assert_eq!(
        other.json_lines()[0]["lsn"],
        1,
        "each topic has its own LSNs"
    );

    let t = walogs(&["tail", p(&store), "--topic", "orders"]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    let want: Vec<(u64, String)> = ["one", "two", "three", "four", "five"]
        .iter()
        .enumerate()
        .map(|(i, s)| (i as u64 + 1, s.to_string()))
        .collect();
    assert_eq!(lsn_data(&t.stdout), want);
    let from = walogs(&["tail", p(&store), "--topic", "orders", "--from", "4"]);
    assert_eq!(lsn_data(&from.stdout), want[3..].to_vec());
    let at_end = walogs(&["tail", p(&store), "--topic", "orders", "--from", "6"]);
    assert_eq!((at_end.code, at_end.stdout.as_str()), (0, ""));

    // What the command wrote is what the library reads.
    let s = StreamsOptions::new().read_only(true).open(&store).unwrap();
    assert_eq!(s.read("orders", 3).unwrap().data, b"three");
    assert_eq!(s.read("audit", 1).unwrap().data, b"x");
    s.close().unwrap();
}

#[test]
fn headers_timestamps_hex_and_json() {
    let d = tempfile::tempdir().unwrap();
    let a = walogs(&[
        "stream-append",
        p(d.path()),
        "t",
        "--header",
        "k=v",
        "--timestamp-ms",
        "1700000000123",
        "tab\there",
    ]);
    assert_eq!((a.code, a.stdout.as_str()), (0, "1\n"), "{}", a.stderr);
    let t = walogs(&["tail", p(d.path()), "--topic", "t", "--headers"]);
    assert_eq!(t.stdout, "1\t1700000000123\tk=v\ttab\\there\n");
    let h = walogs(&["tail", p(d.path()), "--topic", "t", "--headers", "--hex"]);
    assert_eq!(h.stdout, "1\t1700000000123\t6b3d76\t7461620968657265\n");
    let j = walogs(&["--json", "tail", p(d.path()), "--topic", "t", "--headers"]);
    let v = &j.json_lines()[0];
    assert_eq!(v["lsn"], 1);
    assert_eq!(v["timestamp_ms"], 1700000000123u64);
    assert_eq!(v["header_utf8"], "k=v");
    assert_eq!(v["utf8"], "tab\there");
    let plain = walogs(&["tail", p(d.path()), "--topic", "t"]);
    assert_eq!(
        plain.stdout, "1\t1700000000123\ttab\\there\n",
        "no header column"
    );

    // Without --timestamp-ms the wall clock stamps the record.
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    walogs(&["stream-append", p(d.path()), "t", "now"]);
    let s = StreamsOptions::new()
        .read_only(true)
        .open(d.path())
        .unwrap();
    let r = s.read("t", 2).unwrap();
    assert!(r.timestamp_ms >= before, "{} < {before}", r.timestamp_ms);
    assert!(r.header.is_empty());
    s.close().unwrap();
}

#[test]
fn since_ms_starts_at_the_first_record_stamped_at_or_after_it() {
    let d = tempfile::tempdir().unwrap();
    three_records(d.path());
    for (since, want) in [
        ("0", vec![1, 2, 3]),
        ("2000", vec![2, 3]),
        ("2001", vec![3]),
    ] {
        let t = walogs(&["tail", p(d.path()), "--topic", "t", "--since-ms", since]);
        assert_eq!(t.code, 0, "{}", t.stderr);
        let lsns: Vec<u64> = lsn_data(&t.stdout).into_iter().map(|(l, _)| l).collect();
        assert_eq!(lsns, want, "--since-ms {since}");
    }
    let late = walogs(&["tail", p(d.path()), "--topic", "t", "--since-ms", "9999"]);
    assert_eq!((late.code, late.stdout.as_str()), (0, ""));
    let both = walogs(&[
        "tail",
        p(d.path()),
        "--topic",
        "t",
        "--from",
        "1",
        "--since-ms",
        "1",
    ]);
    assert_eq!(
        both.code, 1,
        "--from and --since-ms together: {}",
        both.stderr
    );
}

#[test]
fn bad_input_fails_with_one_clear_line() {
    let d = tempfile::tempdir().unwrap();
    three_records(d.path());
    let dir = p(d.path());
    let cases: &[(&[&str], &str)] = &[
        (&["tail", dir, "--topic", "nope"], "no topic named \"nope\""),
        (
            &["tail", dir, "--topic", "t", "--from", "0"],
            "out of range",
        ),
        (
            &["tail", dir, "--topic", "t", "--from", "5"],
            "out of range",
        ),
        (
            &["tail", dir, "--topic", "t", "--from", "x"],
            "invalid value",
        ),
        (&["stream-append", dir, "", "data"], "invalid topic name"),
        (
            &["stream-append", dir, "t", "--timestamp-ms", "-1", "x"],
            "unexpected argument",
        ),
    ];
    for (args, msg) in cases {
        let r = walogs(args);
        assert_eq!(r.code, 1, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(msg), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
    }
    let empty = walogs(&["tail", dir, "--topic", ""]);
    assert_eq!(empty.code, 1, "{}", empty.stderr);
    assert_eq!(empty.stderr.lines().count(), 1, "{}", empty.stderr);
    let j = walogs(&["--json", "tail", dir, "--topic", "t", "--from", "9"]);
    let e = &j.json_lines()[0]["error"];
    assert_eq!(e["kind"], "lsn_out_of_range");
    assert_eq!(
        (e["first_lsn"].as_u64(), e["next_lsn"].as_u64()),
        (Some(1), Some(4))
    );
    let j = walogs(&["--json", "tail", dir, "--topic", "zz"]);
    assert_eq!(j.json_lines()[0]["error"]["kind"], "unknown_topic");
    // Nothing was appended by the refused commands.
    let t = walogs(&["tail", dir, "--topic", "t"]);
    assert_eq!(lsn_data(&t.stdout).len(), 3);
}

#[test]
fn a_plain_log_an_empty_directory_and_a_missing_one_are_refused_untouched() {
    let plain = tempfile::tempdir().unwrap();
    let mut wal = WalOptions::new().open(plain.path()).unwrap();
    wal.append(b"plain entry").unwrap();
    // User data that is not the store marker: info reads it as a store and finds none.
    wal.set_user_data(b"the application's own").unwrap();
    close(wal);
    // The writable opens record their pid in the lock file; nothing else may change.
    let log_files = |dir: &Path| {
        let mut files = snapshot(dir);
        files.retain(|(name, _)| name != walogs_core::LOCK_FILENAME);
        files
    };
    let before = log_files(plain.path());
    for args in [
        vec!["tail", p(plain.path()), "--topic", "t"],
        vec!["stream-append", p(plain.path()), "t", "x"],
        vec!["cleanup", p(plain.path()), "--retention", "1"],
    ] {
        let r = walogs(&args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("not a walogs streams store"),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert_eq!(log_files(plain.path()), before, "the plain log was changed");
    let i = walogs(&["--json", "info", p(plain.path())]);
    assert_eq!(i.code, 0, "{}", i.stderr);
    assert!(
        i.json().get("streams").is_none(),
        "a plain log has no streams part"
    );

    let empty = tempfile::tempdir().unwrap();
    for args in [
        vec!["tail", p(empty.path()), "--topic", "t"],
        vec!["cleanup", p(empty.path())],
    ] {
        let r = walogs(&args);
        assert_eq!(r.code, 5, "{args:?}: {}", r.stderr);
    }
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
    let missing = empty.path().join("missing");
    let r = walogs(&["tail", p(&missing), "--topic", "t"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("missing"), "{}", r.stderr);
    assert!(!missing.exists(), "tail created the directory");
}

#[test]
fn info_lists_topics_and_consumers_of_a_store() {
    let d = tempfile::tempdir().unwrap();
    let s = Streams::open(d.path()).unwrap();
    for i in 0..5 {
        s.append("orders", format!("order {i}").as_bytes()).unwrap();
    }
    s.append("audit", b"x").unwrap();
    let mut strict = s
        .consumer("orders", "billing", ConsumerMode::Strict)
        .unwrap();
    strict.next(Some(Duration::ZERO)).unwrap().unwrap();
    strict.next(Some(Duration::ZERO)).unwrap().unwrap();
    strict.close().unwrap();
    let lazy = s
        .consumer(
            "audit",
            "archiver",
            ConsumerMode::AtLeastOnce { persist_every: 10 },
        )
        .unwrap();
    lazy.close().unwrap();
    close_store(s);

    let i = walogs(&["info", p(d.path())]);
    assert_eq!(i.code, 0, "{}", i.stderr);
    assert!(
        i.stdout.contains("streams     : 2 topics, 2 consumers"),
        "{}",
        i.stdout
    );
    assert!(
        i.stdout.contains("walogs directory"),
        "the plain part stays: {}",
        i.stdout
    );
    let j = walogs(&["--json", "info", p(d.path())]).json();
    let topics = j["streams"]["topics"].as_array().unwrap();
    let orders = topics.iter().find(|t| t["name"] == "orders").unwrap();
    assert_eq!(
        (
            orders["first_lsn"].as_u64(),
            orders["next_lsn"].as_u64(),
            orders["records"].as_u64()
        ),
        (Some(1), Some(6), Some(5))
    );
    assert_eq!(orders["bytes"], 5 * "order 0".len());
    let consumers = j["streams"]["consumers"].as_array().unwrap();
    let billing = consumers.iter().find(|c| c["name"] == "billing").unwrap();
    assert_eq!(
        (billing["topic"].as_str(), billing["mode"].as_str()),
        (Some("orders"), Some("strict"))
    );
    assert_eq!(billing["position"], 3);
    let archiver = consumers.iter().find(|c| c["name"] == "archiver").unwrap();
    assert_eq!(
        (
            archiver["mode"].as_str(),
            archiver["persist_every"].as_u64(),
            archiver["position"].as_u64()
        ),
        (Some("at_least_once"), Some(10), Some(1))
    );
    for row in [
        "orders",
        "billing",
        "archiver",
        "strict",
        "at_least_once(persist_every=10)",
    ] {
        assert!(i.stdout.contains(row), "{row}: {}", i.stdout);
    }
}

#[test]
fn cleanup_deletes_by_time_and_by_size_and_says_what_it_deleted() {
    let d = tempfile::tempdir().unwrap();
    let s = StreamsOptions::new()
        .max_segment_size(Some(64 * 1024))
        .open(d.path())
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let old = vec![b'o'; 1000];
    for _ in 0..300 {
        let r = NewRecord {
            data: &old,
            header: b"",
            timestamp_ms: Some(1_000),
        };
        s.append_record("old", r).unwrap();
    }
    for i in 0..10 {
        let data = format!("fresh {i}");
        let r = NewRecord {
            data: data.as_bytes(),
            header: b"",
            timestamp_ms: Some(now),
        };
        s.append_record("fresh", r).unwrap();
    }
    close_store(s);

    let nothing = walogs(&["cleanup", p(d.path())]);
    assert_eq!(nothing.code, 0, "{}", nothing.stderr);
    assert!(
        nothing.stdout.contains("deleted 0 records"),
        "{}",
        nothing.stdout
    );

    let c = walogs(&["--json", "cleanup", p(d.path()), "--retention", "3600"]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    let v = c.json();
    assert_eq!(v["records_deleted"], 300);
    let topics = v["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 1, "{v}");
    assert_eq!(
        (topics[0]["topic"].as_str(), topics[0]["first_lsn"].as_u64()),
        (Some("old"), Some(301))
    );
    assert!(v["bytes_reclaimed"].as_u64().unwrap() > 0, "{v}");
    let t = walogs(&["tail", p(d.path()), "--topic", "old"]);
    assert_eq!((t.code, t.stdout.as_str()), (0, ""), "{}", t.stderr);
    let f = walogs(&["tail", p(d.path()), "--topic", "fresh"]);
    assert_eq!(lsn_data(&f.stdout).len(), 10, "recent records are kept");

    let cap = walogs(&["cleanup", p(d.path()), "--max-topic-bytes", "35"]);
    assert_eq!(cap.code, 0, "{}", cap.stderr);
    assert!(cap.stdout.contains("CLEANED"), "{}", cap.stdout);
    assert!(
        cap.stdout
            .contains("topic fresh: deleted 5 records, oldest LSN now 6"),
        "{}",
        cap.stdout
    );
    let f = walogs(&["tail", p(d.path()), "--topic", "fresh"]);
    let lsns: Vec<u64> = lsn_data(&f.stdout).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lsns, vec![6, 7, 8, 9, 10]);

    // A live writer holds the lock: cleanup says so (exit 4).
    let s = Streams::open(d.path()).unwrap();
    let locked = walogs(&["cleanup", p(d.path()), "--retention", "1"]);
    assert_eq!(locked.code, 4, "{}", locked.stderr);
    close_store(s);
}

#[test]
fn cleanup_names_strict_consumers_the_size_cap_forced_past() {
    let d = tempfile::tempdir().unwrap();
    let s = Streams::open(d.path()).unwrap();
    for _ in 0..10 {
        s.append("t", b"0123456789").unwrap();
    }
    s.consumer("t", "slow", ConsumerMode::Strict)
        .unwrap()
        .close()
        .unwrap();
    close_store(s);
    let c = walogs(&[
        "cleanup",
        p(d.path()),
        "--max-topic-bytes",
        "50",
        "--delete-consumed",
    ]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert!(c.stdout.contains("strict consumer: slow"), "{}", c.stdout);
    assert!(c.stdout.contains("resume at LSN 6"), "{}", c.stdout);
}

/// Send SIGINT to `child` and return its exit code.
fn interrupt(mut child: Child) -> i32 {
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) with a pid this test spawned and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    child
        .wait()
        .unwrap()
        .code()
        .expect("ended by the signal, not by its handler")
}

#[test]
fn tail_follow_prints_what_other_processes_append_and_exits_0_on_sigint() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let first = walogs(&["stream-append", p(dir), "t", "before"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let mut tail = spawn(
        bin()
            .args(["tail", p(dir), "--topic", "t", "-f"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let lines = Lines::of(&mut tail);
    assert!(lines.next().ends_with("\tbefore"));

    // Another process appends after the follower started.
    let a = walogs(&["stream-append", p(dir), "t", "second", "third"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert!(lines.next().starts_with("2\t"));
    assert!(lines.next().ends_with("\tthird"));

    // A writer that stays open (this process) while the follower reads.
    let s = Streams::open(dir).unwrap();
    for i in 0..50 {
        s.append("t", format!("live {i}").as_bytes()).unwrap();
        s.append("other", b"noise").unwrap();
    }
    for i in 0..50 {
        let line = lines.next();
        assert_eq!(line.split('\t').next(), Some((i + 4).to_string().as_str()));
        assert!(line.ends_with(&format!("\tlive {i}")), "{line}");
    }
    close_store(s);
    let b = walogs(&["stream-append", p(dir), "t", "after the writer closed"]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    assert!(lines.next().ends_with("\tafter the writer closed"));

    let mut stderr = tail.stderr.take().unwrap();
    assert_eq!(interrupt(tail), 0);
    let mut err = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut err).unwrap();
    assert_eq!(err, "", "no error while following");
}

#[test]
fn tail_follow_ends_when_its_reader_goes_away() {
    let d = tempfile::tempdir().unwrap();
    walogs(&["stream-append", p(d.path()), "t", "one"]);
    let mut tail = spawn(
        bin()
            .args(["tail", p(d.path()), "--topic", "t", "--follow"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let mut out = BufReader::new(tail.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.split('\t').next_back(), Some("one\n"));
    drop(out);
    // No record is appended: the follower notices the closed pipe while idle.
    let done = tail.wait_with_output().unwrap();
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

#[test]
fn tail_reads_a_store_it_cannot_write() {
    let d = shared_tempdir();
    let store = d.path().join("store");
    let s = StreamsOptions::new().file_mode(0o644).open(&store).unwrap();
    s.append("t", b"readable").unwrap();
    // A live writer (root) holds the lock while the unprivileged reader tails.
    let Some(r) = walogs_as_nobody(&["tail", p(&store), "--topic", "t"]) else {
        close_store(s);
        return;
    };
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.ends_with("\treadable\n"), "{}", r.stdout);
    close_store(s);
}
