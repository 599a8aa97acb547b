package walogs

// #include "walogs.h"
import "C"

import "unsafe"

// RecoveryReport is what opening the WAL found and did.
type RecoveryReport struct {
	// Tail: whether a torn final write was cut (or, read-only, would be) and where.
	Tail TailState
	// BytesTruncated is how many bytes were cut (read-only: would be cut) from the end of
	// the last segment.
	BytesTruncated uint64
	// Segments is the number of segment files found (completed + active).
	Segments uint64
	// FirstLSN is the oldest LSN kept (equal to NextLSN when the log is empty).
	FirstLSN uint64
	// NextLSN is the LSN the next append gets, as of the open.
	NextLSN uint64
	// Salvaged is true when a WithSalvage open cut valid frames that followed mid-log
	// damage; the Salvage* fields then say what was cut.
	Salvaged bool
	// SalvageFile is the segment file holding the damage.
	SalvageFile string
	// SalvageOffset is the byte offset of the first damaged frame.
	SalvageOffset uint64
	// SalvageBytesCut is the number of bytes cut from SalvageOffset to the end of the file.
	SalvageBytesCut uint64
	// SalvageValidFramesCut is the number of valid frames found after the damage (and cut).
	SalvageValidFramesCut uint64
	// SalvageFirstLSNCut is the LSN of the first valid frame found after the damage.
	SalvageFirstLSNCut uint64
	// MigratedV1 is true when the open renamed a walogs 0.1 wal.log to wal-000001.log.
	MigratedV1 bool
	// ReadOnly is true when the open was read-only: nothing on disk was changed.
	ReadOnly bool
}

// RecoveryReport returns what the open of this WAL found and did.
func (w *WAL) RecoveryReport() (RecoveryReport, error) {
	var r C.walogs_report
	r.struct_size = C.size_t(unsafe.Sizeof(r))
	err := w.call("RecoveryReport", func(h *C.walogs_wal) C.walogs_status { return C.walogs_recovery_report(h, &r) })
	if err != nil {
		return RecoveryReport{}, err
	}
	return RecoveryReport{
		Tail: TailState{
			Truncated: r.tail == C.WALOGS_TAIL_TRUNCATED,
			Offset:    uint64(r.tail_offset),
		},
		BytesTruncated:        uint64(r.bytes_truncated),
		Segments:              uint64(r.segments),
		FirstLSN:              uint64(r.first_lsn),
		NextLSN:               uint64(r.next_lsn),
		Salvaged:              bool(r.salvaged),
		SalvageFile:           cString(r.salvage_file[:]),
		SalvageOffset:         uint64(r.salvage_offset),
		SalvageBytesCut:       uint64(r.salvage_bytes_cut),
		SalvageValidFramesCut: uint64(r.salvage_valid_frames_cut),
		SalvageFirstLSNCut:    uint64(r.salvage_first_lsn_cut),
		MigratedV1:            bool(r.migrated_v1),
		ReadOnly:              bool(r.read_only),
	}, nil
}

// cString is the text of a fixed-size C char array up to its first NUL (all of it when it
// has none: never reads past the array).
func cString(a []C.char) string {
	b := make([]byte, 0, len(a))
	for _, c := range a {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// PackageVersion is the walogs release this Go package belongs to (the version of the
// workspace, the C header and the other bindings; scripts/check-version.sh keeps them
// equal). Version reports the loaded libwalogs; the two differ only when the package links
// another release's library (an older `make install`, say).
const PackageVersion = "0.2.0"

// Version is the version of the loaded libwalogs, e.g. "0.2.0". Costs one cgo call.
func Version() string {
	return C.GoString(C.walogs_version())
}
