package datanode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/proto"

	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// A data packet, in both directions:
//
//	+--------------------------------------------------------------+
//	| uint32 BE PLEN = 4 + len(checksums) + len(data)              |
//	+--------------------------------------------------------------+
//	| uint16 BE HLEN = len(PacketHeaderProto)                      |
//	+--------------------------------------------------------------+
//	| PacketHeaderProto{offsetInBlock, seqno, lastPacketInBlock,   |
//	|                   dataLen, syncBlock?}                       |
//	+--------------------------------------------------------------+
//	| checksums: one per chunk of data (4 bytes BE for CRC32[C])   |
//	+--------------------------------------------------------------+
//	| data: dataLen bytes                                          |
//	+--------------------------------------------------------------+
type packetHeader struct {
	Offset  int64 // offsetInBlock of the first data byte
	Seqno   int64
	Last    bool // lastPacketInBlock
	DataLen int32
	Sync    bool // syncBlock (hsync)
}

type packet struct {
	packetHeader
	Sums []byte // aliases the reader's buffer
	Data []byte // aliases the reader's buffer
}

// readPacket reads one packet from r. The returned Sums and Data alias buf,
// which is grown as needed (never beyond maxPacketLen) and returned for reuse.
// A clean EOF before the first byte is returned as io.EOF; a packet cut short
// as io.ErrUnexpectedEOF; anything inconsistent wraps errMalformed.
func readPacket(r io.Reader, buf []byte) (packet, []byte, error) {
	var prefix [packetPrefixLen]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return packet{}, buf, err
	}
	plen := binary.BigEndian.Uint32(prefix[:4])
	hlen := int(binary.BigEndian.Uint16(prefix[4:]))
	if plen < 4 || plen > maxPacketLen {
		return packet{}, buf, fmt.Errorf("%w: packet length %d out of range [4, %d]", errMalformed, plen, maxPacketLen)
	}
	if hlen == 0 || hlen > maxPacketHeaderLen {
		return packet{}, buf, fmt.Errorf("%w: packet header length %d", errMalformed, hlen)
	}
	body := int(plen) - 4
	need := hlen
	if body > need {
		need = body
	}
	if cap(buf) < need {
		buf = make([]byte, need)
	}
	buf = buf[:cap(buf)]

	if err := readFullUnexpected(r, buf[:hlen]); err != nil {
		return packet{}, buf, err
	}
	var h hdfspb.PacketHeaderProto
	if err := proto.Unmarshal(buf[:hlen], &h); err != nil {
		return packet{}, buf, fmt.Errorf("%w: packet header: %v", errMalformed, err)
	}
	dataLen := h.GetDataLen()
	if dataLen < 0 || int(dataLen) > body {
		return packet{}, buf, fmt.Errorf("%w: packet dataLen %d with %d body bytes", errMalformed, dataLen, body)
	}
	if err := readFullUnexpected(r, buf[:body]); err != nil {
		return packet{}, buf, err
	}
	sumLen := body - int(dataLen)
	return packet{
		packetHeader: packetHeader{
			Offset:  h.GetOffsetInBlock(),
			Seqno:   h.GetSeqno(),
			Last:    h.GetLastPacketInBlock(),
			DataLen: dataLen,
			Sync:    h.GetSyncBlock(),
		},
		Sums: buf[:sumLen:sumLen],
		Data: buf[sumLen:body:body],
	}, buf, nil
}

func readFullUnexpected(r io.Reader, b []byte) error {
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// marshalPacketHeader encodes h as a PacketHeaderProto.
func marshalPacketHeader(h packetHeader) ([]byte, error) {
	m := &hdfspb.PacketHeaderProto{
		OffsetInBlock:     proto.Int64(h.Offset),
		Seqno:             proto.Int64(h.Seqno),
		LastPacketInBlock: proto.Bool(h.Last),
		DataLen:           proto.Int32(h.DataLen),
	}
	if h.Sync {
		m.SyncBlock = proto.Bool(true)
	}
	return proto.Marshal(m)
}

// appendPacket appends a whole packet (prefix, header, sums, data) to dst.
func appendPacket(dst []byte, h packetHeader, sums, data []byte) ([]byte, error) {
	h.DataLen = int32(len(data))
	hb, err := marshalPacketHeader(h)
	if err != nil {
		return dst, err
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(4+len(sums)+len(data)))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(hb)))
	dst = append(dst, hb...)
	dst = append(dst, sums...)
	return append(dst, data...), nil
}

// packetBuf lays out outgoing read packets so that the data is read straight
// into its final place and each packet goes out in one Write:
//
//	buf = [ headroom for prefix+header+sums | data (maxPacketData) ]
type packetBuf struct {
	buf       []byte
	dataStart int
}

// maxHeadroom: prefix, a PacketHeaderProto without syncBlock (25 bytes,
// with room to spare) and one CRC per chunk of a full packet.
const maxHeadroom = packetPrefixLen + 64 + (maxPacketData/bytesPerChecksum)*crcSize

// newPacketBuf returns a buffer for packets of up to min(n, maxPacketData)
// data bytes.
func newPacketBuf(n int64) *packetBuf {
	return &packetBuf{buf: make([]byte, maxHeadroom+int(min(max(n, 0), maxPacketData))), dataStart: maxHeadroom}
}

// data returns the region where n data bytes (n <= the size given to
// newPacketBuf) go.
func (p *packetBuf) data(n int) []byte { return p.buf[p.dataStart : p.dataStart+n] }

// frame fills in the prefix, header and checksums in front of the n data
// bytes already placed by data(n) and returns the whole packet. withSums
// selects CRC32C checksums or none (CHECKSUM_NULL).
func (p *packetBuf) frame(h packetHeader, n int, withSums bool) ([]byte, error) {
	h.DataLen = int32(n)
	hb, err := marshalPacketHeader(h)
	if err != nil {
		return nil, err
	}
	sumLen := 0
	if withSums {
		sumLen = numChunks(n, bytesPerChecksum) * crcSize
	}
	start := p.dataStart - sumLen - len(hb) - packetPrefixLen
	if start < 0 {
		return nil, fmt.Errorf("datanode: packet header of %d bytes does not fit", len(hb))
	}
	b := p.buf[start:]
	binary.BigEndian.PutUint32(b, uint32(4+sumLen+n))
	binary.BigEndian.PutUint16(b[4:], uint16(len(hb)))
	copy(b[packetPrefixLen:], hb)
	if withSums {
		putChunkCRCs(b[packetPrefixLen+len(hb):p.dataStart-start], p.data(n), bytesPerChecksum, castagnoli)
	}
	return p.buf[start : p.dataStart+n], nil
}
