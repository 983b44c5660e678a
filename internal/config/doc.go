// Package config turns Hadoop configuration files into the daemon's typed,
// validated options. Configuration flows one way:
//
//	*-site.xml + -D  →  hadoopconf.Conf  →  Load  →  *Options  →  Validate  →  Policy(bucket)
//
// Load parses and range-checks every option and fails with every problem at
// once; Validate then checks what needs the outside world (KMS keys, the
// materials providers compiled into the binary) for every bucket it can
// know of; Policy resolves one bucket's encryption with per-bucket
// overrides. Every error is a *hadoopconf.Error naming the file, the
// property as written there and its line, classified by one of this
// package's Err* sentinels.
//
// # Configuration
//
// Daemon (Options fields; Documented lists names, defaults and text):
//
//	emrfsd.data.dir                    ./emrfsd-data   (--data-dir overrides)
//	dfs.namenode.rpc-address           127.0.0.1:8020
//	dfs.datanode.address               127.0.0.1:9866
//	emrfsd.buckets                     ""  BUCKET or DIR=BUCKET, comma-separated; empty = discover
//	fs.s3a.path.style.access           false
//	emrfsd.kms.audit.log               ${emrfsd.data.dir}/kms-audit.log
//	emrfsd.cse.keycache.max.entries    1000
//	emrfsd.cse.keycache.ttl            5m  (300s, 5m, ...; plain number = ms)
//	emrfsd.cse.keycache.max.uses       100000
//	dfs.permissions.enabled            true
//	dfs.permissions.superusergroup     supergroup
//	fs.s3a.multipart.size              8M  (5M..5G)
//	fs.s3a.fast.upload.buffer          disk | array
//	emrfsd.upload.memory.limit         128M (memory before disk staging; 0 = all disk)
//	fs.s3a.fast.upload.active.blocks   4
//	emrfsd.local.dir                   ${emrfsd.data.dir}/local
//	emrfsd.local.encryption.kms.keyId  ""  (off; alias/aws/s3 refused)
//	dfs.blocksize                      128M (at least 1M)
//	dfs.replication                    1
//	emrfsd.shutdown.timeout            30s
//	ipc.maximum.data.length            16M  largest NameNode request frame
//	ipc.server.max.connections         4096 NameNode connections
//	emrfsd.namenode.idle.timeout       2m
//	emrfsd.namenode.frame.timeout      30s  a started frame must complete within it
//	emrfsd.namenode.max.calls.per.connection  32
//	dfs.datanode.max.transfer.threads  4096 DataNode connections
//	emrfsd.max.open.files              1024 files open for writing, all clients
//	emrfsd.max.open.files.per.client   256  of one client (lease holder)
//	emrfsd.kms.retry.max.attempts      5    (AWS SDK standard retryer)
//	emrfsd.kms.retry.max.backoff       5s
//	emrfsd.kms.timeout                 5s   per attempt
//	emrfsd.store                       ""  s3 | embedded; empty = decided by main from the environment
//	fs.s3a.connection.request.timeout  60s (0 = none)
//	dfs.block.access.token.enable      true
//	dfs.block.access.token.lifetime    600 (minutes)
//	emrfsd.block.access.key.file       ${emrfsd.data.dir}/block.key
//	dfs.datanode.hostname              ""  (the address the client reached the NameNode at)
//	emrfsd.home.autocreate             true
//	dfs.namenode.fs-limits.max-component-length  255
//	fs.trash.interval                  0 (minutes; 0 = no trash)
//	fs.trash.checkpoint.interval       0 (minutes; 0 = fs.trash.interval)
//	emrfsd.default.bucket              ""  bucket of every non-bucket top-level path and of "/"
//	emrfsd.attrindex.file              ${emrfsd.data.dir}/attrindex.db  (empty = memory only)
//	emrfsd.attrindex.memory.entries    65536
//	emrfsd.attrindex.max.entries       4194304
//	emrfsd.attrindex.dir.ttl           5m
//	emrfsd.dircache.ttl                2s
//	emrfsd.list.head.unknown           true
//
// Bucket roots, per bucket (emrfsd.bucket.BUCKET.REST overrides
// emrfsd.REST; see Root): what /BUCKET (for the default bucket, "/")
// shows until it is changed:
//
//	emrfsd.root.owner                  ""  (the daemon's superuser)
//	emrfsd.root.group                  ${dfs.permissions.superusergroup}
//	emrfsd.root.permission             755 (octal, up to 1777)
//	dfs.namenode.http-address          127.0.0.1:9870 (WebHDFS, /metrics, /healthz, /readyz, /; empty = no HTTP listener)
//	dfs.namenode.https-address         127.0.0.1:9871 (empty = no HTTPS listener)
//	dfs.http.policy                    HTTP_ONLY | HTTPS_ONLY | HTTP_AND_HTTPS
//	emrfsd.http.tls.cert.file          ""  PEM certificate chain (HTTPS needs it)
//	emrfsd.http.tls.key.file           ""  PEM private key (HTTPS needs it)
//	dfs.webhdfs.enabled                true
//	hadoop.http.staticuser.user        dr.who (WebHDFS user without user.name)
//	hadoop.proxyuser.<name>.users      ""  users <name> may act as (doas); * = any
//	hadoop.proxyuser.<name>.groups     ""  groups whose members <name> may act as
//	hadoop.proxyuser.<name>.hosts      ""  client addresses <name> may use doas from
//
// Encryption, per bucket (fs.s3.bucket.BUCKET.REST overrides fs.s3.REST,
// fs.s3a.bucket.BUCKET.REST overrides fs.s3a.REST):
//
//	EMRFS                                         S3A
//	fs.s3.enableServerSideEncryption   false      fs.s3a.encryption.algorithm  SSE-S3|AES256|SSE-KMS|CSE-KMS|CSE-CUSTOM
//	fs.s3.serverSideEncryption.kms.keyId          fs.s3a.encryption.key
//	fs.s3.cse.enabled                  false      fs.s3a.encryption.cse.kms.region
//	fs.s3.cse.encryptionMaterialsProvider  kms    fs.s3a.encryption.cse.custom.keyring.class.name
//	fs.s3.cse.kms.keyId                           fs.s3a.server-side-encryption-algorithm (deprecated)
//	fs.s3.cse.kms.region                          fs.s3a.server-side-encryption.key (deprecated)
//	fs.s3.cse.encryptionV2.enabled     false
//	fs.s3.cse.cryptoStorageMode        ObjectMetadata | InstructionFile
//	fs.s3.cse.custom.<name>            arguments for a CSE-Custom materials provider
//
// CSE reads, per bucket, whichever of EMRFS or S3A enables CSE:
//
//	fs.s3.cse.legacyRead.enabled       false  read legacy S3EC objects (AES/CBC, V1 envelopes,
//	                                          legacy key wraps), each read audited
//	fs.s3.cse.kms.alternateKeyIds      ""     further keys a CSE-KMS bucket may read (comma-separated)
//
// S3A's fs.s3a.encryption.cse.v1.compatibility.enabled is a different
// switch in hadoop-aws (reading unencrypted objects, hiding instruction
// files; S3A always enables the S3EC legacy modes) and is not read.
//
// Rules: EMRFS SSE on without a key is sse-s3, with one sse-kms (the key is
// sent as written; alias/aws/s3 is fine for SSE). EMRFS CSE on with provider
// unset, "kms" or com.amazon.ws.emr.hadoop.fs.cse.KMSEncryptionMaterialsProvider
// is cse-kms (key required, wrap kms, or kms+context with encryptionV2);
// any other provider is cse-custom and must be compiled in. S3A CSE-KMS is
// cse-kms with wrap kms+context (S3A writes S3EC V2+ objects). When both
// EMRFS and S3A enable encryption for a bucket they must agree (provider,
// key, region when both set, materials); EMRFS's wrap and storage mode win.
// Refused: SSE with CSE; SSE-C and DSSE-KMS (not supported yet); unknown
// algorithms, storage modes or materials providers; CSE-KMS or local-disk
// encryption with an AWS-managed key (alias/aws/..., or any key DescribeKey
// reports as AWS-managed); keys that are missing, not Enabled, or not
// SYMMETRIC_DEFAULT/ENCRYPT_DECRYPT.
//
// # Key handling
//
// Validate describes each CSE-KMS key, each alternate key and the
// local-disk key once (SSE-KMS keys are S3's business) and records the ARN
// KMS reports, so an alias is resolved once at start: KeyARN gives it, for
// the CSE-KMS encryption context and the KeyId of every Decrypt. Alternate
// keys must pass the same checks as the bucket's key and live in its region.
// Nothing here ever sees key material.
//
// Imports: internal/hadoopconf, internal/errs. Imported by cmd/emrfsd only.
package config
