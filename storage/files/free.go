package files

// FreeBytes is the space available to an unprivileged writer on dir's file
// system; ok is false where it cannot be known.
func FreeBytes(dir string) (free uint64, ok bool) { return freeBytes(dir) }
