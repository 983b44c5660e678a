package kms

import (
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
)

// ClientLimits bound the AWS KMS client's calls.
type ClientLimits struct {
	// MaxAttempts is how many times one call is sent (1: no retries).
	MaxAttempts int
	// MaxBackoff caps the wait between two attempts.
	MaxBackoff time.Duration
	// AttemptTimeout bounds one attempt: connect, send, the whole answer.
	AttemptTimeout time.Duration
}

// Retry token bucket: the SDK's own defaults, named here so that a change
// of SDK defaults does not silently change the daemon's behaviour.
const (
	retryTokens        = retry.DefaultRetryRateTokens // 500
	retryBaseDelay     = 50 * time.Millisecond
	throttleRetryCost  = retry.DefaultThrottlingRetryCost // 5
	transientRetryCost = 14
)

// NewRetryer is the KMS client's retryer, configured explicitly: the
// SDK's standard retryer (retries throttling errors such as
// ThrottlingException, 5xx answers, timeouts and connection errors; never
// client errors such as an invalid ciphertext) with at most l.MaxAttempts
// attempts, exponential backoff with full jitter (base 50 ms, 1 s for
// throttling, capped at l.MaxBackoff), and a token bucket of 500 shared by
// every call, which stops retrying while KMS keeps failing (each retry
// costs 14 tokens, 5 for throttling; a success returns them).
func NewRetryer(l ClientLimits) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = max(l.MaxAttempts, 1)
		o.MaxBackoff = l.MaxBackoff
		o.BaseDelay = retryBaseDelay
		o.RateLimiter = ratelimit.NewTokenRateLimit(retryTokens)
		o.RetryCost = transientRetryCost
		o.ThrottlingRetryCost = throttleRetryCost
	})
}

// ClientOptions applies l to a KMS client: the retryer above, answers
// carrying plaintext keys decoded without unzeroable copies (scrub.go), and an HTTP
// client whose every attempt ends after l.AttemptTimeout (the SDK's
// default client has no such bound: a KMS endpoint that accepts a
// connection and never answers would hold a call forever).
func ClientOptions(l ClientLimits) func(*awskms.Options) {
	return func(o *awskms.Options) {
		o.Retryer = NewRetryer(l)
		o.APIOptions = append(o.APIOptions, scrubAnswers)
		if l.AttemptTimeout > 0 {
			o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(l.AttemptTimeout).WithTransportOptions(func(tr *http.Transport) {
				tr.ResponseHeaderTimeout = l.AttemptTimeout
			})
		}
	}
}
