package blocks

import (
	"context"
	"io"
)

// Ref names one block as a client sent it in a DataTransferProtocol op
// header.
type Ref struct {
	PoolID   string
	ID       int64
	GenStamp int64
	NumBytes int64
	// Token is the block access token the client presented.
	Token Token
}

// ReadTarget is a readable block.
type ReadTarget interface {
	// Len is the block length in bytes.
	Len() int64
	// Range returns the plaintext bytes [off, off+n) of the block.
	Range(ctx context.Context, off, n int64) (io.ReadCloser, error)
}

// WriteTarget is a block being written. The DataNode calls Write for every
// new byte in order, then exactly one of End (the client finished the
// block) or Fail (the client went away, or sent bad data). Fail is not
// called after End, whatever End returns.
type WriteTarget interface {
	// Received is the number of bytes of this block already written.
	Received() int64
	// Write appends p at Received().
	Write(p []byte) (int, error)
	// End is called after the last packet and returns once the block's
	// bytes are durable.
	End(ctx context.Context) error
	// Fail abandons the block.
	Fail(err error)
}

// Writable is a block of an open file, registered by the NameNode.
type Writable interface {
	// OpenWrite checks the block may be written now (the last block of a
	// file still open, not already being streamed into) and returns it.
	OpenWrite(ctx context.Context) (WriteTarget, error)
}
