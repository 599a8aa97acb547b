package walogs

// #include "walogs.h"
import "C"

import "unsafe"

// Entry is one entry of the log: its LSN and its bytes.
type Entry struct {
	LSN  uint64
	Data []byte
}

// ReadRange returns up to maxEntries consecutive entries from LSN from, stopping before
// their total size would exceed maxBytes, but at least one entry when from holds one, even
// if it alone exceeds maxBytes. from equal to NextLSN gives no entries (an empty, non-nil
// slice); outside FirstLSN..NextLSN (from 0 too) it is ErrLSNOutOfRange. maxEntries must be
// at least 1 and maxBytes not negative, else ErrInvalidArgument. Works on read-only and
// poisoned WALs; never waits for an append's I/O.
//
// The entries' bytes are copies the caller owns (one allocation for all of them; an empty
// entry has an empty, non-nil Data). Cost: the library reads the entries sequentially from
// the index position of from and copies them once, then this copies them into Go memory.
func (w *WAL) ReadRange(from uint64, maxEntries, maxBytes int) ([]Entry, error) {
	if maxEntries < 0 || maxBytes < 0 {
		return nil, &Error{Code: CodeInvalidArgument, Message: "ReadRange: a negative maxEntries or maxBytes"}
	}
	var r *C.walogs_range
	err := w.call("ReadRange", func(h *C.walogs_wal) C.walogs_status {
		return C.walogs_read_range(h, C.uint64_t(from), C.size_t(maxEntries), C.size_t(maxBytes), &r)
	})
	if err != nil {
		return nil, err
	}
	// The range owns its entries (copies) and is immutable: read it without the WAL.
	defer C.walogs_range_free(r)
	return rangeEntries(r)
}

// rangeEntries copies every entry of r into Go memory: the bytes into one buffer of the
// exact total size, each Data a full slice expression of it (appending to one cannot
// overwrite the next). The C calls run inside one cCall, so a failure (none is expected:
// r is live, the indexes are in range) is read on their thread.
func rangeEntries(r *C.walogs_range) ([]Entry, error) {
	var entries []Entry
	var views [][]byte // the bytes of each entry in r (C memory, valid until r is freed)
	total := 0
	err := cCall(func() C.walogs_status {
		var n C.size_t
		if st := C.walogs_range_len(r, &n); st != C.WALOGS_OK {
			return st
		}
		entries = make([]Entry, int(n))
		views = make([][]byte, int(n))
		for i := range entries {
			var lsn C.uint64_t
			var p *C.uint8_t
			var size C.size_t
			if st := C.walogs_range_get(r, C.size_t(i), &lsn, &p, &size); st != C.WALOGS_OK {
				return st
			}
			entries[i].LSN = uint64(lsn)
			if size > 0 { // an empty entry's pointer is not to be read
				views[i] = unsafe.Slice((*byte)(unsafe.Pointer(p)), int(size))
				total += int(size)
			}
		}
		return C.WALOGS_OK
	})
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, total)
	for i, v := range views {
		start := len(buf)
		buf = append(buf, v...)
		entries[i].Data = buf[start:len(buf):len(buf)]
	}
	return entries, nil
}
