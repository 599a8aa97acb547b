//! `walogs bench`: a short run prints every figure and ratio, parses as JSON, and leaves
//! nothing behind. (The figures themselves are measured by people and CI logs, not asserted.)

mod common;

use common::*;

#[test]
fn short_run_reports_every_measurement() {
    let d = tempfile::tempdir().unwrap();
    let r = walogs(&[
        "--json",
        "bench",
        p(d.path()),
        "--seconds",
        "0.25",
        "--rounds",
        "1",
        "--threads",
        "3",
        "--batch",
        "8",
        "--size",
        "64",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    let names: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "raw_append",
            "raw_overwrite",
            "wal_append",
            "wal_batch",
            "group_commit"
        ]
    );
    for m in v["results"].as_array().unwrap() {
        assert!(m["entries"].as_u64().unwrap() > 0, "{m}");
        assert!(m["syncs"].as_u64().unwrap() > 0, "{m}");
        assert!(m["entries_per_sec"].as_f64().unwrap() > 0.0, "{m}");
        assert!(m["p50_us"].as_f64().unwrap() <= m["p99_us"].as_f64().unwrap());
    }
    let res = &v["results"];
    // Single appends: one fdatasync each; batches: one per 8 entries.
    assert_eq!(res[2]["entries"], res[2]["syncs"]);
    let (be, bs) = (
        res[3]["entries"].as_u64().unwrap(),
        res[3]["syncs"].as_u64().unwrap(),
    );
    assert_eq!(be % 8, 0);
    assert!(bs <= be / 8 + 2, "batch syncs {bs} for {be} entries");
    let ratios = &v["ratios"];
    for k in [
        "append_vs_raw_append",
        "append_vs_raw_overwrite",
        "batch_entries_vs_raw_append",
        "group_entries_vs_raw_append",
    ] {
        assert!(ratios[k].as_f64().unwrap() > 0.0, "{k}");
    }
    assert!(ratios["group_entries_per_sync"].as_f64().unwrap() >= 1.0);
    assert_eq!(
        std::fs::read_dir(d.path()).unwrap().count(),
        0,
        "the benchmark directory is removed"
    );
}

#[test]
fn text_output_and_bad_arguments() {
    let d = tempfile::tempdir().unwrap();
    let r = walogs(&[
        "bench",
        p(d.path()),
        "--seconds",
        "0.1",
        "--rounds",
        "1",
        "--threads",
        "2",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("walogs append / raw write+fdatasync"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("entries per fdatasync"));
    assert_eq!(walogs(&["bench", p(d.path()), "--seconds", "0"]).code, 1);
    assert_eq!(walogs(&["bench", p(d.path()), "--threads", "0"]).code, 1);
    assert_eq!(walogs(&["bench", p(&d.path().join("missing"))]).code, 1);
}
