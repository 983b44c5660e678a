package limits

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// packet is the DataNode's data packet size (256 KiB reads; 64 KiB is the
// Java client's write packet).
const packet = 64 << 10

func buf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func BenchmarkMemcpy(b *testing.B) {
	src, dst := buf(1<<20), make([]byte, 1<<20)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		copy(dst, src)
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// BenchmarkCRC32CChunks checksums a packet as HDFS does: one CRC32C per
// 512-byte chunk, written big-endian into a sums slice.
func BenchmarkCRC32CChunks512(b *testing.B) {
	data, sums := buf(packet), make([]byte, packet/512*4)
	b.SetBytes(packet)
	for b.Loop() {
		for i := 0; i < packet/512; i++ {
			binary.BigEndian.PutUint32(sums[i*4:], crc32.Checksum(data[i*512:(i+1)*512], castagnoli))
		}
	}
}

// BenchmarkCRC32CWhole is one CRC32C over the whole packet (the upper
// bound for a per-chunk checksum).
func BenchmarkCRC32CWhole(b *testing.B) {
	data := buf(packet)
	b.SetBytes(packet)
	for b.Loop() {
		crc32.Checksum(data, castagnoli)
	}
}

// BenchmarkAESGCM256Seal seals 64 KiB chunks (the sealed-disk chunk, and
// the order of a CSE stream's write size).
func BenchmarkAESGCM256Seal(b *testing.B) {
	key := make([]byte, 32)
	blk, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(blk)
	nonce := make([]byte, aead.NonceSize())
	data := buf(packet)
	out := make([]byte, 0, packet+aead.Overhead())
	b.SetBytes(packet)
	for b.Loop() {
		out = aead.Seal(out[:0], nonce, data, nil)
	}
}

func BenchmarkAESGCM256Open(b *testing.B) {
	key := make([]byte, 32)
	blk, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(blk)
	nonce := make([]byte, aead.NonceSize())
	sealed := aead.Seal(nil, nonce, buf(packet), nil)
	out := make([]byte, 0, packet)
	b.SetBytes(packet)
	for b.Loop() {
		var err error
		if out, err = aead.Open(out[:0], nonce, sealed, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMD5(b *testing.B) {
	data := buf(packet)
	h := md5.New()
	b.SetBytes(packet)
	for b.Loop() {
		h.Write(data)
	}
}

func BenchmarkSHA256(b *testing.B) {
	data := buf(packet)
	h := sha256.New()
	b.SetBytes(packet)
	for b.Loop() {
		h.Write(data)
	}
}

// BenchmarkLoopbackTCP sends 256 KiB writes over a loopback TCP connection
// to a goroutine reading into a 256 KiB buffer: the cost of one hop (both
// ends' system calls and the kernel's copies) on the shared cores.
func BenchmarkLoopbackTCP(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	done := make(chan int64)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- 0
			return
		}
		defer c.Close()
		n, _ := io.CopyBuffer(io.Discard, c, make([]byte, 256<<10))
		done <- n
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	data := buf(256 << 10)
	b.SetBytes(int64(len(data)))
	cpu0 := processCPU(b)
	sent := int64(0)
	for b.Loop() {
		if _, err := c.Write(data); err != nil {
			b.Fatal(err)
		}
		sent += int64(len(data))
	}
	c.Close()
	if n := <-done; n < int64(len(data)) {
		b.Fatalf("receiver got %d bytes", n)
	}
	// Both ends' CPU (user+system) per GiB moved: what one hop costs the
	// machine, whoever the ends are.
	b.ReportMetric((processCPU(b)-cpu0).Seconds()/(float64(sent)/(1<<30)), "cpu-s/GiB")
}

// processCPU is this process's user+system CPU time so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
