"""The value types of walogs streams: what :class:`walogs.Streams` and :class:`walogs.Consumer`
return. Each is an immutable dataclass: compared by value, hashable, with a readable
``repr``. The native module builds them; building one by hand (e.g. to compare) is fine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_REPR_BYTES = 48
"""How many bytes of a record's data or header its ``repr`` shows."""


def _short(b: bytes) -> str:
    """``repr(b)``, cut after :data:`_REPR_BYTES` bytes with the total size appended."""
    if len(b) <= _REPR_BYTES:
        return repr(b)
    return f"{b[:_REPR_BYTES]!r}...({len(b)} bytes)"


@dataclass(frozen=True)
class Record:
    """One record of a topic, read back verified by the log's checksum."""

    lsn: int
    """Its LSN in its topic (dense: 1, 2, 3, ...)."""
    data: bytes
    """The payload."""
    header: bytes
    """The header (``b""`` when none was given)."""
    timestamp_ms: int
    """Milliseconds since the Unix epoch: the one given to the append, else the append's
    wall clock."""

    def __repr__(self) -> str:
        return (
            f"Record(lsn={self.lsn}, data={_short(self.data)}, header={_short(self.header)}, "
            f"timestamp_ms={self.timestamp_ms})"
        )


@dataclass(frozen=True)
class TopicInfo:
    """One topic (:meth:`walogs.Streams.topic_info`)."""

    name: str
    """The topic's name."""
    first_lsn: int
    """Its oldest LSN still held (``next_lsn`` when it holds none)."""
    next_lsn: int
    """The LSN its next record gets; the topic holds ``range(first_lsn, next_lsn)``."""
    bytes: int
    """Bytes of data and headers of the records it holds."""


@dataclass(frozen=True)
class ConsumerInfo:
    """One registered consumer (:meth:`walogs.Streams.consumers`)."""

    topic: str
    """Its topic."""
    name: str
    """Its name."""
    mode: str
    """``"strict"`` or ``"at_least_once"``."""
    position: int
    """Its persisted position: the LSN it reads next."""
    persist_every: int | None = field(default=None, compare=False)
    """Records between automatic persists of an ``"at_least_once"`` consumer (``None`` for a
    strict one). Not compared: two infos are equal when their first four fields are."""


@dataclass(frozen=True)
class TopicCleanup:
    """What one topic lost to a cleanup (an item of :attr:`CleanupReport.topics`)."""

    topic: str
    """The topic."""
    records_deleted: int
    """Records deleted (by time, by the size cap, or as passed by every consumer)."""
    first_lsn: int
    """The topic's oldest LSN after the cleanup."""
    forced_past: list[str]
    """Strict consumers whose unread records the size cap deleted (each resumes at
    ``first_lsn`` and counts the records it skipped in :attr:`walogs.Consumer.skipped`)."""

    # A list field makes the dataclass's generated hash fail; hash the names as a tuple.
    def __hash__(self) -> int:
        return hash((self.topic, self.records_deleted, self.first_lsn, tuple(self.forced_past)))


@dataclass(frozen=True)
class CleanupReport:
    """What :meth:`walogs.Streams.cleanup` deleted."""

    records_deleted: int
    """Records deleted, all topics."""
    bytes_reclaimed: int
    """Bytes of segment files removed from the disk."""
    segments_deleted: int
    """Segment files removed."""
    topics: list[TopicCleanup]
    """One item per topic that lost records."""

    def __hash__(self) -> int:
        return hash(
            (self.records_deleted, self.bytes_reclaimed, self.segments_deleted, tuple(self.topics))
        )
