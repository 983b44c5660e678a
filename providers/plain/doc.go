// Package plain is the pass-through provider: objects are stored exactly as
// written, with no metadata, no server-side encryption requested and no
// instruction file.
//
// # Configuration
//
// None. A bucket uses it when neither SSE nor CSE is configured for it.
//
// # Key handling
//
// No keys. It implements none of the optional provider interfaces: listed
// size = stored size, copies ask for no server-side encryption, and any
// report of S3 confirms a write, since nothing was asked (a bucket default
// encryption set on the S3 side still applies).
//
// # Wire format
//
// Stored bytes = plaintext; PlainSize = ListedSize = stored size.
//
// Imports: providers, internal/errs.
package plain
