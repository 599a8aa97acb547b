package walogs

// #include "walogs.h"
import "C"

import (
	"strconv"
	"unsafe"
)

// DamageKind says what kind of damage an ErrCorrupt failure found (walogs_damage_kind in
// walogs.h; the numbers are the C ABI's and never change).
type DamageKind uint32

// The kinds of damage.
const (
	// DamageCompletedSegment: a frame of a completed (not the newest) segment fails its
	// checks.
	DamageCompletedSegment DamageKind = C.WALOGS_DAMAGE_COMPLETED_SEGMENT
	// DamageMidLog: a bad frame in the newest segment is followed by valid frames (not a
	// torn write). WithSalvage cuts it, losing the frames after it.
	DamageMidLog DamageKind = C.WALOGS_DAMAGE_MID_LOG
	// DamageLSNDiscontinuity: consecutive frames do not carry consecutive LSNs.
	DamageLSNDiscontinuity DamageKind = C.WALOGS_DAMAGE_LSN_DISCONTINUITY
	// DamageSegmentGap: segment numbers are not contiguous (a segment file is missing).
	DamageSegmentGap DamageKind = C.WALOGS_DAMAGE_SEGMENT_GAP
	// DamageEmptyCompletedSegment: a completed segment holds no frame.
	DamageEmptyCompletedSegment DamageKind = C.WALOGS_DAMAGE_EMPTY_COMPLETED_SEGMENT
	// DamageSealMismatch: walogs.meta records a seal the segments do not match.
	DamageSealMismatch DamageKind = C.WALOGS_DAMAGE_SEAL_MISMATCH
	// DamageBelowSeal: a segment starts at or below an LSN walogs.meta records as sealed
	// in an older one.
	DamageBelowSeal DamageKind = C.WALOGS_DAMAGE_BELOW_SEAL
	// DamageMetadata: walogs.meta itself is damaged.
	DamageMetadata DamageKind = C.WALOGS_DAMAGE_METADATA
	// DamageMixedLayout: both a walogs 0.1 wal.log and segment files exist.
	DamageMixedLayout DamageKind = C.WALOGS_DAMAGE_MIXED_LAYOUT
	// DamageChangedWhileReading: a reader found a frame that no longer matches what the
	// open verified (the file changed underneath).
	DamageChangedWhileReading DamageKind = C.WALOGS_DAMAGE_CHANGED_WHILE_READING
	// DamageUserData: the user data file (walogs.user) holds no valid value.
	DamageUserData DamageKind = C.WALOGS_DAMAGE_USER_DATA
	// DamageOther: a kind this version of the C library has no number for (the message
	// describes it).
	DamageOther DamageKind = C.WALOGS_DAMAGE_OTHER
)

// damageKindNames are the names String gives, those of the constants without "Damage".
var damageKindNames = map[DamageKind]string{
	DamageCompletedSegment:      "CompletedSegment",
	DamageMidLog:                "MidLog",
	DamageLSNDiscontinuity:      "LSNDiscontinuity",
	DamageSegmentGap:            "SegmentGap",
	DamageEmptyCompletedSegment: "EmptyCompletedSegment",
	DamageSealMismatch:          "SealMismatch",
	DamageBelowSeal:             "BelowSeal",
	DamageMetadata:              "Metadata",
	DamageMixedLayout:           "MixedLayout",
	DamageChangedWhileReading:   "ChangedWhileReading",
	DamageUserData:              "UserData",
	DamageOther:                 "Other",
}

// String is the kind's name, e.g. "MidLog" for DamageMidLog ("DamageKind(N)" for a number
// this package does not know).
func (k DamageKind) String() string {
	if s, ok := damageKindNames[k]; ok {
		return s
	}
	return "DamageKind(" + strconv.FormatUint(uint64(k), 10) + ")"
}

// Damage is the damage behind an ErrCorrupt failure, as data (walogs_damage in walogs.h):
// Error.Damage. A field the library does not know is zero, and its Has flag false.
type Damage struct {
	// Kind says what is damaged.
	Kind DamageKind
	// Salvageable: opening WithSalvage can cut this damage (only DamageMidLog).
	Salvageable bool
	// HasFile: one file is concerned, named by File.
	HasFile bool
	// File is the file holding the damage, a name inside the WAL directory (e.g.
	// "wal-000003.log", "walogs.meta"); "" without HasFile.
	File string
	// HasOffset: Offset is known.
	HasOffset bool
	// Offset is the byte offset of the damage in File.
	Offset uint64
	// HasLastGoodLSN: LastGoodLSN is known.
	HasLastGoodLSN bool
	// LastGoodLSN is the last LSN known intact before the damage.
	LastGoodLSN uint64
	// HasFirstLSNAfter: a valid frame was found after the damage.
	HasFirstLSNAfter bool
	// FirstLSNAfter is the LSN of the first valid frame after the damage.
	FirstLSNAfter uint64
	// FramesAfter is the number of valid frames found after the damage in the same file.
	FramesAfter uint64
}

// lastDamage is the damage of the last failed call on this OS thread (walogs_last_damage),
// nil when that failure was not WALOGS_CORRUPT. Same rules as lastError: on the thread of
// the failed call, no walogs call in between; it changes no error state itself.
func lastDamage() *Damage {
	var d C.walogs_damage
	d.struct_size = C.size_t(unsafe.Sizeof(d))
	if C.walogs_last_damage(&d) != C.WALOGS_OK || d.kind == C.WALOGS_DAMAGE_NONE {
		return nil
	}
	return &Damage{
		Kind:             DamageKind(d.kind),
		Salvageable:      bool(d.salvageable),
		HasFile:          bool(d.has_file),
		File:             cString(d.file[:]),
		HasOffset:        bool(d.has_offset),
		Offset:           uint64(d.offset),
		HasLastGoodLSN:   bool(d.has_last_good_lsn),
		LastGoodLSN:      uint64(d.last_good_lsn),
		HasFirstLSNAfter: bool(d.has_first_lsn_after),
		FirstLSNAfter:    uint64(d.first_lsn_after),
		FramesAfter:      uint64(d.frames_after),
	}
}
