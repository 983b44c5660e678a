package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/emrfsd/emrfsd/blocks"
	"github.com/emrfsd/emrfsd/cache"
	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/attrindex"
	"github.com/emrfsd/emrfsd/internal/config"
	"github.com/emrfsd/emrfsd/internal/hadoopconf"
	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/internal/kms/embedded"
	"github.com/emrfsd/emrfsd/internal/localdisk"
	"github.com/emrfsd/emrfsd/internal/localstore"
	"github.com/emrfsd/emrfsd/internal/logring"
	"github.com/emrfsd/emrfsd/internal/partbuf"
	"github.com/emrfsd/emrfsd/internal/s3metrics"
	"github.com/emrfsd/emrfsd/internal/uploadjournal"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/cse"
)

// Embedded-default names.
const (
	embeddedKeyAlias    = "alias/emrfsd-default"
	embeddedPlainBucket = "plain"
	embeddedCSEBucket   = "encrypted"
	embeddedHomeBucket  = "home" // the default bucket: /user, /tmp, ...
	embeddedRegion      = "us-east-1"
	embeddedAccount     = "000000000000"
)

// storeMode decides where objects live: property emrfsd.store = "s3" or
// "embedded"; unset means embedded when nothing in the environment points
// the AWS SDK anywhere (no endpoint, region, profile or credentials).
func storeMode(o *config.Options) string {
	if o.Store != "" {
		return o.Store
	}
	for _, v := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		if os.Getenv(v) != "" {
			return config.StoreS3
		}
	}
	return config.StoreEmbedded
}

// embeddedDefaults is the configuration layer under the user's files in
// embedded mode: one plain and one cse-kms bucket.
func embeddedDefaults() map[string]string {
	return map[string]string{
		"emrfsd.buckets":                                       embeddedPlainBucket + "," + embeddedCSEBucket,
		"emrfsd.default.bucket":                                embeddedHomeBucket,
		"fs.s3a.path.style.access":                             "true",
		"fs.s3.bucket." + embeddedCSEBucket + ".cse.enabled":   "true",
		"fs.s3.bucket." + embeddedCSEBucket + ".cse.kms.keyId": embeddedKeyAlias,
	}
}

func writeDefaultsFile(path string, props map[string]string) error {
	return hadoopconf.WriteFile(path, props, "written by emrfsd: embedded-mode defaults; configuration files given with --conf override these")
}

// daemon holds everything built from the configuration (see lifecycle.go
// for how it runs and stops).
type daemon struct {
	journal     *uploadjournal.Journal
	lateUploads []uploadjournal.Key // keys whose upload a crash may have left S3 creating (sweepLate)
	log         *slog.Logger
	opts        *config.Options
	mode        string
	s3          *s3.Client
	kmsSvc      kms.Service
	kmsIn       func(region string) kms.Service // nil in embedded mode
	audit       *kms.AuditLog
	keyCache    *cache.Cache
	provs       *bucketProviders
	fs          *fs.FS
	nodeKey     *localdisk.NodeKey
	staging     *localdisk.Staging
	blocks      *blocks.Table
	ns          *dfs.Namespace
	// metrics is the daemon's one Prometheus registry: made here, passed
	// down to the parts that export figures, served at /metrics.
	metrics *prometheus.Registry
	closers []func()

	// For the HTTP pages (http.go, ready.go, status.go).
	started time.Time
	ring    *logring.Ring     // recent warnings and errors (serve sets it)
	ready   *readiness        // set by httpHandlers
	addrs   map[string]string // bound addresses by server name, set by start

	rt  *runtime      // set while serving (lifecycle.go)
	web *httpFrontEnd // the HTTP front end while serving, nil when off
}

func (d *daemon) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// describer adapts kms.Service to config.KeyDescriber; a key given as an
// ARN is described in its own region.
type describer struct {
	k  kms.Service
	in func(region string) kms.Service
}

func (x describer) DescribeKey(ctx context.Context, keyID string) (config.KeyInfo, error) {
	k := x.k
	if r := arnRegion(keyID); r != "" && x.in != nil {
		k = x.in(r)
	}
	ki, err := k.DescribeKey(ctx, keyID)
	if err != nil {
		return config.KeyInfo{}, err
	}
	return config.KeyInfo{ARN: ki.ARN, KeySpec: ki.KeySpec, KeyUsage: ki.KeyUsage, State: ki.State, AWSManaged: ki.AWSManaged}, nil
}

// setup loads and validates the configuration and builds the namespace.
// It is shared by `emrfsd check` (which stops after validation) and serve.
func setup(ctx context.Context, c *cliArgs, log *slog.Logger, validateOnly bool) (*daemon, error) {
	opts, err := config.Load(c.confs, c.defs)
	if err != nil {
		return nil, err
	}
	mode := storeMode(opts)
	d := &daemon{log: log, mode: mode, metrics: prometheus.NewRegistry(), started: time.Now()}
	d.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := registerBuildInfo(d.metrics); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			d.close()
		}
	}()
	if mode == config.StoreEmbedded {
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		defaults := filepath.Join(opts.DataDir, "embedded-defaults.xml")
		if err := writeDefaultsFile(defaults, embeddedDefaults()); err != nil {
			return nil, err
		}
		if opts, err = config.Load(append([]string{defaults}, c.confs...), c.defs); err != nil {
			return nil, err
		}
	}
	d.opts = opts

	// KMS: the embedded one in embedded mode, else the AWS SDK's chain.
	var awsCfg aws.Config
	if mode == config.StoreEmbedded {
		ek, err := embedded.Open(filepath.Join(opts.DataDir, "kms"), embeddedRegion, embeddedAccount)
		if err != nil {
			return nil, err
		}
		d.closers = append(d.closers, func() { ek.Close() })
		if _, err := ek.EnsureKey(embeddedKeyAlias); err != nil {
			return nil, err
		}
		d.kmsSvc = ek
	} else {
		awsCfg, err = awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("AWS configuration: %w", err)
		}
		limits := kms.ClientOptions(kms.ClientLimits{MaxAttempts: opts.KMSMaxAttempts, MaxBackoff: opts.KMSMaxBackoff, AttemptTimeout: opts.KMSTimeout})
		d.kmsSvc = kms.NewAWS(awskms.NewFromConfig(awsCfg, limits))
		base := awsCfg
		d.kmsIn = func(region string) kms.Service {
			return kms.NewAWS(awskms.NewFromConfig(base, limits, func(o *awskms.Options) { o.Region = region }))
		}
	}
	if !validateOnly {
		// The daemon's own state (upload journal, node key, block key,
		// attribute index) lives here in every mode.
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("emrfsd.data.dir %s: %w", opts.DataDir, err)
		}
		if err := os.MkdirAll(filepath.Dir(opts.KMSAuditLog), 0o700); err != nil {
			return nil, err
		}
		d.audit, err = kms.AuditLogOptions{Logger: log.With("component", "kms-audit")}.Open(opts.KMSAuditLog)
		if err != nil {
			return nil, err
		}
		d.closers = append(d.closers, func() { d.audit.Close() })
		d.kmsSvc = kms.NewAudited(d.kmsSvc, d.audit)
		if in := d.kmsIn; in != nil {
			d.kmsIn = func(region string) kms.Service { return kms.NewAudited(in(region), d.audit) }
		}
	}
	// Every KMS call is counted (emrfsd_kms_*) as well as audited.
	kmsMetrics, err := kms.NewMetrics(d.metrics)
	if err != nil {
		return nil, err
	}
	d.kmsSvc = kmsMetrics.Wrap(d.kmsSvc)
	if in := d.kmsIn; in != nil {
		d.kmsIn = func(region string) kms.Service { return kmsMetrics.Wrap(in(region)) }
	}
	if err := opts.Validate(ctx, describer{k: d.kmsSvc, in: d.kmsIn}, cse.MaterialsNames()); err != nil {
		return nil, err
	}
	if validateOnly {
		ok = true
		return d, nil
	}

	// S3: the embedded store on a loopback port, or the SDK's chain.
	if mode == config.StoreEmbedded {
		st, err := localstore.Open(filepath.Join(opts.DataDir, "store"))
		if err != nil {
			return nil, err
		}
		for _, m := range opts.Buckets {
			if err := st.EnsureBucket(m.Bucket); err != nil {
				return nil, err
			}
		}
		if opts.DefaultBucket != "" {
			if err := st.EnsureBucket(opts.DefaultBucket); err != nil {
				return nil, err
			}
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		var tok [16]byte
		if _, err := rand.Read(tok[:]); err != nil {
			return nil, err
		}
		token := hex.EncodeToString(tok[:])
		srv := &http.Server{Handler: st.Handler(log.With("component", "localstore"), token), ReadHeaderTimeout: 30 * time.Second}
		go srv.Serve(ln)
		d.closers = append(d.closers, func() { srv.Close() })
		awsCfg = aws.Config{Region: embeddedRegion, Credentials: credentials.NewStaticCredentialsProvider("emrfsd", "embedded", "")}
		d.s3 = s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			o.BaseEndpoint = aws.String("http://" + ln.Addr().String() + "/" + token)
			o.UsePathStyle = true
			tuneS3(o, opts.S3RequestTimeout)
		})
	} else {
		d.s3 = s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			o.UsePathStyle = opts.PathStyle
			tuneS3(o, opts.S3RequestTimeout)
		})
	}

	// Multipart uploads a crashed run left open are aborted, then every
	// new upload is journaled until it completes or aborts.
	// Every S3 request of the data path is counted (emrfsd_s3_*).
	s3m, err := s3metrics.New(d.s3, d.metrics)
	if err != nil {
		return nil, err
	}
	journalPath := filepath.Join(opts.DataDir, "uploads.journal")
	n, pending, err := uploadjournal.Recover(ctx, s3m, journalPath)
	if err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("aborted multipart uploads left by an earlier run", "count", n)
	}
	journal, err := uploadjournal.Open(s3m, journalPath)
	if err != nil {
		return nil, err
	}
	d.journal, d.lateUploads = journal, pending
	d.closers = append(d.closers, func() { journal.Close() })

	d.keyCache, err = cache.New(cache.Options{MaxEntries: opts.KeyCacheMaxEntries, TTL: opts.KeyCacheTTL, MaxUses: int(opts.KeyCacheMaxUses),
		Metrics: d.metrics})
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, func() {
		st := d.keyCache.Stats()
		log.Info("key cache purged", "hits", st.Hits, "misses", st.Misses, "joins", st.Joins, "kms_decrypts", st.Loads, "evictions", st.Evictions)
		d.keyCache.Purge()
	})
	d.provs = &bucketProviders{opts: opts, reg: newRegistry(&providerDeps{opts: opts, kms: d.kmsSvc, kmsIn: d.cseKMSIn(), cache: d.keyCache, audit: d.audit}), byB: map[string]providers.Provider{}}

	// Local disk: the node key (when configured) and sealed staging.
	if opts.LocalKMSKeyID != "" {
		d.nodeKey, err = localdisk.Unlock(ctx, d.kmsSvc, opts.LocalKMSKeyID, filepath.Join(opts.DataDir, "nodekey.json"), opts.LocalDir)
		if err != nil {
			return nil, err
		}
		d.closers = append(d.closers, d.nodeKey.Close)
		log.Info("local disk encryption unlocked", "key_id", opts.LocalKMSKeyID, "key_check", d.nodeKey.Check())
	}
	var buffers partbuf.Pool
	if opts.UploadBuffer == config.BufferDisk {
		staging, removed, err := localdisk.NewStaging(filepath.Join(opts.LocalDir, "staging"), d.nodeKey)
		if err != nil {
			return nil, err
		}
		if removed > 0 {
			log.Info("removed abandoned staging files", "count", removed)
		}
		d.staging, buffers = staging, staging
		if opts.UploadMemoryLimit > 0 {
			// Memory first: a staged part costs a seal, a write and a read
			// back per byte; disk takes only what exceeds the limit.
			// The memory pool keeps every buffer the limit allows for reuse,
			// so a steady stream of parts makes no garbage.
			buffers = partbuf.NewSpill(partbuf.NewMemory(opts.PartSize, int(opts.UploadMemoryLimit/opts.PartSize)), staging, opts.UploadMemoryLimit)
		}
		if err := staging.Register(d.metrics); err != nil {
			staging.Close()
			return nil, err
		}
		d.closers = append(d.closers, func() { staging.Close() })
	}

	var dirs map[string]string
	if len(opts.Buckets) > 0 {
		dirs = map[string]string{}
		for _, m := range opts.Buckets {
			dirs[m.Dir] = m.Bucket
		}
	}
	owner := "emrfsd"
	if u, err := user.Current(); err == nil {
		owner = u.Username
	}
	index, err := attrindex.Open(attrindex.Options{Path: opts.AttrIndexFile, MemoryEntries: opts.AttrIndexMemoryEntries,
		MaxEntries: opts.AttrIndexMaxEntries, Logger: log.With("component", "attrindex")})
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, func() { index.Close() })
	d.fs, err = fs.New(ctx, fs.Options{
		S3: journal, Buckets: dirs, Provider: d.provs.For,
		PartSize: opts.PartSize, ActiveParts: opts.ActiveBlocks,
		DefaultOwner: owner, DefaultGroup: opts.SuperUserGroup,
		Logger: log.With("component", "fs"), Buffers: buffers,
		DefaultBucket: opts.DefaultBucket, Index: index, DirAttrTTL: opts.DirAttrTTL, DirCacheTTL: opts.DirCacheTTL, NoListHeads: !opts.ListHeadUnknown,
		Metrics: d.metrics,
		RootDefaults: func(bucket string) fs.RootAttrs {
			r, err := opts.Root(bucket) // checked by Load
			if err != nil {
				return fs.RootAttrs{Perm: fs.DefaultDirPerm}
			}
			return fs.RootAttrs{Owner: r.Owner, Group: r.Group, Perm: r.Perm}
		},
	})
	if err != nil {
		return nil, err
	}
	if err := d.buildNamespace(); err != nil {
		return nil, err
	}
	if err := d.ns.Bootstrap(ctx); err != nil {
		return nil, fmt.Errorf("creating /tmp and /user in the default bucket: %w", err)
	}
	ok = true
	return d, nil
}

func tuneS3(o *s3.Options, requestTimeout time.Duration) {
	// An S3 that accepts a request and never answers must not hold a call
	// until its 15-minute deadline: each attempt gets requestTimeout for
	// the response headers (the SDK then retries); bodies stream freely.
	o.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.ResponseHeaderTimeout = requestTimeout
	})
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	o.DisableLogOutputChecksumValidationSkipped = true
	if o.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL_S3") != "" {
		// Plain-http test and embedded endpoints: skip payload hashing
		// (the body is already authenticated by TCP to loopback or by CSE).
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	}
}

func check(ctx context.Context, c *cliArgs, log *slog.Logger) error {
	d, err := setup(ctx, c, log, true)
	if err != nil {
		return err
	}
	d.close()
	return nil
}

// cseKMSIn adapts kmsIn for the providers, caching one client per region.
func (d *daemon) cseKMSIn() func(region string) (cse.KMS, error) {
	if d.kmsIn == nil {
		return nil
	}
	var mu sync.Mutex
	clients := map[string]cse.KMS{}
	return func(region string) (cse.KMS, error) {
		mu.Lock()
		defer mu.Unlock()
		if c, ok := clients[region]; ok {
			return c, nil
		}
		c := d.kmsIn(region)
		clients[region] = c
		return c, nil
	}
}

// sweepLate looks again, a few times over the first minute, for uploads
// that S3 created for the crashed run after Recover listed them (a request
// whose client had died), and aborts those this run did not start.
func (d *daemon) sweepLate(ctx context.Context) {
	if len(d.lateUploads) == 0 {
		return
	}
	for _, wait := range []time.Duration{500 * time.Millisecond, 5 * time.Second, time.Minute} {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if n, err := d.journal.SweepLate(ctx, d.lateUploads); err != nil {
			d.log.Warn("late orphan upload sweep failed", "err", err)
		} else if n > 0 {
			d.log.Info("aborted multipart uploads a crashed run left S3 creating", "count", n)
		}
	}
}
