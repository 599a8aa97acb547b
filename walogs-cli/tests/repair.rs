//! `walogs repair`: cuts a torn tail, cuts mid-log damage only with --salvage, never cuts a
//! completed segment, says exactly what it cut; `verify` is clean afterwards.

mod common;

use common::*;
use walogs_core::WalOptions;

#[test]
fn torn_tail_is_cut_then_verify_is_clean() {
    let d = tempfile::tempdir().unwrap();
    let torn = torn(d.path());
    let r = walogs(&["--json", "repair", p(d.path())]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(v["status"], "repaired");
    assert_eq!(v["bytes_cut"], torn.bytes_left);
    assert_eq!(v["tail"]["state"], "torn");
    assert_eq!(v["tail"]["file"], torn.file);
    assert_eq!(v["tail"]["offset"], torn.offset);
    assert_eq!(v["next_lsn"], ENTRIES);
    assert!(v["salvaged"].is_null());
    let last = d.path().join(&torn.file);
    assert_eq!(std::fs::metadata(&last).unwrap().len(), torn.offset);
    let ver = walogs(&["verify", p(d.path())]);
    assert_eq!(ver.code, 0, "{}", ver.stdout);
    let all = read_all(d.path());
    assert_eq!(all.len() as u64, ENTRIES - 1);
    assert_eq!(all.last().unwrap().1, entry(ENTRIES - 1));
    // Repairing again finds nothing to do.
    let again = walogs(&["--json", "repair", p(d.path())]).json();
    assert_eq!(
        (again["status"].as_str(), again["bytes_cut"].as_u64()),
        (Some("clean"), Some(0))
    );
}

#[test]
fn text_output_names_file_offset_and_bytes() {
    let d = tempfile::tempdir().unwrap();
    let torn = torn(d.path());
    let r = walogs(&["repair", p(d.path())]);
    assert_eq!(r.code, 0);
    let want = format!(
        "cut {} bytes of {} from offset {}",
        torn.bytes_left, torn.file, torn.offset
    );
    assert!(r.stdout.contains(&want), "{}", r.stdout);
}

#[test]
fn mid_log_damage_needs_salvage() {
    let d = tempfile::tempdir().unwrap();
    let (file, frames, seg_first) = damaged_mid(d.path());
    let before = snapshot(d.path());

    let r = walogs(&["--json", "repair", p(d.path())]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    let v = r.json();
    assert_eq!(v["status"], "refused");
    assert_eq!(v["error"]["file"], file);
    assert!(v["hint"].as_str().unwrap().contains("--salvage"));
    assert_eq!(
        snapshot(d.path()),
        before,
        "a refused repair changes nothing"
    );

    let dry = walogs(&["--json", "repair", "--salvage", "--dry-run", p(d.path())]);
    assert_eq!(dry.code, 0, "{}", dry.stdout);
    assert_eq!(dry.json()["status"], "dry_run");
    assert_eq!(dry.json()["salvaged"]["valid_frames_cut"], frames - 1);
    assert_eq!(snapshot(d.path()), before, "a dry run changes nothing");

    let saved = d.path().with_extension("cut");
    let original = std::fs::read(d.path().join(&file)).unwrap();
    let r = walogs(&[
        "--json",
        "repair",
        "--salvage",
        "--save-cut",
        p(&saved),
        p(d.path()),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(v["status"], "repaired");
    assert_eq!(v["salvaged"]["file"], file);
    assert_eq!(v["salvaged"]["offset"], 0);
    assert_eq!(v["salvaged"]["bytes_cut"], original.len());
    assert_eq!(v["salvaged"]["valid_frames_cut"], frames - 1);
    assert_eq!(v["salvaged"]["first_lsn_cut"], seg_first + 1);
    assert_eq!(v["next_lsn"], seg_first);
    assert_eq!(
        std::fs::read(&saved).unwrap(),
        original,
        "the cut bytes were kept"
    );
    assert_eq!(walogs(&["verify", p(d.path())]).code, 0);
    assert_eq!(read_all(d.path()).len() as u64, seg_first - 1);
}

#[test]
fn damage_in_a_completed_segment_is_never_cut() {
    let d = tempfile::tempdir().unwrap();
    damaged_completed(d.path());
    let before = snapshot(d.path());
    let r = walogs(&["repair", "--salvage", p(d.path())]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.stdout.contains("REFUSED"), "{}", r.stdout);
    assert_eq!(snapshot(d.path()), before);
}

#[test]
fn locked_directory_exits_4() {
    let d = tempfile::tempdir().unwrap();
    let wal = WalOptions::new().open(d.path()).unwrap();
    let r = walogs(&["--json", "repair", p(d.path())]);
    assert_eq!(r.code, 4, "{}", r.stdout);
    assert_eq!(r.json()["error"]["kind"], "locked");
    assert!(
        r.stderr.contains(&format!("pid {}", std::process::id())),
        "{}",
        r.stderr
    );
    close(wal);
    assert_eq!(walogs(&["repair", p(d.path())]).code, 0);
}

#[test]
fn a_crashed_writers_zero_tail_is_trimmed_as_no_data() {
    let d = tempfile::tempdir().unwrap();
    healthy(d.path());
    // What a writer killed while open leaves: zeros after the last frame.
    let last = last_segment(d.path());
    let size = std::fs::metadata(&last).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&last).unwrap();
    f.set_len(size + 4096).unwrap();
    let v = walogs(&["--json", "verify", p(d.path())]);
    assert_eq!(v.code, 0, "zeros are not a torn write: {}", v.stdout);
    assert_eq!(v.json()["tail"]["state"], "preallocated");
    let r = walogs(&["--json", "repair", p(d.path())]).json();
    assert_eq!(r["bytes_cut"], 4096);
    assert_eq!(r["tail"]["state"], "preallocated");
    assert_eq!(std::fs::metadata(&last).unwrap().len(), size);
    assert_eq!(read_all(d.path()).len() as u64, ENTRIES);
}

#[test]
fn v1_single_file_layout_is_read_in_place_and_migrated_by_repair() {
    let d = tempfile::tempdir().unwrap();
    let mut wal = WalOptions::new().open(d.path()).unwrap();
    wal.append(b"old").unwrap();
    wal.append(b"layout").unwrap();
    close(wal);
    std::fs::rename(d.path().join("wal-000001.log"), d.path().join("wal.log")).unwrap();

    let info = walogs(&["--json", "info", p(d.path())]).json();
    assert_eq!(info["v1_layout"], true);
    assert_eq!(info["segments"][0]["name"], "wal.log");
    assert_eq!(info["entries"], 2);
    assert_eq!(walogs(&["verify", p(d.path())]).code, 0);
    assert!(
        d.path().join("wal.log").exists(),
        "read-only commands do not migrate"
    );

    let r = walogs(&["--json", "repair", p(d.path())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["migrated_v1"], true);
    assert_eq!(r.json()["status"], "repaired");
    assert!(!d.path().join("wal.log").exists());
    assert_eq!(
        read_all(d.path()),
        vec![(1, b"old".to_vec()), (2, b"layout".to_vec())]
    );
}
