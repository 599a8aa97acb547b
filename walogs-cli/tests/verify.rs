//! `walogs verify`: exit 0 clean, 2 torn tail, 3 corruption (with file and offset), 1 for
//! usage and I/O errors; read-only, so it changes nothing and works beside a writer.

mod common;

use common::*;
use walogs_core::WalOptions;

#[test]
fn healthy_log_is_clean() {
    let d = tempfile::tempdir().unwrap();
    let all = healthy(d.path());
    let r = walogs(&["--json", "verify", p(d.path())]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let v = r.json();
    assert_eq!(v["status"], "clean");
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["entries"], ENTRIES);
    let bytes: usize = all.iter().map(Vec::len).sum();
    assert_eq!(v["bytes"], bytes);
    assert_eq!(v["tail"]["state"], "clean");
    let t = walogs(&["verify", p(d.path())]);
    assert_eq!(t.code, 0);
    assert!(t.stdout.starts_with("CLEAN"), "{}", t.stdout);
}

#[test]
fn torn_tail_exits_2_naming_file_and_offset() {
    let d = tempfile::tempdir().unwrap();
    let torn = torn(d.path());
    let before = snapshot(d.path());
    let r = walogs(&["--json", "verify", p(d.path())]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    let v = r.json();
    assert_eq!(v["status"], "torn_tail");
    assert_eq!(v["tail"]["file"], torn.file);
    assert_eq!(v["tail"]["offset"], torn.offset);
    assert_eq!(v["tail"]["bytes"], torn.bytes_left);
    assert_eq!(v["entries"], ENTRIES - 1);
    let t = walogs(&["verify", p(d.path())]);
    assert_eq!(t.code, 2);
    assert!(
        t.stdout
            .contains(&format!("{} at offset {}", torn.file, torn.offset)),
        "{}",
        t.stdout
    );
    assert_eq!(snapshot(d.path()), before, "verify must not repair");
}

#[test]
fn damage_in_a_completed_segment_exits_3() {
    let d = tempfile::tempdir().unwrap();
    let file = damaged_completed(d.path());
    let r = walogs(&["--json", "verify", p(d.path())]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    let v = r.json();
    assert_eq!(v["status"], "corrupt");
    assert_eq!(v["error"]["file"], file);
    // The flipped byte is inside the first frame.
    assert_eq!(v["error"]["offset"], 0);
    let t = walogs(&["verify", p(d.path())]);
    assert!(
        t.stdout.contains(&format!("{file} at offset 0")),
        "{}",
        t.stdout
    );
}

#[test]
fn mid_log_damage_in_the_last_segment_exits_3_not_2() {
    let d = tempfile::tempdir().unwrap();
    let (file, _, _) = damaged_mid(d.path());
    let before = snapshot(d.path());
    let r = walogs(&["--json", "verify", p(d.path())]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    let v = r.json();
    assert_eq!(v["error"]["file"], file);
    assert_eq!(v["error"]["offset"], 0);
    assert_eq!(v["damage"]["kind"], "mid_log");
    assert_eq!(snapshot(d.path()), before);
}

#[test]
fn generated_payloads_are_checked() {
    let d = tempfile::tempdir().unwrap();
    let a = walogs(&["append", p(d.path()), "--generate", "50", "--size", "1-300"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    let r = walogs(&["--json", "verify", "--generated", p(d.path())]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.json()["generated_checked"], true);
    // An entry that is not the pattern of its LSN is caught (CRC-valid, wrong content).
    let mut wal = WalOptions::new().open(d.path()).unwrap();
    wal.append(b"lsn=50;not the pattern").unwrap();
    close(wal);
    let r = walogs(&["--json", "verify", "--generated", p(d.path())]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(r.json()["error"]["lsn"], 51);
    assert_eq!(walogs(&["verify", p(d.path())]).code, 0);
}

#[test]
fn clean_beside_a_live_writer() {
    let d = tempfile::tempdir().unwrap();
    let mut wal = WalOptions::new().open(d.path()).unwrap();
    for i in 0..100u32 {
        wal.append(&i.to_le_bytes()).unwrap();
    }
    let r = walogs(&["--json", "verify", p(d.path())]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let v = r.json();
    assert_eq!(v["entries"], 100);
    assert_eq!(v["tail"]["state"], "preallocated");
    assert_eq!(v["lock_holder"], std::process::id().to_string());
    close(wal);
}

#[test]
fn usage_and_io_errors_exit_1() {
    let d = tempfile::tempdir().unwrap();
    assert_eq!(walogs(&["verify", p(&d.path().join("missing"))]).code, 1);
    assert_eq!(walogs(&["verify"]).code, 1);
    let file = d.path().join("f");
    std::fs::write(&file, b"x").unwrap();
    assert_eq!(walogs(&["verify", p(&file)]).code, 1);
}

/// Damage in a completed segment: no cut applies (`--salvage` does not), and the verdict
/// names the file, the offset, and the LSNs around the damage.
#[test]
fn damage_in_a_completed_segment_names_the_lsns_and_no_salvage() {
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    let dmg = damage_frame(d.path(), 1, 2);
    let next = dmg.next_segment_lsn.unwrap();
    let r = walogs(&["--json", "verify", p(d.path())]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    let v = r.json();
    let damage = &v["damage"];
    assert_eq!(damage["kind"], "completed_segment");
    assert_eq!(damage["file"], dmg.file);
    assert_eq!(damage["offset"], dmg.offset);
    assert_eq!(damage["salvageable"], false);
    assert_eq!(damage["last_good_lsn"], dmg.lsn - 1);
    assert_eq!(damage["first_lsn_after"], next);
    assert_eq!(v["remedy"]["action"], "restore");
    assert_eq!(v["remedy"]["file"], dmg.file);

    let t = walogs(&["verify", p(d.path())]);
    assert_eq!(t.code, 3);
    assert!(!t.stdout.contains("repair --salvage"), "{}", t.stdout);
    assert!(!t.stdout.contains("only with --salvage"), "{}", t.stdout);
    assert!(
        t.stdout.contains("nothing can be cut automatically"),
        "{}",
        t.stdout
    );
    let range = format!("LSN {}..={}", dmg.lsn, next - 1);
    assert!(t.stdout.contains(&range), "want {range}: {}", t.stdout);
    assert!(
        t.stdout.contains(&format!("LSN {}", dmg.lsn - 1)),
        "the last good LSN: {}",
        t.stdout
    );
}

/// Mid-log damage in the last segment: `repair --salvage` applies, and the verdict says
/// exactly what it would cut.
#[test]
fn mid_log_damage_offers_salvage_with_what_it_cuts() {
    let d = tempfile::tempdir().unwrap();
    let (file, frames, seg_first) = damaged_mid(d.path());
    let before = snapshot(d.path());
    let v = walogs(&["--json", "verify", p(d.path())]).json();
    assert_eq!(v["damage"]["kind"], "mid_log");
    assert_eq!(v["damage"]["salvageable"], true);
    assert_eq!(v["damage"]["frames_after"], frames - 1);
    assert_eq!(v["damage"]["last_good_lsn"], seg_first - 1);
    assert_eq!(v["damage"]["first_lsn_after"], seg_first + 1);
    let remedy = &v["remedy"];
    assert_eq!(remedy["action"], "salvage");
    assert_eq!(remedy["file"], file);
    assert_eq!(remedy["offset"], 0);
    assert_eq!(remedy["valid_frames_cut"], frames - 1);
    assert_eq!(remedy["first_lsn_cut"], seg_first + 1);
    let t = walogs(&["verify", p(d.path())]);
    assert!(
        t.stdout
            .contains(&format!("walogs repair --salvage {}", d.path().display())),
        "{}",
        t.stdout
    );
    assert_eq!(
        snapshot(d.path()),
        before,
        "verify (and its salvage probe) changed nothing"
    );
}
