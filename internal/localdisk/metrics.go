package localdisk

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	descStagingParts = prometheus.NewDesc("emrfsd_staging_parts",
		"Upload parts staged on local disk and in use now.", nil, nil)
	descStagingFiles = prometheus.NewDesc("emrfsd_staging_files",
		"Staging files on local disk now: parts in use plus released files kept for reuse.", nil, nil)
	descStagingBytes = prometheus.NewDesc("emrfsd_staging_disk_bytes",
		"Bytes in staging files on local disk now (sealed ciphertext, files kept for reuse included).", nil, nil)
)

// Register exports the staging area's use (read from the directory at
// each scrape) to reg: emrfsd_staging_parts, emrfsd_staging_files and
// emrfsd_staging_disk_bytes.
func (s *Staging) Register(reg prometheus.Registerer) error {
	return reg.Register(stagingCollector{s})
}

type stagingCollector struct{ s *Staging }

func (stagingCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descStagingParts
	ch <- descStagingFiles
	ch <- descStagingBytes
}

func (c stagingCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descStagingParts, prometheus.GaugeValue, float64(c.s.Live()))
	entries, err := os.ReadDir(c.s.dir)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descStagingBytes, err)
		return
	}
	var files, size int64
	for _, e := range entries {
		if e.IsDir() || !strings.HasPrefix(e.Name(), stagingPrefix) {
			continue
		}
		st, err := os.Lstat(filepath.Join(c.s.dir, e.Name()))
		if err != nil {
			continue // removed meanwhile
		}
		files++
		size += st.Size()
	}
	ch <- prometheus.MustNewConstMetric(descStagingFiles, prometheus.GaugeValue, float64(files))
	ch <- prometheus.MustNewConstMetric(descStagingBytes, prometheus.GaugeValue, float64(size))
}
