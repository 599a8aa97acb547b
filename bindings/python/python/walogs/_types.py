"""Small value types: the durability policy and what opening a WAL found."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Durability(str, enum.Enum):
    """When appended entries are made durable (fdatasync'd).

    A plain string with the same value works wherever a ``Durability`` is accepted. After a
    crash of the process alone, every acknowledged entry survives under every policy (each
    append is handed to the OS before it returns); the policies differ in what a power loss
    can take.
    """

    EVERY_APPEND = "every_append"
    """Each append (or batch, or group of concurrent appends) is fdatasync'd before it
    returns. A power loss loses nothing acknowledged. The default."""

    INTERVAL = "interval"
    """Appends return after the write; a background thread fdatasyncs what was appended
    within about ``interval`` seconds (> 0), and an append that finds the last fdatasync
    older than that syncs first. A power loss may lose about one interval of entries."""

    MANUAL = "manual"
    """Nothing is fdatasync'd until :meth:`Wal.sync` (or a rotation, or a clean close)."""

    NONE = "none"
    """Like ``MANUAL``, for callers that never sync: only rotation and a clean close sync."""

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class TailState:
    """What the most recent open found at the end of the last segment.

    ``truncated_at`` is ``None`` when the last segment ended exactly after its last valid
    frame; otherwise it is the byte offset where a torn (partial or damaged) final write or
    a zero-filled tail started. A writable open physically truncated the file there (and
    synced it) before accepting writes; a read-only open only reports it.
    """

    truncated_at: int | None = None

    @property
    def clean(self) -> bool:
        """True when nothing was (or, read-only, would be) truncated."""
        return self.truncated_at is None

    def __repr__(self) -> str:
        if self.truncated_at is None:
            return "TailState(clean)"
        return f"TailState(truncated_at={self.truncated_at})"


@dataclass(frozen=True)
class SalvageReport:
    """What a ``salvage=True`` open cut because of mid-log damage."""

    file: str
    """Segment file name holding the damage."""
    offset: int
    """Byte offset of the first damaged frame."""
    bytes_cut: int
    """Bytes cut from ``offset`` to the end of the file."""
    valid_frames_cut: int
    """Valid frames found after the damage (and cut with it)."""
    first_lsn_cut: int
    """LSN of the first valid frame found after the damage."""


@dataclass(frozen=True)
class RecoveryReport:
    """What opening the WAL found and did (returned by :meth:`Wal.recovery_report`)."""

    tail: TailState
    """The tail state (same as :meth:`Wal.tail_state`)."""
    bytes_truncated: int
    """Bytes cut (or, read-only, that would be cut) from the end of the last segment."""
    salvaged: SalvageReport | None
    """Set when salvage cut valid frames that followed mid-log damage."""
    migrated_v1: bool
    """A walogs 0.1 single-file ``wal.log`` was renamed to ``wal-000001.log`` by this open."""
    segments: int
    """Segment files found (completed + active)."""
    first_lsn: int
    """Oldest LSN kept (equals ``next_lsn`` when the log is empty)."""
    next_lsn: int
    """LSN the next append gets."""
    read_only: bool
    """True when the open was read-only: nothing on disk was changed."""
