package cse

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/emrfsd/emrfsd/internal/errs"
)

// S3EC metadata keys (stored as x-amz-meta-KEY, or as JSON keys in an
// instruction file).
const (
	MetaKeyV1         = "x-amz-key"
	MetaKeyV2         = "x-amz-key-v2"
	MetaIV            = "x-amz-iv"
	MetaMatDesc       = "x-amz-matdesc"
	MetaWrapAlg       = "x-amz-wrap-alg"
	MetaCEKAlg        = "x-amz-cek-alg"
	MetaTagLen        = "x-amz-tag-len"
	MetaPlainLen      = "x-amz-unencrypted-content-length"
	metaV3Key         = "x-amz-3" // S3EC V3 (key-committing) wrapped key
	metaV3Suite       = "x-amz-c" // S3EC V3 algorithm suite id
	reservedCEKAlgKey = "aws:x-amz-cek-alg"
	kmsCMKIDKey       = "kms_cmk_id"
)

// Content-encryption and wrap algorithm names.
const (
	CEKAlgGCM = "AES/GCM/NoPadding"
	CEKAlgCBC = "AES/CBC/PKCS5Padding"

	WrapKMS        = "kms"
	WrapKMSContext = "kms+context"
	WrapAESGCM     = "AES/GCM"

	tagLen128 = "128"
)

// Legacy key wraps (S3EC "legacy wrapping algorithms", decrypt-only). The
// V2 wraps are kms+context, AES/GCM and RSA-OAEP-SHA1. S3EC also counts
// "kms" as legacy; emrfsd does not, see legacyEnvelope.
const (
	wrapLegacyAESWrap    = "AESWrap"
	wrapLegacyAES        = "AES"
	wrapLegacyRSA        = "RSA"
	wrapLegacyRSAOAEP256 = "RSA/ECB/OAEPWithSHA-256AndMGF1Padding"
)

// legacyEnvelope reports whether an envelope, given as a flat key map, is in
// a legacy S3EC form that is read only with legacy reads enabled:
//
//   - content encrypted with AES/CBC/PKCS5Padding (no MAC: CVE-2020-8911),
//     under any key wrap: as long as CBC is refused, an attacker who
//     rewrites x-amz-cek-alg of a GCM object (which the "kms" wrap does not
//     bind, CVE-2020-8912) gains nothing;
//   - a V1 envelope (x-amz-key), which predates x-amz-cek-alg;
//   - a legacy key wrap (AESWrap, AES, RSA, RSA-OAEP with SHA-256).
//
// The "kms" wrap with AES/GCM content is what EMRFS writes by default (and
// emrfsd too), so it stays readable: GCM authenticates the content, and the
// only weaker content algorithm it could be switched to is CBC, refused
// here. kms+context binds the content algorithm in the KMS encryption
// context.
//
// It only looks at the names: it runs before any other check, so every
// legacy envelope is refused with the same error whatever else is wrong
// with it.
func legacyEnvelope(md map[string]string) bool {
	if _, v1 := md[MetaKeyV1]; v1 {
		return true
	}
	if strings.EqualFold(strings.TrimSpace(md[MetaCEKAlg]), CEKAlgCBC) {
		return true
	}
	switch strings.TrimSpace(md[MetaWrapAlg]) {
	case wrapLegacyAESWrap, wrapLegacyAES, wrapLegacyRSA, wrapLegacyRSAOAEP256:
		return true
	}
	return false
}

// errLegacyRefused is the one error every legacy envelope gets while legacy
// reads are off, whatever the cause (CBC content, V1 envelope, legacy wrap,
// or metadata rewritten to claim one): nothing is decrypted, so there is no
// padding oracle, and the answer does not distinguish causes.
var errLegacyRefused = fmt.Errorf("cse: object refused: its envelope names a legacy, unauthenticated S3 Encryption Client format "+
	"(AES/CBC content, a V1 envelope or a legacy key wrap), or was altered to; legacy reads are off for this bucket "+
	"(fs.s3.cse.legacyRead.enabled): %w", errs.ErrIntegrity)

// knownWrap reports whether any S3EC client may have written wrap
// algorithm w. A provider reads only a subset; the others are
// ErrUnsupportedAlgorithm.
func knownWrap(w string) bool {
	switch w {
	case WrapKMS, WrapKMSContext, WrapAESGCM, "RSA-OAEP-SHA1",
		wrapLegacyAESWrap, wrapLegacyAES, wrapLegacyRSA, wrapLegacyRSAOAEP256:
		return true
	}
	return false
}

// Limits that keep hostile envelopes cheap to reject.
const (
	maxInstructionSize = 64 << 10
	maxWrappedKeySize  = 8 << 10
	gcmTagSize         = 16
	gcmIVSize          = 12
	cbcIVSize          = 16
	cbcBlockSize       = 16
)

// envelope is a parsed, validated S3EC envelope. It never holds plaintext
// key material.
type envelope struct {
	legacy      bool   // legacyEnvelope: read only with legacy reads enabled
	v1          bool   // stored under x-amz-key (legacy V1)
	wrapped     []byte // the wrapped data key
	iv          []byte
	matdesc     map[string]string
	wrapAlg     string
	cekAlg      string
	plainLen    int64 // from x-amz-unencrypted-content-length; -1 when absent
	instruction bool  // read from the instruction file
}

// envelopeError builds a metadata error wrapping kind. what names the field;
// the values of key fields are never included.
func envelopeError(kind error, format string, args ...any) error {
	return fmt.Errorf("cse: object envelope: %s: %w", fmt.Sprintf(format, args...), kind)
}

// quote renders a hostile metadata value for an error message, bounded.
func quote(s string) string { return quoteN(s, 64) }

// quoteKey renders a key id or ARN (from metadata or configuration) for an
// error message: long enough for any key ARN, still bounded.
func quoteKey(s string) string { return quoteN(s, 256) }

func quoteN(s string, max int) string {
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}

// headerKind reports whether object metadata carries the envelope
// itself (as opposed to an instruction file), and whether the object is in
// the V3 format.
func headerKind(md map[string]string) (header, v3 bool) {
	_, k1 := md[MetaKeyV1]
	_, k2 := md[MetaKeyV2]
	_, k3 := md[metaV3Key]
	_, c3 := md[metaV3Suite]
	return k1 || k2, k3 || c3
}

// lowerKeys returns md with lower-cased keys (HEAD responses are documented
// lower-case, but be tolerant of callers that canonicalise).
func lowerKeys(md map[string]string) map[string]string {
	out := make(map[string]string, len(md))
	for k, v := range md {
		out[strings.ToLower(k)] = v
	}
	return out
}

// parseInstruction decodes an instruction file body into the flat key map
// the header parser takes. Values may be JSON strings or (for the length
// fields) numbers, as aws-sdk-go v1 accepts.
func parseInstruction(body []byte) (map[string]string, error) {
	if len(body) > maxInstructionSize {
		return nil, envelopeError(errs.ErrIntegrity, "instruction file is %d bytes (limit %d)", len(body), maxInstructionSize)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, envelopeError(errs.ErrIntegrity, "instruction file is not a JSON object")
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		var s string
		switch {
		case bytes.Equal(v, []byte("null")):
			continue
		case len(v) > 0 && v[0] == '"':
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, envelopeError(errs.ErrIntegrity, "instruction file field %s is not a string", quote(k))
			}
		default:
			var n json.Number
			if err := json.Unmarshal(v, &n); err != nil {
				return nil, envelopeError(errs.ErrIntegrity, "instruction file field %s is neither string nor number", quote(k))
			}
			s = n.String()
		}
		out[strings.ToLower(k)] = s
	}
	return out, nil
}

// parseEnvelope validates an S3EC envelope given as a flat key map (object
// metadata without the x-amz-meta- prefix, or a decoded instruction file).
// Every failure wraps errs.ErrIntegrity (malformed or inconsistent) or
// errs.ErrUnsupportedAlgorithm (well-formed but not readable here).
func parseEnvelope(md map[string]string) (*envelope, error) {
	if _, v3 := headerKind(md); v3 {
		return nil, envelopeError(errs.ErrUnsupportedAlgorithm, "key-committing S3EC v3 format not supported yet")
	}
	k1, has1 := md[MetaKeyV1]
	k2, has2 := md[MetaKeyV2]
	env := &envelope{plainLen: -1, legacy: legacyEnvelope(md)}
	var keyB64 string
	switch {
	case has1 && has2:
		return nil, envelopeError(errs.ErrIntegrity, "both %s and %s are present", MetaKeyV1, MetaKeyV2)
	case has2:
		keyB64 = k2
	case has1:
		keyB64, env.v1 = k1, true
	default:
		return nil, envelopeError(errs.ErrIntegrity, "no wrapped data key (%s or %s)", MetaKeyV2, MetaKeyV1)
	}
	if keyB64 == "" {
		return nil, envelopeError(errs.ErrIntegrity, "wrapped data key is empty")
	}
	if base64.StdEncoding.DecodedLen(len(keyB64)) > maxWrappedKeySize {
		return nil, envelopeError(errs.ErrIntegrity, "wrapped data key is too long")
	}
	w, err := base64.StdEncoding.DecodeString(keyB64)
	if err != nil || len(w) == 0 {
		return nil, envelopeError(errs.ErrIntegrity, "wrapped data key is not valid base64")
	}
	env.wrapped = w

	// Content algorithm. V1 objects predating x-amz-cek-alg are CBC.
	env.cekAlg = md[MetaCEKAlg]
	if env.cekAlg == "" {
		if !env.v1 {
			return nil, envelopeError(errs.ErrIntegrity, "%s is missing", MetaCEKAlg)
		}
		env.cekAlg = CEKAlgCBC
	}
	var ivLen int
	switch env.cekAlg {
	case CEKAlgGCM:
		ivLen = gcmIVSize
		if tl, ok := md[MetaTagLen]; ok && tl != tagLen128 {
			return nil, envelopeError(errs.ErrUnsupportedAlgorithm, "%s %s, only 128 is supported", MetaTagLen, quote(tl))
		}
	case CEKAlgCBC:
		ivLen = cbcIVSize
		if tl, ok := md[MetaTagLen]; ok && tl != "" {
			return nil, envelopeError(errs.ErrIntegrity, "%s %s on an unauthenticated CBC object", MetaTagLen, quote(tl))
		}
	default:
		return nil, envelopeError(errs.ErrUnsupportedAlgorithm, "content algorithm %s", quote(env.cekAlg))
	}

	ivB64, ok := md[MetaIV]
	if !ok || ivB64 == "" {
		return nil, envelopeError(errs.ErrIntegrity, "%s is missing", MetaIV)
	}
	if len(ivB64) > 64 {
		return nil, envelopeError(errs.ErrIntegrity, "%s is too long", MetaIV)
	}
	iv, err := base64.StdEncoding.DecodeString(ivB64)
	if err != nil {
		return nil, envelopeError(errs.ErrIntegrity, "%s is not valid base64", MetaIV)
	}
	if len(iv) != ivLen {
		return nil, envelopeError(errs.ErrIntegrity, "%s is %d bytes, %s needs %d", MetaIV, len(iv), env.cekAlg, ivLen)
	}
	env.iv = iv

	// Wrap algorithm. V1 objects without one used a legacy symmetric or
	// asymmetric master key, which a Materials implementation may read.
	env.wrapAlg = md[MetaWrapAlg]
	if env.wrapAlg == "" && !env.v1 {
		return nil, envelopeError(errs.ErrIntegrity, "%s is missing", MetaWrapAlg)
	}
	if env.wrapAlg != "" && !knownWrap(env.wrapAlg) {
		return nil, envelopeError(errs.ErrUnsupportedAlgorithm, "wrap algorithm %s", quote(env.wrapAlg))
	}

	env.matdesc = map[string]string{}
	if s := md[MetaMatDesc]; s != "" {
		if err := json.Unmarshal([]byte(s), &env.matdesc); err != nil || env.matdesc == nil {
			return nil, envelopeError(errs.ErrIntegrity, "%s is not a JSON object of strings", MetaMatDesc)
		}
	}
	if env.wrapAlg == WrapKMSContext {
		got, ok := env.matdesc[reservedCEKAlgKey]
		if !ok {
			return nil, envelopeError(errs.ErrIntegrity, "%s lacks %q required by %s", MetaMatDesc, reservedCEKAlgKey, WrapKMSContext)
		}
		if got != env.cekAlg {
			return nil, envelopeError(errs.ErrIntegrity, "%s names content algorithm %s but %s is %s", MetaMatDesc, quote(got), MetaCEKAlg, quote(env.cekAlg))
		}
	}

	if s, ok := md[MetaPlainLen]; ok && s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return nil, envelopeError(errs.ErrIntegrity, "%s %s is not a length", MetaPlainLen, quote(s))
		}
		env.plainLen = n
	}
	return env, nil
}

// plainSize returns the plaintext length of an object of stored size
// stored, or -1 when only decryption can tell (CBC without a length field).
func (e *envelope) plainSize(stored int64) (int64, error) {
	switch e.cekAlg {
	case CEKAlgGCM:
		if stored < gcmTagSize {
			return 0, envelopeError(errs.ErrIntegrity, "object is %d bytes, shorter than the GCM tag", stored)
		}
		return stored - gcmTagSize, nil
	default: // CBC
		if stored < cbcBlockSize || stored%cbcBlockSize != 0 {
			return 0, envelopeError(errs.ErrIntegrity, "CBC object is %d bytes, not a positive multiple of 16", stored)
		}
		if e.plainLen < 0 {
			return -1, nil
		}
		if e.plainLen < stored-cbcBlockSize || e.plainLen >= stored {
			return 0, envelopeError(errs.ErrIntegrity, "%s %d does not fit a %d-byte CBC object", MetaPlainLen, e.plainLen, stored)
		}
		return e.plainLen, nil
	}
}

// metadata renders the envelope as the S3EC V2 key map written to object
// metadata or, JSON-encoded, to an instruction file.
func (e *envelope) metadata() (map[string]string, error) {
	md, err := json.Marshal(e.matdesc)
	if err != nil {
		return nil, fmt.Errorf("cse: encode material description: %w", err)
	}
	return map[string]string{
		MetaKeyV2:   base64.StdEncoding.EncodeToString(e.wrapped),
		MetaIV:      base64.StdEncoding.EncodeToString(e.iv),
		MetaMatDesc: string(md),
		MetaWrapAlg: e.wrapAlg,
		MetaCEKAlg:  e.cekAlg,
		MetaTagLen:  tagLen128,
	}, nil
}

// instructionJSON renders the key map as an instruction file body
// (encoding/json sorts map keys, so equal envelopes give equal bytes).
func instructionJSON(md map[string]string) ([]byte, error) {
	b, err := json.Marshal(md)
	if err != nil {
		return nil, fmt.Errorf("cse: encode instruction file: %w", err)
	}
	return b, nil
}
