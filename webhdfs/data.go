package webhdfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/internal/hdfschecksum"
)

// Data ops. Hadoop's NameNode answers OPEN, GETFILECHECKSUM and CREATE with
// a 307 redirect to a DataNode, whose URL carries namenoderpcaddress; here
// the "DataNode" is this same server, reached at the Host the client used,
// and that parameter marks the second step.

// dataNodeURL is the Location of the DataNode step: op, the identity
// parameters (doas, user.name), namenoderpcaddress, then the request's
// other parameters sorted by name, as Hadoop's redirectURI builds it.
func (h *Handler) dataNodeURL(rq *request) string {
	scheme := "http"
	if rq.r.TLS != nil {
		scheme = "https"
	}
	host := rq.r.Host
	if host == "" {
		if a, ok := rq.r.Context().Value(http.LocalAddrContextKey).(interface{ String() string }); ok {
			host = a.String()
		}
	}
	var b strings.Builder
	b.WriteString(pOp + "=" + rq.op)
	for _, k := range []string{pDoAs, pUser} {
		if v := rq.q.str(k); v != "" {
			b.WriteString("&" + k + "=" + url.QueryEscape(v))
		}
	}
	b.WriteString("&" + pNameNode + "=" + url.QueryEscape(h.nameNodeAddress(rq)))
	var keys []string
	for k := range rq.q {
		switch k {
		case pOp, pDoAs, pUser, pNameNode, pNoRedirect, pDelegation:
		default:
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range rq.q[k] {
			b.WriteString("&" + url.QueryEscape(k) + "=" + url.QueryEscape(v))
		}
	}
	u := url.URL{Scheme: scheme, Host: host, Path: prefix + rq.path, RawQuery: b.String()}
	return u.String()
}

func (h *Handler) nameNodeAddress(rq *request) string {
	a := h.opts.NameNodeAddress
	switch {
	case a == "":
		return rq.r.Host
	case strings.HasPrefix(a, ":"):
		// Only a port (the RPC server listens on every address): the host
		// the client reached this server at.
		host := rq.r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		return net.JoinHostPort(strings.Trim(host, "[]"), a[1:])
	}
	return a
}

// redirect answers the NameNode step: 307 to the DataNode URL, or with
// noredirect=true a 200 {"Location": URL}.
func (h *Handler) redirect(rq *request) error {
	noRedirect, err := rq.q.boolean(pNoRedirect, false)
	if err != nil {
		return err
	}
	loc := h.dataNodeURL(rq)
	if noRedirect {
		return h.writeJSON(rq, locationJSON{Location: loc})
	}
	hd := rq.w.Header()
	hd.Set("Location", loc)
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Length", "0")
	rq.status = http.StatusTemporaryRedirect
	rq.w.WriteHeader(rq.status)
	return nil
}

// readParams are OPEN's parameters.
type readParams struct {
	offset int64
	length int64 // -1: to the end
}

func parseReadParams(q query) (readParams, error) {
	var p readParams
	var err error
	if p.offset, err = q.long(pOffset, 0, 0); err != nil {
		return p, err
	}
	if p.length, err = q.long(pLength, 0, -1); err != nil {
		return p, err
	}
	if _, _, err := q.integer(pBufferSize, 10, 32, ptr(1), nil); err != nil {
		return p, err
	}
	return p, nil
}

func offsetOutOfRange(p readParams, size int64, path string) error {
	if p.offset >= size && size > 0 {
		return dfs.Failf(dfs.ErrIO, "Offset=%d out of the range [0, %d); OPEN, path=%s", p.offset, size, path)
	}
	return nil
}

// redirectRead is the NameNode step of OPEN and GETFILECHECKSUM: the file
// must exist (Hadoop's getFileInfo before choosing a DataNode), and an OPEN
// offset must lie inside it.
func (h *Handler) redirectRead(rq *request) error {
	var p readParams
	if rq.op == "OPEN" {
		var err error
		if p, err = parseReadParams(rq.q); err != nil {
			return err
		}
	}
	st, err := h.ns.GetFileInfo(rq.ctx, rq.c, rq.path)
	if err != nil {
		return err
	}
	if st == nil {
		return dfs.Failf(iofs.ErrNotExist, "File %s not found.", rq.path)
	}
	if rq.op == "OPEN" && !st.IsDir {
		if err := offsetOutOfRange(p, st.Size, rq.path); err != nil {
			return err
		}
	}
	return h.redirect(rq)
}

// open is OPEN's DataNode step: the bytes [offset, offset+length) of the
// file, streamed from fs.File.Range (which decrypts only the range asked
// for) with Content-Length set. A read that fails once bytes are on the
// wire cuts the connection: the client sees fewer bytes than announced,
// never a short file that looks whole.
func (h *Handler) open(rq *request) error {
	p, err := parseReadParams(rq.q)
	if err != nil {
		return err
	}
	st, err := h.ns.OpenRead(rq.ctx, rq.c, rq.path)
	if err != nil {
		return err
	}
	f, err := h.fs.Open(rq.ctx, st.Path)
	if err != nil {
		return err
	}
	size := f.Info.Size
	if err := offsetOutOfRange(p, size, rq.path); err != nil {
		return err
	}
	n := max(size-p.offset, 0)
	if p.length >= 0 {
		n = min(n, p.length)
	}
	var body io.ReadCloser = io.NopCloser(strings.NewReader(""))
	if n > 0 {
		// Errors that precede any byte (a changed object, a key KMS
		// refuses) are still proper answers.
		if body, err = f.Range(rq.ctx, p.offset, n); err != nil {
			return err
		}
	}
	defer body.Close()
	hd := rq.w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Length", strconv.FormatInt(n, 10))
	hd.Set("Access-Control-Allow-Methods", "GET")
	hd.Set("Access-Control-Allow-Origin", "*")
	rq.status = http.StatusOK
	rq.w.WriteHeader(rq.status)
	buf := make([]byte, h.opts.BufferSize)
	copied, err := io.CopyBuffer(rq.w, io.LimitReader(body, n), buf)
	if err == nil && copied < n {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		if rq.ctx.Err() == nil {
			h.log.Warn("webhdfs: read failed after the response started; cutting it", "path", dfs.Clip(st.Path), "offset", p.offset+copied, "err", err)
		}
		panic(http.ErrAbortHandler)
	}
	return nil
}

// checksum is GETFILECHECKSUM's DataNode step: the MD5-of-MD5-of-CRC32C
// file checksum a Hadoop client computes from the DataNode's block
// checksums (the same as `hdfs checksum` over RPC), from one streamed,
// authenticated read of the whole file cut at the file's block size.
func (h *Handler) checksum(rq *request) error {
	st, err := h.ns.OpenRead(rq.ctx, rq.c, rq.path)
	if err != nil {
		return err
	}
	f, err := h.fs.Open(rq.ctx, st.Path)
	if err != nil {
		return err
	}
	size := f.Info.Size
	var body io.ReadCloser = io.NopCloser(strings.NewReader(""))
	if size > 0 {
		if body, err = f.Range(rq.ctx, 0, size); err != nil {
			return err
		}
	}
	defer body.Close()
	sum, err := hdfschecksum.OfFile(rq.ctx, body, size, st.BlockSize)
	if err != nil {
		return err
	}
	return h.writeJSON(rq, toFileChecksum(sum))
}

// createParams are CREATE's parameters.
type createParams struct {
	req dfs.CreateRequest
}

func parseCreateParams(q query) (createParams, error) {
	var p createParams
	overwrite, err := q.boolean(pOverwrite, false)
	if err != nil {
		return p, err
	}
	blockSize, _, err := q.integer(pBlockSize, 10, 64, ptr(1), nil)
	if err != nil {
		return p, err
	}
	if _, _, err := q.integer(pReplication, 10, 16, ptr(1), nil); err != nil {
		return p, err
	}
	if _, _, err := q.integer(pBufferSize, 10, 32, ptr(1), nil); err != nil {
		return p, err
	}
	// WebHDFS applies no umask: 644 unless given.
	perm, err := q.permission(pPermission, 0o644)
	if err != nil {
		return p, err
	}
	if _, err := q.permission(pUnmaskedPermission, 0); err != nil {
		return p, err
	}
	createParent, err := q.boolean(pCreateParent, true)
	if err != nil {
		return p, err
	}
	flags, err := q.enumSet(pCreateFlag, "org.apache.hadoop.fs.CreateFlag", "CREATE", "OVERWRITE", "APPEND", "SYNC_BLOCK",
		"LAZY_PERSIST", "NEW_BLOCK", "NO_LOCAL_WRITE", "SHOULD_REPLICATE", "IGNORE_CLIENT_LOCALITY", "NO_LOCAL_RACK")
	if err != nil {
		return p, err
	}
	// WebHdfsHandler.onCreate: no flags means CREATE (and OVERWRITE with
	// overwrite=true); given flags get OVERWRITE added by overwrite=true.
	if len(flags) == 0 {
		flags["CREATE"] = true
	}
	if overwrite {
		flags["OVERWRITE"] = true
	}
	if flags["APPEND"] && flags["OVERWRITE"] {
		return p, &apiError{class: dfs.ExIllegalArgument, msg: fmt.Sprintf("%s Both append and overwrite options cannot be enabled.", flagList(flags))}
	}
	p.req = dfs.CreateRequest{Perm: perm, Create: flags["CREATE"], Overwrite: flags["OVERWRITE"], Append: flags["APPEND"],
		CreateParent: createParent, BlockSize: blockSize}
	return p, nil
}

func flagList(flags map[string]bool) string {
	var out []string
	for k := range flags {
		out = append(out, k)
	}
	sort.Strings(out)
	return "[" + strings.Join(out, ", ") + "]"
}

// redirectCreate is CREATE's NameNode step: the parameters and the path are
// checked, then the client is sent to the DataNode step without sending
// any data (WebHDFS.md's two-step create). As in Hadoop, permissions and
// existence are checked by the create itself, in the second step.
func (h *Handler) redirectCreate(rq *request) error {
	if _, err := parseCreateParams(rq.q); err != nil {
		return err
	}
	if _, err := dfs.CleanPath(rq.path); err != nil {
		return err
	}
	return h.redirect(rq)
}

// newHolder names the lease of one REST request (each is a client of its
// own, as in Hadoop's DataNode).
func newHolder() string {
	var b [8]byte
	rand.Read(b[:])
	return "DFSClient_WEBHDFS_" + hex.EncodeToString(b[:])
}

// create is CREATE's DataNode step: the file is opened for writing under a
// lease of its own, the request body is streamed into it chunk by chunk
// (the lease renewed as data arrives), and the file is completed only when
// the body ended cleanly. A client that disconnects, a body cut short, or
// any write error aborts it: nothing partial becomes visible.
func (h *Handler) create(rq *request) error {
	p, err := parseCreateParams(rq.q)
	if err != nil {
		return err
	}
	p.req.Holder = newHolder()
	f, err := h.ns.Create(rq.ctx, rq.c, rq.path, p.req)
	if err != nil {
		return err
	}
	if err := h.copyBody(rq, f); err != nil {
		h.ns.Abort(context.WithoutCancel(rq.ctx), f, "webhdfs create failed: "+err.Error())
		if errors.Is(err, errClient) {
			// The client is gone or sent a broken body: there is nobody
			// to answer, or the answer would not be read.
			h.log.Info("webhdfs: create aborted", "path", dfs.Clip(f.Path), "user", rq.user, "err", err)
			panic(http.ErrAbortHandler)
		}
		return err
	}
	// The whole body arrived: publish it even if the client hangs up now
	// (what was sent is complete, not partial).
	if err := h.ns.Complete(context.WithoutCancel(rq.ctx), f); err != nil {
		return err
	}
	hd := rq.w.Header()
	hd.Set("Location", (&url.URL{Scheme: "hdfs", Host: h.nameNodeAddress(rq), Path: f.Path}).String())
	hd.Set("Content-Length", "0")
	hd.Set("Access-Control-Allow-Origin", "*")
	rq.status = http.StatusCreated
	rq.w.WriteHeader(rq.status)
	return nil
}

// errClient marks a failure on the client's side of a CREATE body.
var errClient = errors.New("request body")

// leaseRenewal is how often a create renews its lease while data flows. A
// client that stops sending lets it lapse, as a Hadoop client that stops
// renewing does: after the hard limit the write is aborted.
const leaseRenewal = 5 * time.Second

func (h *Handler) copyBody(rq *request, f *dfs.OpenFile) error {
	buf := make([]byte, h.opts.BufferSize)
	renewed := time.Now()
	for {
		// Fill the buffer from plain Reads: their error tells a clean end
		// (io.EOF) from a body cut short (io.ErrUnexpectedEOF, a broken
		// chunk, a closed connection), which io.ReadFull would blur.
		n := 0
		var rerr error
		for n < len(buf) && rerr == nil {
			var k int
			k, rerr = rq.r.Body.Read(buf[n:])
			n += k
		}
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				return err
			}
			if time.Since(renewed) > leaseRenewal {
				h.ns.RenewLease(f.Holder)
				renewed = time.Now()
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("%w: %w", errClient, rerr)
		}
	}
}
