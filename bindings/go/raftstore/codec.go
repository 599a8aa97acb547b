package raftstore

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// The entry codec: how one raft.Log is written as one walogs entry. Every field is fixed
// width and little-endian; the entry's LSN is the raft index plus the store's shift
// (usually 0), and the index is also written so that a read can check that the entry it
// found is the one it asked for.
//
//	offset  size  field
//	0       2     magic "RL" (0x52 0x4C)
//	2       1     version (1)
//	3       1     type (raft.LogType)
//	4       8     index (the entry's LSN minus the store's shift)
//	12      8     term
//	20      8     appended-at, Unix nanoseconds (int64)
//	28      4     bits 0..30: length of the extensions, n; bit 31: appended-at is set
//	              (clear for the zero time.Time, whose appended-at field is 0)
//	32      n     extensions
//	32+n    rest  data
//
// So an entry costs 32 bytes more than its data and extensions. AppendedAt keeps the
// instant to the nanosecond, not the location or the monotonic reading; instants outside
// the years 1678..2262 (what int64 nanoseconds can hold) are refused by appendLog (ErrInvalidLog).
const (
	logMagic0     = 'R'
	logMagic1     = 'L'
	logVersion    = 1
	logHeaderSize = 32
	// logHasTime is the bit of the extensions length word set when AppendedAt is set.
	logHasTime = 1 << 31
)

// encodedLogSize is the size of l's encoding.
func encodedLogSize(l *raft.Log) int {
	return logHeaderSize + len(l.Extensions) + len(l.Data)
}

// appendLog appends the encoding of l to dst and returns the extended slice.
func appendLog(dst []byte, l *raft.Log) ([]byte, error) {
	var at int64
	word := uint32(len(l.Extensions))
	if len(l.Extensions) >= logHasTime {
		return nil, fmt.Errorf("%w: log %d: %d bytes of extensions", ErrInvalidLog, l.Index, len(l.Extensions))
	}
	if !l.AppendedAt.IsZero() {
		at = l.AppendedAt.UnixNano()
		if !time.Unix(0, at).Equal(l.AppendedAt) {
			return nil, fmt.Errorf("%w: log %d: AppendedAt %v cannot be kept as int64 Unix nanoseconds",
				ErrInvalidLog, l.Index, l.AppendedAt)
		}
		word |= logHasTime
	}
	dst = append(dst, logMagic0, logMagic1, logVersion, byte(l.Type))
	dst = binary.LittleEndian.AppendUint64(dst, l.Index)
	dst = binary.LittleEndian.AppendUint64(dst, l.Term)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(at))
	dst = binary.LittleEndian.AppendUint32(dst, word)
	dst = append(dst, l.Extensions...)
	dst = append(dst, l.Data...)
	return dst, nil
}

// checkLogHeader reports whether b starts like an entry of this codec (magic and version)
// and is long enough for its header and extensions; the error says what is wrong.
func checkLogHeader(b []byte) error {
	if len(b) < logHeaderSize {
		return fmt.Errorf("%d bytes, shorter than the %d-byte header", len(b), logHeaderSize)
	}
	if b[0] != logMagic0 || b[1] != logMagic1 {
		return fmt.Errorf("magic %#02x %#02x, not %q", b[0], b[1], "RL")
	}
	if b[2] != logVersion {
		return fmt.Errorf("codec version %d, this package reads %d", b[2], logVersion)
	}
	if n := binary.LittleEndian.Uint32(b[28:]) &^ logHasTime; uint64(n) > uint64(len(b)-logHeaderSize) {
		return fmt.Errorf("%d bytes of extensions in an entry of %d bytes", n, len(b))
	}
	return nil
}

// decodeLog decodes into l the entry b read where raft index want belongs. l.Data and
// l.Extensions alias b (nil when empty): b must be a buffer the caller hands over.
// Anything that is not an entry of this codec for index want is an error wrapping
// ErrForeignEntry.
func decodeLog(want uint64, b []byte, l *raft.Log) error {
	if err := checkLogHeader(b); err != nil {
		return fmt.Errorf("%w: entry %d: %v", ErrForeignEntry, want, err)
	}
	index := binary.LittleEndian.Uint64(b[4:])
	if index != want {
		return fmt.Errorf("%w: entry %d holds raft index %d", ErrForeignEntry, want, index)
	}
	word := binary.LittleEndian.Uint32(b[28:])
	n := int(word &^ logHasTime)
	l.Index = index
	l.Term = binary.LittleEndian.Uint64(b[12:])
	l.Type = raft.LogType(b[3])
	l.AppendedAt = time.Time{}
	if word&logHasTime != 0 {
		l.AppendedAt = time.Unix(0, int64(binary.LittleEndian.Uint64(b[20:])))
	}
	l.Extensions = nil
	if n > 0 {
		l.Extensions = b[logHeaderSize : logHeaderSize+n : logHeaderSize+n]
	}
	l.Data = nil
	if rest := b[logHeaderSize+n:]; len(rest) > 0 {
		l.Data = rest
	}
	return nil
}
