package config

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/internal/hadoopconf"
)

// public returns o's exported fields only.
func public(o *Options) Options {
	c := *o
	c.conf, c.localKey, c.keyARNs = nil, hadoopconf.Entry{}, nil
	return c
}

var wantDefaults = Options{
	DataDir:               "./emrfsd-data",
	NameNodeAddr:          "127.0.0.1:8020",
	DataNodeAddr:          "127.0.0.1:9866",
	Buckets:               nil,
	PathStyle:             false,
	KMSAuditLog:           "./emrfsd-data/kms-audit.log",
	KeyCacheMaxEntries:    1000,
	KeyCacheTTL:           5 * time.Minute,
	KeyCacheMaxUses:       100000,
	PermissionsEnabled:    true,
	SuperUserGroup:        "supergroup",
	PartSize:              8 << 20,
	UploadBuffer:          "disk",
	UploadMemoryLimit:     128 << 20,
	ActiveBlocks:          4,
	LocalDir:              "./emrfsd-data/local",
	LocalKMSKeyID:         "",
	BlockSize:             128 << 20,
	Replication:           1,
	ShutdownTimeout:       30 * time.Second,
	MaxFrame:              16 << 20,
	NameNodeMaxConns:      4096,
	NameNodeIdleTimeout:   2 * time.Minute,
	NameNodeFrameTimeout:  30 * time.Second,
	MaxCallsPerConn:       32,
	DataNodeMaxConns:      4096,
	MaxOpenFiles:          1024,
	MaxOpenFilesPerClient: 256,
	KMSMaxAttempts:        5,
	KMSMaxBackoff:         5 * time.Second,
	KMSTimeout:            5 * time.Second,
	S3RequestTimeout:      time.Minute,
	BlockTokens:           true,
	BlockTokenLifetime:    10 * time.Hour,
	BlockKeyFile:          "./emrfsd-data/block.key",
	MaxComponentLength:    255,
	HomeAutoCreate:        true,

	AttrIndexFile:          "./emrfsd-data/attrindex.db",
	AttrIndexMemoryEntries: 65536,
	AttrIndexMaxEntries:    4194304,
	DirAttrTTL:             5 * time.Minute,
	DirCacheTTL:            2 * time.Second,
	ListHeadUnknown:        true,
	HTTPAddr:               "127.0.0.1:9870",
	HTTPSAddr:              "127.0.0.1:9871",
	HTTPPolicy:             HTTPOnly,
	WebHDFSEnabled:         true,
	StaticUser:             "dr.who",
}

func TestLoadEmptyGivesDocumentedDefaults(t *testing.T) {
	o := load(t, nil, nil)
	if got := public(o); !reflect.DeepEqual(got, wantDefaults) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, wantDefaults)
	}
	// Setting every documented default explicitly changes nothing: the
	// documentation and the behaviour agree.
	var defs []string
	for _, d := range Documented() {
		if !strings.HasSuffix(d.Name, "<name>") {
			defs = append(defs, d.Name+"="+d.Default)
		}
	}
	o2 := load(t, nil, defs)
	if got := public(o2); !reflect.DeepEqual(got, wantDefaults) {
		t.Errorf("explicit documented defaults:\n got %+v\nwant %+v", got, wantDefaults)
	}
	for _, oo := range []*Options{o, o2} {
		p, err := oo.Policy("")
		if err != nil || p.Provider != ProviderPlain || p.KMSKeyID != "" || p.Materials != "" {
			t.Errorf("default policy = %+v, %v; want plain", p, err)
		}
	}
}

func TestDocumented(t *testing.T) {
	docs := (&Options{}).Documented()
	names := map[string]bool{}
	for _, d := range docs {
		if names[d.Name] {
			t.Errorf("%s documented twice", d.Name)
		}
		names[d.Name] = true
		if d.Description == "" {
			t.Errorf("%s has no description", d.Name)
		}
	}
	// Every property the brief requires is documented.
	for _, n := range []string{
		"emrfsd.data.dir", "dfs.namenode.rpc-address", "dfs.datanode.address", "emrfsd.buckets",
		"fs.s3a.path.style.access", "emrfsd.kms.audit.log", "emrfsd.cse.keycache.max.entries",
		"emrfsd.cse.keycache.ttl", "emrfsd.cse.keycache.max.uses", "dfs.permissions.enabled",
		"dfs.permissions.superusergroup", "fs.s3a.multipart.size", "fs.s3a.fast.upload.buffer",
		"fs.s3a.fast.upload.active.blocks", "emrfsd.local.dir", "emrfsd.local.encryption.kms.keyId",
		"dfs.blocksize", "dfs.replication", "fs.s3.enableServerSideEncryption",
		"fs.s3.serverSideEncryption.kms.keyId", "fs.s3.cse.enabled", "fs.s3.cse.encryptionMaterialsProvider",
		"fs.s3.cse.kms.keyId", "fs.s3.cse.kms.region", "fs.s3.cse.encryptionV2.enabled",
		"fs.s3.cse.cryptoStorageMode", "fs.s3.cse.custom.<name>", "fs.s3a.encryption.algorithm",
		"fs.s3a.encryption.key", "fs.s3a.encryption.cse.kms.region", "fs.s3a.encryption.cse.custom.keyring.class.name",
	} {
		if !names[n] {
			t.Errorf("%s is not documented", n)
		}
	}
}

// TestBucketOptionsUnambiguous guards the per-bucket parsing rule: no
// per-bucket option may be a dotted suffix of another under the same prefix.
func TestBucketOptionsUnambiguous(t *testing.T) {
	opts := bucketOptions()
	for _, a := range opts {
		for _, b := range opts {
			if a == b {
				continue
			}
			for _, pre := range []string{"fs.s3a.", "fs.s3.", "emrfsd."} {
				ra, okA := strings.CutPrefix(a, pre)
				rb, okB := strings.CutPrefix(b, pre)
				if okA && okB && strings.HasSuffix(ra, "."+rb) {
					t.Errorf("%s ends with option %s: per-bucket names would be ambiguous", a, b)
				}
			}
		}
	}
}

func TestLoadValues(t *testing.T) {
	f := writeSite(t,
		"emrfsd.data.dir", "/srv/emrfsd",
		"dfs.namenode.rpc-address", "0.0.0.0:18020",
		"dfs.datanode.address", "[::1]:19866",
		"emrfsd.buckets", " logs , warehouse=my.data.bucket,,raw=raw-2 ",
		"fs.s3a.path.style.access", "TRUE",
		"emrfsd.cse.keycache.max.entries", "50",
		"emrfsd.cse.keycache.ttl", "300000",
		"emrfsd.cse.keycache.max.uses", "7",
		"dfs.permissions.enabled", "false",
		"dfs.permissions.superusergroup", "hadoop",
		"fs.s3a.multipart.size", "16m",
		"fs.s3a.fast.upload.buffer", "array",
		"emrfsd.upload.memory.limit", "0",
		"fs.s3a.fast.upload.active.blocks", "0x10",
		"emrfsd.local.encryption.kms.keyId", "alias/emrfsd-local",
		"dfs.blocksize", "64M",
		"dfs.replication", "3",
		"emrfsd.store", " embedded ",
		"emrfsd.default.bucket", "shared-home",
		"emrfsd.attrindex.file", "",
		"emrfsd.attrindex.memory.entries", "1000",
		"emrfsd.attrindex.max.entries", "2000",
		"emrfsd.attrindex.dir.ttl", "30s",
		"emrfsd.dircache.ttl", "1m",
		"emrfsd.list.head.unknown", "false",
		"ipc.maximum.data.length", "1m",
		"ipc.server.max.connections", "100",
		"emrfsd.namenode.idle.timeout", "10s",
		"emrfsd.namenode.frame.timeout", "2s",
		"emrfsd.namenode.max.calls.per.connection", "4",
		"dfs.datanode.max.transfer.threads", "200",
		"emrfsd.max.open.files", "50",
		"emrfsd.max.open.files.per.client", "5",
		"emrfsd.kms.retry.max.attempts", "2",
		"emrfsd.kms.retry.max.backoff", "300ms",
		"emrfsd.kms.timeout", "1500",
	)
	o := load(t, []string{f}, nil)
	want := Options{
		DataDir:               "/srv/emrfsd",
		NameNodeAddr:          "0.0.0.0:18020",
		DataNodeAddr:          "[::1]:19866",
		Buckets:               []Mount{{"logs", "logs"}, {"warehouse", "my.data.bucket"}, {"raw", "raw-2"}},
		PathStyle:             true,
		KMSAuditLog:           "/srv/emrfsd/kms-audit.log",
		KeyCacheMaxEntries:    50,
		KeyCacheTTL:           5 * time.Minute,
		KeyCacheMaxUses:       7,
		PermissionsEnabled:    false,
		SuperUserGroup:        "hadoop",
		PartSize:              16 << 20,
		UploadBuffer:          "array",
		UploadMemoryLimit:     0,
		ActiveBlocks:          16,
		LocalDir:              "/srv/emrfsd/local",
		LocalKMSKeyID:         "alias/emrfsd-local",
		BlockSize:             64 << 20,
		MaxFrame:              1 << 20,
		NameNodeMaxConns:      100,
		NameNodeIdleTimeout:   10 * time.Second,
		NameNodeFrameTimeout:  2 * time.Second,
		MaxCallsPerConn:       4,
		DataNodeMaxConns:      200,
		MaxOpenFiles:          50,
		MaxOpenFilesPerClient: 5,
		KMSMaxAttempts:        2,
		KMSMaxBackoff:         300 * time.Millisecond,
		KMSTimeout:            1500 * time.Millisecond,
		Replication:           3,
		ShutdownTimeout:       30 * time.Second,
		Store:                 StoreEmbedded,
		S3RequestTimeout:      time.Minute,
		BlockTokens:           true,
		BlockTokenLifetime:    10 * time.Hour,
		BlockKeyFile:          "/srv/emrfsd/block.key",
		MaxComponentLength:    255,
		HomeAutoCreate:        true,

		DefaultBucket:          "shared-home",
		AttrIndexFile:          "",
		AttrIndexMemoryEntries: 1000,
		AttrIndexMaxEntries:    2000,
		DirAttrTTL:             30 * time.Second,
		DirCacheTTL:            time.Minute,
		ListHeadUnknown:        false,
		HTTPAddr:               "127.0.0.1:9870",
		HTTPSAddr:              "127.0.0.1:9871",
		HTTPPolicy:             HTTPOnly,
		WebHDFSEnabled:         true,
		StaticUser:             "dr.who",
	}
	if got := public(o); !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
	// --data-dir arrives as -D and moves the derived paths too; explicit
	// paths stay.
	o = load(t, []string{f}, []string{"emrfsd.data.dir=/flag", "emrfsd.local.dir=${emrfsd.data.dir}/tmp"})
	if o.DataDir != "/flag" || o.KMSAuditLog != "/flag/kms-audit.log" || o.LocalDir != "/flag/tmp" {
		t.Errorf("after -D: %q %q %q", o.DataDir, o.KMSAuditLog, o.LocalDir)
	}
	if o.Conf() == nil {
		t.Error("Conf() is nil")
	}
}

func TestLoadRefusals(t *testing.T) {
	tests := []struct {
		prop, value string
		class       error
	}{
		{"emrfsd.data.dir", " ", ErrInvalid},
		{"dfs.namenode.rpc-address", "8020", ErrInvalid},
		{"dfs.datanode.address", "host:99999", ErrInvalid},
		{"dfs.datanode.address", "host:port", ErrInvalid},
		{"fs.s3a.path.style.access", "yes", ErrInvalid},
		{"emrfsd.cse.keycache.max.entries", "0", ErrInvalid},
		{"emrfsd.cse.keycache.max.entries", "many", ErrInvalid},
		{"emrfsd.cse.keycache.ttl", "5 min", ErrInvalid},
		{"emrfsd.cse.keycache.ttl", "0s", ErrInvalid},
		{"emrfsd.cse.keycache.max.uses", "0", ErrInvalid},
		{"dfs.permissions.enabled", "on", ErrInvalid},
		{"dfs.permissions.superusergroup", "", ErrInvalid},
		{"fs.s3a.multipart.size", "4M", ErrInvalid},
		{"fs.s3a.multipart.size", "6G", ErrInvalid},
		{"fs.s3a.multipart.size", "64MB", ErrInvalid},
		{"fs.s3a.fast.upload.buffer", "bytebuffer", ErrInvalid},
		{"fs.s3a.fast.upload.active.blocks", "0", ErrInvalid},
		{"emrfsd.local.dir", "", ErrInvalid},
		{"emrfsd.kms.audit.log", "", ErrInvalid},
		{"emrfsd.local.encryption.kms.keyId", "alias/aws/s3", ErrAWSManagedKey},
		{"emrfsd.local.encryption.kms.keyId", "arn:aws:kms:us-east-1:111122223333:alias/aws/s3", ErrAWSManagedKey},
		{"dfs.blocksize", "512k", ErrInvalid},
		{"dfs.blocksize", "1.5g", ErrInvalid},
		{"dfs.replication", "0", ErrInvalid},
		{"dfs.replication", "513", ErrInvalid},
		{"emrfsd.store", "disk", ErrInvalid},
		{"emrfsd.buckets", "Bad_Bucket", ErrInvalid},
		{"emrfsd.buckets", "a/b=bucket1", ErrInvalid},
		{"emrfsd.buckets", "..=bucket1", ErrInvalid},
		{"emrfsd.buckets", "=bucket1", ErrInvalid},
		{"emrfsd.buckets", "d=", ErrInvalid},
		{"emrfsd.buckets", "x=bucket1,x=bucket2", ErrInvalid},
		{"emrfsd.buckets", "bucket1,bucket1", ErrInvalid},
		{"emrfsd.default.bucket", "Home", ErrInvalid},
		{"emrfsd.attrindex.memory.entries", "0", ErrInvalid},
		{"emrfsd.attrindex.max.entries", "-1", ErrInvalid},
		{"emrfsd.attrindex.dir.ttl", "0", ErrInvalid},
		{"emrfsd.dircache.ttl", "-1s", ErrInvalid},
		{"emrfsd.list.head.unknown", "sometimes", ErrInvalid},
		{"emrfsd.root.permission", "rwxr-xr-x", ErrInvalid},
		{"emrfsd.root.permission", "2755", ErrInvalid},
		{"emrfsd.root.permission", "999", ErrInvalid},
		{"emrfsd.bucket.logs.root.permission", "8", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.prop+"="+tt.value, func(t *testing.T) {
			f := writeSite(t, "dfs.replication", "1", tt.prop, tt.value)
			_, err := testLoader(nil).Load([]string{f}, nil)
			wantConfErr(t, err, tt.class, f, tt.prop)
			if err != nil && !strings.Contains(err.Error(), f+":4: property "+tt.prop) {
				t.Errorf("Error() = %q does not give line 4", err)
			}
		})
	}
	// Every problem is reported, not just the first.
	f := writeSite(t, "dfs.replication", "x", "fs.s3a.multipart.size", "1k", "dfs.permissions.enabled", "maybe")
	_, err := testLoader(nil).Load([]string{f}, []string{"dfs.blocksize=huge"})
	wantConfErr(t, err, ErrInvalid, f, "dfs.replication")
	wantConfErr(t, err, ErrInvalid, f, "fs.s3a.multipart.size")
	wantConfErr(t, err, ErrInvalid, f, "dfs.permissions.enabled")
	wantConfErr(t, err, ErrInvalid, hadoopconf.CommandLine, "dfs.blocksize")
}

func TestWarnUnknown(t *testing.T) {
	f := writeSite(t,
		"emrfsd.typo.dir", "x",
		"fs.s3.cse.enabeld", "true",
		"fs.s3a.bucket.b1.endpoint", "http://x",
		"fs.s3.cse.custom.keyring.file", "/f",
		"fs.s3a.endpoint", "http://x",
		"hadoop.tmp.dir", "/tmp",
		"emrfsd.bucket.b1.root.owner", "o",
		"emrfsd.bucket.b1.root.ownr", "o",
	)
	var logs bytes.Buffer
	if _, err := testLoader(&logs).Load([]string{f}, nil); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if strings.Contains(out, "property=emrfsd.bucket.b1.root.owner ") {
		t.Errorf("unexpected warning for a per-bucket root property:\n%s", out)
	}
	for _, want := range []string{"emrfsd.typo.dir", "fs.s3.cse.enabeld", "fs.s3a.bucket.b1.endpoint", "emrfsd.bucket.b1.root.ownr"} {
		if !strings.Contains(out, "property="+want) {
			t.Errorf("no warning for %s:\n%s", want, out)
		}
	}
	for _, quiet := range []string{"fs.s3.cse.custom.keyring.file", "fs.s3a.endpoint", "hadoop.tmp.dir"} {
		if strings.Contains(out, "property="+quiet+" ") {
			t.Errorf("unexpected warning for %s:\n%s", quiet, out)
		}
	}
}

// TestDocGoListsEveryProperty keeps the package documentation in step with
// the property table.
func TestDocGoListsEveryProperty(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range Documented() {
		if !strings.Contains(string(src), d.Name) {
			t.Errorf("doc.go does not mention %s", d.Name)
		}
	}
}

func TestRoot(t *testing.T) {
	f := writeSite(t,
		"dfs.permissions.superusergroup", "hadoop",
		"emrfsd.root.permission", "0751",
		"emrfsd.bucket.logs.root.owner", "flume",
		"emrfsd.bucket.logs.root.permission", "1777",
		"emrfsd.bucket.my.dotted.bucket.root.group", "analysts",
	)
	o := load(t, []string{f}, nil)
	for _, tt := range []struct {
		bucket string
		want   Root
	}{
		{"", Root{Owner: "", Group: "hadoop", Perm: 0o751}},
		{"other", Root{Owner: "", Group: "hadoop", Perm: 0o751}},
		{"logs", Root{Owner: "flume", Group: "hadoop", Perm: 0o1777}},
		{"my.dotted.bucket", Root{Owner: "", Group: "analysts", Perm: 0o751}},
		{"dotted.bucket", Root{Owner: "", Group: "hadoop", Perm: 0o751}},
	} {
		got, err := o.Root(tt.bucket)
		if err != nil || got != tt.want {
			t.Errorf("Root(%q) = %+v, %v; want %+v", tt.bucket, got, err, tt.want)
		}
	}
	// Defaults: the superuser (""), the superuser group, 755.
	if got, err := load(t, nil, nil).Root("any"); err != nil || got != (Root{Group: "supergroup", Perm: 0o755}) {
		t.Errorf("default Root = %+v, %v", got, err)
	}
}

func TestDefaultBucketNotServed(t *testing.T) {
	f := writeSite(t, "emrfsd.buckets", "aaa,dir=bbb", "emrfsd.default.bucket", "bbb")
	_, err := testLoader(nil).Load([]string{f}, nil)
	wantConfErr(t, err, ErrInvalid, f, "emrfsd.default.bucket")
	o := load(t, []string{writeSite(t, "emrfsd.buckets", "aaa,dir=bbb", "emrfsd.default.bucket", "dir")}, nil)
	if o.DefaultBucket != "dir" {
		t.Errorf("a bucket named like a served directory is a fine default bucket: %q", o.DefaultBucket)
	}
}

func TestHTTPAndProxyUsers(t *testing.T) {
	f := writeSite(t,
		"dfs.namenode.http-address", "",
		"dfs.http.policy", "HTTP_AND_HTTPS",
		"emrfsd.http.tls.cert.file", "/etc/emrfsd/cert.pem",
		"emrfsd.http.tls.key.file", "/etc/emrfsd/key.pem",
		"dfs.webhdfs.enabled", "false",
		"hadoop.http.staticuser.user", "web",
		"hadoop.proxyuser.hue.users", " alice, bob ",
		"hadoop.proxyuser.hue.hosts", "*",
		"hadoop.proxyuser.svc.etl.groups", "etl",
		"hadoop.proxyuser.svc.etl.hosts", "10.0.0.0/8,127.0.0.1",
		"hadoop.proxyuser.x.unknown", "ignored",
	)
	o := load(t, []string{f}, nil)
	if o.HTTPAddr != "" || o.HTTPSAddr != "127.0.0.1:9871" || o.HTTPPolicy != HTTPAndHTTPS || o.TLSCertFile != "/etc/emrfsd/cert.pem" ||
		o.TLSKeyFile != "/etc/emrfsd/key.pem" || o.WebHDFSEnabled || o.StaticUser != "web" {
		t.Fatalf("http options: %+v", public(o))
	}
	want := map[string]ProxyUser{
		"hue":     {Users: []string{"alice", "bob"}, Hosts: []string{"*"}},
		"svc.etl": {Groups: []string{"etl"}, Hosts: []string{"10.0.0.0/8", "127.0.0.1"}},
	}
	if !reflect.DeepEqual(o.ProxyUsers, want) {
		t.Fatalf("proxy users %+v, want %+v", o.ProxyUsers, want)
	}
	// HTTPS without its PEM files, or a bad policy, is refused.
	for _, props := range [][]string{
		{"dfs.http.policy", "HTTPS_ONLY"},
		{"dfs.http.policy", "HTTPS_ONLY", "emrfsd.http.tls.cert.file", "/c.pem"},
		{"dfs.http.policy", "HTTPS_ONLY", "emrfsd.http.tls.cert.file", "/c.pem", "emrfsd.http.tls.key.file", "/k.pem", "dfs.namenode.https-address", ""},
		{"dfs.http.policy", "https_only"},
		{"dfs.namenode.http-address", "nonsense"},
	} {
		_, err := Load([]string{writeSite(t, props...)}, nil)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%v: %v", props, err)
		}
	}
}
