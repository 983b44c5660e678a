package webhdfs

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/reqid"
)

// PathPrefix is where the REST API lives; mount the Handler there.
const PathPrefix = "/webhdfs/v1/"

// prefix is PathPrefix without its slash: /webhdfs/v1 is the root too.
const prefix = "/webhdfs/v1"

// Options configure a Handler. The zero value is usable.
type Options struct {
	// StaticUser is hadoop.http.staticuser.user: who a request without
	// user.name acts as (default "dr.who").
	StaticUser string
	// ProxyUsers are the hadoop.proxyuser.NAME.* rules, by NAME (the user
	// given in user.name that asks to act as doas).
	ProxyUsers map[string]ProxyUser
	// NameNodeAddress is the value of namenoderpcaddress in DataNode URLs
	// and the authority of a created file's hdfs:// Location (Hadoop
	// puts the NameNode's RPC address there): host:port, or ":port" for
	// the host the client reached this server at with that port; default:
	// the Host the client reached this server at.
	NameNodeAddress string
	// HomePrefix is dfs.user.home.dir.prefix (default /user): home
	// directories are HomePrefix/USER.
	HomePrefix string
	// BufferSize is the chunk size of reads and writes (default 64 KiB):
	// the memory one stream holds in this package.
	BufferSize int
}

func (o *Options) setDefaults() {
	if o.StaticUser == "" {
		o.StaticUser = "dr.who"
	}
	if o.HomePrefix == "" {
		o.HomePrefix = "/user"
	}
	if o.BufferSize <= 0 {
		o.BufferSize = 64 << 10
	}
}

// Handler serves WebHDFS over a dfs.Namespace. It is an http.Handler for
// the paths under PathPrefix; other paths of the same server (metrics,
// health, a status page) are someone else's. Route PathPrefix to it before
// an http.ServeMux sees the request (see Route): a ServeMux redirects paths
// with "." or ".." elements, which HDFS refuses as invalid instead.
type Handler struct {
	ns    *dfs.Namespace
	fs    *fs.FS
	log   *slog.Logger
	opts  Options
	proxy map[string]proxyRule
}

// New builds a handler serving ns, logging to log (nil: discard).
func New(ns *dfs.Namespace, log *slog.Logger, o Options) (*Handler, error) {
	if ns == nil {
		return nil, errors.New("webhdfs: a namespace is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o.setDefaults()
	if !strings.HasPrefix(o.HomePrefix, "/") {
		return nil, errors.New("webhdfs: HomePrefix must be an absolute path")
	}
	h := &Handler{ns: ns, fs: ns.FS(), log: log, opts: o, proxy: map[string]proxyRule{}}
	for name, p := range o.ProxyUsers {
		h.proxy[name] = newProxyRule(name, p, log)
	}
	return h, nil
}

// Route returns a handler that serves WebHDFS paths with h and every other
// path with mux.
func (h *Handler) Route(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == prefix || strings.HasPrefix(r.URL.Path, PathPrefix) {
			h.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// request is one call being served.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	q      query
	op     string
	path   string // as given in the URL, "/" + rest
	user   string // who it acts as
	c      *dfs.Caller
	ctx    context.Context
	status int    // sent, for the log
	id     string // request id (internal/reqid)
}

// The ops each method serves (Hadoop's GetOpParam, PutOpParam, PostOpParam
// and DeleteOpParam constants; others are "not a valid ... operation").
var knownOps = map[string][]string{
	http.MethodGet: {"OPEN", "GETFILESTATUS", "LISTSTATUS", "GETCONTENTSUMMARY", "GETQUOTAUSAGE", "GETFILECHECKSUM",
		"GETHOMEDIRECTORY", "GETDELEGATIONTOKEN", "GET_BLOCK_LOCATIONS", "GETFILEBLOCKLOCATIONS", "GETACLSTATUS", "GETXATTRS",
		"GETTRASHROOT", "LISTXATTRS", "GETALLSTORAGEPOLICY", "GETSTORAGEPOLICY", "GETECPOLICY", "NULL", "CHECKACCESS",
		"LISTSTATUS_BATCH", "GETSERVERDEFAULTS", "GETSNAPSHOTDIFF", "GETSNAPSHOTDIFFLISTING", "GETSNAPSHOTTABLEDIRECTORYLIST",
		"GETLINKTARGET", "GETFILELINKSTATUS", "GETSTATUS", "GETECPOLICIES", "GETECCODECS", "GETTRASHROOTS", "GETSNAPSHOTLIST"},
	http.MethodPut: {"CREATE", "MKDIRS", "CREATESYMLINK", "RENAME", "SETREPLICATION", "SETOWNER", "SETPERMISSION", "SETTIMES",
		"RENEWDELEGATIONTOKEN", "CANCELDELEGATIONTOKEN", "MODIFYACLENTRIES", "REMOVEACLENTRIES", "REMOVEDEFAULTACL", "REMOVEACL",
		"SATISFYSTORAGEPOLICY", "SETACL", "SETXATTR", "REMOVEXATTR", "ENABLEECPOLICY", "DISABLEECPOLICY", "SETECPOLICY",
		"ALLOWSNAPSHOT", "DISALLOWSNAPSHOT", "CREATESNAPSHOT", "RENAMESNAPSHOT", "SETSTORAGEPOLICY", "SETQUOTA",
		"SETQUOTABYSTORAGETYPE", "NULL"},
	http.MethodPost:   {"APPEND", "CONCAT", "TRUNCATE", "UNSETECPOLICY", "UNSETSTORAGEPOLICY", "NULL"},
	http.MethodDelete: {"DELETE", "DELETESNAPSHOT", "NULL"},
}

// parseOp is HttpOpParam's parsing: the op in any case, "NULL" when absent.
func parseOp(method string, q query) (string, error) {
	v, ok := q.get(pOp)
	op := "NULL"
	if ok && v != "" {
		op = strings.ToUpper(v)
	}
	for _, k := range knownOps[method] {
		if k == op {
			return op, nil
		}
	}
	return "", badParam(pOp, v+" is not a valid "+method+" operation.")
}

// ServeHTTP serves one WebHDFS request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// A request id in the response header, the log line and the message of
	// a failure, so what a client printed finds the daemon's log line.
	id := reqid.New()
	w.Header().Set("X-Request-Id", id)
	rq := &request{w: w, r: r, ctx: dfs.CallContext(reqid.With(r.Context(), id)), path: fsPath(r.URL.Path, prefix), id: id}
	defer func() {
		lvl := slog.LevelDebug
		if rq.status >= 400 {
			lvl = slog.LevelInfo
		}
		h.log.Log(rq.ctx, lvl, "webhdfs", "method", r.Method, "op", rq.op, "path", dfs.Clip(rq.path), "user", rq.user,
			"status", rq.status, "remote", r.RemoteAddr, "ms", time.Since(start).Milliseconds(), reqid.LogKey, id)
	}()
	if r.URL.Path != prefix && !strings.HasPrefix(r.URL.Path, PathPrefix) {
		h.fail(rq, illegalArg("Invalid path %s: WebHDFS paths start with %s", dfs.Clip(r.URL.Path), PathPrefix))
		return
	}
	var err error
	if rq.q, err = parseQuery(r.URL.RawQuery); err != nil {
		h.fail(rq, err)
		return
	}
	if _, ok := knownOps[r.Method]; !ok {
		w.Header().Set("Allow", "GET, PUT, POST, DELETE")
		rq.status = http.StatusMethodNotAllowed
		http.Error(w, "method not allowed", rq.status)
		return
	}
	if rq.op, err = parseOp(r.Method, rq.q); err != nil {
		h.fail(rq, err)
		return
	}
	if rq.user, err = h.identity(r, rq.q); err != nil {
		h.fail(rq, err)
		return
	}
	rq.c = h.ns.Caller(rq.user)
	if err := h.dispatch(rq); err != nil {
		h.fail(rq, err)
	}
}

func (h *Handler) dispatch(rq *request) error {
	_, dataNode := rq.q.get(pNameNode)
	switch rq.r.Method {
	case http.MethodGet:
		switch rq.op {
		case "OPEN":
			if dataNode {
				return h.open(rq)
			}
			return h.redirectRead(rq)
		case "GETFILECHECKSUM":
			if dataNode {
				return h.checksum(rq)
			}
			return h.redirectRead(rq)
		case "GETFILESTATUS":
			return h.getFileStatus(rq)
		case "LISTSTATUS":
			return h.listStatus(rq)
		case "LISTSTATUS_BATCH":
			return h.listStatusBatch(rq)
		case "GETCONTENTSUMMARY":
			return h.contentSummary(rq, false)
		case "GETQUOTAUSAGE":
			return h.contentSummary(rq, true)
		case "GETHOMEDIRECTORY":
			return h.writeJSON(rq, pathJSON{Path: strings.TrimSuffix(h.opts.HomePrefix, "/") + "/" + rq.user})
		case "GETTRASHROOT":
			return h.trashRoot(rq)
		case "GETXATTRS":
			return h.getXattrs(rq)
		case "LISTXATTRS":
			return h.listXattrs(rq)
		case "GETACLSTATUS":
			return h.aclStatus(rq)
		case "CHECKACCESS":
			return h.checkAccess(rq)
		case "GETSERVERDEFAULTS":
			return h.serverDefaults(rq)
		case "GETFILEBLOCKLOCATIONS":
			return h.blockLocations(rq)
		case "GETDELEGATIONTOKEN":
			// Security is off: Hadoop's NameNode has no token to give.
			return h.writeJSON(rq, tokenJSON{})
		}
	case http.MethodPut:
		switch rq.op {
		case "CREATE":
			if dataNode {
				return h.create(rq)
			}
			return h.redirectCreate(rq)
		case "MKDIRS":
			return h.mkdirs(rq)
		case "RENAME":
			return h.rename(rq)
		case "SETPERMISSION":
			return h.setPermission(rq)
		case "SETOWNER":
			return h.setOwner(rq)
		case "SETTIMES":
			return h.setTimes(rq)
		case "SETREPLICATION":
			return h.setReplication(rq)
		case "SETXATTR":
			return h.setXattr(rq)
		case "REMOVEXATTR":
			return h.removeXattr(rq)
		}
	case http.MethodPost:
		switch rq.op {
		case "APPEND":
			return h.appendOp(rq)
		case "TRUNCATE":
			return h.truncate(rq)
		case "CONCAT":
			return h.concat(rq)
		}
	case http.MethodDelete:
		if rq.op == "DELETE" {
			return h.delete(rq)
		}
	}
	return unsupportedOp(rq.op)
}

// fail sends err as a RemoteException with Hadoop's status for its class.
func (h *Handler) fail(rq *request, err error) {
	class, msg := exception(err)
	if rq.id != "" {
		msg += reqid.Suffix(rq.id)
	}
	rq.status = httpStatus(class)
	if rq.status >= 500 {
		h.log.Warn("webhdfs: internal error", "op", rq.op, "path", dfs.Clip(rq.path), "user", rq.user, "err", err)
	} else {
		h.log.Debug("webhdfs: refused", "op", rq.op, "path", dfs.Clip(rq.path), "user", rq.user, "class", class, "err", err)
	}
	body := errorBody(class, msg)
	hd := rq.w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	rq.w.WriteHeader(rq.status)
	rq.w.Write(body)
}

// writeJSON sends a 200 JSON answer.
func (h *Handler) writeJSON(rq *request, v any) error {
	body := marshal(v)
	hd := rq.w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	rq.status = http.StatusOK
	rq.w.WriteHeader(rq.status)
	rq.w.Write(body)
	return nil
}

// ok sends an empty 200 answer.
func (h *Handler) ok(rq *request) error {
	hd := rq.w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Length", "0")
	rq.status = http.StatusOK
	rq.w.WriteHeader(rq.status)
	return nil
}
