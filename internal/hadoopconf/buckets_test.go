package hadoopconf

import (
	"reflect"
	"strings"
	"testing"
)

var testBucketOptions = []string{
	"fs.s3.cse.enabled",
	"fs.s3.cse.kms.keyId",
	"fs.s3.enableServerSideEncryption",
	"fs.s3.cse.custom.",
	"fs.s3a.encryption.algorithm",
	"fs.s3a.encryption.key",
}

func TestBucketLookup(t *testing.T) {
	f := writeConf(t, "b-site.xml", props(
		"fs.s3.cse.kms.keyId", "base-key",
		"fs.s3.bucket.logs.cse.kms.keyId", "logs-key",
		"fs.s3.bucket.my.dotted.bucket.cse.kms.keyId", "dotted-key",
		"fs.s3a.encryption.algorithm", "SSE-S3",
		"fs.s3a.bucket.my.dotted.bucket.encryption.algorithm", "CSE-KMS",
		"fs.s3.cse.custom.keyring.file", "/base",
		"fs.s3.cse.custom.other", "o",
		"fs.s3.bucket.logs.cse.custom.keyring.file", "/logs",
		"emrfsd.plain", "p",
	))
	c, err := LoadOptions{LookupEnv: noEnv, BucketOptions: testBucketOptions}.Load([]string{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		bucket, name, value, from string
	}{
		{"logs", "fs.s3.cse.kms.keyId", "logs-key", "fs.s3.bucket.logs.cse.kms.keyId"},
		{"other", "fs.s3.cse.kms.keyId", "base-key", "fs.s3.cse.kms.keyId"},
		{"", "fs.s3.cse.kms.keyId", "base-key", "fs.s3.cse.kms.keyId"},
		{"my.dotted.bucket", "fs.s3.cse.kms.keyId", "dotted-key", "fs.s3.bucket.my.dotted.bucket.cse.kms.keyId"},
		// "dotted.bucket" is a different bucket: its lookup must not see
		// my.dotted.bucket's override.
		{"dotted.bucket", "fs.s3.cse.kms.keyId", "base-key", "fs.s3.cse.kms.keyId"},
		{"my.dotted.bucket", "fs.s3a.encryption.algorithm", "CSE-KMS", "fs.s3a.bucket.my.dotted.bucket.encryption.algorithm"},
		{"logs", "fs.s3a.encryption.algorithm", "SSE-S3", "fs.s3a.encryption.algorithm"},
		{"logs", "emrfsd.plain", "p", "emrfsd.plain"},
	}
	for _, tt := range tests {
		e, ok := c.Bucket(tt.bucket, tt.name)
		if !ok || e.Value != tt.value || e.Name != tt.from {
			t.Errorf("Bucket(%q, %q) = %+v, %v; want %q from %s", tt.bucket, tt.name, e, ok, tt.value, tt.from)
		}
	}
	if _, ok := c.Bucket("logs", "fs.s3.cse.enabled"); ok {
		t.Error("Bucket found an unset property")
	}

	got := map[string]string{}
	for k, e := range c.Prefixed("logs", "fs.s3.cse.custom.") {
		got[k] = e.Value + "@" + e.Name
	}
	want := map[string]string{
		"keyring.file": "/logs@fs.s3.bucket.logs.cse.custom.keyring.file",
		"other":        "o@fs.s3.cse.custom.other",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Prefixed(logs) = %v, want %v", got, want)
	}
	if p := c.Prefixed("", "fs.s3.cse.custom."); p["keyring.file"].Value != "/base" || len(p) != 2 {
		t.Errorf("Prefixed(\"\") = %v", p)
	}
}

func TestBucketsMentioned(t *testing.T) {
	f := writeConf(t, "m-site.xml", props(
		"fs.s3.bucket.logs.cse.kms.keyId", "k",
		"fs.s3a.bucket.my.bucket.encryption.algorithm", "SSE-KMS",
		"fs.s3a.bucket.my.bucket.encryption.key", "k",
		// The bucket name itself contains an option-like word.
		"fs.s3.bucket.cse.enabled.example.cse.enabled", "true",
		"fs.s3.bucket.a.b.c.cse.custom.keyring.file", "/f",
		"fs.s3a.bucket.data.v2.encryption.key", "k",
		"fs.s3.bucket.x.enableServerSideEncryption", "true",
		// Options the caller does not know: bucket cannot be told.
		"fs.s3a.bucket.my.bucket.endpoint", "http://x",
		"fs.s3.bucket.lonely", "v",
		// Not per-bucket.
		"fs.s3.cse.kms.keyId", "k",
		"fs.s3abucket.zzz.encryption.key", "k",
	))
	c, err := LoadOptions{LookupEnv: noEnv, BucketOptions: testBucketOptions}.Load([]string{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.b.c", "cse.enabled.example", "data.v2", "logs", "my.bucket", "x"}
	if got := c.BucketsMentioned(); !reflect.DeepEqual(got, want) {
		t.Errorf("BucketsMentioned() = %q, want %q", got, want)
	}
	if e, ok := c.BucketMention("my.bucket"); !ok || e.Name != "fs.s3a.bucket.my.bucket.encryption.algorithm" || e.File != f {
		t.Errorf("BucketMention(my.bucket) = %+v, %v", e, ok)
	}
	var unmatched []string
	for _, e := range c.UnmatchedBucketProperties() {
		unmatched = append(unmatched, e.Name)
	}
	if want := []string{"fs.s3.bucket.lonely", "fs.s3a.bucket.my.bucket.endpoint"}; !reflect.DeepEqual(unmatched, want) {
		t.Errorf("UnmatchedBucketProperties() = %q, want %q", unmatched, want)
	}
	// Without known options nothing can be attributed.
	c = mustLoad(t, []string{f}, nil)
	if got := c.BucketsMentioned(); len(got) != 0 {
		t.Errorf("BucketsMentioned() without options = %q", got)
	}
}

// TestBucketsMentionedTieRule pins the documented rule for option sets
// where one option is a dotted suffix of another: the shortest bucket wins.
func TestBucketsMentionedTieRule(t *testing.T) {
	f := writeConf(t, "t-site.xml", props("fs.s3.bucket.bkt.cse.kms.keyId", "k"))
	c, err := LoadOptions{LookupEnv: noEnv, BucketOptions: []string{"fs.s3.kms.keyId", "fs.s3.cse.kms.keyId"}}.Load([]string{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.BucketsMentioned(); !reflect.DeepEqual(got, []string{"bkt"}) {
		t.Errorf("BucketsMentioned() = %q, want [bkt] (not bkt.cse)", got)
	}
}

func TestCheckBucketName(t *testing.T) {
	good := []string{"abc", "my.bucket", "a-b.c-d", "logs", "0123456789", strings.Repeat("a", 63), "emrfsd-test-0a1b2c"}
	for _, n := range good {
		if err := CheckBucketName(n); err != nil {
			t.Errorf("CheckBucketName(%q) = %v", n, err)
		}
	}
	bad := []string{"", "ab", strings.Repeat("a", 64), "My-Bucket", "a_b", "-ab", "ab-", ".ab", "ab.", "a..b",
		"192.168.1.1", "xn--abc", "sthree-x", "amzn-s3-demo-x", "x-s3alias", "x--ol-s3", "x.mrap", "x--x-s3",
		"x--table-s3", "a/b", "a b"}
	for _, n := range bad {
		if err := CheckBucketName(n); err == nil {
			t.Errorf("CheckBucketName(%q) accepted", n)
		}
	}
}

// TestEmrfsdBucketPrefix: emrfsd.bucket.B.REST overrides emrfsd.REST for
// bucket B, with the same splitting rule as fs.s3.bucket.
func TestEmrfsdBucketPrefix(t *testing.T) {
	f := writeConf(t, "e-site.xml", props(
		"emrfsd.root.owner", "hdfs",
		"emrfsd.bucket.logs.root.owner", "logger",
		"emrfsd.bucket.my.root.bucket.root.owner", "dotted",
		"emrfsd.bucket.x.unknown.option", "v",
		"emrfsd.buckets", "logs", // not a per-bucket property
	))
	c, err := LoadOptions{LookupEnv: noEnv, BucketOptions: []string{"emrfsd.root.owner", "fs.s3.cse.enabled"}}.Load([]string{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ bucket, value, from string }{
		{"logs", "logger", "emrfsd.bucket.logs.root.owner"},
		{"my.root.bucket", "dotted", "emrfsd.bucket.my.root.bucket.root.owner"},
		{"root.bucket", "hdfs", "emrfsd.root.owner"},
		{"", "hdfs", "emrfsd.root.owner"},
	} {
		e, ok := c.Bucket(tt.bucket, "emrfsd.root.owner")
		if !ok || e.Value != tt.value || e.Name != tt.from {
			t.Errorf("Bucket(%q) = %+v, %v; want %q from %s", tt.bucket, e, ok, tt.value, tt.from)
		}
	}
	if got, want := c.BucketsMentioned(), []string{"logs", "my.root.bucket"}; !reflect.DeepEqual(got, want) {
		t.Errorf("BucketsMentioned() = %q, want %q", got, want)
	}
	if u := c.UnmatchedBucketProperties(); len(u) != 1 || u[0].Name != "emrfsd.bucket.x.unknown.option" {
		t.Errorf("UnmatchedBucketProperties() = %+v", u)
	}
}
