package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emrfsd/emrfsd/internal/hadoopconf"
)

// Mount is one entry of emrfsd.buckets: bucket Bucket appears as /Dir.
type Mount struct {
	Dir    string // single path component; equals Bucket unless DIR=BUCKET was given
	Bucket string
}

// Object stores (emrfsd.store).
const (
	StoreS3       = "s3"
	StoreEmbedded = "embedded"
)

// HTTP policies (dfs.http.policy).
const (
	HTTPOnly     = "HTTP_ONLY"
	HTTPSOnly    = "HTTPS_ONLY"
	HTTPAndHTTPS = "HTTP_AND_HTTPS"
)

// ProxyUser is one user's hadoop.proxyuser.NAME.{users,groups,hosts}
// lists (unset: nil).
type ProxyUser struct {
	Users, Groups, Hosts []string
}

// Upload buffer kinds (fs.s3a.fast.upload.buffer).
const (
	BufferDisk  = "disk"
	BufferArray = "array"
)

// Options are the typed, checked daemon options. Load fills every field
// (defaults included); Validate then checks what needs the outside world.
// Each field names its property and default.
type Options struct {
	// DataDir is emrfsd.data.dir (default ./emrfsd-data): the daemon's
	// local state. The --data-dir flag overrides it (main passes -D).
	DataDir string
	// NameNodeAddr is dfs.namenode.rpc-address (default 127.0.0.1:8020).
	NameNodeAddr string
	// DataNodeAddr is dfs.datanode.address (default 127.0.0.1:9866).
	DataNodeAddr string
	// Buckets is emrfsd.buckets (default empty): comma-separated BUCKET or
	// DIR=BUCKET entries. Empty means discover buckets by listing.
	Buckets []Mount
	// PathStyle is fs.s3a.path.style.access (default false).
	PathStyle bool
	// KMSAuditLog is emrfsd.kms.audit.log (default
	// ${emrfsd.data.dir}/kms-audit.log): the trail of every KMS call.
	KMSAuditLog string
	// KeyCacheMaxEntries is emrfsd.cse.keycache.max.entries (default 1000).
	KeyCacheMaxEntries int
	// KeyCacheTTL is emrfsd.cse.keycache.ttl (default 5m; Hadoop duration
	// syntax, a plain number is milliseconds).
	KeyCacheTTL time.Duration
	// KeyCacheMaxUses is emrfsd.cse.keycache.max.uses (default 100000).
	KeyCacheMaxUses int64
	// PermissionsEnabled is dfs.permissions.enabled (default true).
	PermissionsEnabled bool
	// SuperUserGroup is dfs.permissions.superusergroup (default supergroup).
	SuperUserGroup string
	// PartSize is fs.s3a.multipart.size (default 8M, at least 5M, at most
	// 5G): the multipart upload part size in bytes.
	PartSize int64
	// UploadBuffer is fs.s3a.fast.upload.buffer (default disk): BufferDisk
	// or BufferArray.
	UploadBuffer string
	// UploadMemoryLimit is emrfsd.upload.memory.limit (default 128M): with
	// BufferDisk, the bytes of parts held in memory (all streams) before
	// parts are staged on disk; 0 stages every part.
	UploadMemoryLimit int64
	// ActiveBlocks is fs.s3a.fast.upload.active.blocks (default 4): parts
	// buffered or uploading at once per stream.
	ActiveBlocks int
	// LocalDir is emrfsd.local.dir (default ${emrfsd.data.dir}/local): where
	// upload buffers and spill files go.
	LocalDir string
	// LocalKMSKeyID is emrfsd.local.encryption.kms.keyId (default empty =
	// local files are not encrypted): the customer-managed key protecting
	// local files.
	LocalKMSKeyID string
	// BlockSize is dfs.blocksize (default 128M, at least 1M): the block size
	// reported to clients.
	BlockSize int64
	// Replication is dfs.replication (default 1, 1 to 512).
	Replication int
	// ShutdownTimeout is emrfsd.shutdown.timeout (default 30s): the drain
	// period on SIGTERM.
	ShutdownTimeout time.Duration

	// Limits of the front ends (see the properties' descriptions).
	// MaxFrame is ipc.maximum.data.length (default 16M), NameNodeMaxConns
	// ipc.server.max.connections (default 4096), NameNodeIdleTimeout
	// emrfsd.namenode.idle.timeout (2m), NameNodeFrameTimeout
	// emrfsd.namenode.frame.timeout (30s), MaxCallsPerConn
	// emrfsd.namenode.max.calls.per.connection (32), DataNodeMaxConns
	// dfs.datanode.max.transfer.threads (4096), MaxOpenFiles
	// emrfsd.max.open.files (1024), MaxOpenFilesPerClient
	// emrfsd.max.open.files.per.client (256).
	MaxFrame              int64
	NameNodeMaxConns      int
	NameNodeIdleTimeout   time.Duration
	NameNodeFrameTimeout  time.Duration
	MaxCallsPerConn       int
	DataNodeMaxConns      int
	MaxOpenFiles          int
	MaxOpenFilesPerClient int

	// KMS client: KMSMaxAttempts is emrfsd.kms.retry.max.attempts (default
	// 5), KMSMaxBackoff emrfsd.kms.retry.max.backoff (5s), KMSTimeout
	// emrfsd.kms.timeout (5s, per attempt).
	KMSMaxAttempts int
	KMSMaxBackoff  time.Duration
	KMSTimeout     time.Duration
	// Store is emrfsd.store (default empty): StoreS3, StoreEmbedded, or ""
	// to let main decide from the environment.
	Store string
	// DefaultBucket is emrfsd.default.bucket (default empty): the bucket of
	// every top-level path that is not a served bucket, and of "/" itself.
	DefaultBucket string
	// AttrIndexFile is emrfsd.attrindex.file (default
	// ${emrfsd.data.dir}/attrindex.db; empty = memory only).
	AttrIndexFile string
	// AttrIndexMemoryEntries is emrfsd.attrindex.memory.entries (default 65536).
	AttrIndexMemoryEntries int
	// AttrIndexMaxEntries is emrfsd.attrindex.max.entries (default 4194304).
	AttrIndexMaxEntries int
	// DirAttrTTL is emrfsd.attrindex.dir.ttl (default 5m).
	DirAttrTTL time.Duration
	// DirCacheTTL is emrfsd.dircache.ttl (default 2s).
	DirCacheTTL time.Duration
	// ListHeadUnknown is emrfsd.list.head.unknown (default true).
	ListHeadUnknown bool

	// S3RequestTimeout is fs.s3a.connection.request.timeout (default 60s,
	// 0: none): the wait for an S3 response's headers, per attempt.
	S3RequestTimeout time.Duration
	// BlockTokens is dfs.block.access.token.enable (default true): the
	// DataNode serves a block only with a valid block access token.
	BlockTokens bool
	// BlockTokenLifetime is dfs.block.access.token.lifetime (minutes,
	// default 600).
	BlockTokenLifetime time.Duration
	// BlockKeyFile is emrfsd.block.access.key.file: the secret behind block
	// ids and tokens, created at first start.
	BlockKeyFile string
	// DataNodeHostname is dfs.datanode.hostname: the name clients reach the
	// DataNode by (default: the address they reached the NameNode at).
	DataNodeHostname string
	// HomeAutoCreate is emrfsd.home.autocreate (default true): /user/USER
	// is made for USER the first time they create something in it.
	HomeAutoCreate bool
	// MaxComponentLength is dfs.namenode.fs-limits.max-component-length
	// (default 255, 0 = no limit).
	MaxComponentLength int
	// TrashInterval is fs.trash.interval (minutes, default 0 = no trash):
	// reported to clients, which then move deleted files to trash; the
	// daemon checkpoints and empties trash on this period.
	TrashInterval time.Duration
	// TrashCheckpointInterval is fs.trash.checkpoint.interval (minutes,
	// default 0 = TrashInterval).
	TrashCheckpointInterval time.Duration

	// HTTPAddr is dfs.namenode.http-address (default 127.0.0.1:9870; empty:
	// no HTTP listener); HTTPSAddr dfs.namenode.https-address (default
	// 127.0.0.1:9871); HTTPPolicy dfs.http.policy (default HTTP_ONLY) says
	// which of them serve.
	HTTPAddr, HTTPSAddr, HTTPPolicy string
	// TLSCertFile and TLSKeyFile are emrfsd.http.tls.cert.file and
	// emrfsd.http.tls.key.file: PEM files for HTTPS.
	TLSCertFile, TLSKeyFile string
	// WebHDFSEnabled is dfs.webhdfs.enabled (default true).
	WebHDFSEnabled bool
	// StaticUser is hadoop.http.staticuser.user (default dr.who).
	StaticUser string
	// ProxyUsers are the hadoop.proxyuser.NAME.* settings, by NAME.
	ProxyUsers map[string]ProxyUser

	conf     *hadoopconf.Conf
	localKey hadoopconf.Entry  // where LocalKMSKeyID came from
	keyARNs  map[string]string // set by Validate
}

// Loader loads Options. The zero value is usable.
type Loader struct {
	// LookupEnv resolves ${env.NAME}; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Logger receives warnings; nil means slog.Default().
	Logger *slog.Logger
}

// Load reads files in order, applies defs ("name=value" from -D flags) and
// returns typed options, or an error joining every problem found.
func Load(files, defs []string) (*Options, error) {
	return Loader{}.Load(files, defs)
}

// Load reads files in order, applies defs ("name=value" from -D flags) and
// returns typed options, or an error joining every problem found.
func (l Loader) Load(files, defs []string) (*Options, error) {
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	defaults := map[string]string{}
	for _, p := range properties {
		if p.def != "" && !strings.HasSuffix(p.name, ".") {
			defaults[p.name] = p.def
		}
	}
	conf, err := hadoopconf.LoadOptions{
		LookupEnv:     l.LookupEnv,
		Logger:        log,
		BucketOptions: bucketOptions(),
		Defaults:      defaults,
	}.Load(files, defs)
	if err != nil {
		return nil, err
	}
	o := &Options{conf: conf}
	var errs []error
	for _, p := range properties {
		if p.set == nil {
			continue
		}
		e, ok := conf.Get(p.name)
		if !ok {
			// Only properties with an empty default are absent.
			e = hadoopconf.Entry{Name: p.name, File: hadoopconf.DefaultsFile}
		}
		if err := p.set(o, e); err != nil {
			errs = append(errs, err)
		}
	}
	if o.DefaultBucket != "" {
		for _, m := range o.Buckets {
			if m.Bucket == o.DefaultBucket {
				e, _ := conf.Get("emrfsd.default.bucket")
				errs = append(errs, invalid(e, "bucket %q is also served as /%s (emrfsd.buckets); the default bucket is \"/\"", o.DefaultBucket, m.Dir))
			}
		}
	}
	// Bucket-root attributes: the defaults and every per-bucket override.
	for _, b := range append([]string{""}, conf.BucketsMentioned()...) {
		if _, err := o.Root(b); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	warnUnknown(conf, log)
	return o, nil
}

// Conf returns the configuration the options were loaded from, for
// components that read their own properties.
func (o *Options) Conf() *hadoopconf.Conf { return o.conf }

// invalid returns an ErrInvalid *hadoopconf.Error about e.
func invalid(e hadoopconf.Entry, format string, args ...any) error {
	x := e.Errorf(format, args...)
	x.Err = ErrInvalid
	return x
}

// asInvalid marks a parse error from hadoopconf as ErrInvalid.
func asInvalid(err error) error {
	var ce *hadoopconf.Error
	if errors.As(err, &ce) && !errors.Is(ce.Err, ErrInvalid) {
		if ce.Err == nil {
			ce.Err = ErrInvalid
		} else {
			ce.Err = fmt.Errorf("%w: %w", ErrInvalid, ce.Err)
		}
	}
	return err
}

// Setters used by the property table.

func setString(field func(*Options) *string, check func(hadoopconf.Entry, string) error) func(*Options, hadoopconf.Entry) error {
	return func(o *Options, e hadoopconf.Entry) error {
		v := strings.TrimSpace(e.Value)
		if check != nil {
			if err := check(e, v); err != nil {
				return err
			}
		}
		*field(o) = v
		return nil
	}
}

func nonEmpty(e hadoopconf.Entry, v string) error {
	if v == "" {
		return invalid(e, "must not be empty")
	}
	return nil
}

func hostPort(e hadoopconf.Entry, v string) error {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return invalid(e, "value %q is not host:port", e.Value)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n > math.MaxUint16 {
		return invalid(e, "value %q has no valid port", e.Value)
	}
	return nil
}

// optionalHostPort is hostPort allowing "" (the listener is off).
func optionalHostPort(e hadoopconf.Entry, v string) error {
	if v == "" {
		return nil
	}
	return hostPort(e, v)
}

// setTLSKey sets emrfsd.http.tls.key.file and checks, after the policy and
// the certificate (earlier rows), that a policy serving HTTPS has both.
func setTLSKey(o *Options, e hadoopconf.Entry) error {
	o.TLSKeyFile = strings.TrimSpace(e.Value)
	if o.HTTPPolicy == HTTPOnly {
		return nil
	}
	if o.HTTPSAddr == "" {
		return invalid(e, "dfs.http.policy %s needs dfs.namenode.https-address", o.HTTPPolicy)
	}
	if o.TLSCertFile == "" || o.TLSKeyFile == "" {
		return invalid(e, "dfs.http.policy %s needs %s and %s (PEM files)", o.HTTPPolicy, propTLSCert, propTLSKey)
	}
	return nil
}

// setProxyUsers collects every hadoop.proxyuser.NAME.{users,groups,hosts}
// (NAME is what lies between the prefix and the last dot, as in Hadoop).
func setProxyUsers(o *Options, _ hadoopconf.Entry) error {
	o.ProxyUsers = nil
	for _, e := range o.conf.All() {
		rest, ok := strings.CutPrefix(e.Name, proxyUserPrefix)
		i := strings.LastIndexByte(rest, '.')
		if !ok || i <= 0 || strings.ContainsAny(rest[:i], "<>") {
			continue // not a rule, or the documentation's placeholder
		}
		name, kind := rest[:i], rest[i+1:]
		var list []string
		for _, v := range strings.Split(e.Value, ",") {
			if v = strings.TrimSpace(v); v != "" {
				list = append(list, v)
			}
		}
		p := o.ProxyUsers[name]
		switch kind {
		case "users":
			p.Users = list
		case "groups":
			p.Groups = list
		case "hosts":
			p.Hosts = list
		default:
			continue
		}
		if o.ProxyUsers == nil {
			o.ProxyUsers = map[string]ProxyUser{}
		}
		o.ProxyUsers[name] = p
	}
	return nil
}

func oneOf(allowed ...string) func(hadoopconf.Entry, string) error {
	return func(e hadoopconf.Entry, v string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return invalid(e, "value %q is not one of %s", e.Value, strings.Join(allowed, ", "))
	}
}

func storeKind(e hadoopconf.Entry, v string) error {
	if v != "" && v != StoreS3 && v != StoreEmbedded {
		return invalid(e, "value %q is not %s or %s", e.Value, StoreS3, StoreEmbedded)
	}
	return nil
}

func setBool(field func(*Options) *bool) func(*Options, hadoopconf.Entry) error {
	return func(o *Options, e hadoopconf.Entry) error {
		v, err := e.Bool()
		if err != nil {
			return asInvalid(err)
		}
		*field(o) = v
		return nil
	}
}

func setInt(field func(*Options) *int, lo, hi int64) func(*Options, hadoopconf.Entry) error {
	return func(o *Options, e hadoopconf.Entry) error {
		v, err := e.Int()
		if err != nil {
			return asInvalid(err)
		}
		if v < lo || v > hi {
			return invalid(e, "value %d is out of range [%d, %d]", v, lo, hi)
		}
		*field(o) = int(v)
		return nil
	}
}

func setInt64(field func(*Options) *int64, lo int64) func(*Options, hadoopconf.Entry) error {
	return func(o *Options, e hadoopconf.Entry) error {
		v, err := e.Int()
		if err != nil {
			return asInvalid(err)
		}
		if v < lo {
			return invalid(e, "value %d is below the minimum %d", v, lo)
		}
		*field(o) = v
		return nil
	}
}

func setBytes(field func(*Options) *int64, lo, hi int64) func(*Options, hadoopconf.Entry) error {
	return func(o *Options, e hadoopconf.Entry) error {
		v, err := e.Bytes()
		if err != nil {
			return asInvalid(err)
		}
		if v < lo || v > hi {
			return invalid(e, "size %s (%d bytes) is out of range [%d, %d]", strings.TrimSpace(e.Value), v, lo, hi)
		}
		*field(o) = v
		return nil
	}
}

func setDuration(field func(*Options) *time.Duration, unit time.Duration) func(*Options, hadoopconf.Entry) error {
	return func(o *Options, e hadoopconf.Entry) error {
		v, err := e.Duration(unit)
		if err != nil {
			return asInvalid(err)
		}
		if v <= 0 {
			return invalid(e, "duration %q must be positive", e.Value)
		}
		*field(o) = v
		return nil
	}
}

// setDurationOrZero is setDuration allowing 0 (off).
func setDurationOrZero(field func(*Options) *time.Duration, unit time.Duration) func(*Options, hadoopconf.Entry) error {
	return func(o *Options, e hadoopconf.Entry) error {
		v, err := e.Duration(unit)
		if err != nil {
			return asInvalid(err)
		}
		if v < 0 {
			return invalid(e, "duration %q must not be negative", e.Value)
		}
		*field(o) = v
		return nil
	}
}

func setLocalKey(o *Options, e hadoopconf.Entry) error {
	o.LocalKMSKeyID = strings.TrimSpace(e.Value)
	o.localKey = e
	if o.LocalKMSKeyID != "" && isAWSManagedKey(o.LocalKMSKeyID) {
		x := e.Errorf("local-disk encryption needs a customer-managed key, not the AWS-managed key %q", o.LocalKMSKeyID)
		x.Err = ErrAWSManagedKey
		return x
	}
	return nil
}

// setDefaultBucket parses emrfsd.default.bucket.
func setDefaultBucket(o *Options, e hadoopconf.Entry) error {
	v := strings.TrimSpace(e.Value)
	if v != "" {
		if err := hadoopconf.CheckBucketName(v); err != nil {
			return invalid(e, "%v", err)
		}
	}
	o.DefaultBucket = v
	return nil
}

// Root is what a bucket's root directory (/BUCKET; for the default bucket,
// "/") shows until it is changed.
type Root struct {
	Owner string // "" = the daemon's superuser
	Group string
	Perm  uint32
}

// Root resolves emrfsd.root.owner, emrfsd.root.group and
// emrfsd.root.permission for bucket, emrfsd.bucket.BUCKET.root.* overrides
// applied; bucket "" gives the defaults.
func (o *Options) Root(bucket string) (Root, error) {
	owner, _ := o.str(bucket, propRootOwner)
	group, _ := o.str(bucket, propRootGroup)
	permS, permE := o.str(bucket, propRootPerm)
	if permS == "" {
		permS = "755"
	}
	perm, err := strconv.ParseUint(permS, 8, 32)
	if err != nil || perm > 0o1777 {
		return Root{}, invalid(permE, "value %q is not an octal permission from 0 to 1777", permE.Value)
	}
	return Root{Owner: owner, Group: group, Perm: uint32(perm)}, nil
}

// setBuckets parses emrfsd.buckets.
func setBuckets(o *Options, e hadoopconf.Entry) error {
	var errs []error
	dirs := map[string]bool{}
	o.Buckets = nil
	for item := range strings.SplitSeq(e.Value, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		dir, bucket, hasDir := strings.Cut(item, "=")
		dir, bucket = strings.TrimSpace(dir), strings.TrimSpace(bucket)
		if !hasDir {
			bucket = dir
		}
		if err := hadoopconf.CheckBucketName(bucket); err != nil {
			errs = append(errs, invalid(e, "entry %q: %v", item, err))
			continue
		}
		if hasDir {
			if err := checkDirName(dir); err != nil {
				errs = append(errs, invalid(e, "entry %q: %v", item, err))
				continue
			}
		} else {
			dir = bucket
		}
		if dirs[dir] {
			errs = append(errs, invalid(e, "entry %q: directory /%s is mapped twice", item, dir))
			continue
		}
		dirs[dir] = true
		o.Buckets = append(o.Buckets, Mount{Dir: dir, Bucket: bucket})
	}
	return errors.Join(errs...)
}

// checkDirName accepts a single HDFS path component.
func checkDirName(d string) error {
	switch {
	case d == "":
		return errors.New("empty directory name")
	case d == "." || d == "..":
		return fmt.Errorf("directory name %q is not allowed", d)
	case strings.ContainsAny(d, "/:\x00"):
		return fmt.Errorf("directory name %q must be a single path component (no '/', ':' or NUL)", d)
	}
	return nil
}

// warnUnknown logs properties in emrfsd's namespaces that nothing reads.
func warnUnknown(conf *hadoopconf.Conf, log *slog.Logger) {
	known := map[string]bool{}
	for _, p := range properties {
		known[p.name] = true
	}
	for _, e := range conf.All() {
		n := e.Name
		if known[n] || strings.HasPrefix(n, "fs.s3.bucket.") || strings.HasPrefix(n, "fs.s3a.bucket.") || strings.HasPrefix(n, "emrfsd.bucket.") {
			continue
		}
		if strings.HasPrefix(n, customArgsPrefix) && len(n) > len(customArgsPrefix) {
			continue
		}
		if strings.HasPrefix(n, "emrfsd.") || strings.HasPrefix(n, "fs.s3.") {
			log.Warn("config: property not used by emrfsd", "property", n, "file", e.File, "line", e.Line)
		}
	}
	for _, e := range conf.UnmatchedBucketProperties() {
		log.Warn("config: per-bucket property not used by emrfsd", "property", e.Name, "file", e.File, "line", e.Line)
	}
}
