package fs

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// BucketRoots lists the top-level directories that are buckets
// (Options.Buckets, or every bucket the credentials can list), as clean
// paths "/NAME", sorted. Other top-level directories (those of a default
// bucket) are not included.
func (f *FS) BucketRoots(ctx context.Context) ([]string, error) {
	var out []string
	if f.opts.Buckets != nil {
		for top := range f.opts.Buckets {
			out = append(out, "/"+top)
		}
	} else {
		in := &s3.ListBucketsInput{}
		for {
			resp, err := f.opts.S3.ListBuckets(ctx, in)
			if err != nil {
				return nil, pathErr("list", "/", err)
			}
			for _, b := range resp.Buckets {
				out = append(out, "/"+aws.ToString(b.Name))
			}
			if aws.ToString(resp.ContinuationToken) == "" {
				break
			}
			in.ContinuationToken = resp.ContinuationToken
		}
	}
	slices.Sort(out)
	return out, nil
}

// HasDefaultBucket reports whether top-level paths that are not buckets
// (/user, /tmp, ...) have a home (Options.DefaultBucket).
func (f *FS) HasDefaultBucket() bool { return f.opts.DefaultBucket != "" }
