package dfs

import (
	"fmt"
	"path"
	"strings"
)

// HDFS's fixed limits on paths (HdfsServerConstants.MAX_PATH_LENGTH and
// MAX_PATH_DEPTH). No path longer or deeper can exist.
const (
	MaxPathLength = 8000
	MaxPathDepth  = 1000
)

// clipLen bounds how much of a path goes into an error message or a log
// line.
const clipLen = 256

// Clip shortens p for messages and logs: hostile paths are long.
func Clip(p string) string {
	if len(p) <= clipLen {
		return p
	}
	return fmt.Sprintf("%s...(%d bytes)", p[:clipLen-32], len(p))
}

// CleanPath validates and normalises an absolute HDFS path. Paths over
// MaxPathLength bytes or MaxPathDepth levels fail with ErrPathTooLong.
func CleanPath(p string) (string, error) {
	if len(p) > MaxPathLength {
		return "", Failf(ErrPathTooLong, "Pathname too long.  Limit %d characters, %d levels: %s", MaxPathLength, MaxPathDepth, Clip(p))
	}
	if !strings.HasPrefix(p, "/") {
		return "", Failf(ErrInvalidPath, "Invalid path name Invalid file name: %s", Clip(p))
	}
	for _, el := range strings.Split(p, "/") {
		if el == "." || el == ".." || strings.ContainsRune(el, 0) {
			return "", Failf(ErrInvalidPath, "Invalid path name Invalid file name: %s", Clip(p))
		}
	}
	p = path.Clean(p)
	if strings.Count(p, "/") > MaxPathDepth {
		return "", Failf(ErrPathTooLong, "Pathname too long.  Limit %d characters, %d levels: %s", MaxPathLength, MaxPathDepth, Clip(p))
	}
	return p, nil
}

// checkNewName refuses to create p (create, mkdirs, rename destination)
// when a component is longer than Options.MaxComponentLength, as HDFS's
// dfs.namenode.fs-limits.max-component-length.
func (n *Namespace) checkNewName(p string) error {
	limit := n.opts.MaxComponentLength
	if limit <= 0 {
		return nil
	}
	parent := "/"
	for _, el := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if len(el) > limit {
			return Failf(ErrComponentTooLong, "The maximum path component name limit of %s in directory %s is exceeded: limit=%d length=%d",
				Clip(el), parent, limit, len(el))
		}
		parent = path.Join(parent, el)
	}
	return nil
}
