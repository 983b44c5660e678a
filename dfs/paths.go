package dfs

import (
	"path"
	"strings"
)

// CleanPath validates and normalises an absolute HDFS path.
func CleanPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", Failf(ErrInvalidPath, "Invalid path name Invalid file name: %s", p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == "." || el == ".." || strings.ContainsRune(el, 0) {
			return "", Failf(ErrInvalidPath, "Invalid path name Invalid file name: %s", p)
		}
	}
	return path.Clean(p), nil
}
