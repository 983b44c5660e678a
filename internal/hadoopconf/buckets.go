package hadoopconf

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// perBucketPrefixes maps each per-bucket property prefix to the base prefix
// its options live under.
var perBucketPrefixes = [...]struct{ bucket, base string }{
	{"fs.s3a.bucket.", "fs.s3a."},
	{"fs.s3.bucket.", "fs.s3."},
	{"emrfsd.bucket.", "emrfsd."},
}

// indexBuckets finds the bucket named by every per-bucket property.
//
// A property fs.s3.bucket.REST (or fs.s3a.bucket.REST, emrfsd.bucket.REST)
// is split at each dot of REST in turn, left to right, into BUCKET and
// OPTION; the first split whose fs.s3.OPTION (fs.s3a.OPTION,
// emrfsd.OPTION) is a known option names the bucket. So
// fs.s3a.bucket.my.bucket.encryption.algorithm is bucket "my.bucket" because
// neither "bucket.encryption.algorithm" nor its other left-truncations except
// "encryption.algorithm" is an option. Taking the first (shortest) bucket
// that works is only ambiguous if one known option is a dotted suffix of
// another (x.y and y), which the caller's option set must avoid.
func (c *Conf) indexBuckets(known []string) {
	exact := map[string]bool{}
	var prefixes []string
	for _, k := range known {
		if strings.HasSuffix(k, ".") {
			prefixes = append(prefixes, k)
		} else {
			exact[k] = true
		}
	}
	isKnown := func(opt string) bool {
		if exact[opt] {
			return true
		}
		for _, p := range prefixes {
			if len(opt) > len(p) && strings.HasPrefix(opt, p) {
				return true
			}
		}
		return false
	}
	c.buckets = map[string]Entry{}
	for _, n := range c.names() {
		for _, p := range perBucketPrefixes {
			rest, ok := strings.CutPrefix(n, p.bucket)
			if !ok {
				continue
			}
			e, _ := c.Get(n)
			found := false
			for i := 1; i < len(rest)-1; i++ {
				if rest[i] == '.' && isKnown(p.base+rest[i+1:]) {
					if _, dup := c.buckets[rest[:i]]; !dup {
						c.buckets[rest[:i]] = e
					}
					found = true
					break
				}
			}
			if !found {
				c.unmatched = append(c.unmatched, e)
			}
		}
	}
}

// BucketsMentioned returns, sorted, the buckets named in per-bucket
// properties (fs.s3.bucket.B.OPTION, fs.s3a.bucket.B.OPTION,
// emrfsd.bucket.B.OPTION) whose OPTION is
// one of LoadOptions.BucketOptions. The names are not checked; see
// CheckBucketName.
func (c *Conf) BucketsMentioned() []string {
	out := make([]string, 0, len(c.buckets))
	for b := range c.buckets {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

// BucketMention returns the first property (by name) that mentions bucket,
// for error messages.
func (c *Conf) BucketMention(bucket string) (Entry, bool) {
	e, ok := c.buckets[bucket]
	return e, ok
}

// UnmatchedBucketProperties returns the per-bucket properties whose option
// is not one of LoadOptions.BucketOptions (so their bucket is unknown),
// sorted by name.
func (c *Conf) UnmatchedBucketProperties() []Entry {
	return append([]Entry(nil), c.unmatched...)
}

// CheckBucketName reports whether name follows the S3 naming rules for
// general purpose buckets.
func CheckBucketName(name string) error {
	bad := func(why string) error { return fmt.Errorf("invalid S3 bucket name %q: %s", name, why) }
	if len(name) < 3 || len(name) > 63 {
		return bad("must be 3 to 63 characters long")
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if !('a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' || ch == '.' || ch == '-') {
			return bad("only lowercase letters, digits, '.' and '-' are allowed")
		}
	}
	alnum := func(ch byte) bool { return 'a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' }
	if !alnum(name[0]) || !alnum(name[len(name)-1]) {
		return bad("must begin and end with a letter or digit")
	}
	if strings.Contains(name, "..") {
		return bad("must not contain two adjacent periods")
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return bad("must not be formatted as an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return bad("must not begin with " + p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return bad("must not end with " + s)
		}
	}
	return nil
}
