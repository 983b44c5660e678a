package hadoopconf

import (
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
)

// Entry is one property as looked up.
type Entry struct {
	// Name is the property name exactly as written where it was set (for a
	// per-bucket lookup: the per-bucket name, if that is what was found).
	Name string
	// Value is the value with ${...} variables expanded.
	Value string
	// Raw is the value as written, before expansion.
	Raw string
	// File is the file that set the value, or CommandLine.
	File string
	// Line is the line of the <property> element in File (0 for -D).
	Line int
	// Final is true when the property was marked <final>true</final>.
	Final bool
}

// LoadOptions tunes Load. The zero value is usable.
type LoadOptions struct {
	// LookupEnv resolves ${env.NAME}; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Logger receives warnings (ignored attempts to override a final
	// property, properties without a value); nil means slog.Default().
	Logger *slog.Logger
	// BucketOptions are the full option names (e.g. "fs.s3.cse.kms.keyId",
	// "fs.s3a.encryption.algorithm") whose per-bucket forms BucketsMentioned
	// recognises. A name ending in "." is a prefix: every option under it
	// matches (e.g. "fs.s3.cse.custom.").
	BucketOptions []string
	// Defaults are the values of properties no file or -D sets, like
	// Hadoop's *-default.xml; their File is DefaultsFile. They may refer to
	// other properties (${emrfsd.data.dir}/local).
	Defaults map[string]string
}

// DefaultsFile is the File of values from LoadOptions.Defaults.
const DefaultsFile = "(default)"

// Conf is a loaded configuration. It is immutable after Load and safe for
// concurrent use.
type Conf struct {
	props     map[string]Entry // by name; Value not yet expanded
	lookupEnv func(string) (string, bool)
	// buckets maps each bucket named in a per-bucket property to the first
	// such property; unmatched lists per-bucket properties whose bucket
	// could not be determined.
	buckets   map[string]Entry
	unmatched []Entry
}

// Load reads files in order and then applies defs ("name=value", from -D
// flags), with default LoadOptions.
func Load(files []string, defs []string) (*Conf, error) {
	return LoadOptions{}.Load(files, defs)
}

// Load reads files in order and then applies defs ("name=value", from -D
// flags). See the package documentation for precedence.
func (o LoadOptions) Load(files []string, defs []string) (*Conf, error) {
	c := &Conf{props: map[string]Entry{}, lookupEnv: o.LookupEnv}
	if c.lookupEnv == nil {
		c.lookupEnv = os.LookupEnv
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	for name, v := range o.Defaults {
		c.props[name] = Entry{Name: name, Raw: v, File: DefaultsFile}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, &Error{File: f, Msg: fmt.Sprintf("cannot read configuration file: %v", err), Err: err}
		}
		props, err := parseXML(f, data)
		if err != nil {
			return nil, err
		}
		for _, p := range props {
			if !p.hasValue {
				log.Warn("hadoopconf: property without <value> ignored", "file", f, "line", p.e.Line, "property", p.e.Name)
				continue
			}
			c.set(p.e, log)
		}
	}
	for _, d := range defs {
		name, value, ok := strings.Cut(d, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, &Error{File: CommandLine, Msg: fmt.Sprintf("malformed definition %q: want -D name=value", d)}
		}
		c.set(Entry{Name: name, Raw: value, File: CommandLine}, log)
	}
	// Report cycles and too-deep nesting now, naming the property, rather
	// than at some later lookup.
	for _, name := range c.names() {
		e := c.props[name]
		if _, err := c.expand(e.Raw, nil); err != nil {
			return nil, e.wrapErr(err, "%v", err)
		}
	}
	c.indexBuckets(o.BucketOptions)
	return c, nil
}

// set applies one definition, honouring final.
func (c *Conf) set(e Entry, log *slog.Logger) {
	if old, ok := c.props[e.Name]; ok && old.Final {
		if old.Raw != e.Raw {
			log.Warn("hadoopconf: attempt to override final property ignored",
				"property", e.Name, "final_in", old.File, "ignored_in", e.File)
		}
		return
	}
	c.props[e.Name] = e
}

func (c *Conf) names() []string {
	out := make([]string, 0, len(c.props))
	for n := range c.props {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Get returns the property name with its value expanded.
func (c *Conf) Get(name string) (Entry, bool) {
	e, ok := c.props[name]
	if !ok {
		return Entry{}, false
	}
	v, err := c.expand(e.Raw, nil)
	if err != nil {
		// Load checked every value; only a changed environment gets
		// here. Keep the value literal, as Hadoop does for a loop.
		v = e.Raw
	}
	e.Value = v
	return e, true
}

// All returns every property, expanded, sorted by name.
func (c *Conf) All() []Entry {
	names := c.names()
	out := make([]Entry, 0, len(names))
	for _, n := range names {
		e, _ := c.Get(n)
		out = append(out, e)
	}
	return out
}

// bucketName returns the per-bucket form of name for bucket, or "" when name
// has no per-bucket form.
func bucketName(bucket, name string) string {
	for _, p := range perBucketPrefixes {
		if rest, ok := strings.CutPrefix(name, p.base); ok {
			return p.bucket + bucket + "." + rest
		}
	}
	return ""
}

// Bucket looks up name for bucket: for fs.s3.REST the property
// fs.s3.bucket.BUCKET.REST is tried first, for fs.s3a.REST the property
// fs.s3a.bucket.BUCKET.REST, for emrfsd.REST emrfsd.bucket.BUCKET.REST; the
// per-bucket value wins over the base one. An empty bucket looks up only
// the base name.
func (c *Conf) Bucket(bucket, name string) (Entry, bool) {
	if bucket != "" {
		if bn := bucketName(bucket, name); bn != "" {
			if e, ok := c.Get(bn); ok {
				return e, true
			}
		}
	}
	return c.Get(name)
}

// Prefixed returns every property under prefix (e.g. "fs.s3.cse.custom."),
// keyed by the rest of its name, with bucket's per-bucket properties under
// the same prefix overriding the base ones.
func (c *Conf) Prefixed(bucket, prefix string) map[string]Entry {
	out := map[string]Entry{}
	for _, n := range c.names() {
		if rest, ok := strings.CutPrefix(n, prefix); ok && rest != "" {
			out[rest], _ = c.Get(n)
		}
	}
	if bucket != "" {
		if bp := bucketName(bucket, prefix); bp != "" {
			for _, n := range c.names() {
				if rest, ok := strings.CutPrefix(n, bp); ok && rest != "" {
					out[rest], _ = c.Get(n)
				}
			}
		}
	}
	return out
}
