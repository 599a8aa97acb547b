"""walogs: a crash-safe write-ahead log.

Hand it bytes; every append that returns is on disk (fdatasync'd); after a crash or a power
loss every acknowledged entry comes back byte for byte, with dense LSNs 1, 2, 3, ...

>>> import walogs
>>> with walogs.Wal("/tmp/my-wal") as wal:           # doctest: +SKIP
...     lsn = wal.append(b"first entry")              # durable when it returns
...     for lsn, data in wal:
...         print(lsn, data)

:class:`Wal` is safe to share between threads: it releases the GIL around every blocking
call, so concurrent appends from many threads share fdatasyncs (group commit) while each
caller still returns only once its own entry is durable. The directory is owned by one
handle at a time, across processes: a second open raises :class:`LockedError` at once.

:class:`Streams` keeps named topics of records (data, header, timestamp) with dense
per-topic LSNs, persistent consumers (:class:`Consumer`) and retention on one such log:

>>> with walogs.Streams("/tmp/my-streams") as s:    # doctest: +SKIP
...     s.append("orders", b"order 1", header=b"k=v")
...     with s.consumer("orders", "billing") as c:
...         for rec in c:
...             print(rec.lsn, rec.data)
"""

from __future__ import annotations

from walogs._errors import (
    ClosedError,
    ConsumerInUseError,
    ConsumerModeMismatchError,
    CorruptError,
    EntryTooLargeError,
    ForkedError,
    InvalidArgumentError,
    LockedError,
    LsnOutOfRangeError,
    NotAStoreError,
    PoisonedError,
    ReadOnlyError,
    StoreFormatError,
    UnknownTopicError,
    UnsafeFileError,
    WalogsError,
    WalogsOSError,
    WalogsTimeoutError,
)
from walogs._streams import CleanupReport, ConsumerInfo, Record, TopicCleanup, TopicInfo
from walogs._types import Durability, RecoveryReport, SalvageReport, TailState
from walogs._walogs import (
    DEFAULT_MAX_SEGMENT_SIZE,
    MAX_BATCH_SIZE,
    MAX_CONSUMER_NAME,
    MAX_ENTRY_SIZE,
    MAX_HEADER,
    MAX_TOPIC_NAME,
    MAX_USER_DATA,
    Consumer,
    Streams,
    Wal,
    WalIterator,
)

__version__ = "0.2.0"

__all__ = [
    "DEFAULT_MAX_SEGMENT_SIZE",
    "MAX_BATCH_SIZE",
    "MAX_CONSUMER_NAME",
    "MAX_ENTRY_SIZE",
    "MAX_HEADER",
    "MAX_TOPIC_NAME",
    "MAX_USER_DATA",
    "CleanupReport",
    "ClosedError",
    "Consumer",
    "ConsumerInUseError",
    "ConsumerInfo",
    "ConsumerModeMismatchError",
    "CorruptError",
    "Durability",
    "EntryTooLargeError",
    "ForkedError",
    "InvalidArgumentError",
    "LockedError",
    "LsnOutOfRangeError",
    "NotAStoreError",
    "PoisonedError",
    "ReadOnlyError",
    "Record",
    "RecoveryReport",
    "SalvageReport",
    "StoreFormatError",
    "Streams",
    "TailState",
    "TopicCleanup",
    "TopicInfo",
    "UnknownTopicError",
    "UnsafeFileError",
    "Wal",
    "WalIterator",
    "WalogsError",
    "WalogsOSError",
    "WalogsTimeoutError",
]
