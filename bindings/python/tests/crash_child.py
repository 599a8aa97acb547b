"""Child process of test_crash.py: appends until it is killed, printing an acknowledgement
line after each append (or batch) returned. Not a test module.

Usage: python crash_child.py DIR MODE THREADS [FIRST_THREAD_ID]
  MODE "single": each thread appends entries one at a time: "ack LSN THREAD SEQ"
  MODE "batch":  each thread appends atomic batches of 1..8 entries:
                 "batch FIRST LAST THREAD SEQ"
"""

from __future__ import annotations

import sys
import threading

import walogs


def payload(thread: int, seq: int, part: int = 0) -> bytes:
    """A payload the parent can recompute, of varying length (16 B .. ~20 KiB)."""
    head = f"{thread}:{seq}:{part}|".encode()
    return head + bytes([(thread * 31 + seq + part) % 251]) * ((seq * 977 + part * 131) % 20000)


def main() -> None:
    directory, mode, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    first_id = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    wal = walogs.Wal(directory, max_segment_size=256 * 1024)
    out_lock = threading.Lock()

    def emit(line: str) -> None:
        with out_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def work(t: int) -> None:
        seq = 0
        while True:
            if mode == "single":
                lsn = wal.append(payload(t, seq))
                emit(f"ack {lsn} {t} {seq}")
            else:
                n = seq % 8 + 1
                r = wal.append_batch([payload(t, seq, k) for k in range(n)])
                emit(f"batch {r[0]} {r[-1]} {t} {seq}")
            seq += 1

    emit("ready")
    for t in range(first_id, first_id + threads):
        threading.Thread(target=work, args=(t,), daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
