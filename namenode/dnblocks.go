package namenode

import (
	"context"

	"github.com/emrfsd/emrfsd/datanode"
)

// Blocks is the DataNode's view of the block table: wire it into
// datanode's server so READ_BLOCK / WRITE_BLOCK reach the files.
func (s *Server) Blocks() datanode.Blocks { return dnBlocks{s} }

type dnBlocks struct{ s *Server }

func (d dnBlocks) OpenRead(ctx context.Context, b datanode.BlockRef) (datanode.ReadTarget, error) {
	r, err := d.s.OpenReadBlock(ctx, b.PoolID, b.ID)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (d dnBlocks) OpenWrite(ctx context.Context, b datanode.BlockRef) (datanode.WriteTarget, error) {
	w, err := d.s.OpenWriteBlock(ctx, b.PoolID, b.ID)
	if err != nil {
		return nil, err
	}
	return w, nil
}
