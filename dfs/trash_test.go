package dfs

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/plain"
)

// newTestNamespace serves one fresh MinIO bucket at /BUCKET with
// permissions on; root is the superuser, every user is in USER-group.
func newTestNamespace(t *testing.T, o Options) (*Namespace, string) {
	t.Helper()
	env := testenv.Get(t)
	bucket := env.NewBucket(t, "dfs")
	f, err := fs.New(context.Background(), fs.Options{S3: env.S3Client(), Buckets: map[string]string{bucket: bucket},
		Provider:     func(context.Context, string) (providers.Provider, error) { return plain.New(), nil },
		DefaultOwner: "root"})
	if err != nil {
		t.Fatal(err)
	}
	o.FS = f
	o.SuperUser = "root"
	o.PermissionsEnabled = true
	o.Groups = func(u string) []string { return []string{u + "-group"} }
	o.Logger = slog.New(slog.DiscardHandler)
	n, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	return n, "/" + bucket
}

func writeAs(t *testing.T, n *Namespace, user, p string, data string) {
	t.Helper()
	ctx := context.Background()
	f, err := n.Create(ctx, n.Caller(user), p, CreateRequest{Holder: "h-" + user, Perm: 0644, Create: true, CreateParent: true})
	if err != nil {
		t.Fatalf("create %s as %s: %v", p, user, err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if err := n.Complete(ctx, f); err != nil {
		t.Fatal(err)
	}
}

// The bucket's trash directory appears on first use, 1777 and root's, so
// alice (who may not write the bucket root) can move files to her trash;
// the emptier turns Current into a checkpoint and deletes it once older
// than the interval.
func TestTrashInBucket(t *testing.T) {
	n, b := newTestNamespace(t, Options{TrashInterval: time.Hour})
	ctx := context.Background()
	root, alice := n.Caller("root"), n.Caller("alice")
	if err := n.Mkdirs(ctx, root, b+"/shared", 0777, false); err != nil {
		t.Fatal(err)
	}
	if err := n.SetPermission(ctx, root, b+"/shared", 0777); err != nil {
		t.Fatal(err)
	}
	writeAs(t, n, "alice", b+"/shared/f", "trash me")
	// What FsShell's TrashPolicyDefault does: mkdirs the base, rename.
	base := b + "/.Trash/alice/Current" + b + "/shared"
	if err := n.Mkdirs(ctx, n.Caller("alice"), base, 0700, true); err != nil {
		t.Fatalf("alice mkdirs %s: %v", base, err)
	}
	st, err := n.Stat(ctx, root, b+"/.Trash")
	if err != nil || st.Perm != 01777 || st.Owner != "root" {
		t.Fatalf("trash dir %+v %v, want root's 1777", st, err)
	}
	if ok, err := n.Rename(ctx, n.Caller("alice"), b+"/shared/f", base+"/f"); !ok || err != nil {
		t.Fatalf("move to trash: %v %v", ok, err)
	}
	roots, err := n.BucketRoots(ctx, alice)
	if err != nil || len(roots) != 1 || roots[0].Path != b {
		t.Fatalf("bucket roots %v %v", roots, err)
	}

	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	if err := n.EmptyTrash(ctx, now); err != nil {
		t.Fatal(err)
	}
	cp := b + "/.Trash/alice/261207100000"
	if st, err := n.GetFileInfo(ctx, n.Caller("root"), cp+b+"/shared/f"); err != nil || st == nil {
		t.Fatalf("checkpoint %s missing the file: %v", cp, err)
	}
	if st, _ := n.GetFileInfo(ctx, n.Caller("root"), b+"/.Trash/alice/Current"); st != nil {
		t.Error("Current still there after a checkpoint")
	}
	if err := n.EmptyTrash(ctx, now.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if st, _ := n.GetFileInfo(ctx, n.Caller("root"), cp); st == nil {
		t.Fatal("checkpoint deleted before the interval passed")
	}
	if err := n.EmptyTrash(ctx, now.Add(61*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if st, _ := n.GetFileInfo(ctx, n.Caller("root"), cp); st != nil {
		t.Fatal("checkpoint older than the interval kept")
	}
	if _, ok := checkpointTime("not-a-date"); ok {
		t.Error("a non-checkpoint name parsed as a checkpoint")
	}
}

// HDFS gives every new path its parent's group: directories made by
// mkdirs -p and by create(createParent) take the group of the nearest
// existing ancestor, not the creator's primary group.
func TestNewPathsInheritGroup(t *testing.T) {
	n, b := newTestNamespace(t, Options{})
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(n.Mkdirs(ctx, n.Caller("root"), b+"/g", 0777, false))
	must(n.SetPermission(ctx, n.Caller("root"), b+"/g", 0777))
	must(n.SetOwner(ctx, n.Caller("root"), b+"/g", "", "staff"))
	must(n.Mkdirs(ctx, n.Caller("alice"), b+"/g/x/y", 0755, true))
	writeAs(t, n, "alice", b+"/g/n1/n2/f", "data")
	for _, p := range []string{"/g/x", "/g/x/y", "/g/n1", "/g/n1/n2", "/g/n1/n2/f"} {
		st, err := n.Stat(ctx, n.Caller("root"), b+p)
		if err != nil || st.Group != "staff" || st.Owner != "alice" {
			t.Errorf("%s: owner %q group %q (%v), want alice:staff", p, st.Owner, st.Group, err)
		}
	}
}

// A file keeps the block size and replication it was created with (and a
// replication set later) in stat and in listings, after it is closed.
func TestBlockSizeAndReplicationPersist(t *testing.T) {
	n, b := newTestNamespace(t, Options{BlockSize: 128 << 20, Replication: 1})
	ctx := context.Background()
	f, err := n.Create(ctx, n.Caller("root"), b+"/f", CreateRequest{Holder: "h", Perm: 0644, Create: true, BlockSize: 1 << 20, Replication: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 3<<20+7)); err != nil {
		t.Fatal(err)
	}
	if err := n.Complete(ctx, f); err != nil {
		t.Fatal(err)
	}
	check := func(wantRepl int) {
		t.Helper()
		st, err := n.Stat(ctx, n.Caller("root"), b+"/f")
		if err != nil || st.BlockSize != 1<<20 || st.Replication != wantRepl {
			t.Fatalf("stat: block size %d replication %d (%v), want %d and %d", st.BlockSize, st.Replication, err, 1<<20, wantRepl)
		}
		list, _, err := n.List(ctx, n.Caller("root"), b, "")
		if err != nil || len(list) != 1 || list[0].BlockSize != 1<<20 || list[0].Replication != wantRepl {
			t.Fatalf("listing: %+v %v", list, err)
		}
	}
	check(3)
	if ok, err := n.SetReplication(ctx, n.Caller("root"), b+"/f", 2); !ok || err != nil {
		t.Fatalf("setReplication: %v %v", ok, err)
	}
	check(2)
	if _, err := n.SetReplication(ctx, n.Caller("root"), b+"/f", 0); err == nil {
		t.Error("replication 0 accepted")
	}
}

// With a default bucket, /tmp and /user exist from the start and each user
// gets /user/NAME the first time they write there; nobody gets anyone
// else's.
func TestBootstrapAndHomes(t *testing.T) {
	env := testenv.Get(t)
	home := env.NewBucket(t, "dfs-home")
	f, err := fs.New(context.Background(), fs.Options{S3: env.S3Client(), Buckets: map[string]string{}, DefaultBucket: home,
		Provider:     func(context.Context, string) (providers.Provider, error) { return plain.New(), nil },
		DefaultOwner: "root"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(Options{FS: f, SuperUser: "root", PermissionsEnabled: true, HomeAutoCreate: true,
		Groups: func(u string) []string { return []string{u + "-group"} }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := n.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	for p, perm := range map[string]uint32{"/tmp": 01777, "/user": 0755} {
		st, err := n.Stat(ctx, n.Caller("alice"), p)
		if err != nil || st.Perm != perm || st.Owner != "root" || !st.IsDir {
			t.Errorf("%s: %+v %v", p, st, err)
		}
	}
	if err := n.Mkdirs(ctx, n.Caller("alice"), "/user/alice/.sparkStaging/app-1", 0700, true); err != nil {
		t.Fatalf("alice writes in her home: %v", err)
	}
	st, err := n.Stat(ctx, n.Caller("alice"), "/user/alice")
	if err != nil || st.Owner != "alice" || st.Group != "alice-group" || st.Perm != 0755 {
		t.Fatalf("home %+v %v", st, err)
	}
	if err := n.Mkdirs(ctx, n.Caller("alice"), "/user/bob/x", 0755, true); err == nil {
		t.Error("alice created bob's home")
	}
	if _, err := n.Create(ctx, n.Caller("bob"), "/user/alice/intruder", CreateRequest{Holder: "b", Create: true, Perm: 0644}); err == nil {
		t.Error("bob wrote into alice's home")
	}
	writeAs(t, n, "bob", "/tmp/bob-was-here", "x")
	if _, err := n.Delete(ctx, n.Caller("alice"), "/tmp/bob-was-here", false); err == nil {
		t.Error("alice deleted bob's file in sticky /tmp")
	}
}
