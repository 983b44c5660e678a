package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/emrfsd/emrfsd/internal/hadoopconf"
)

// Provider names (the providers registry uses the same names).
const (
	ProviderPlain     = "plain"
	ProviderSSES3     = "sse-s3"
	ProviderSSEKMS    = "sse-kms"
	ProviderCSEKMS    = "cse-kms"
	ProviderCSECustom = "cse-custom"
)

// Key wrapping algorithms for CSE-KMS (S3EC x-amz-wrap-alg).
const (
	WrapKMS        = "kms"
	WrapKMSContext = "kms+context"
)

// CSE storage modes (fs.s3.cse.cryptoStorageMode).
const (
	StorageObjectMetadata  = "ObjectMetadata"
	StorageInstructionFile = "InstructionFile"
)

// emrfsKMSProviderClass is EMRFS's CSE-KMS materials provider class; the
// short name "kms" means the same.
const emrfsKMSProviderClass = "com.amazon.ws.emr.hadoop.fs.cse.KMSEncryptionMaterialsProvider"

// Policy is how one bucket's objects are encrypted.
type Policy struct {
	// Provider is ProviderPlain, ProviderSSES3, ProviderSSEKMS,
	// ProviderCSEKMS or ProviderCSECustom.
	Provider string
	// KMSKeyID is the key id exactly as configured (sse-kms: may be empty
	// for the AWS-managed key; cse-kms: never empty). For cse-kms,
	// Options.KeyARN gives the ARN Validate resolved it to.
	KMSKeyID string
	// KMSRegion is the CSE-KMS key's region ("" = the daemon's region).
	KMSRegion string
	// WrapAlg is the CSE-KMS key wrap to write: WrapKMS (EMRFS default) or
	// WrapKMSContext (fs.s3.cse.encryptionV2.enabled=true, or S3A CSE-KMS,
	// which always writes S3EC V2+ objects).
	WrapAlg string
	// StorageMode is StorageObjectMetadata or StorageInstructionFile (CSE).
	StorageMode string
	// Materials is the cse-custom materials provider name.
	Materials string
	// MaterialsArgs holds every fs.s3.cse.custom.<x> property (cse-custom),
	// keyed by <x>, per-bucket overrides applied.
	MaterialsArgs map[string]string
	// LegacyRead is fs.s3.cse.legacyRead.enabled (CSE; default false):
	// read legacy S3EC objects (AES/CBC content, V1 envelopes, legacy key
	// wraps), each read recorded in the audit log.
	LegacyRead bool
	// KMSAlternateKeyIDs is fs.s3.cse.kms.alternateKeyIds (cse-kms; nil when
	// unset): further keys, as configured, whose objects the bucket may read.
	// Options.KeyARN gives the ARN Validate resolved each to.
	KMSAlternateKeyIDs []string
	// Source says which property set each field, keyed by field name
	// ("Provider", "KMSKeyID", "KMSRegion", "WrapAlg", "StorageMode",
	// "Materials", "MaterialsArgs.<x>", "LegacyRead", "KMSAlternateKeyIDs"),
	// for error messages.
	Source map[string]hadoopconf.Entry
}

// isCSE reports whether the provider encrypts on the client.
func isCSE(provider string) bool {
	return provider == ProviderCSEKMS || provider == ProviderCSECustom
}

// isAWSManagedKey reports whether id names an AWS-managed key by alias
// (alias/aws/..., or its ARN form arn:PARTITION:kms:REGION:ACCOUNT:alias/aws/...).
func isAWSManagedKey(id string) bool {
	if strings.HasPrefix(id, "alias/aws/") {
		return true
	}
	if strings.HasPrefix(id, "arn:") {
		parts := strings.SplitN(id, ":", 6)
		return len(parts) == 6 && parts[2] == "kms" && strings.HasPrefix(parts[5], "alias/aws/")
	}
	return false
}

// policyErr returns an *hadoopconf.Error of class class about e.
func policyErr(e hadoopconf.Entry, class error, format string, args ...any) error {
	x := e.Errorf(format, args...)
	x.Err = class
	return x
}

// lookup returns the first of names set for bucket: per-bucket forms first
// (in order), then the base names.
func (o *Options) lookup(bucket string, names ...string) (hadoopconf.Entry, bool) {
	if bucket != "" {
		for _, n := range names {
			if e, ok := o.conf.Bucket(bucket, n); ok && e.File != hadoopconf.DefaultsFile && e.Name != n {
				return e, true
			}
		}
	}
	for _, n := range names {
		if e, ok := o.conf.Get(n); ok {
			return e, true
		}
	}
	return hadoopconf.Entry{}, false
}

// str returns the trimmed value of the first of names set for bucket.
func (o *Options) str(bucket string, names ...string) (string, hadoopconf.Entry) {
	e, ok := o.lookup(bucket, names...)
	if !ok {
		return "", hadoopconf.Entry{Name: names[0], File: hadoopconf.DefaultsFile}
	}
	return strings.TrimSpace(e.Value), e
}

// boolean returns the boolean value of name for bucket (false when unset).
func (o *Options) boolean(bucket, name string) (bool, hadoopconf.Entry, error) {
	e, ok := o.lookup(bucket, name)
	if !ok {
		return false, hadoopconf.Entry{Name: name, File: hadoopconf.DefaultsFile}, nil
	}
	v, err := e.Bool()
	return v, e, asInvalid(err)
}

// Policy resolves bucket's encryption policy from the EMRFS (fs.s3.*) and
// S3A (fs.s3a.*) properties, per-bucket overrides applied. bucket "" gives
// the default policy of buckets without overrides. Errors name the file and
// property; a CSE-Custom materials name is checked by Validate, not here.
func (o *Options) Policy(bucket string) (Policy, error) {
	em, emErr := o.emrfsPolicy(bucket)
	s3a, s3aErr := o.s3aPolicy(bucket)
	if err := errors.Join(emErr, s3aErr); err != nil {
		return Policy{}, err
	}
	p, err := merge(bucket, em, s3a)
	if err != nil || !isCSE(p.Provider) {
		return p, err
	}
	if err := o.cseReadPolicy(bucket, &p); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// cseReadPolicy adds the read-side CSE settings, whichever of EMRFS or S3A
// enabled CSE for the bucket.
func (o *Options) cseReadPolicy(bucket string, p *Policy) error {
	legacy, legacyE, err := o.boolean(bucket, propCSELegacyRead)
	if err != nil {
		return err
	}
	p.LegacyRead, p.Source["LegacyRead"] = legacy, legacyE
	if p.Provider != ProviderCSEKMS {
		return nil
	}
	alts, altsE := o.str(bucket, propCSEAltKeys)
	for id := range strings.SplitSeq(alts, ",") {
		id = strings.TrimSpace(id)
		switch {
		case id == "" || id == p.KMSKeyID || slices.Contains(p.KMSAlternateKeyIDs, id):
			continue
		case isAWSManagedKey(id):
			return policyErr(altsE, ErrAWSManagedKey, "CSE-KMS needs customer-managed keys, not the AWS-managed key %q", id)
		}
		p.KMSAlternateKeyIDs = append(p.KMSAlternateKeyIDs, id)
	}
	if len(p.KMSAlternateKeyIDs) > 0 {
		p.Source["KMSAlternateKeyIDs"] = altsE
	}
	return nil
}

// emrfsPolicy applies the EMRFS rules.
func (o *Options) emrfsPolicy(bucket string) (Policy, error) {
	p := Policy{Provider: ProviderPlain, Source: map[string]hadoopconf.Entry{}}
	sseOn, sseE, err := o.boolean(bucket, propSSEEnabled)
	if err != nil {
		return p, err
	}
	cseOn, cseE, err := o.boolean(bucket, propCSEEnabled)
	if err != nil {
		return p, err
	}
	v2, v2E, err := o.boolean(bucket, propCSEV2)
	if err != nil {
		return p, err
	}
	mode, modeE := o.str(bucket, propCSEStorageMode)
	switch {
	case mode == "" || strings.EqualFold(mode, StorageObjectMetadata):
		mode = StorageObjectMetadata
	case strings.EqualFold(mode, StorageInstructionFile):
		mode = StorageInstructionFile
	default:
		return p, policyErr(modeE, ErrUnknownAlgorithm, "unknown storage mode %q (want %s or %s)", modeE.Value, StorageObjectMetadata, StorageInstructionFile)
	}
	if sseOn && cseOn {
		return p, policyErr(cseE, ErrConflict, "client-side encryption and server-side encryption (%s) are both enabled%s",
			describe(sseE), forBucket(bucket))
	}
	switch {
	case sseOn:
		p.Provider, p.Source["Provider"] = ProviderSSES3, sseE
		if key, keyE := o.str(bucket, propSSEKey); key != "" {
			p.Provider, p.KMSKeyID, p.Source["KMSKeyID"] = ProviderSSEKMS, key, keyE
		}
	case cseOn:
		p.StorageMode, p.Source["StorageMode"] = mode, modeE
		mp, mpE := o.str(bucket, propCSEMaterials)
		if mp == "" || mp == "kms" || mp == emrfsKMSProviderClass {
			p.Provider, p.Source["Provider"] = ProviderCSEKMS, cseE
			key, keyE := o.str(bucket, propCSEKey)
			if key == "" {
				return p, policyErr(cseE, ErrKeyRequired, "CSE-KMS needs a key id in %s%s", propCSEKey, forBucket(bucket))
			}
			if isAWSManagedKey(key) {
				return p, policyErr(keyE, ErrAWSManagedKey, "CSE-KMS needs a customer-managed key, not the AWS-managed key %q", key)
			}
			p.KMSKeyID, p.Source["KMSKeyID"] = key, keyE
			if r, rE := o.str(bucket, propCSERegion); r != "" {
				p.KMSRegion, p.Source["KMSRegion"] = r, rE
			}
			p.WrapAlg, p.Source["WrapAlg"] = WrapKMS, v2E
			if v2 {
				p.WrapAlg = WrapKMSContext
			}
		} else {
			p.Provider, p.Source["Provider"] = ProviderCSECustom, cseE
			p.Materials, p.Source["Materials"] = mp, mpE
			o.customArgs(bucket, &p)
		}
	}
	return p, nil
}

// customArgs fills MaterialsArgs from fs.s3.cse.custom.*.
func (o *Options) customArgs(bucket string, p *Policy) {
	p.MaterialsArgs = map[string]string{}
	for k, e := range o.conf.Prefixed(bucket, customArgsPrefix) {
		p.MaterialsArgs[k] = e.Value
		p.Source["MaterialsArgs."+k] = e
	}
}

// s3aPolicy applies the S3A rules.
func (o *Options) s3aPolicy(bucket string) (Policy, error) {
	p := Policy{Provider: ProviderPlain, Source: map[string]hadoopconf.Entry{}}
	alg, algE := o.str(bucket, propS3AAlgorithm, propS3AOldAlgorithm)
	key, keyE := o.str(bucket, propS3AKey, propS3AOldKey)
	switch strings.ToUpper(alg) {
	case "":
		return p, nil
	case "SSE-S3", "AES256":
		p.Provider, p.Source["Provider"] = ProviderSSES3, algE
	case "SSE-KMS":
		p.Provider, p.Source["Provider"] = ProviderSSEKMS, algE
		if key != "" {
			p.KMSKeyID, p.Source["KMSKeyID"] = key, keyE
		}
	case "CSE-KMS":
		p.Provider, p.Source["Provider"] = ProviderCSEKMS, algE
		if key == "" {
			return p, policyErr(algE, ErrKeyRequired, "CSE-KMS needs a key id in %s%s", propS3AKey, forBucket(bucket))
		}
		if isAWSManagedKey(key) {
			return p, policyErr(keyE, ErrAWSManagedKey, "CSE-KMS needs a customer-managed key, not the AWS-managed key %q", key)
		}
		p.KMSKeyID, p.Source["KMSKeyID"] = key, keyE
		if r, rE := o.str(bucket, propS3ACSERegion); r != "" {
			p.KMSRegion, p.Source["KMSRegion"] = r, rE
		}
		p.WrapAlg, p.Source["WrapAlg"] = WrapKMSContext, algE
		p.StorageMode, p.Source["StorageMode"] = StorageObjectMetadata, algE
	case "CSE-CUSTOM":
		p.Provider, p.Source["Provider"] = ProviderCSECustom, algE
		m, mE := o.str(bucket, propS3ACustomClass)
		if m == "" {
			return p, policyErr(algE, ErrUnknownMaterials, "CSE-CUSTOM needs a materials provider name in %s%s", propS3ACustomClass, forBucket(bucket))
		}
		p.Materials, p.Source["Materials"] = m, mE
		p.StorageMode, p.Source["StorageMode"] = StorageObjectMetadata, algE
		o.customArgs(bucket, &p)
	case "SSE-C", "DSSE-KMS":
		return p, policyErr(algE, ErrNotSupported, "encryption algorithm %s is not supported yet", alg)
	default:
		return p, policyErr(algE, ErrUnknownAlgorithm, "unknown algorithm %q (want SSE-S3, AES256, SSE-KMS, CSE-KMS or CSE-CUSTOM)", alg)
	}
	return p, nil
}

// merge combines the EMRFS and S3A views of one bucket; when both enable
// encryption they must agree.
func merge(bucket string, em, s3a Policy) (Policy, error) {
	if s3a.Provider == ProviderPlain {
		return em, nil
	}
	if em.Provider == ProviderPlain {
		return s3a, nil
	}
	if em.Provider != s3a.Provider {
		what := "disagrees with"
		if isCSE(em.Provider) != isCSE(s3a.Provider) {
			what = "enables SSE and CSE together with"
		}
		return Policy{}, policyErr(s3a.Source["Provider"], ErrConflict, "%s (%s) %s %s (%s)%s",
			describe(s3a.Source["Provider"]), s3a.Provider, what, describe(em.Source["Provider"]), em.Provider, forBucket(bucket))
	}
	for _, f := range []struct {
		field string
		a, b  string
		loose bool // "" on one side is no opinion
	}{
		{"KMSKeyID", em.KMSKeyID, s3a.KMSKeyID, false},
		{"KMSRegion", em.KMSRegion, s3a.KMSRegion, true},
		{"Materials", em.Materials, s3a.Materials, false},
	} {
		if f.a == f.b || f.loose && (f.a == "" || f.b == "") {
			continue
		}
		ea, eb := em.Source[f.field], s3a.Source[f.field]
		if eb.Name == "" {
			eb = s3a.Source["Provider"]
		}
		if ea.Name == "" {
			ea = em.Source["Provider"]
		}
		return Policy{}, policyErr(eb, ErrConflict, "%s disagrees with %s%s", describe(eb), describe(ea), forBucket(bucket))
	}
	// Agreed. EMRFS settings (wrap, storage mode) win; S3A may add a region.
	out := em
	out.Source = maps.Clone(em.Source)
	if out.KMSRegion == "" && s3a.KMSRegion != "" {
		out.KMSRegion, out.Source["KMSRegion"] = s3a.KMSRegion, s3a.Source["KMSRegion"]
	}
	return out, nil
}

// describe renders a property for a message: name=value (file:line).
func describe(e hadoopconf.Entry) string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return fmt.Sprintf("%s=%s (%s)", e.Name, strings.TrimSpace(e.Value), loc)
}

func forBucket(bucket string) string {
	if bucket == "" {
		return ""
	}
	return fmt.Sprintf(" for bucket %s", bucket)
}
