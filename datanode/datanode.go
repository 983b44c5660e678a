package datanode

import (
	"context"

	"github.com/emrfsd/emrfsd/blocks"
)

// Blocks gives the DataNode access to block contents: *blocks.Table, the
// block map the NameNode fills. Errors that satisfy
// errors.Is(err, io/fs.ErrNotExist) are reported to clients as
// ERROR_INVALID, io/fs.ErrPermission as ERROR_ACCESS_TOKEN, anything else as
// ERROR.
type Blocks interface {
	OpenRead(ctx context.Context, b blocks.Ref) (blocks.ReadTarget, error)
	OpenWrite(ctx context.Context, b blocks.Ref) (blocks.WriteTarget, error)
}
