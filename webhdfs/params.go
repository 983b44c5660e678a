package webhdfs

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Parameter names (Hadoop's *Param.NAME; compared in lower case, as
// Hadoop's ParamFilter lowercases every name).
const (
	pOp                 = "op"
	pUser               = "user.name"
	pDoAs               = "doas"
	pDelegation         = "delegation"
	pNameNode           = "namenoderpcaddress" // marks a DataNode step
	pNoRedirect         = "noredirect"
	pOffset             = "offset"
	pLength             = "length"
	pBufferSize         = "buffersize"
	pOverwrite          = "overwrite"
	pBlockSize          = "blocksize"
	pReplication        = "replication"
	pPermission         = "permission"
	pUnmaskedPermission = "unmaskedpermission"
	pCreateParent       = "createparent"
	pCreateFlag         = "createflag"
	pDestination        = "destination"
	pRenameOptions      = "renameoptions"
	pRecursive          = "recursive"
	pOwner              = "owner"
	pGroup              = "group"
	pModificationTime   = "modificationtime"
	pAccessTime         = "accesstime"
	pStartAfter         = "startafter"
	pXAttrName          = "xattr.name"
	pXAttrValue         = "xattr.value"
	pXAttrFlag          = "flag"
	pXAttrEncoding      = "encoding"
	pFsAction           = "fsaction"
	pNewLength          = "newlength"
	pSources            = "sources"
)

// userPattern is dfs.webhdfs.user.provider.user.pattern's default: the
// names user.name (and here doas) may carry.
var userPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]*[$]?$`)

// query is a request's parameters with lower-cased names.
type query map[string][]string

func parseQuery(raw string) (query, error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return nil, illegalArg("Invalid query string: %v", err)
	}
	q := query{}
	for k, vs := range v {
		lk := strings.ToLower(k)
		q[lk] = append(q[lk], vs...)
	}
	return q, nil
}

// get returns the first value of name.
func (q query) get(name string) (string, bool) {
	vs := q[name]
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// str is a StringParam: absent or empty is "".
func (q query) str(name string) string {
	v, _ := q.get(name)
	return v
}

// raw returns the value of a typed parameter, absent when missing or
// "null" (Hadoop's NULL default).
func (q query) raw(name string) (string, bool) {
	v, ok := q.get(name)
	if !ok || v == "null" {
		return "", false
	}
	return v, true
}

// boolean parses a BooleanParam (true/false, any case).
func (q query) boolean(name string, def bool) (bool, error) {
	v, ok := q.raw(name)
	switch {
	case !ok:
		return def, nil
	case strings.EqualFold(v, "true"):
		return true, nil
	case strings.EqualFold(v, "false"):
		return false, nil
	}
	return false, badParam(name, fmt.Sprintf("Failed to parse \"%s\" to Boolean.", v))
}

// integer parses a Long/Integer/ShortParam of bits bits in radix, with an
// optional range; ok is false when it is absent.
func (q query) integer(name string, radix, bits int, lo, hi *int64) (n int64, ok bool, err error) {
	v, ok := q.raw(name)
	if !ok {
		return 0, false, nil
	}
	kind := map[int]string{16: "short integer", 32: "integer", 64: "long integer"}[bits]
	n, perr := strconv.ParseInt(v, radix, bits)
	if perr != nil {
		return 0, false, badParam(name, fmt.Sprintf("Failed to parse \"%s\" as a radix-%d %s.", v, radix, kind))
	}
	f := func(x int64) string { return strconv.FormatInt(x, radix) }
	if lo != nil && n < *lo {
		return 0, false, badParam(name, fmt.Sprintf("Invalid parameter range: %s = %s < %s", name, f(n), f(*lo)))
	}
	if hi != nil && n > *hi {
		return 0, false, badParam(name, fmt.Sprintf("Invalid parameter range: %s = %s > %s", name, f(n), f(*hi)))
	}
	return n, true, nil
}

func ptr(n int64) *int64 { return &n }

// long parses a LongParam (radix 10) with minimum lo; def when absent.
func (q query) long(name string, lo int64, def int64) (int64, error) {
	n, ok, err := q.integer(name, 10, 64, ptr(lo), nil)
	if !ok {
		return def, err
	}
	return n, nil
}

// permission parses a PermissionParam (octal, 0 to 1777); def when absent.
func (q query) permission(name string, def uint32) (uint32, error) {
	n, ok, err := q.integer(name, 8, 16, ptr(0), ptr(0o1777))
	if !ok {
		return def, err
	}
	return uint32(n), nil
}

// enumSet parses an EnumSetParam: comma-separated constants of the Java
// enum class (any case).
func (q query) enumSet(name, class string, allowed ...string) (map[string]bool, error) {
	v, ok := q.get(name)
	set := map[string]bool{}
	if !ok || strings.TrimSpace(v) == "" {
		return set, nil
	}
	for _, s := range strings.Split(v, ",") {
		c := strings.ToUpper(strings.TrimSpace(s))
		found := false
		for _, a := range allowed {
			if a == c {
				found = true
			}
		}
		if !found {
			return nil, badParam(name, "No enum constant "+class+"."+c)
		}
		set[c] = true
	}
	return set, nil
}

// destination parses a DestinationParam: an absolute path, normalised as
// Hadoop's Path does.
func (q query) destination() (string, bool, error) {
	v := q.str(pDestination)
	if v == "" {
		return "", false, nil
	}
	if !strings.HasPrefix(v, "/") {
		return "", false, badParam(pDestination, fmt.Sprintf("Invalid parameter value: %s = \"%s\" is not an absolute path.", pDestination, v))
	}
	// Hadoop's Path removes repeated and trailing slashes; "." and ".."
	// are left for dfs to refuse.
	for strings.Contains(v, "//") {
		v = strings.ReplaceAll(v, "//", "/")
	}
	if len(v) > 1 {
		v = strings.TrimSuffix(v, "/")
	}
	return v, true, nil
}

// xattrName turns an xattr.name into dfs's full name ("user.NAME"), with
// Hadoop's checks (XAttrHelper.buildXAttr): the namespace prefix is matched
// in any case.
func xattrName(name string) (string, error) {
	i := strings.IndexByte(name, '.')
	switch {
	case i < 3:
		return "", hadoopIllegalArg("An XAttr name must be prefixed with user/trusted/security/system/raw, followed by a '.'")
	case i == len(name)-1:
		return "", hadoopIllegalArg("XAttr name cannot be empty.")
	}
	prefix := strings.ToLower(name[:i])
	switch prefix {
	case "user", "trusted", "system", "security", "raw":
	default:
		return "", hadoopIllegalArg("An XAttr name must be prefixed with user/trusted/security/system/raw, followed by a '.'")
	}
	return prefix + "." + name[i+1:], nil
}

func hadoopIllegalArg(msg string) error {
	return &apiError{class: "org.apache.hadoop.HadoopIllegalArgumentException", msg: msg}
}

// decodeXattrValue is XAttrCodec.decodeValue: "quoted text", 0xHEX,
// 0sBASE64, or the text itself.
func decodeXattrValue(v string) ([]byte, error) {
	if len(v) >= 2 {
		switch en := strings.ToLower(v[:2]); {
		case strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`):
			return []byte(v[1 : len(v)-1]), nil
		case en == "0x":
			b, err := hex.DecodeString(v[2:])
			if err != nil {
				return nil, &apiError{class: "java.io.IOException", msg: "org.apache.commons.codec.DecoderException: " + err.Error()}
			}
			return b, nil
		case en == "0s":
			s := strings.TrimRight(v[2:], "=")
			b, err := base64.RawStdEncoding.DecodeString(s)
			if err != nil {
				b, err = base64.RawURLEncoding.DecodeString(s)
			}
			if err != nil {
				return nil, badParam(pXAttrValue, "invalid base64 value")
			}
			return b, nil
		}
	}
	return []byte(v), nil
}

// encodeXattrValue is XAttrCodec.encodeValue.
func encodeXattrValue(b []byte, encoding string) string {
	switch encoding {
	case "HEX":
		return "0x" + hex.EncodeToString(b)
	case "BASE64":
		return "0s" + base64.StdEncoding.EncodeToString(b)
	}
	return `"` + string(b) + `"`
}

// fsPath is the HDFS path of a request URL path below prefix (Jersey's
// UriFsPathParam: "/" + the rest, already percent-decoded).
func fsPath(urlPath, prefix string) string {
	rest := strings.TrimPrefix(urlPath, prefix)
	return "/" + strings.TrimPrefix(rest, "/")
}

// isUnder reports whether clean path p is dir or below it.
func isUnder(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}
