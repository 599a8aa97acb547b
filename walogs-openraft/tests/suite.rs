//! openraft's own storage test suite, over a temporary directory per test.

mod support;

use openraft::StorageError;
use openraft::testing::{StoreBuilder, Suite};
use support::{Store, TestConfig, TestSm};
use tempfile::TempDir;

struct WalogsBuilder;

impl StoreBuilder<TestConfig, Store, TestSm, TempDir> for WalogsBuilder {
    async fn build(&self) -> Result<(TempDir, Store, TestSm), StorageError<u64>> {
        let dir = TempDir::new().expect("a temporary directory");
        let store = Store::open(dir.path().join("log")).expect("open the store");
        Ok((dir, store, TestSm::default()))
    }
}

#[test]
fn openraft_storage_suite_passes() {
    if let Err(e) = Suite::test_all(WalogsBuilder) {
        panic!("openraft's storage suite failed: {e}");
    }
}
