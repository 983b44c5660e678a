package datanode

import (
	"testing"
	"time"

	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// Regression (fault tier, staging disk full): when a block failed, the
// DataNode sent the error ack and closed the connection with the client's
// next packets unread; the kernel then reset the connection and the client
// reported "connection reset by peer" instead of the error status. The
// client must read the error ack even while it keeps sending.
func TestErrorAckReachesAClientStillSending(t *testing.T) {
	mb := newMemBlocks()
	_, addr := startServer(t, mb, Options{})
	data := randBytes(11, 64<<10)
	for i := 0; i < 5; i++ {
		tc := dial(t, addr)
		id := int64(40 + i)
		tc.startWrite(writeReq(id, 0, 0))
		tc.sendPacket(0, 0, false, data)
		sums := clientCRCs(data)
		sums[9] ^= 0x01
		bad := packetBytes(t, int64(len(data)), 1, false, data, sums)
		var more []byte
		for k := int64(2); k < 40; k++ {
			more = append(more, packetBytes(t, k*int64(len(data)), k, false, data, clientCRCs(data))...)
		}
		tc.send(bad)
		time.Sleep(50 * time.Millisecond) // the server has failed the block
		// The client keeps sending (as colinmarc's does until it reads
		// acks): its writes must not be reset.
		if _, err := tc.nc.Write(more); err != nil {
			t.Fatalf("round %d: the client's writes after the failed packet: %v", i, err)
		}
		tc.expectAck(0, hdfspb.Status_SUCCESS, 1)
		tc.expectAck(1, hdfspb.Status_ERROR_CHECKSUM, 1)
		tc.nc.Close()
	}
}
