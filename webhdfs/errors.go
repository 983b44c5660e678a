package webhdfs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/emrfsd/emrfsd/dfs"
)

// Java exception classes WebHDFS reports beyond dfs's.
const (
	exIllegalArgument = "java.lang.IllegalArgumentException"
	exSecurity        = "java.lang.SecurityException"
	exRuntime         = "java.lang.RuntimeException"
)

// statusOf is Hadoop's ExceptionHandler: the HTTP status of each exception
// class a response can carry, by its place in Java's hierarchy.
// SecurityException and AuthorizationException 403, FileNotFoundException
// 404, any other IOException 403, UnsupportedOperationException and
// IllegalArgumentException (HadoopIllegalArgumentException,
// InvalidPathException) 400, anything else 500.
var statusOf = map[string]int{
	exSecurity: http.StatusForbidden,
	"org.apache.hadoop.security.authorize.AuthorizationException": http.StatusForbidden,
	dfs.ExFileNotFound:        http.StatusNotFound,
	dfs.ExFileAlreadyExists:   http.StatusForbidden,
	dfs.ExParentNotDirectory:  http.StatusForbidden,
	dfs.ExPathNotEmpty:        http.StatusForbidden,
	dfs.ExAccessControl:       http.StatusForbidden,
	dfs.ExAlreadyBeingCreated: http.StatusForbidden,
	dfs.ExLeaseExpired:        http.StatusForbidden,
	dfs.ExIO:                  http.StatusForbidden,
	dfs.ExComponentTooLong:    http.StatusForbidden,
	dfs.ExUnsupported:         http.StatusBadRequest,
	exIllegalArgument:         http.StatusBadRequest,
	dfs.ExIllegalArgument:     http.StatusBadRequest,
	dfs.ExInvalidPath:         http.StatusBadRequest,
}

// httpStatus is the status Hadoop answers an exception of class with.
func httpStatus(class string) int {
	if s, ok := statusOf[class]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// apiError is an error raised by this package with its Java class and
// message (parameter errors, refused users); everything else goes through
// dfs.Exception.
type apiError struct {
	class, msg string
}

func (e *apiError) Error() string { return e.msg }

func illegalArg(format string, args ...any) error {
	return &apiError{class: exIllegalArgument, msg: fmt.Sprintf(format, args...)}
}

// badParam is Jersey's ParamException as Hadoop's ExceptionHandler words it.
func badParam(name, cause string) error {
	return illegalArg("Invalid value for webhdfs parameter \"%s\": %s", name, cause)
}

// required is NamenodeWebHdfsMethods.validateOpParams.
func required(op, name string) error {
	return illegalArg("Required param %s for op: %s is null or empty", name, op)
}

// unsupportedOp is what Hadoop answers an op it does not handle.
func unsupportedOp(op string) error {
	return &apiError{class: dfs.ExUnsupported, msg: "op=" + op + " is not supported"}
}

// exception maps err to (class, message).
func exception(err error) (class, msg string) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.class, ae.msg
	}
	return dfs.Exception(err)
}

// simpleName is Java's Class.getSimpleName for a class name.
func simpleName(class string) string {
	if i := strings.LastIndexAny(class, ".$"); i >= 0 {
		return class[i+1:]
	}
	return class
}

// remoteException is the body of an error response (JsonUtil.toJsonString
// of an exception: a TreeMap, so keys in alphabetical order).
type remoteException struct {
	RemoteException struct {
		Exception     string `json:"exception"`
		JavaClassName string `json:"javaClassName"`
		Message       string `json:"message"`
	} `json:"RemoteException"`
}

// errorBody renders the RemoteException JSON for class and msg.
func errorBody(class, msg string) []byte {
	var b remoteException
	b.RemoteException.Exception = simpleName(class)
	b.RemoteException.JavaClassName = class
	b.RemoteException.Message = msg
	return marshal(b)
}

// marshal encodes v as Jackson does: no HTML escaping, no trailing newline.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only our own types are encoded
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
