package blocks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/s3api"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/plain"
)

// Hadoop's WritableUtils.writeVLong, worked by hand from its definition.
func TestVLongMatchesHadoop(t *testing.T) {
	for _, c := range []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0x00}}, {127, []byte{0x7f}}, {-112, []byte{0x90}},
		{128, []byte{0x8f, 0x80}}, {-113, []byte{0x87, 0x70}},
		{1 << 40, []byte{0x8a, 0x01, 0, 0, 0, 0, 0}},
	} {
		got := appendVLong(nil, c.v)
		if !bytes.Equal(got, c.want) {
			t.Errorf("vlong(%d) = % x, want % x", c.v, got, c.want)
		}
		back, rest, err := readVLong(got)
		if err != nil || back != c.v || len(rest) != 0 {
			t.Errorf("read back %d: %d %v", c.v, back, err)
		}
	}
}

// noS3 must not be used: token refusals happen before any object is read.
type noS3 struct{ s3api.API }

func testTable(t *testing.T, key *Key, tokens bool) *Table {
	t.Helper()
	f, err := fs.New(context.Background(), fs.Options{S3: noS3{},
		Provider: func(context.Context, string) (providers.Provider, error) { return plain.New(), nil }})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := New(Options{FS: f, PoolID: "BP-test", Key: key, Tokens: tokens, TokenLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestTokens(t *testing.T) {
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	tab := testTable(t, key, true)
	id, _ := tab.ReadID("/b/f", "etag1", 1<<20, 2, 2<<20, 1<<20)
	if id <= 0 || id&(1<<62) == 0 {
		t.Fatalf("read id %x: want positive with bit 62", id)
	}
	if again, _ := tab.ReadID("/b/f", "etag1", 1<<20, 2, 2<<20, 1<<20); again != id {
		t.Fatal("read id not stable")
	}
	if other, _ := tab.ReadID("/b/f", "etag2", 1<<20, 2, 2<<20, 1<<20); other == id {
		t.Fatal("a new object version reused the block id")
	}
	// A second table (restart, or another daemon) with the same key agrees
	// on ids and accepts the first one's tokens.
	tab2 := testTable(t, key, true)
	if id2, _ := tab2.ReadID("/b/f", "etag1", 1<<20, 2, 2<<20, 1<<20); id2 != id {
		t.Fatal("ids differ between tables sharing a key")
	}
	tok := tab.ReadToken("alice", id, "/b/f", "etag1", 2<<20, 1<<20)
	if tok.Kind != TokenKind || tok.Empty() {
		t.Fatalf("token %+v", tok)
	}
	c, err := key.verify(tok, "BP-test", id, ModeRead, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	l, err := parseLocator(c.loc)
	if err != nil || l != (locator{"/b/f", "etag1", 2 << 20, 1 << 20}) || c.user != "alice" {
		t.Fatalf("claims %+v %+v %v", c, l, err)
	}

	other, _ := NewKey()
	forged := tok
	forged.Identifier = bytes.Clone(tok.Identifier)
	forged.Identifier[len(forged.Identifier)-3] ^= 1 // move the byte range
	for name, try := range map[string]func() error{
		"no token": func() error { _, err := tab.OpenRead(context.Background(), Ref{PoolID: "BP-test", ID: id}); return err },
		"other block": func() error {
			_, err := tab.OpenRead(context.Background(), Ref{PoolID: "BP-test", ID: id + 1, Token: tok})
			return err
		},
		"forged identifier": func() error {
			_, err := tab.OpenRead(context.Background(), Ref{PoolID: "BP-test", ID: id, Token: forged})
			return err
		},
		"other key": func() error {
			_, err := testTable(t, other, true).OpenRead(context.Background(), Ref{PoolID: "BP-test", ID: id, Token: tok})
			return err
		},
		"write with read token": func() error {
			_, err := tab.OpenWrite(context.Background(), Ref{PoolID: "BP-test", ID: id, Token: tok})
			return err
		},
		"expired": func() error {
			_, err := key.verify(tok, "BP-test", id, ModeRead, time.Now().Add(2*time.Hour))
			return err
		},
	} {
		if err := try(); !errors.Is(err, ErrBadToken) || !errors.Is(err, iofs.ErrPermission) {
			t.Errorf("%s: %v, want ErrBadToken", name, err)
		}
	}

	// Tokens off: no token is handed out, and an unknown id is just unknown.
	off := testTable(t, key, false)
	if !off.ReadToken("alice", id, "/b/f", "etag1", 0, 1).Empty() {
		t.Error("token issued with tokens off")
	}
	if _, err := off.OpenRead(context.Background(), Ref{PoolID: "BP-test", ID: 12345}); !errors.Is(err, ErrNoBlock) {
		t.Errorf("unknown id without tokens: %v", err)
	}
}

func TestWriteIDsDistinctFromReadIDs(t *testing.T) {
	tab := testTable(t, nil, true)
	for range 1000 {
		id, err := tab.AddWrite(nil)
		if err != nil {
			t.Fatal(err)
		}
		if id <= 0 || id&(1<<62) != 0 {
			t.Fatalf("write id %x", id)
		}
	}
}

func TestKeyNeverPrinted(t *testing.T) {
	k, _ := NewKey()
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if bytes.Contains([]byte(s), k.secret[:8]) || strings.Contains(s, fmt.Sprint(k.secret[0])+" "+fmt.Sprint(k.secret[1])) {
			t.Fatalf("key material printed: %s", s)
		}
	}
}

func TestLoadKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "block.key")
	k1, err := LoadKey(p)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() != KeySize {
		t.Fatalf("key file: %v %v", st, err)
	}
	k2, err := LoadKey(p)
	if err != nil || k2.secret != k1.secret || k2.id != k1.id {
		t.Fatalf("reloaded key differs: %v", err)
	}
	if err := os.WriteFile(p, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(p); err == nil {
		t.Fatal("a 5-byte key was accepted")
	}
}
