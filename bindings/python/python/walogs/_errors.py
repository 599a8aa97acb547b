"""The exceptions walogs raises.

Every error is a :class:`WalogsError`. Where a standard exception fits too, the class also
derives from it, so generic handlers work: :class:`EntryTooLargeError` and
:class:`InvalidArgumentError` are ``ValueError``\\ s, :class:`LsnOutOfRangeError` is an
``IndexError``, :class:`WalogsOSError` is an ``OSError`` whose ``errno`` is kept, and
:class:`WalogsTimeoutError` is a ``TimeoutError`` and :class:`UnknownTopicError` a
``LookupError``.

The native module creates these with the core's message (which names the file and byte
offset where it knows them) and sets the structured attributes listed on each class.
"""

from __future__ import annotations


class WalogsError(Exception):
    """Base class of every error raised by walogs."""


class WalogsOSError(WalogsError, OSError):
    """An operating-system error (disk full, permission denied, I/O error, ...).

    ``errno``, ``strerror`` and ``filename`` are set as on any ``OSError``: ``errno`` is the
    OS error number (``None`` when there is none), ``strerror`` the message (which names the
    operation and the file), ``filename`` the file or directory the error happened on
    (``None`` when not known). A failed write or sync also poisons the handle: later writes
    raise :class:`PoisonedError`.
    """


class EntryTooLargeError(WalogsError, ValueError):
    """An entry, an atomic batch or the user data is larger than allowed. Nothing was written.

    Attributes: ``size`` (bytes offered) and ``max`` (the limit it exceeded).
    """

    size: int
    max: int


class CorruptError(WalogsError):
    """The directory holds damage walogs will not repair silently.

    A bad frame in a completed segment, a bad frame followed by valid ones, an LSN
    discontinuity, a gap in segment numbers, a damaged metadata or user-data file. Opening
    with ``salvage=True`` cuts mid-log damage in the last segment instead of refusing.

    The damage is data (read these attributes; never parse the message): ``kind``
    (``"mid_log"``, ``"completed_segment"``, ``"lsn_discontinuity"``, ``"segment_gap"``,
    ``"empty_completed_segment"``, ``"seal_mismatch"``, ``"below_seal"``, ``"metadata"``,
    ``"mixed_layout"``, ``"changed_while_reading"``, ``"user_data"``; ``"other"`` for a kind
    this version does not name), ``file`` (name inside the WAL directory, or ``None``),
    ``offset`` (byte offset, or ``None``), ``last_good_lsn`` (last entry known intact before
    the damage, or ``None``), ``first_lsn_after`` (first LSN of a valid frame after it, or
    ``None``), ``frames_after`` (valid frames after it), ``salvageable`` (whether
    ``salvage=True`` can cut it). ``reason`` is the sentence describing it.
    """

    reason: str
    kind: str
    file: str | None
    offset: int | None
    last_good_lsn: int | None
    first_lsn_after: int | None
    frames_after: int
    salvageable: bool


class LockedError(WalogsError):
    """Another handle (in this process or another one) has the directory open for writing.

    Attributes: ``path`` (the WAL directory) and ``holder`` (the PID text the holder
    recorded, or ``None`` when it is not known).
    """

    path: str
    holder: str | None


class PoisonedError(WalogsError):
    """An earlier write or sync failed, so what is on disk is unknown.

    Every later write fails with this error until the WAL is closed and reopened (which
    re-reads what is really on disk). ``reason`` says what failed first.
    """

    reason: str


class ReadOnlyError(WalogsError):
    """A mutating call was made on a WAL opened with ``read_only=True``."""


class ClosedError(WalogsError):
    """The WAL (or the WAL an iterator reads) was closed."""


class LsnOutOfRangeError(WalogsError, IndexError):
    """An LSN the WAL does not hold: a read, iteration start or truncation outside it, a wait
    or callback for an LSN never handed out or removed by a truncation, or an iterator whose
    next entry was truncated or purged since it started. For streams: an LSN outside a
    topic's live records (deleted by retention, or not appended yet).

    Attributes: ``lsn`` (asked for), ``first`` (oldest LSN kept) and ``next`` (the LSN the
    next append gets); the WAL (or the topic) holds ``range(first, next)``. ``topic`` is the
    topic's name for a streams error, ``None`` for a plain WAL.
    """

    lsn: int
    first: int
    next: int
    topic: str | None = None


class ForkedError(WalogsError):
    """The WAL handle was inherited across ``os.fork()``: it belongs to the parent process.

    Nothing was done (closing it, or the interpreter finalizing it when the child exits,
    writes nothing either). Open the WAL anew in the child (after the parent closed it) to
    use it there. ``opened_by`` is the process id of the parent that opened it.
    """

    opened_by: int


class WalogsTimeoutError(WalogsError, TimeoutError):
    """:meth:`Wal.wait_durable` gave up: the entry was not durable within the timeout.

    It may still become durable later. Attributes: ``lsn`` (waited for) and ``durable`` (the
    durable LSN when the wait ended). Being a ``TimeoutError`` it is an ``OSError`` too, with
    ``errno`` ``None``.
    """

    lsn: int
    durable: int


class UnsafeFileError(WalogsError):
    """A file in the WAL directory is not something walogs will touch.

    A symbolic link, FIFO, socket, device or directory under a walogs file name, or a file
    walogs would write that has other hard links. Nothing was read from, written to or
    removed through it. Attributes: ``path`` and ``problem`` (a sentence).
    """

    path: str
    problem: str


class InvalidArgumentError(WalogsError, ValueError):
    """An argument the operation cannot accept (an empty batch, a zero sync interval, a file
    mode without owner read and write, ``max_entries=0``, a negative count or duration, an
    empty, over-long or NUL-holding topic or consumer name, an unknown consumer mode, ...).
    Nothing was changed. ``reason`` says what was wrong."""

    reason: str


class UnknownTopicError(WalogsError, LookupError):
    """A read, lookup or consumer on a topic that has never been appended to.

    Attribute: ``topic`` (the name asked for).
    """

    topic: str


class ConsumerModeMismatchError(WalogsError):
    """A consumer was opened with another mode than the one it is registered with.

    Nothing was changed. Attributes: ``topic``, ``consumer`` (its name), ``existing`` (its
    registered mode) and ``requested`` (the mode asked for), each mode ``"strict"`` or
    ``"at_least_once"``.
    """

    topic: str
    consumer: str
    existing: str
    requested: str


class ConsumerInUseError(WalogsError):
    """The consumer is open already in this process (another :class:`walogs.Consumer` holds
    it and was not closed yet). Attributes: ``topic`` and ``consumer`` (its name)."""

    topic: str
    consumer: str


class NotAStoreError(WalogsError):
    """The directory holds a walogs log that is not a streams store (nothing was changed).

    Attributes: ``path`` (the directory) and ``reason`` (why).
    """

    path: str
    reason: str


class StoreFormatError(WalogsError):
    """An entry of a streams store's log does not decode as a streams entry.

    The log's own checksums held, so this is a format problem (a store written by another
    program, or by a newer walogs), not a torn write. Attributes: ``log_lsn`` (the entry's
    LSN in the underlying log) and ``reason`` (what is wrong with it).
    """

    log_lsn: int
    reason: str
