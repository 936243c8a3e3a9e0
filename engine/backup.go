package engine

import (
	"context"
	"io"
)

// BackupWriter writes a consistent archive of the whole data dir to w (the
// storage side decides the format: see storage/backup). An error after bytes
// were written leaves w holding a truncated archive, which restore refuses.
type BackupWriter func(ctx context.Context, w io.Writer) error
