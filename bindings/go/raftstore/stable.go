package raftstore

import (
	"encoding/binary"
	"fmt"
	"sort"

	walogs "example.invalid/walogs"
)

// The stable store codec: the index shift and every key and value of the stable store,
// encoded as the walogs user data of the directory (one blob of at most
// walogs.MaxUserData bytes, replaced atomically and durably by each Set and by each
// change of the shift).
//
//	offset  size  field
//	0       2     magic "RS" (0x52 0x53)
//	2       1     version (2)
//	3       ...   uvarint shift: LSN minus raft index of every entry (see Store)
//	...     ...   the pairs, by increasing key (bytewise): uvarint key length, key,
//	              uvarint value length, value
//
// Empty user data (a new directory) is shift 0 and an empty stable store. Raft keeps three
// small keys here (CurrentTerm, LastVoteTerm, LastVoteCand), some 60 bytes in all.
const (
	stableMagic0  = 'R'
	stableMagic1  = 'S'
	stableVersion = 2
)

// encodeStable encodes shift and kv (keys sorted, so the same map always gives the same
// bytes).
func encodeStable(shift uint64, kv map[string][]byte) []byte {
	keys := make([]string, 0, len(kv))
	size := 3 + binary.MaxVarintLen64
	for k, v := range kv {
		keys = append(keys, k)
		size += 2*binary.MaxVarintLen64 + len(k) + len(v)
	}
	sort.Strings(keys)
	b := make([]byte, 0, size)
	b = append(b, stableMagic0, stableMagic1, stableVersion)
	b = binary.AppendUvarint(b, shift)
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(kv[k])))
		b = append(b, kv[k]...)
	}
	return b
}

// decodeStable decodes user data b: the shift, and a new map whose values are copies.
// Anything that is not this codec is an error wrapping ErrForeignUserData.
func decodeStable(b []byte) (uint64, map[string][]byte, error) {
	kv := make(map[string][]byte)
	if len(b) == 0 {
		return 0, kv, nil
	}
	if len(b) < 3 || b[0] != stableMagic0 || b[1] != stableMagic1 {
		return 0, nil, fmt.Errorf("%w: %d bytes not starting with %q", ErrForeignUserData, len(b), "RS")
	}
	if b[2] != stableVersion {
		return 0, nil, fmt.Errorf("%w: codec version %d, this package reads %d", ErrForeignUserData, b[2], stableVersion)
	}
	shift, w := binary.Uvarint(b[3:])
	if w <= 0 {
		return 0, nil, fmt.Errorf("%w: no valid index shift at byte 3", ErrForeignUserData)
	}
	rest := b[3+w:]
	field := func(what string) ([]byte, error) {
		n, w := binary.Uvarint(rest)
		if w <= 0 || n > uint64(len(rest)-w) {
			return nil, fmt.Errorf("%w: a %s at byte %d runs past the end", ErrForeignUserData, what, len(b)-len(rest))
		}
		f := rest[w : w+int(n)]
		rest = rest[w+int(n):]
		return f, nil
	}
	for len(rest) > 0 {
		k, err := field("key")
		if err != nil {
			return 0, nil, err
		}
		v, err := field("value")
		if err != nil {
			return 0, nil, err
		}
		if _, dup := kv[string(k)]; dup {
			return 0, nil, fmt.Errorf("%w: key %q twice", ErrForeignUserData, k)
		}
		kv[string(k)] = append([]byte{}, v...)
	}
	return shift, kv, nil
}

// Set stores val under key, durably: when Set returns nil the new value survives a crash
// or power loss (and so does every log entry stored before it). Implements
// raft.StableStore. Keys and values are copied. Cost: the whole stable store is
// re-encoded and written as the walogs user data (one write and one fdatasync of
// walogs.user), so it suits raft's few small keys; a Set that would take the encoding past
// walogs.MaxUserData (64 KiB) fails with ErrStableTooLarge and changes nothing.
func (s *Store) Set(key, val []byte) error {
	s.stableMu.Lock()
	defer s.stableMu.Unlock()
	next := make(map[string][]byte, len(s.stable)+1)
	for k, v := range s.stable {
		next[k] = v
	}
	next[string(key)] = append([]byte{}, val...)
	enc := encodeStable(s.shift.Load(), next)
	if len(enc) > walogs.MaxUserData {
		return fmt.Errorf("%w: setting key %q (%d bytes of value) needs %d bytes", ErrStableTooLarge, key, len(val), len(enc))
	}
	if err := s.wal.SetUserData(enc); err != nil {
		return fmt.Errorf("raftstore: Set %q: %w", key, err)
	}
	s.stable = next
	return nil
}

// setShift records shift durably in the user data (with the stable store as it is), then
// makes it the store's shift. The caller holds logMu exclusively and the log is empty.
// Cost: as a Set.
func (s *Store) setShift(shift uint64) error {
	s.stableMu.Lock()
	defer s.stableMu.Unlock()
	if err := s.wal.SetUserData(encodeStable(shift, s.stable)); err != nil {
		return err
	}
	s.shift.Store(shift)
	return nil
}

// Get returns a copy of the value stored under key (empty, not nil, for an empty value),
// or ErrKeyNotFound when the key was never set. Implements raft.StableStore. Cost: a map
// look-up and the copy: the stable store is kept in memory, decoded by Open (so Get still
// answers after Close).
func (s *Store) Get(key []byte) ([]byte, error) {
	s.stableMu.Lock()
	defer s.stableMu.Unlock()
	v, ok := s.stable[string(key)]
	if !ok {
		return nil, ErrKeyNotFound
	}
	return append([]byte{}, v...), nil
}

// SetUint64 stores val under key as 8 little-endian bytes, durably (see Set). Implements
// raft.StableStore. Set and SetUint64 share one key space.
func (s *Store) SetUint64(key []byte, val uint64) error {
	return s.Set(key, binary.LittleEndian.AppendUint64(nil, val))
}

// GetUint64 returns the value SetUint64 stored under key, or 0 and ErrKeyNotFound when
// the key was never set (what raft expects at startup). Implements raft.StableStore. A
// value that is not 8 bytes long (stored with Set) is an error naming the key.
func (s *Store) GetUint64(key []byte) (uint64, error) {
	v, err := s.Get(key)
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("raftstore: GetUint64 %q: the value has %d bytes, not 8", key, len(v))
	}
	return binary.LittleEndian.Uint64(v), nil
}
