package fs

import (
	"fmt"
	iofs "io/fs"
	"path"
	"strings"

	"github.com/emrfsd/emrfsd/providers"
)

// Object-key conventions of the namespace.
const (
	// dirMarkerSuffix ends the key of a directory marker object ("dir/"), as
	// S3A and the S3 console write them.
	dirMarkerSuffix = "/"
	// folderSuffix ends an EMRFS (and s3n) directory marker ("dir_$folder$").
	// Such markers are understood as directories and never listed.
	folderSuffix = "_$folder$"
	// instructionSuffix names an S3 Encryption Client instruction file.
	instructionSuffix = providers.InstructionSuffix
)

// rootKey is the reserved object at the top of a bucket that carries the
// attributes of the bucket's root directory (/BUCKET, or "/" itself in the
// default bucket): owner, group, permission, times and xattrs, in the same
// metadata scheme as markers. It is hidden from listings and refused as a
// path name, like EMRFS's _$folder$ markers.
const rootKey = "_$root$"

// loc is a parsed namespace path.
//
//	/                 root: top == "" (bucket is the default bucket, if any)
//	/TOP              a top-level directory: bucket root, key == ""
//	/TOP/K1/K2        key "K1/K2" in the bucket mapped to TOP
//	/NAME/K1          NAME not a served bucket, with a default bucket:
//	                  key "NAME/K1" in the default bucket (inDefault)
type loc struct {
	path   string // the clean path as given
	top    string // top-level directory name ("" for the root)
	bucket string // S3 bucket ("" for the root without a default bucket)
	key    string // object key ("" for the root and top-level dirs)
	// inDefault: the path lives in the default bucket, whose keys are the
	// path without its leading "/" (so /NAME is an ordinary directory or
	// file there, never a bucket root).
	inDefault bool
}

func (l loc) isRoot() bool { return l.top == "" }

// isTop reports whether l is a top-level directory that is a bucket root.
func (l loc) isTop() bool { return l.top != "" && l.key == "" }

// name is the last path element ("" for the root).
func (l loc) name() string {
	if l.isRoot() {
		return ""
	}
	return path.Base(l.path)
}

// dirPrefix is the key prefix of l's children ("" for a bucket root).
func (l loc) dirPrefix() string {
	if l.key == "" {
		return ""
	}
	return l.key + dirMarkerSuffix
}

// parent returns the parent directory of a non-root path.
func (l loc) parent() loc {
	if l.isRoot() || l.isTop() {
		return loc{path: "/"}
	}
	i := strings.LastIndexByte(l.key, '/')
	if l.inDefault && i < 0 {
		return loc{path: "/", bucket: l.bucket, inDefault: true}
	}
	p := loc{path: path.Dir(l.path), top: l.top, bucket: l.bucket, inDefault: l.inDefault}
	if i >= 0 {
		p.key = l.key[:i]
	}
	return p
}

// child returns the path of name below l (name must be a valid element).
// Below the root, the child is a top-level bucket directory unless l is
// the root of the default bucket (see FS.rootLoc), whose children are keys.
func (l loc) child(name string) loc {
	c := loc{top: l.top, bucket: l.bucket, inDefault: l.inDefault}
	switch {
	case l.isRoot():
		c.path, c.top = "/"+name, name
		if l.inDefault {
			c.key = name
		}
	case l.key == "":
		c.path, c.key = l.path+"/"+name, name
	default:
		c.path, c.key = l.path+"/"+name, l.key+"/"+name
	}
	return c
}

// contains reports whether o is strictly below l (same bucket).
func (l loc) contains(o loc) bool {
	if l.isRoot() {
		return !o.isRoot()
	}
	return o.top == l.top && strings.HasPrefix(o.path, l.path+"/")
}

var errBadPath = fmt.Errorf("%w: path must be absolute and clean, without empty, \".\" or \"..\" elements or NUL", iofs.ErrInvalid)

// splitPath checks p syntactically and splits it into its elements: p must
// be absolute and clean, without empty, "." or ".." elements and without NUL.
func splitPath(p string) ([]string, error) {
	if p == "/" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.IndexByte(p, 0) >= 0 {
		return nil, errBadPath
	}
	elems := strings.Split(p[1:], "/")
	for _, e := range elems {
		if e == "" || e == "." || e == ".." {
			return nil, errBadPath
		}
	}
	return elems, nil
}
