// Package recordlog is the on-disk framing the bundled node programs'
// journals share: a file of records, each
//
//	uint32 LE payload length | uint32 LE CRC-32C of (kind, payload) | kind byte | payload
//
// and the rule that a record cut short or failing its checksum ends the
// journal (it is the tail of a write the process died in, never fsynced,
// so nothing was acknowledged on its behalf; the caller truncates it away).
package recordlog

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
)

// HeaderSize is the length of a record's header.
const HeaderSize = 9

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func checksum(kind byte, payload []byte) uint32 {
	return crc32.Update(crc32.Checksum([]byte{kind}, crcTable), crcTable, payload)
}

// Append frames payload as a record of kind and appends it to dst.
func Append(dst []byte, kind byte, payload []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, checksum(kind, payload))
	dst = append(dst, kind)
	return append(dst, payload...)
}

// Split walks the records in data, handing each to fn, and stops at the
// first that is cut short, longer than maxRecord, fails its checksum or
// that fn rejects. valid is the length of the good prefix; torn says why
// the rest (if any) was rejected.
func Split(data []byte, maxRecord uint32, fn func(kind byte, payload []byte) error) (valid int, torn error) {
	off := 0
	for off < len(data) {
		rest := data[off:]
		if len(rest) < HeaderSize {
			return off, fmt.Errorf("short header (%d bytes) at offset %d", len(rest), off)
		}
		n := binary.LittleEndian.Uint32(rest[0:4])
		crc := binary.LittleEndian.Uint32(rest[4:8])
		kind := rest[8]
		if n > maxRecord || uint64(n) > uint64(len(rest)-HeaderSize) {
			return off, fmt.Errorf("record at offset %d claims %d bytes, %d left", off, n, len(rest)-HeaderSize)
		}
		payload := rest[HeaderSize : HeaderSize+int(n)]
		if checksum(kind, payload) != crc {
			return off, fmt.Errorf("checksum mismatch in record at offset %d", off)
		}
		if err := fn(kind, payload); err != nil {
			return off, fmt.Errorf("record at offset %d: %w", off, err)
		}
		off += HeaderSize + int(n)
	}
	return off, nil
}

// SyncDir fsyncs a directory, so a file created or renamed in it survives
// a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing data dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing data dir: %w", err)
	}
	return nil
}
