"""walogs streams from Python: topics, headers, timestamps, a strict consumer, a tail.

Run: python examples/python/streams.py [DIRECTORY]   (a fresh temporary directory when none
is given). Needs the walogs package (pip install ./bindings/python).

Every line it prints is checked by bindings/python/tests/test_streams_example.py.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

import walogs


def main(directory: Path) -> None:
    store = directory / "streams"
    with walogs.Streams(store) as s:
        # Each topic has its own dense LSNs; every append is durable when it returns.
        s.append("orders", b"order 1", header=b"customer=7")
        s.append("orders", b"order 2", header=b"customer=9")
        s.append("payments", b"payment for order 1")
        batch = s.append_batch("orders", [b"order 3", (b"order 4", b"customer=7")])
        print("orders batch got LSNs", list(batch))
        print("topics:", s.topics())

        rec = s.read("orders", 2)
        print("orders/2:", rec.data, rec.header)

        # A strict consumer: its position is durable before a record is returned.
        with s.consumer("orders", "billing", mode="strict") as billing:
            for r in billing.next_batch(max_bytes=40):
                print("billing got", r.lsn, r.data)
            print("billing position:", billing.position)

    # Reopen: the strict consumer goes on where it stopped, never redelivering.
    with walogs.Streams(store) as s:
        with s.consumer("orders", "billing") as billing:
            print("after reopen billing gets", [r.lsn for r in billing])

            # Tailing: a consumer waits (GIL released) until another thread appends.
            writer = threading.Thread(target=s.append, args=("orders", b"order 5"))
            writer.start()
            late = billing.next(timeout=30)
            writer.join()
            print("tail woke with", late.lsn if late else None, late.data if late else None)

        print("consumers:", [(c.topic, c.name, c.mode, c.position) for c in s.consumers()])
        info = s.topic_info("orders")
        print(f"orders holds LSNs {info.first_lsn}..{info.next_lsn - 1}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
