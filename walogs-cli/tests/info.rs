//! `walogs info` on healthy, torn and damaged directories, and with a live writer.

mod common;

use common::*;
use walogs_core::WalOptions;

#[test]
fn healthy_log_lists_contiguous_segments() {
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    let r = walogs(&["--json", "info", p(d.path())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["first_lsn"], 1);
    assert_eq!(v["next_lsn"], ENTRIES + 1);
    assert_eq!(v["entries"], ENTRIES);
    assert_eq!(v["tail"]["state"], "clean");
    assert!(v["lock_holder"].is_null());
    let files = segments(d.path());
    let segs = v["segments"].as_array().unwrap();
    assert_eq!(segs.len(), files.len());
    let mut expect_first = 1;
    let mut total = 0;
    for (s, f) in segs.iter().zip(&files) {
        assert_eq!(s["name"], name(f));
        assert_eq!(s["size"], std::fs::metadata(f).unwrap().len());
        assert_eq!(s["valid_bytes"], s["size"]);
        assert_eq!(s["first_lsn"], expect_first);
        let last = s["last_lsn"].as_u64().unwrap();
        assert_eq!(s["entries"], last + 1 - expect_first);
        total += last + 1 - expect_first;
        expect_first = last + 1;
    }
    assert_eq!(total, ENTRIES);
    assert_eq!(segs.last().unwrap()["active"], true);

    let t = walogs(&["info", p(d.path())]);
    assert_eq!(t.code, 0);
    assert!(
        t.stdout
            .contains("entries     : 200 (LSN 1..=200), next LSN 201"),
        "{}",
        t.stdout
    );
    assert!(t.stdout.contains(&name(&files[0])));
    assert!(t.stdout.contains("none (no writer"));
}

#[test]
fn torn_log_reports_the_tail_and_is_left_alone() {
    let d = tempfile::tempdir().unwrap();
    let torn = torn(d.path());
    let before = snapshot(d.path());
    let r = walogs(&["--json", "info", p(d.path())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["tail"]["state"], "torn");
    assert_eq!(v["tail"]["file"], torn.file);
    assert_eq!(v["tail"]["offset"], torn.offset);
    assert_eq!(v["tail"]["bytes"], torn.bytes_left);
    assert_eq!(v["next_lsn"], ENTRIES);
    let last = v["segments"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["valid_bytes"], torn.offset);
    assert_eq!(snapshot(d.path()), before, "info must not change anything");
    let t = walogs(&["info", p(d.path())]);
    assert!(t.stdout.contains("TORN"), "{}", t.stdout);
}

#[test]
fn damaged_log_exits_3_and_still_lists_segments() {
    let d = tempfile::tempdir().unwrap();
    let file = damaged_completed(d.path());
    let r = walogs(&["--json", "info", p(d.path())]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    let v = r.json();
    assert_eq!(v["status"], "corrupt");
    assert_eq!(v["error"]["kind"], "corrupt");
    assert_eq!(v["error"]["file"], file);
    assert!(v["error"]["offset"].is_u64());
    assert_eq!(
        v["segments"].as_array().unwrap().len(),
        segments(d.path()).len()
    );
    let t = walogs(&["info", p(d.path())]);
    assert_eq!(t.code, 3);
    assert!(t.stdout.contains("CORRUPT"), "{}", t.stdout);
}

#[test]
fn reports_the_lock_holder_while_a_wal_is_open() {
    let d = tempfile::tempdir().unwrap();
    let mut wal = WalOptions::new().open(d.path()).unwrap();
    for i in 0..10u8 {
        wal.append(&[i; 50]).unwrap();
    }
    let r = walogs(&["--json", "info", p(d.path())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["lock_holder"], std::process::id().to_string());
    assert_eq!(v["entries"], 10);
    // The open writer's preallocated tail is not a torn write.
    assert_eq!(v["tail"]["state"], "preallocated");
    let t = walogs(&["info", p(d.path())]);
    assert!(
        t.stdout.contains(&format!("pid {}", std::process::id())),
        "{}",
        t.stdout
    );
    close(wal);
    let v = walogs(&["--json", "info", p(d.path())]).json();
    assert!(v["lock_holder"].is_null());
    assert_eq!(v["tail"]["state"], "clean");
}

#[test]
fn missing_directory_is_an_io_error() {
    let d = tempfile::tempdir().unwrap();
    let r = walogs(&["--json", "info", p(&d.path().join("nope"))]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["error"]["kind"], "io");
    assert!(
        !d.path().join("nope").exists(),
        "read-only commands create nothing"
    );
}

/// The purge floor, the durable LSN, the size of the user data and the files' modes, in JSON
/// and for people.
#[test]
fn shows_the_purge_floor_durable_lsn_user_data_and_file_modes() {
    let d = tempfile::tempdir().unwrap();
    let v = {
        healthy(d.path());
        walogs(&["--json", "info", p(d.path())]).json()
    };
    assert_eq!(v["purged_up_to"], 0);
    assert_eq!(v["durable_lsn"], ENTRIES);
    assert_eq!(v["user_data_bytes"], 0);
    let mut wal = WalOptions::new().open(d.path()).unwrap();
    wal.purge_up_to(walogs_core::Lsn(37)).unwrap();
    wal.set_user_data(b"term=3 vote=2").unwrap();
    close(wal);
    let r = walogs(&["--json", "info", p(d.path())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["purged_up_to"], 37);
    assert_eq!(v["first_lsn"], 38);
    assert_eq!(v["durable_lsn"], ENTRIES);
    assert_eq!(v["user_data_bytes"], 13);
    let files = v["permissions"]["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["name"].as_str().unwrap()).collect();
    for want in ["walogs.meta", "walogs.lock", "walogs.user"] {
        assert!(names.contains(&want), "{want} missing: {names:?}");
    }
    assert!(files.iter().all(|f| f["mode"] == "0600"), "{v}");
    let t = walogs(&["info", p(d.path())]).stdout;
    for want in [
        "purged up to: LSN 37",
        &format!("durable LSN : {ENTRIES}"),
        "user data   : 13 bytes in walogs.user",
        &format!("file modes  : 0600 (all {} files)", files.len()),
    ] {
        assert!(t.contains(want), "want {want:?}: {t}");
    }
}
