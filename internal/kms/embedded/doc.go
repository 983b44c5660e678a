// Package embedded is a small in-process key service for running emrfsd
// without AWS. It behaves like AWS KMS / local-kms for the calls emrfsd
// makes (GenerateDataKey, Decrypt, DescribeKey): key ARNs
// arn:aws:kms:REGION:ACCOUNT:key/UUID, resolvable aliases alias/NAME, and
// wrapped data keys bound to the encryption context.
//
// Master keys are kept in a JSON key store (keys.json, mode 0600) inside a
// directory of mode 0700. Anyone who can read that directory can unwrap every
// data key: protect it like the keys it holds.
//
// Wrapped-key blob, version 1 (all lengths in bytes):
//
//	+-------+---------+--------+-------------+----------+----------------------+
//	| "EK"  | version | id len | key id      | nonce    | AES-256-GCM(datakey) |
//	| 2     | 1 (=1)  | 1      | id len      | 12       | 32 + 16 tag          |
//	+-------+---------+--------+-------------+----------+----------------------+
//
// The GCM additional data is the header (magic .. key id) followed by the
// canonical encryption context (sorted-key JSON), so any change to the key
// id or the context makes Decrypt fail.
//
// Imports: internal/kms, internal/errs.
package embedded
