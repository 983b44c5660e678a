package datanode

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"testing"

	"google.golang.org/protobuf/proto"

	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

func checksumReq(id, numBytes int64) *hdfspb.OpBlockChecksumProto {
	return &hdfspb.OpBlockChecksumProto{Header: &hdfspb.BaseHeaderProto{Block: extBlock(id, numBytes)}}
}

// fileChecksum is the client side: MD5 over the block MD5s, written into a
// buffer zero-padded to a power of two of at least 32 bytes (Java's
// DataOutputBuffer; colinmarc FileReader.Checksum does the same).
func fileChecksum(blockMD5s ...[]byte) []byte {
	var all []byte
	for _, b := range blockMD5s {
		all = append(all, b...)
	}
	size := 32
	for size < len(all) {
		size *= 2
	}
	buf := make([]byte, size)
	copy(buf, all)
	sum := md5.Sum(buf)
	return sum[:]
}

func TestBlockChecksumVector(t *testing.T) {
	mb := newMemBlocks()
	mb.put(40, []byte("bar\n"))
	_, addr := startServer(t, mb, Options{})
	tc := dial(t, addr)
	tc.op(opBlockChecksum, checksumReq(40, 4))
	r := tc.response()
	cr := r.GetChecksumResponse()
	if r.GetStatus() != hdfspb.Status_SUCCESS || cr.GetBytesPerCrc() != 512 || cr.GetCrcPerBlock() != 1 ||
		cr.GetCrcType() != hdfspb.ChecksumTypeProto_CHECKSUM_CRC32C {
		t.Fatalf("response %v", r)
	}
	// hdfs-protocol-notes §3.5 / colinmarc's testChecksum constant.
	if got := hex.EncodeToString(fileChecksum(cr.GetBlockChecksum())); got != "27c076e4987344253650d3335a5d08ce" {
		t.Fatalf("file checksum %s", got)
	}
}

func TestBlockChecksumLarge(t *testing.T) {
	data := randBytes(12, 3*65536+777)
	mb := newMemBlocks()
	mb.put(41, data)
	_, addr := startServer(t, mb, Options{})

	// Independent reference: CRC32C of each 512-byte chunk, MD5 of them all.
	ref := func(d []byte) []byte {
		var crcs []byte
		for i := 0; i < len(d); i += 512 {
			crcs = binary.BigEndian.AppendUint32(crcs, crc32.Checksum(d[i:min(i+512, len(d))], crc32.MakeTable(crc32.Castagnoli)))
		}
		s := md5.Sum(crcs)
		return s[:]
	}
	tc := dial(t, addr)
	tc.op(opBlockChecksum, checksumReq(41, int64(len(data))))
	cr := tc.response().GetChecksumResponse()
	if string(cr.GetBlockChecksum()) != string(ref(data)) || cr.GetCrcPerBlock() != uint64((len(data)+511)/512) {
		t.Fatalf("whole block: %x (%d crcs)", cr.GetBlockChecksum(), cr.GetCrcPerBlock())
	}
	// A shorter numBytes covers that prefix (Java's partial block checksum).
	tc.op(opBlockChecksum, checksumReq(41, 1000))
	cr = tc.response().GetChecksumResponse()
	if string(cr.GetBlockChecksum()) != string(ref(data[:1000])) {
		t.Fatalf("prefix: %x", cr.GetBlockChecksum())
	}

	// COMPOSITE_CRC: the chunk CRCs composed as Hadoop's CrcComposer does.
	req := checksumReq(41, int64(len(data)))
	req.BlockChecksumOptions = &hdfspb.BlockChecksumOptionsProto{BlockChecksumType: hdfspb.BlockChecksumTypeProto_COMPOSITE_CRC.Enum()}
	tc.op(opBlockChecksum, req)
	r := tc.response()
	if r.GetStatus() != hdfspb.Status_SUCCESS || r.GetChecksumResponse().GetBlockChecksumOptions().GetBlockChecksumType() != hdfspb.BlockChecksumTypeProto_COMPOSITE_CRC {
		t.Fatal(r)
	}
	if got, want := r.GetChecksumResponse().GetBlockChecksum(), composedChunkCRCs(data, 0); string(got) != string(want) {
		t.Fatalf("composite crc %x, want %x", got, want)
	}
	// With a stripe length: one composed CRC per stripe.
	req.BlockChecksumOptions.StripeLength = proto.Uint64(64 << 10)
	tc.op(opBlockChecksum, req)
	if got, want := tc.response().GetChecksumResponse().GetBlockChecksum(), composedChunkCRCs(data, 64<<10); len(got) != 16 || string(got) != string(want) {
		t.Fatalf("striped composite crcs %x, want %x", got, want)
	}
	tc.op(opBlockChecksum, checksumReq(404, 1))
	if r := tc.response(); r.GetStatus() != hdfspb.Status_ERROR_INVALID || r.GetMessage() == "" {
		t.Fatal(r)
	}
	// Explicit MD5CRC is accepted.
	req.BlockChecksumOptions.BlockChecksumType = hdfspb.BlockChecksumTypeProto_MD5CRC.Enum()
	req.BlockChecksumOptions.StripeLength = proto.Uint64(0)
	tc.op(opBlockChecksum, req)
	if r := tc.response(); string(r.GetChecksumResponse().GetBlockChecksum()) != string(ref(data)) {
		t.Fatal(r)
	}
}

// Hadoop's CrcUtil arithmetic (reflected polynomials, bit 31 is x^0), as
// an independent reference for COMPOSITE_CRC.
const castagnoliPoly = 0x82F63B78

func gfMultiply(p, q, m uint32) uint32 {
	var sum uint32
	px := p
	for term := uint32(0x80000000); term != 0; term >>= 1 {
		if q&term != 0 {
			sum ^= px
		}
		top := px&1 != 0
		px >>= 1
		if top {
			px ^= m
		}
	}
	return sum
}

func monomial(n int64, m uint32) uint32 {
	product, multiplier := uint32(0x80000000), uint32(0x80000000)>>8
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			product = gfMultiply(product, multiplier, m)
		}
		multiplier = gfMultiply(multiplier, multiplier, m)
	}
	return product
}

// composedChunkCRCs composes the CRC32C of every 512-byte chunk of data
// into one CRC per stripe (0: one for all), big-endian, concatenated.
func composedChunkCRCs(data []byte, stripe int) []byte {
	if stripe <= 0 {
		stripe = len(data)
	}
	tab := crc32.MakeTable(crc32.Castagnoli)
	var out []byte
	for s := 0; s < len(data); s += stripe {
		st := data[s:min(s+stripe, len(data))]
		var crc uint32
		for i := 0; i < len(st); i += 512 {
			chunk := st[i:min(i+512, len(st))]
			c := crc32.Checksum(chunk, tab)
			if i == 0 {
				crc = c
			} else {
				crc = gfMultiply(crc, monomial(int64(len(chunk)), castagnoliPoly), castagnoliPoly) ^ c
			}
		}
		out = binary.BigEndian.AppendUint32(out, crc)
	}
	return out
}
