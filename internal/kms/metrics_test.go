package kms_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/internal/kms/kmstest"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

// TestMeteredLocalKMSSuite: the metered decorator passes the behaviour
// suite every key service must pass (it changes nothing but the figures).
func TestMeteredLocalKMSSuite(t *testing.T) {
	kmstest.Run(t, func(t *testing.T) kmstest.Harness {
		h := localKMSHarness(t)
		m, err := kms.NewMetrics(prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		h.KMS = m.Wrap(h.KMS)
		return h
	})
}

// TestMeteredCountsByOperationAndOutcome drives the metered AWS adapter
// against local-kms and checks each counter moved by exactly the calls made,
// with the outcome the audit log would record.
func TestMeteredCountsByOperationAndOutcome(t *testing.T) {
	env := testenv.Get(t)
	key := env.NewKMSKey(t, "emrfsd-metrics")
	reg := prometheus.NewRegistry()
	m, err := kms.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	k := m.Wrap(kms.NewAWS(env.KMSClient()))
	ctx := context.Background()
	encCtx := map[string]string{"kms_cmk_id": key.ARN}

	_, wrapped, err := k.GenerateDataKey(ctx, key.Alias, encCtx)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := k.Decrypt(ctx, key.ARN, wrapped, encCtx); err != nil {
			t.Fatal(err)
		}
	}
	// The decorator keeps the adapter's ARN reporting.
	if _, arn, err := k.DecryptARN(ctx, "", wrapped, encCtx); err != nil || arn != key.ARN {
		t.Fatalf("DecryptARN: %q, %v (want %s)", arn, err, key.ARN)
	}
	if _, err := k.Decrypt(ctx, "", wrapped, map[string]string{"kms_cmk_id": "other"}); !errors.Is(err, errs.ErrKeyMismatch) {
		t.Fatalf("mismatched context: %v", err)
	}
	if _, err := k.DescribeKey(ctx, "alias/"+testenv.Unique("emrfsd-metrics-missing")); !errors.Is(err, errs.ErrKeyUnavailable) {
		t.Fatalf("missing alias: %v", err)
	}
	cfg := env.AWSConfig()
	cfg.RetryMaxAttempts = 1
	dead := m.Wrap(kms.NewAWS(awskms.NewFromConfig(cfg, func(o *awskms.Options) { o.BaseEndpoint = aws.String("http://127.0.0.1:1") })))
	if _, err := dead.DescribeKey(ctx, key.Alias); !errors.Is(err, errs.ErrKeyUnavailable) {
		t.Fatalf("unreachable: %v", err)
	}

	want := map[[2]string]float64{
		{"GenerateDataKey", "ok"}:                  1,
		{"Decrypt", "ok"}:                          3,
		{"Decrypt", "InvalidCiphertextException"}:  1,
		{"DescribeKey", "NotFoundException"}:       1,
		{"DescribeKey", kms.OutcomeKeyUnavailable}: 1,
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[[2]string]float64{}
	observed := map[string]uint64{}
	for _, mf := range mfs {
		for _, mm := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range mm.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			switch mf.GetName() {
			case "emrfsd_kms_requests_total":
				got[[2]string{l["operation"], l["outcome"]}] = mm.GetCounter().GetValue()
			case "emrfsd_kms_request_duration_seconds":
				observed[l["operation"]] = mm.GetHistogram().GetSampleCount()
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d request series %v, want %d", len(got), got, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("emrfsd_kms_requests_total%v = %v, want %v (all %v)", k, got[k], v, got)
		}
	}
	if observed["GenerateDataKey"] != 1 || observed["Decrypt"] != 4 || observed["DescribeKey"] != 2 {
		t.Errorf("latency samples %v, want GenerateDataKey 1, Decrypt 4, DescribeKey 2", observed)
	}
	if _, err := kms.NewMetrics(reg); err == nil {
		t.Error("registering the KMS figures twice on one registry succeeded")
	}
}
