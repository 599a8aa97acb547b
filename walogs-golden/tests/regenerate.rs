//! The committed vectors are exactly what the recipes write: generating them again gives
//! byte-identical files, and every committed vector has a recipe.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Every file under `dir`, by path relative to it, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn regenerating_gives_byte_identical_vectors() {
    let tmp = tempfile::tempdir().unwrap();
    walogs_golden::generate(tmp.path()).unwrap();
    let committed = walogs_golden::golden_dir();
    for recipe in walogs_golden::RECIPES {
        let fresh = tree(&tmp.path().join(recipe.name));
        let old = tree(&committed.join(recipe.name));
        let names = |t: &BTreeMap<String, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            names(&fresh),
            names(&old),
            "{}: the files differ (run `cargo run -p walogs-golden` and commit tests/golden)",
            recipe.name
        );
        for (name, bytes) in &fresh {
            assert!(
                &old[name] == bytes,
                "{}/{name} differs from a fresh generation (run `cargo run -p walogs-golden` and commit tests/golden)",
                recipe.name
            );
        }
    }
}

#[test]
fn every_committed_vector_has_a_recipe() {
    let vectors = walogs_golden::vectors().unwrap();
    assert_eq!(vectors.len(), walogs_golden::RECIPES.len());
    for v in &vectors {
        assert!(
            walogs_golden::RECIPES.iter().any(|r| r.name == v.name),
            "{} has no recipe",
            v.name
        );
    }
}
