package config

import (
	"strings"
	"time"

	"github.com/emrfsd/emrfsd/internal/hadoopconf"
)

// PropertyDoc documents one property this package reads.
type PropertyDoc struct {
	// Name is the property name; a name ending in "<name>" stands for a
	// family (fs.s3.cse.custom.<name>).
	Name string
	// Default is the value used when the property is unset ("" = empty or
	// off), possibly referring to another property (${emrfsd.data.dir}).
	Default string
	// Description says what the property does.
	Description string
	// PerBucket is true when fs.s3.bucket.BUCKET.* / fs.s3a.bucket.BUCKET.*
	// / emrfsd.bucket.BUCKET.* (whichever matches the name's prefix) may
	// override the property for one bucket.
	PerBucket bool
}

// Encryption property names (resolved per bucket by Policy).
const (
	propSSEEnabled      = "fs.s3.enableServerSideEncryption"
	propSSEKey          = "fs.s3.serverSideEncryption.kms.keyId"
	propCSEEnabled      = "fs.s3.cse.enabled"
	propCSEMaterials    = "fs.s3.cse.encryptionMaterialsProvider"
	propCSEKey          = "fs.s3.cse.kms.keyId"
	propCSERegion       = "fs.s3.cse.kms.region"
	propCSEV2           = "fs.s3.cse.encryptionV2.enabled"
	propCSEStorageMode  = "fs.s3.cse.cryptoStorageMode"
	customArgsPrefix    = "fs.s3.cse.custom."
	propS3AAlgorithm    = "fs.s3a.encryption.algorithm"
	propS3AKey          = "fs.s3a.encryption.key"
	propS3AOldAlgorithm = "fs.s3a.server-side-encryption-algorithm"
	propS3AOldKey       = "fs.s3a.server-side-encryption.key"
	propS3ACSERegion    = "fs.s3a.encryption.cse.kms.region"
	propS3ACustomClass  = "fs.s3a.encryption.cse.custom.keyring.class.name"
	propTLSCert         = "emrfsd.http.tls.cert.file"
	propTLSKey          = "emrfsd.http.tls.key.file"
	proxyUserPrefix     = "hadoop.proxyuser."
)

// Bucket-root properties (resolved per bucket by Root).
const (
	propRootOwner = "emrfsd.root.owner"
	propRootGroup = "emrfsd.root.group"
	propRootPerm  = "emrfsd.root.permission"
)

// CSE read-side property names (per bucket, any CSE provider; resolved by
// Policy).
const (
	// propCSELegacyRead turns on reads of legacy S3EC objects. S3A's
	// fs.s3a.encryption.cse.v1.compatibility.enabled is not reused: in
	// hadoop-aws it controls reading unencrypted objects and hiding
	// instruction files (S3A always enables the S3EC legacy modes), and EMR
	// defaults it to true.
	propCSELegacyRead = "fs.s3.cse.legacyRead.enabled"
	// propCSEAltKeys lists further KMS keys a CSE-KMS bucket may read.
	propCSEAltKeys = "fs.s3.cse.kms.alternateKeyIds"
)

// property is one row of the table that drives Load and Documented.
type property struct {
	name, def, desc string
	perBucket       bool
	// set stores the (expanded) value into Options; nil for per-bucket
	// encryption properties, which Policy reads.
	set func(*Options, hadoopconf.Entry) error
}

// properties lists every property this package reads. Load parses each
// default exactly like a configured value, so the documented defaults are
// the defaults.
var properties = []property{
	{name: "emrfsd.data.dir", def: "./emrfsd-data",
		desc: "Directory for the daemon's local state. The --data-dir flag overrides it.",
		set:  setString(func(o *Options) *string { return &o.DataDir }, nonEmpty)},
	{name: "dfs.namenode.rpc-address", def: "127.0.0.1:8020",
		desc: "host:port the NameNode RPC server listens on.",
		set:  setString(func(o *Options) *string { return &o.NameNodeAddr }, hostPort)},
	{name: "dfs.datanode.address", def: "127.0.0.1:9866",
		desc: "host:port the DataNode data-transfer server listens on.",
		set:  setString(func(o *Options) *string { return &o.DataNodeAddr }, hostPort)},
	{name: "emrfsd.buckets", def: "",
		desc: "Comma-separated buckets to serve, each BUCKET (served as /BUCKET) or DIR=BUCKET (served as /DIR). Empty: discover buckets by listing.",
		set:  setBuckets},
	{name: "fs.s3a.path.style.access", def: "false",
		desc: "Address buckets as ENDPOINT/BUCKET instead of BUCKET.ENDPOINT (needed by most S3-compatible stores).",
		set:  setBool(func(o *Options) *bool { return &o.PathStyle })},
	{name: "emrfsd.kms.audit.log", def: "${emrfsd.data.dir}/kms-audit.log",
		desc: "File recording every KMS call (operation, key, encryption context, outcome).",
		set:  setString(func(o *Options) *string { return &o.KMSAuditLog }, nonEmpty)},
	{name: "emrfsd.cse.keycache.max.entries", def: "1000",
		desc: "Maximum number of data keys the CSE key cache holds.",
		set:  setInt(func(o *Options) *int { return &o.KeyCacheMaxEntries }, 1, 1<<30)},
	{name: "emrfsd.cse.keycache.ttl", def: "5m",
		desc: "How long a cached data key may be used (Hadoop duration: 300s, 5m; a plain number is milliseconds).",
		set:  setDuration(func(o *Options) *time.Duration { return &o.KeyCacheTTL }, time.Millisecond)},
	{name: "emrfsd.cse.keycache.max.uses", def: "100000",
		desc: "How many times a cached data key may be used before it is dropped.",
		set:  setInt64(func(o *Options) *int64 { return &o.KeyCacheMaxUses }, 1)},
	{name: "dfs.permissions.enabled", def: "true",
		desc: "Check HDFS permissions.",
		set:  setBool(func(o *Options) *bool { return &o.PermissionsEnabled })},
	{name: "dfs.permissions.superusergroup", def: "supergroup",
		desc: "Group whose members are superusers.",
		set:  setString(func(o *Options) *string { return &o.SuperUserGroup }, nonEmpty)},
	{name: "fs.s3a.multipart.size", def: "8M",
		desc: "Multipart upload part size (Hadoop size: 8M, 64M; 5M to 5G).",
		set:  setBytes(func(o *Options) *int64 { return &o.PartSize }, 5<<20, 5<<30)},
	{name: "fs.s3a.fast.upload.buffer", def: BufferDisk,
		desc: "Where parts wait for upload: disk (files under emrfsd.local.dir) or array (memory).",
		set:  setString(func(o *Options) *string { return &o.UploadBuffer }, oneOf(BufferDisk, BufferArray))},
	{name: "emrfsd.upload.memory.limit", def: "128M",
		desc: "With fs.s3a.fast.upload.buffer=disk: bytes of upload parts (all streams together, counted at the part size) kept in memory before further parts are staged on disk (Hadoop size; 0 = every part on disk).",
		set:  setBytes(func(o *Options) *int64 { return &o.UploadMemoryLimit }, 0, 1<<40)},
	{name: "fs.s3a.fast.upload.active.blocks", def: "4",
		desc: "Parts buffered or uploading at once per output stream.",
		set:  setInt(func(o *Options) *int { return &o.ActiveBlocks }, 1, 1<<16)},
	{name: "emrfsd.local.dir", def: "${emrfsd.data.dir}/local",
		desc: "Directory for upload buffers and spill files.",
		set:  setString(func(o *Options) *string { return &o.LocalDir }, nonEmpty)},
	{name: "emrfsd.local.encryption.kms.keyId", def: "",
		desc: "Customer-managed symmetric KMS key protecting local files (empty: local files are not encrypted). The AWS-managed key alias/aws/s3 is refused.",
		set:  setLocalKey},
	{name: "dfs.blocksize", def: "128M",
		desc: "Block size reported to HDFS clients (Hadoop size, at least 1M).",
		set:  setBytes(func(o *Options) *int64 { return &o.BlockSize }, 1<<20, 1<<40)},
	{name: "dfs.replication", def: "1",
		desc: "Replication factor reported to HDFS clients (1 to 512).",
		set:  setInt(func(o *Options) *int { return &o.Replication }, 1, 512)},
	{name: "emrfsd.shutdown.timeout", def: "30s",
		desc: "On SIGTERM, how long in-flight reads and writes may take to finish before they are cut off (writes are then aborted; nothing half-written becomes visible).",
		set:  setDuration(func(o *Options) *time.Duration { return &o.ShutdownTimeout }, time.Millisecond)},
	{name: "ipc.maximum.data.length", def: "16M",
		desc: "Largest NameNode RPC request frame (Hadoop size; Hadoop's default is 128M). A longer length prefix closes the connection before anything is allocated; a frame's memory grows only as its bytes arrive.",
		set:  setBytes(func(o *Options) *int64 { return &o.MaxFrame }, 1<<10, 1<<30)},
	{name: "ipc.server.max.connections", def: "4096",
		desc: "NameNode RPC connections open at once; further connections are closed at accept and counted in the log.",
		set:  setInt(func(o *Options) *int { return &o.NameNodeMaxConns }, 1, 1<<20)},
	{name: "emrfsd.namenode.idle.timeout", def: "2m",
		desc: "A NameNode connection that sends nothing this long is closed (above the Java client's 60 s ping interval).",
		set:  setDuration(func(o *Options) *time.Duration { return &o.NameNodeIdleTimeout }, time.Millisecond)},
	{name: "emrfsd.namenode.frame.timeout", def: "30s",
		desc: "Once a NameNode request frame has started, its remaining bytes must arrive within this long (a client that sends half a frame and stalls is disconnected).",
		set:  setDuration(func(o *Options) *time.Duration { return &o.NameNodeFrameTimeout }, time.Millisecond)},
	{name: "emrfsd.namenode.max.calls.per.connection", def: "32",
		desc: "NameNode calls in flight on one connection; the connection's next request waits for one to finish.",
		set:  setInt(func(o *Options) *int { return &o.MaxCallsPerConn }, 1, 1<<16)},
	{name: "dfs.datanode.max.transfer.threads", def: "4096",
		desc: "DataNode data-transfer connections open at once; further connections are closed at accept.",
		set:  setInt(func(o *Options) *int { return &o.DataNodeMaxConns }, 1, 1<<20)},
	{name: "emrfsd.max.open.files", def: "1024",
		desc: "Files open for writing at once, over all clients; a create beyond it fails with \"too many files open for writing\" until files are closed or their leases expire.",
		set:  setInt(func(o *Options) *int { return &o.MaxOpenFiles }, 1, 1<<24)},
	{name: "emrfsd.max.open.files.per.client", def: "256",
		desc: "Files one client (one HDFS client instance, the lease holder) may have open for writing at once, so that one client cannot take every slot of emrfsd.max.open.files.",
		set:  setInt(func(o *Options) *int { return &o.MaxOpenFilesPerClient }, 1, 1<<24)},
	{name: "emrfsd.kms.retry.max.attempts", def: "5",
		desc: "Attempts per AWS KMS call (S3 mode; the AWS SDK standard retryer: throttling, 5xx, timeouts and connection errors are retried with exponential backoff and full jitter, 50 ms base, 1 s base for throttling, under the SDK's retry token bucket of 500). 1: no retries.",
		set:  setInt(func(o *Options) *int { return &o.KMSMaxAttempts }, 1, 20)},
	{name: "emrfsd.kms.retry.max.backoff", def: "5s",
		desc: "Longest wait between two attempts of a KMS call.",
		set:  setDuration(func(o *Options) *time.Duration { return &o.KMSMaxBackoff }, time.Millisecond)},
	{name: "emrfsd.kms.timeout", def: "5s",
		desc: "How long one attempt of a KMS call may take (connect, send, answer) before it is abandoned and retried.",
		set:  setDuration(func(o *Options) *time.Duration { return &o.KMSTimeout }, time.Millisecond)},
	{name: "fs.s3a.connection.request.timeout", def: "60s",
		desc: "S3A: how long S3 may take to start answering a request (the response headers) before the attempt is abandoned and retried; the body then streams without a deadline. 0 means no limit.",
		set:  setDurationOrZero(func(o *Options) *time.Duration { return &o.S3RequestTimeout }, time.Millisecond)},
	{name: "dfs.block.access.token.enable", def: "true",
		desc: "Block access tokens: the DataNode serves and accepts a block only for a client holding the token the NameNode issued with its location (HDFS's default is false; emrfsd's is true).",
		set:  setBool(func(o *Options) *bool { return &o.BlockTokens })},
	{name: "dfs.block.access.token.lifetime", def: "600",
		desc: "How long a block access token is valid (minutes, or a Hadoop duration such as 10h). Clients refetch expired tokens.",
		set:  setDuration(func(o *Options) *time.Duration { return &o.BlockTokenLifetime }, time.Minute)},
	{name: "emrfsd.block.access.key.file", def: "${emrfsd.data.dir}/block.key",
		desc: "Secret (32 random bytes, mode 0600, created at first start) behind block ids and block tokens. Daemons serving the same buckets behind one address share its content, so block ids and tokens agree across them and across restarts.",
		set:  setString(func(o *Options) *string { return &o.BlockKeyFile }, nonEmpty)},
	{name: "dfs.datanode.hostname", def: "",
		desc: "Host name (or IP) clients are told to reach the DataNode by. Empty: the address the client reached the NameNode at when dfs.datanode.address is a wildcard (0.0.0.0), else that address.",
		set:  setString(func(o *Options) *string { return &o.DataNodeHostname }, nil)},
	{name: "emrfsd.home.autocreate", def: "true",
		desc: "With a default bucket: make /user/USER (owned by USER, 0755) the first time USER creates something inside it, so home directories, trash and Spark's .sparkStaging work for every user. /tmp (1777) and /user (0755) are made at start when missing.",
		set:  setBool(func(o *Options) *bool { return &o.HomeAutoCreate })},
	{name: "dfs.namenode.fs-limits.max-component-length", def: "255",
		desc: "Longest path component (bytes) a create, mkdirs or rename may make; 0 means no limit. Paths are at most 8,000 bytes, as in HDFS.",
		set:  setInt(func(o *Options) *int { return &o.MaxComponentLength }, 0, 1<<20)},
	{name: "fs.trash.interval", def: "0",
		desc: "Minutes deleted files stay in trash (0: no trash). Sent to clients as the server default (hadoop fs -rm then moves files to trash), and the daemon checkpoints and empties trash directories on this period.",
		set:  setDurationOrZero(func(o *Options) *time.Duration { return &o.TrashInterval }, time.Minute)},
	{name: "fs.trash.checkpoint.interval", def: "0",
		desc: "Minutes between trash checkpoints (0: fs.trash.interval).",
		set:  setDurationOrZero(func(o *Options) *time.Duration { return &o.TrashCheckpointInterval }, time.Minute)},
	{name: "dfs.namenode.http-address", def: "127.0.0.1:9870",
		desc: "host:port the HTTP server (WebHDFS at /webhdfs/v1/; /metrics, /healthz, /readyz and the status page at /) listens on when dfs.http.policy is HTTP_ONLY or HTTP_AND_HTTPS; empty: no HTTP listener.",
		set:  setString(func(o *Options) *string { return &o.HTTPAddr }, optionalHostPort)},
	{name: "dfs.namenode.https-address", def: "127.0.0.1:9871",
		desc: "host:port the HTTPS server listens on when dfs.http.policy is HTTPS_ONLY or HTTP_AND_HTTPS; empty: no HTTPS listener.",
		set:  setString(func(o *Options) *string { return &o.HTTPSAddr }, optionalHostPort)},
	{name: "dfs.http.policy", def: HTTPOnly,
		desc: "Which HTTP listeners serve: HTTP_ONLY, HTTPS_ONLY or HTTP_AND_HTTPS. HTTPS needs " + propTLSCert + " and " + propTLSKey + ".",
		set:  setString(func(o *Options) *string { return &o.HTTPPolicy }, oneOf(HTTPOnly, HTTPSOnly, HTTPAndHTTPS))},
	{name: propTLSCert, def: "",
		desc: "PEM file with the HTTPS server's certificate chain (Hadoop reads a keystore named in ssl-server.xml; emrfsd reads PEM files).",
		set:  setString(func(o *Options) *string { return &o.TLSCertFile }, nil)},
	{name: propTLSKey, def: "",
		desc: "PEM file with the HTTPS server's private key (keep it mode 0600). Both files are loaded at start; a policy with HTTPS refuses to start without them.",
		set:  setTLSKey},
	{name: "dfs.webhdfs.enabled", def: "true",
		desc: "Serve WebHDFS (/webhdfs/v1/) on the HTTP and HTTPS listeners, with the same permissions, encryption and errors as the RPC port.",
		set:  setBool(func(o *Options) *bool { return &o.WebHDFSEnabled })},
	{name: "hadoop.http.staticuser.user", def: "dr.who",
		desc: "User a WebHDFS request without user.name acts as (simple authentication: user.name is trusted as given).",
		set:  setString(func(o *Options) *string { return &o.StaticUser }, nonEmpty)},
	{name: proxyUserPrefix + "<name>.users", def: "",
		desc: "Users (comma-separated; * for any) the user NAME may act as through WebHDFS's doas parameter. doas is refused unless this or .groups allows the user and .hosts the client address.",
		set:  setProxyUsers},
	{name: proxyUserPrefix + "<name>.groups", def: "",
		desc: "Groups (comma-separated; * for any): NAME may act as any member of them through doas (groups as dfs.permissions sees them, from the OS)."},
	{name: proxyUserPrefix + "<name>.hosts", def: "",
		desc: "Client addresses (IPs, CIDR ranges, host names; * for any) from which NAME may use doas. Unset: from nowhere, as in Hadoop."},
	{name: "emrfsd.store", def: "",
		desc: "Where objects live: s3 (AWS S3 or an S3-compatible endpoint from the AWS SDK environment) or embedded (a local store with a built-in KMS). Empty: embedded when nothing in the environment points the AWS SDK anywhere, else s3.",
		set:  setString(func(o *Options) *string { return &o.Store }, storeKind)},
	{name: "emrfsd.default.bucket", def: "",
		desc: "Bucket holding every top-level path that is not a served bucket (/user, /tmp, /apps, home directories, files directly under /): /NAME/REST is the key NAME/REST there, / lists the served buckets plus its top-level entries (a bucket shadows a same-named entry), and it keeps the attributes of / itself. It uses its own per-bucket encryption settings and must not be one of emrfsd.buckets. Empty: every top-level directory is a bucket.",
		set:  setDefaultBucket},
	{name: "emrfsd.attrindex.file", def: "${emrfsd.data.dir}/attrindex.db",
		desc: "File of the attribute index that lets listings show stored owners, groups, permissions, times and block sizes without a HEAD per entry (a cache: deleted and rebuilt when unreadable). Empty: kept in memory only.",
		set:  setString(func(o *Options) *string { return &o.AttrIndexFile }, nil)},
	{name: "emrfsd.attrindex.memory.entries", def: "65536",
		desc: "Entries of the attribute index kept in memory (the rest are read from its file).",
		set:  setInt(func(o *Options) *int { return &o.AttrIndexMemoryEntries }, 1, 1<<30)},
	{name: "emrfsd.attrindex.max.entries", def: "4194304",
		desc: "Entries the attribute index file may hold; past it, the file is emptied and refilled as objects are listed again.",
		set:  setInt(func(o *Options) *int { return &o.AttrIndexMaxEntries }, 1, 1<<40)},
	{name: "emrfsd.attrindex.dir.ttl", def: "5m",
		desc: "How long a listing trusts a directory's remembered owner, group, permission and time (a delimited listing gives nothing to check them against); a change made by another daemon shows after at most this long.",
		set:  setDuration(func(o *Options) *time.Duration { return &o.DirAttrTTL }, time.Millisecond)},
	{name: "emrfsd.dircache.ttl", def: "2s",
		desc: "How long the daemon trusts that a path it found to be a directory still is one, so that creating many files in a directory does not probe S3 for the directory each time. A directory another client removes meanwhile can still be written into for this long (which on S3 makes it exist again); changes made through this daemon are seen at once.",
		set:  setDuration(func(o *Options) *time.Duration { return &o.DirCacheTTL }, time.Millisecond)},
	{name: "emrfsd.list.head.unknown", def: "true",
		desc: "Listings HEAD the objects the attribute index does not know (written by other tools or daemons, 8 at a time, each object version once) to show their stored attributes. false: such entries show the defaults until a stat.",
		set:  setBool(func(o *Options) *bool { return &o.ListHeadUnknown })},

	// Bucket roots, per bucket (see Root).
	{name: propRootOwner, def: "", perBucket: true,
		desc: "Owner of a bucket's root directory (/BUCKET; for the default bucket, / itself) until it is changed with chown (the change is kept in the bucket's _$root$ object). Empty: the user running emrfsd, the superuser."},
	{name: propRootGroup, def: "${dfs.permissions.superusergroup}", perBucket: true,
		desc: "Group of a bucket's root directory until it is changed with chgrp."},
	{name: propRootPerm, def: "755", perBucket: true,
		desc: "Permission of a bucket's root directory, octal (755, 1777), until it is changed with chmod."},

	// Encryption, per bucket (see Policy).
	{name: propSSEEnabled, def: "false", perBucket: true,
		desc: "EMRFS: S3 server-side encryption. true without " + propSSEKey + " is SSE-S3, with it SSE-KMS."},
	{name: propSSEKey, def: "", perBucket: true,
		desc: "EMRFS: KMS key for SSE-KMS, sent to S3 exactly as written; empty means the AWS-managed key."},
	{name: propCSEEnabled, def: "false", perBucket: true,
		desc: "EMRFS: client-side encryption (S3 Encryption Client format). Exclusive with server-side encryption."},
	{name: propCSEMaterials, def: "", perBucket: true,
		desc: "EMRFS: CSE materials provider. Empty, kms or " + emrfsKMSProviderClass + " is CSE-KMS; any other value names a CSE-Custom materials provider compiled into emrfsd."},
	{name: propCSEKey, def: "", perBucket: true,
		desc: "EMRFS: customer-managed symmetric KMS key for CSE-KMS (required; alias/aws/s3 is refused)."},
	{name: propCSERegion, def: "", perBucket: true,
		desc: "EMRFS: region of the CSE-KMS key (empty: the daemon's region)."},
	{name: propCSEV2, def: "false", perBucket: true,
		desc: "EMRFS: write the S3EC V2 key wrap kms+context instead of kms."},
	{name: propCSEStorageMode, def: StorageObjectMetadata, perBucket: true,
		desc: "EMRFS: where CSE envelope metadata goes: ObjectMetadata or InstructionFile."},
	{name: customArgsPrefix, perBucket: true,
		desc: "Arguments passed to the CSE-Custom materials provider (e.g. " + customArgsPrefix + "keyring.file)."},
	{name: propS3AAlgorithm, def: "", perBucket: true,
		desc: "S3A: SSE-S3 (or AES256), SSE-KMS, CSE-KMS or CSE-CUSTOM; empty means none. SSE-C and DSSE-KMS are not supported yet."},
	{name: propS3AKey, def: "", perBucket: true,
		desc: "S3A: KMS key for SSE-KMS (empty: AWS-managed key) or CSE-KMS (required)."},
	{name: propS3AOldAlgorithm, def: "", perBucket: true,
		desc: "S3A: deprecated name of " + propS3AAlgorithm + "."},
	{name: propS3AOldKey, def: "", perBucket: true,
		desc: "S3A: deprecated name of " + propS3AKey + "."},
	{name: propS3ACSERegion, def: "", perBucket: true,
		desc: "S3A: region of the CSE-KMS key."},
	{name: propS3ACustomClass, def: "", perBucket: true,
		desc: "S3A: CSE-Custom materials provider name (required for CSE-CUSTOM)."},

	// CSE reads, per bucket (see Policy).
	{name: propCSELegacyRead, def: "false", perBucket: true,
		desc: "Read legacy S3 Encryption Client objects in a CSE bucket: AES/CBC/PKCS5Padding content (unauthenticated; CVE-2020-8911), V1 envelopes (x-amz-key) and legacy key wraps (AESWrap, AES, RSA). Off, they are refused with one integrity error that does not say which check failed; on, each such read is recorded in emrfsd.kms.audit.log (op LegacyRead). AES/GCM objects with the kms wrap, which EMRFS writes, are read either way."},
	{name: propCSEAltKeys, def: "", perBucket: true,
		desc: "Comma-separated further KMS keys (ids, ARNs or aliases; resolved to ARNs at start) whose CSE-KMS objects the bucket may read, never write: for key rotation and migration. KMS Decrypt always names the key: the object's kms_cmk_id when it is fs.s3.cse.kms.keyId or one of these, else the object is refused before any KMS call."},
}

// bucketOptions are the option names per-bucket properties may carry.
func bucketOptions() []string {
	var out []string
	for _, p := range properties {
		if p.perBucket {
			out = append(out, p.name)
		}
	}
	return out
}

// Documented lists every property this package reads, in a stable order,
// for the README's configuration reference.
func Documented() []PropertyDoc {
	out := make([]PropertyDoc, 0, len(properties))
	for _, p := range properties {
		name := p.name
		if strings.HasSuffix(name, ".") {
			name += "<name>"
		}
		out = append(out, PropertyDoc{Name: name, Default: p.def, Description: p.desc, PerBucket: p.perBucket})
	}
	return out
}

// Documented is the package-level Documented; it does not depend on o.
func (o *Options) Documented() []PropertyDoc { return Documented() }
