"""Every golden vector under tests/golden/ read through the Python binding as its
expected.json says: entries, LSNs, purge floor, user data, tail, the damage an open refuses,
the recovery report of a writable open, and a streams store's topics, records and consumers.
Every open works on a copy; a vector added to the directory is picked up without a change
here."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

import walogs
from conftest import REPO_ROOT

GOLDEN_DIR = Path(os.environ.get("WALOGS_GOLDEN_DIR", REPO_ROOT / "tests" / "golden"))
VECTORS = sorted(p for p in GOLDEN_DIR.iterdir() if (p / "expected.json").is_file())


def snake(kind: str) -> str:
    """``MidLog`` -> ``mid_log``: the binding's spelling of a damage kind."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", kind).lower()


def copy_of(vector: Path, tmp: Path, name: str) -> Path:
    dst = tmp / name
    shutil.copytree(vector / "wal", dst)
    return dst


def read_back(w: walogs.Wal) -> dict[str, Any]:
    return {
        "entries": [[lsn, data.hex()] for lsn, data in w],
        "first_lsn": w.first_lsn(),
        "next_lsn": w.next_lsn(),
        "purged_up_to": w.purged_up_to(),
        "user_data": w.user_data().hex(),
    }


def streams_of(s: walogs.Streams) -> dict[str, Any]:
    topics = []
    for name in sorted(s.topics()):
        info = s.topic_info(name)
        records = s.read_range(name, info.first_lsn, max_records=1 << 30, max_bytes=1 << 40)
        topics.append(
            {
                "name": name,
                "first_lsn": info.first_lsn,
                "next_lsn": info.next_lsn,
                "records": [
                    {
                        "lsn": r.lsn,
                        "timestamp_ms": r.timestamp_ms,
                        "data": r.data.hex(),
                        "header": r.header.hex(),
                    }
                    for r in records
                ],
            }
        )
    consumers = [
        {
            "topic": c.topic,
            "name": c.name,
            "mode": c.mode,
            "persist_every": c.persist_every or 0,
            "position": c.position,
        }
        for c in sorted(s.consumers(), key=lambda c: (c.topic, c.name))
    ]
    return {"topics": topics, "consumers": consumers}


def test_there_are_vectors() -> None:
    assert VECTORS, f"no vectors under {GOLDEN_DIR}"


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_golden_vector(vector: Path, tmp_path: Path) -> None:
    want = json.loads((vector / "expected.json").read_text())
    assert want["open"] == "read_only"
    ro_dir = copy_of(vector, tmp_path, "ro")
    rw_dir = copy_of(vector, tmp_path, "rw")
    if want["error"] is not None:
        err = want["error"]
        for path, read_only in ((ro_dir, True), (rw_dir, False)):
            with pytest.raises(walogs.CorruptError) as e:
                walogs.Wal(path, read_only=read_only)
            assert err["kind"] == "Corrupt"
            assert (e.value.kind, e.value.file, e.value.offset) == (
                snake(err["damage"]),
                err["file"],
                err["offset"],
            )
        return
    keys = ("entries", "first_lsn", "next_lsn", "purged_up_to", "user_data")
    expected = {k: want[k] for k in keys}
    with walogs.Wal(ro_dir, read_only=True) as w:
        assert read_back(w) == expected
        assert w.tail_state().truncated_at == want["tail_truncated_at"]
    with walogs.Wal(rw_dir) as w:
        report = w.recovery_report()
        rec = want["recovery"]
        assert report.tail.truncated_at == rec["tail_truncated_at"]
        assert report.bytes_truncated == rec["bytes_truncated"]
        assert report.migrated_v1 == rec["migrated_v1"]
        assert read_back(w) == expected
    if want["streams"] is not None:
        with walogs.Streams(ro_dir, read_only=True) as s:
            assert streams_of(s) == want["streams"]
