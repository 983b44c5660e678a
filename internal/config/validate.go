package config

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/emrfsd/emrfsd/internal/hadoopconf"
)

// KeyInfo is what Validate needs to know about a KMS key.
type KeyInfo struct {
	ARN        string
	KeySpec    string // SYMMETRIC_DEFAULT for usable keys
	KeyUsage   string // ENCRYPT_DECRYPT for usable keys
	State      string // Enabled for usable keys
	AWSManaged bool   // KeyManager AWS
}

// KeyDescriber looks up KMS keys (kms:DescribeKey). keyID may be a key id,
// key ARN, alias name or alias ARN.
type KeyDescriber interface {
	DescribeKey(ctx context.Context, keyID string) (KeyInfo, error)
}

// Validate checks what Load cannot check alone: the encryption policy of
// the default (bucket ""), of every bucket in emrfsd.buckets, of the
// default bucket and of every bucket named in a per-bucket property; that each CSE-Custom materials name
// is one of materials (the names compiled into the binary); and, through
// keys, that every CSE-KMS key and the local-disk key is an enabled,
// customer-managed, symmetric ENCRYPT_DECRYPT key. SSE-KMS keys are not
// described (S3 uses them). It returns an error joining every problem, each
// naming the file and property, and records each key's ARN (see KeyARN).
//
// Validate must finish before o is shared between goroutines.
func (o *Options) Validate(ctx context.Context, keys KeyDescriber, materials []string) error {
	var (
		errs []error
		seen = map[string]bool{}
	)
	add := func(err error) {
		for _, e := range flatten(err) {
			if s := e.Error(); !seen[s] {
				seen[s] = true
				errs = append(errs, e)
			}
		}
	}

	buckets := []string{""}
	for _, m := range o.Buckets {
		buckets = append(buckets, m.Bucket)
	}
	if o.DefaultBucket != "" {
		buckets = append(buckets, o.DefaultBucket)
	}
	for _, b := range o.conf.BucketsMentioned() {
		if err := hadoopconf.CheckBucketName(b); err != nil {
			e, _ := o.conf.BucketMention(b)
			add(policyErr(e, ErrInvalid, "names bucket %q: %v", b, err))
			continue
		}
		buckets = append(buckets, b)
	}
	slices.Sort(buckets[1:])
	buckets = slices.Compact(buckets)

	type keyUse struct {
		id  string
		src hadoopconf.Entry
	}
	var (
		toDescribe []keyUse
		withAlts   []Policy // CSE-KMS policies with alternate keys
	)
	for _, b := range buckets {
		p, err := o.Policy(b)
		if err != nil {
			add(err)
			continue
		}
		switch p.Provider {
		case ProviderCSECustom:
			if !slices.Contains(materials, p.Materials) {
				add(policyErr(p.Source["Materials"], ErrUnknownMaterials, "unknown materials provider %q (compiled in: %s)",
					p.Materials, listOrNone(materials)))
			}
		case ProviderCSEKMS:
			toDescribe = append(toDescribe, keyUse{p.KMSKeyID, p.Source["KMSKeyID"]})
			for _, id := range p.KMSAlternateKeyIDs {
				toDescribe = append(toDescribe, keyUse{id, p.Source["KMSAlternateKeyIDs"]})
			}
			if len(p.KMSAlternateKeyIDs) > 0 {
				withAlts = append(withAlts, p)
			}
		}
	}
	if o.LocalKMSKeyID != "" {
		toDescribe = append(toDescribe, keyUse{o.LocalKMSKeyID, o.localKey})
	}

	arns := map[string]string{}
	described := map[string]bool{}
	for _, k := range toDescribe {
		if described[k.id] {
			continue
		}
		described[k.id] = true
		if keys == nil {
			add(policyErr(k.src, ErrKeyRefused, "KMS key %q cannot be checked: no KMS client", k.id))
			continue
		}
		info, err := keys.DescribeKey(ctx, k.id)
		if err != nil {
			x := k.src.Errorf("KMS key %q: DescribeKey failed: %v", k.id, err)
			x.Err = fmt.Errorf("%w: %w", ErrKeyRefused, err)
			add(x)
			continue
		}
		if why := refuseKey(info); why != "" {
			add(policyErr(k.src, ErrKeyRefused, "KMS key %q (%s) %s", k.id, info.ARN, why))
			continue
		}
		arns[k.id] = info.ARN
	}
	o.keyARNs = arns
	// Decrypt is sent to the KMS of the bucket's key, so alternates must
	// live in the same region.
	for _, p := range withAlts {
		region := arnRegion(arns[p.KMSKeyID])
		for _, id := range p.KMSAlternateKeyIDs {
			if r := arnRegion(arns[id]); r != "" && region != "" && r != region {
				add(policyErr(p.Source["KMSAlternateKeyIDs"], ErrConflict, "alternate KMS key %q (%s) is in region %s, but the bucket's key %q is in %s; alternate keys must be in the key's region",
					id, arns[id], r, p.KMSKeyID, region))
			}
		}
	}
	return errors.Join(errs...)
}

// arnRegion returns the region of "arn:PARTITION:kms:REGION:...", or "".
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) == 5 && parts[0] == "arn" && parts[2] == "kms" {
		return parts[3]
	}
	return ""
}

// refuseKey says why a described key cannot be used, or "".
func refuseKey(k KeyInfo) string {
	var why []string
	if k.State != "Enabled" {
		why = append(why, fmt.Sprintf("is %s, not Enabled", orUnknown(k.State)))
	}
	if k.KeySpec != "SYMMETRIC_DEFAULT" {
		why = append(why, fmt.Sprintf("has key spec %s; only symmetric keys (SYMMETRIC_DEFAULT) are supported", orUnknown(k.KeySpec)))
	}
	if k.KeyUsage != "ENCRYPT_DECRYPT" {
		why = append(why, fmt.Sprintf("has key usage %s, not ENCRYPT_DECRYPT", orUnknown(k.KeyUsage)))
	}
	if k.AWSManaged {
		why = append(why, "is AWS-managed; a customer-managed key is required")
	}
	if k.ARN == "" {
		why = append(why, "has no ARN")
	}
	return strings.Join(why, "; ")
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// flatten splits an errors.Join tree into its leaves.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// KeyARN returns the ARN Validate resolved keyID (as configured) to, or ""
// when Validate has not described it. CSE-KMS puts this ARN in the
// encryption context.
func (o *Options) KeyARN(keyID string) string { return o.keyARNs[keyID] }
