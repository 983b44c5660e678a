package cse

import (
	"context"
	"fmt"
	"maps"

	"github.com/emrfsd/emrfsd/internal/kms"
)

// LegacyAudit records every read of an object in a legacy S3EC format
// (legacyEnvelope) while legacy reads are on; *kms.AuditLog implements it,
// taking the object from kms.WithObject(ctx).
type LegacyAudit interface {
	LegacyRead(ctx context.Context, cekAlg, wrapAlg string, matdesc map[string]string) error
}

// legacyOptions checks the legacy-read settings shared by NewKMS and
// NewCustom: reading legacy objects needs somewhere to record it.
func legacyOptions(name string, on bool, audit LegacyAudit) error {
	if on && audit == nil {
		return fmt.Errorf("%s: legacy reads (fs.s3.cse.legacyRead.enabled) need an audit log to record them", name)
	}
	return nil
}

// parse validates an envelope given as a flat key map. Unless legacy reads
// are on, a legacy envelope is refused first, before anything else about it
// is looked at, always with errLegacyRefused.
func (p *Provider) parse(md map[string]string) (*envelope, error) {
	if !p.legacyRead && legacyEnvelope(md) {
		return nil, errLegacyRefused
	}
	env, err := parseEnvelope(md)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	return env, nil
}

// recordLegacy records that env's data key is about to be used to read a
// legacy object. A read that cannot be recorded is refused: the audit
// trail is what makes turning legacy reads on acceptable.
func (p *Provider) recordLegacy(ctx context.Context, env *envelope) error {
	if !env.legacy {
		return nil
	}
	if !p.legacyRead { // parse refuses these; never decrypt one regardless
		return errLegacyRefused
	}
	if err := p.audit.LegacyRead(ctx, env.cekAlg, env.wrapAlg, maps.Clone(env.matdesc)); err != nil {
		return fmt.Errorf("%s: legacy read not recorded, refused: %w", p.name, err)
	}
	return nil
}

// Interface guard: the daemon's audit log records legacy reads.
var _ LegacyAudit = (*kms.AuditLog)(nil)
