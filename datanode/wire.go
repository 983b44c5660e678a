package datanode

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/blocks"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// Protocol constants.
const (
	transferVersion = 28     // DataTransferProtocol.DATA_TRANSFER_VERSION
	saslMagic       = 0xDEAD // first half of 0xDEADBEEF, a SASL handshake
	saslMagicLow    = 0xBEEF

	opWriteBlock              = 0x50
	opReadBlock               = 0x51
	opReadMetadata            = 0x52
	opReplaceBlock            = 0x53
	opCopyBlock               = 0x54
	opBlockChecksum           = 0x55
	opTransferBlock           = 0x56
	opRequestShortCircuitFds  = 0x57
	opReleaseShortCircuitFds  = 0x58
	opRequestShortCircuitShm  = 0x59
	opBlockGroupChecksum      = 0x5a
	opCustom                  = 0x7f
	heartbeatSeqno            = -1
	bytesPerChecksum          = 512
	crcSize                   = 4
	maxPacketData             = 256 << 10 // data bytes per packet we send (see read.go)
	maxOpMessage              = 64 << 10  // bound on an op request message
	maxReadStatusMessage      = 1 << 10   // bound on a ClientReadStatusProto
	maxPacketLen              = 16 << 20  // dfs.data.transfer.max.packet.size
	maxPacketHeaderLen        = 64 << 10  // HLEN is a uint16 anyway
	packetPrefixLen           = 6         // PLEN (4) + HLEN (2)
	maxBytesPerChecksumAccept = 1 << 20
)

// Connection-level failures. Any of them closes the connection.
var (
	errMalformed = errors.New("malformed data transfer message")
	errVersion   = errors.New("unsupported data transfer version")
	errSASL      = errors.New("client attempted data-transfer SASL (unset dfs.data.transfer.protection / dfs.encrypt.data.transfer on the client)")
	errChecksum  = errors.New("checksum mismatch in written data")
)

func opName(op byte) string {
	switch op {
	case opWriteBlock:
		return "WRITE_BLOCK"
	case opReadBlock:
		return "READ_BLOCK"
	case opReadMetadata:
		return "READ_METADATA"
	case opReplaceBlock:
		return "REPLACE_BLOCK"
	case opCopyBlock:
		return "COPY_BLOCK"
	case opBlockChecksum:
		return "BLOCK_CHECKSUM"
	case opTransferBlock:
		return "TRANSFER_BLOCK"
	case opRequestShortCircuitFds:
		return "REQUEST_SHORT_CIRCUIT_FDS"
	case opReleaseShortCircuitFds:
		return "RELEASE_SHORT_CIRCUIT_FDS"
	case opRequestShortCircuitShm:
		return "REQUEST_SHORT_CIRCUIT_SHM"
	case opBlockGroupChecksum:
		return "BLOCK_GROUP_CHECKSUM"
	case opCustom:
		return "CUSTOM"
	}
	return fmt.Sprintf("op 0x%02x", op)
}

// readDelimitedBytes reads a varint length prefix and that many bytes,
// refusing lengths over limit before allocating.
func readDelimitedBytes(r *bufio.Reader, limit int) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: bad length prefix: %v", errMalformed, err)
	}
	if n > uint64(limit) {
		return nil, fmt.Errorf("%w: message of %d bytes exceeds the %d-byte limit", errMalformed, n, limit)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

// readDelimited reads a varint-delimited message. Required fields are not
// enforced (traced 3.4 clients and older protos disagree on them); callers
// check what they need.
func readDelimited(r *bufio.Reader, limit int, m proto.Message) error {
	b, err := readDelimitedBytes(r, limit)
	if err != nil {
		return err
	}
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(b, m); err != nil {
		return fmt.Errorf("%w: %v", errMalformed, err)
	}
	return nil
}

// appendDelimited appends m with its varint length prefix. Marshal enforces
// required fields, which checks our own responses.
func appendDelimited(dst []byte, m proto.Message) ([]byte, error) {
	b, err := proto.Marshal(m)
	if err != nil {
		return dst, err
	}
	dst = protowire.AppendVarint(dst, uint64(len(b)))
	return append(dst, b...), nil
}

// blockRef converts an op header's block and token into a blocks.Ref. The
// unsigned wire fields are reinterpreted as Java longs.
func blockRef(h *hdfspb.BaseHeaderProto) (blocks.Ref, error) {
	b := h.GetBlock()
	if b == nil {
		return blocks.Ref{}, fmt.Errorf("%w: op header has no block", errMalformed)
	}
	t := h.GetToken()
	return blocks.Ref{
		PoolID:   b.GetPoolId(),
		ID:       int64(b.GetBlockId()),
		GenStamp: int64(b.GetGenerationStamp()),
		NumBytes: int64(b.GetNumBytes()),
		Token:    blocks.Token{Identifier: t.GetIdentifier(), Password: t.GetPassword(), Kind: t.GetKind(), Service: t.GetService()},
	}, nil
}
