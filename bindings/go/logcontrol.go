package walogs

// #include "walogs.h"
import "C"

// MaxUserData is the largest user data, in bytes (64 KiB); larger values get ErrTooLarge.
const MaxUserData = C.WALOGS_MAX_USER_DATA

// PurgeUpTo purges every entry up to and including upTo and returns how many segment files
// it deleted. At once and for good (also after a reopen or a crash at any point) the oldest
// entry is upTo+1: reading, iterating or truncating below it is ErrLSNOutOfRange. upTo may
// be at or past the end of the log: the log is then empty and the next append gets upTo+1
// (how a Raft log restarts after installing a snapshot at upTo). Below the current floor
// (PurgedUpTo) it does nothing; LSNs are never reused and NextLSN never moves backwards.
// Cost: a metadata file update (write, fdatasync, rename, directory fsync), a rotation when
// the active segment holds only purged entries, an unlink and a directory fsync per
// deleted segment.
func (w *WAL) PurgeUpTo(upTo uint64) (int, error) {
	var n C.size_t
	err := w.call("PurgeUpTo", func(h *C.walogs_wal) C.walogs_status {
		return C.walogs_purge_up_to(h, C.uint64_t(upTo), &n)
	})
	return int(n), err
}

// PurgedUpTo is the purge floor: every LSN at or below it was removed by PurgeUpTo (0:
// nothing purged). Lock-free in the library.
func (w *WAL) PurgedUpTo() (uint64, error) {
	var lsn C.uint64_t
	err := w.call("PurgedUpTo", func(h *C.walogs_wal) C.walogs_status { return C.walogs_purged_up_to(h, &lsn) })
	return uint64(lsn), err
}

// SetUserData replaces the durable user data with data: a blob of up to MaxUserData bytes
// kept next to the log (walogs.user), replaced atomically (after a crash it is the old or
// the new value, never a mix) and durable when SetUserData returns nil. Every entry
// appended before the call is made durable first, so (say) a Raft vote is never durable
// ahead of the log it covers. data is copied, not retained. Over MaxUserData: ErrTooLarge
// and nothing changed. ErrReadOnly, ErrPoisoned, ErrClosed as for appends; ErrIO when a
// write or fdatasync fails (which poisons the WAL). Cost: an fdatasync of the log if
// anything is pending, one write and one fdatasync of walogs.user.
func (w *WAL) SetUserData(data []byte) error {
	return w.call("SetUserData", func(h *C.walogs_wal) C.walogs_status {
		return C.walogs_set_user_data(h, bytesPtr(data), C.size_t(len(data)))
	})
}

// UserData returns a copy of the durable user data: empty (not nil) before the first
// SetUserData, kept across reopens, readable by read-only WALs (the value as of their
// open). Cost: the copy (two C calls: the length, then the bytes).
func (w *WAL) UserData() ([]byte, error) {
	var buf []byte
	var n C.size_t
	err := w.call("UserData", func(h *C.walogs_wal) C.walogs_status {
		st := C.walogs_user_data(h, nil, 0, &n)
		// Again while a concurrent SetUserData made the value longer than the buffer.
		for st == C.WALOGS_BUFFER_TOO_SMALL {
			buf = make([]byte, int(n))
			st = C.walogs_user_data(h, bytesPtr(buf), C.size_t(len(buf)), &n)
		}
		return st
	})
	if err != nil {
		return nil, err
	}
	if buf == nil {
		return []byte{}, nil
	}
	return buf[:n:n], nil
}
