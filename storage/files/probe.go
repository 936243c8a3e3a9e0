package files

import (
	"errors"
	"fmt"
	"os"
)

// DefaultMinFree is the free space below which the data dir counts as full: a
// build, an import or a card needs room to write before it can rename.
const DefaultMinFree = 64 << 20

// ProbeWritable is the /healthz check of the data dir: it writes, syncs and
// removes a small file in .tmp/ (a read-only or failing disk shows here), and
// refuses when less than minFree bytes are free for the process (a full disk
// shows here even when the last few blocks still take a probe).
func (l Layout) ProbeWritable(minFree uint64) error {
	dir, err := Confine(l.Root, DirTmp)
	if err != nil {
		return errors.New("data dir: .tmp leads out of the data dir")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.New("data dir is not writable: cannot create .tmp")
	}
	f, err := os.CreateTemp(dir, "probe-*")
	if err != nil {
		return errors.New("data dir is not writable (read-only or permission denied)")
	}
	name := f.Name()
	_, werr := f.Write(make([]byte, 512))
	serr := f.Sync()
	cerr := f.Close()
	_ = os.Remove(name)
	if werr != nil || serr != nil || cerr != nil {
		return errors.New("data dir is not writable (write or sync failed: disk full or failing?)")
	}
	if free, ok := freeBytes(l.Root); ok && free < minFree {
		return fmt.Errorf("data dir is full: %d MiB free, %d MiB needed", free>>20, minFree>>20)
	}
	return nil
}
