package localstore

import (
	"bufio"
	"crypto/subtle"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// Handler returns the S3-compatible HTTP handler for the store. A non-empty
// token must be the first path element of every request (the client's
// endpoint is http://ADDR/TOKEN): the store does not verify signatures, so
// a random per-process token keeps other local users' processes from
// reaching it through the loopback port.
func (s *Store) Handler(log *slog.Logger, token string) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &handler{s: s, log: log, token: token}
}

type handler struct {
	s     *Store
	log   *slog.Logger
	token string
}

type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource,omitempty"`
	RequestID string   `xml:"RequestId"`
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, status := "InternalError", http.StatusInternalServerError
	switch {
	case errors.Is(err, errNoSuchBucket):
		code, status = "NoSuchBucket", 404
	case errors.Is(err, errNoSuchKey):
		code, status = "NoSuchKey", 404
	case errors.Is(err, errPrecondition):
		code, status = "PreconditionFailed", 412
	case errors.Is(err, errNoSuchUpload):
		code, status = "NoSuchUpload", 404
	case errors.Is(err, errInvalidPart):
		code, status = "InvalidPart", 400
	case errors.Is(err, errBucketExists):
		code, status = "BucketAlreadyOwnedByYou", 409
	case errors.Is(err, errNotEmpty):
		code, status = "BucketNotEmpty", 409
	case errors.Is(err, errInvalidRange):
		code, status = "InvalidRange", 416
	case errors.Is(err, errNotImplemented):
		code, status = "NotImplemented", 501
	case errors.Is(err, errBadRequest):
		code, status = "InvalidRequest", 400
	default:
		h.log.Warn("localstore request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	writeXML(w, status, s3Error{Code: code, Message: err.Error(), Resource: r.URL.Path, RequestID: "localstore"})
}

var (
	errInvalidRange   = errors.New("InvalidRange")
	errNotImplemented = errors.New("not implemented by the embedded store")
	errBadRequest     = errors.New("bad request")
)

func writeXML(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(v)
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if h.token != "" {
		rest, ok := strings.CutPrefix(path, h.token)
		if !ok || (rest != "" && rest[0] != '/') || subtle.ConstantTimeCompare([]byte(path[:len(h.token)]), []byte(h.token)) != 1 {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		path = strings.TrimPrefix(rest, "/")
		r.URL.Path = "/" + path
	}
	bucketName, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()
	if r.Header.Get("X-Amz-Server-Side-Encryption") != "" || r.Header.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") != "" {
		h.fail(w, r, fmt.Errorf("server-side encryption: %w", errNotImplemented))
		return
	}
	if bucketName == "" {
		if r.Method == http.MethodGet {
			h.listBuckets(w)
			return
		}
		h.fail(w, r, errBadRequest)
		return
	}
	if key == "" {
		h.serveBucket(w, r, bucketName, q)
		return
	}
	b, err := h.s.bucket(bucketName)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	switch r.Method {
	case http.MethodGet:
		h.get(w, r, b, key, true)
	case http.MethodHead:
		h.get(w, r, b, key, false)
	case http.MethodPut:
		if q.Has("uploadId") {
			h.uploadPart(w, r, b, key, q)
		} else if r.Header.Get("X-Amz-Copy-Source") != "" {
			h.copyObject(w, r, b, key)
		} else {
			h.put(w, r, b, key)
		}
	case http.MethodDelete:
		if q.Has("uploadId") {
			if err := b.abort(q.Get("uploadId"), key); err != nil {
				h.fail(w, r, err)
				return
			}
		} else {
			b.remove(key)
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPost:
		switch {
		case q.Has("uploads"):
			id, err := b.createUpload(key, userMetadata(r.Header), r.Header.Get("Content-Type"))
			if err != nil {
				h.fail(w, r, err)
				return
			}
			writeXML(w, 200, struct {
				XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
				NS       string   `xml:"xmlns,attr"`
				Bucket   string
				Key      string
				UploadId string
			}{NS: s3NS, Bucket: b.name, Key: key, UploadId: id})
		case q.Has("uploadId"):
			h.completeUpload(w, r, b, key, q.Get("uploadId"))
		default:
			h.fail(w, r, errBadRequest)
		}
	default:
		h.fail(w, r, errBadRequest)
	}
}

func (h *handler) serveBucket(w http.ResponseWriter, r *http.Request, name string, q url.Values) {
	switch r.Method {
	case http.MethodPut:
		if err := h.s.CreateBucket(name); err != nil {
			h.fail(w, r, err)
			return
		}
		w.WriteHeader(200)
		return
	case http.MethodHead:
		if _, err := h.s.bucket(name); err != nil {
			h.fail(w, r, err)
			return
		}
		w.WriteHeader(200)
		return
	}
	b, err := h.s.bucket(name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	switch {
	case r.Method == http.MethodGet && q.Has("uploads"):
		h.listUploads(w, b, q)
	case r.Method == http.MethodGet && q.Has("location"):
		writeXML(w, 200, struct {
			XMLName xml.Name `xml:"LocationConstraint"`
			NS      string   `xml:"xmlns,attr"`
		}{NS: s3NS})
	case r.Method == http.MethodGet:
		h.listObjects(w, r, b, q)
	case r.Method == http.MethodPost && q.Has("delete"):
		h.deleteObjects(w, r, b)
	default:
		h.fail(w, r, errBadRequest)
	}
}

func (h *handler) listBuckets(w http.ResponseWriter) {
	type bkt struct {
		Name         string
		CreationDate string
	}
	var out struct {
		XMLName xml.Name `xml:"ListAllMyBucketsResult"`
		NS      string   `xml:"xmlns,attr"`
		Owner   struct{ ID, DisplayName string }
		Buckets []bkt `xml:"Buckets>Bucket"`
	}
	out.NS = s3NS
	out.Owner.ID, out.Owner.DisplayName = "emrfsd", "emrfsd"
	for _, b := range h.s.Buckets() {
		out.Buckets = append(out.Buckets, bkt{Name: b.name, CreationDate: b.created.UTC().Format(time.RFC3339)})
	}
	writeXML(w, 200, out)
}

func userMetadata(hdr http.Header) map[string]string {
	md := map[string]string{}
	for k, v := range hdr {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-meta-") && len(v) > 0 {
			md[strings.TrimPrefix(lk, "x-amz-meta-")] = v[0]
		}
	}
	return md
}

// body returns the request payload, decoding aws-chunked framing if used.
func body(r *http.Request) io.Reader {
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") || strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
		return &chunkedReader{br: bufio.NewReader(r.Body)}
	}
	return r.Body
}

func (h *handler) put(w http.ResponseWriter, r *http.Request, b *bucket, key string) {
	tmp, size, sum, err := b.stage(body(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m := &objectMeta{Key: key, Size: size, ETag: fmt.Sprintf("%x", sum), LastModified: time.Now().UTC(),
		Metadata: userMetadata(r.Header), ContentType: r.Header.Get("Content-Type")}
	if err := b.commit(tmp, m, r.Header.Get("If-None-Match"), r.Header.Get("If-Match")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", `"`+m.ETag+`"`)
	w.WriteHeader(200)
}

func setObjectHeaders(w http.ResponseWriter, m *objectMeta) {
	hd := w.Header()
	hd.Set("ETag", `"`+m.ETag+`"`)
	hd.Set("Last-Modified", m.LastModified.UTC().Format(http.TimeFormat))
	hd.Set("Accept-Ranges", "bytes")
	if m.ContentType != "" {
		hd.Set("Content-Type", m.ContentType)
	} else {
		hd.Set("Content-Type", "binary/octet-stream")
	}
	for k, v := range m.Metadata {
		hd["X-Amz-Meta-"+k] = []string{v}
	}
}

// parseRange parses a single "bytes=" range against size.
func parseRange(spec string, size int64) (off, n int64, err error) {
	s, ok := strings.CutPrefix(spec, "bytes=")
	if !ok || strings.Contains(s, ",") {
		return 0, 0, errInvalidRange
	}
	a, bs, _ := strings.Cut(s, "-")
	if a == "" {
		k, err := strconv.ParseInt(bs, 10, 64)
		if err != nil || k <= 0 {
			return 0, 0, errInvalidRange
		}
		if k > size {
			k = size
		}
		return size - k, k, nil
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, errInvalidRange
	}
	end := size - 1
	if bs != "" {
		e, err := strconv.ParseInt(bs, 10, 64)
		if err != nil || e < start {
			return 0, 0, errInvalidRange
		}
		if e < end {
			end = e
		}
	}
	return start, end - start + 1, nil
}

func (h *handler) get(w http.ResponseWriter, r *http.Request, b *bucket, key string, withBody bool) {
	m, f, err := b.open(key)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer f.Close()
	if im := r.Header.Get("If-Match"); im != "" && strings.Trim(im, `"`) != m.ETag {
		h.fail(w, r, errPrecondition)
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Trim(inm, `"`) == m.ETag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	setObjectHeaders(w, m)
	off, n, status := int64(0), m.Size, 200
	if rg := r.Header.Get("Range"); rg != "" {
		off, n, err = parseRange(rg, m.Size)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		status = http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, m.Size))
	}
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(status)
	if !withBody || n == 0 {
		return
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return
	}
	io.CopyN(w, f, n)
}

func (h *handler) copySource(r *http.Request) (*bucket, string, error) {
	src := r.Header.Get("X-Amz-Copy-Source")
	if u, err := url.PathUnescape(src); err == nil {
		src = u
	}
	src = strings.TrimPrefix(src, "/")
	if i := strings.Index(src, "?versionId="); i >= 0 {
		src = src[:i]
	}
	bn, key, ok := strings.Cut(src, "/")
	if !ok || key == "" {
		return nil, "", errBadRequest
	}
	b, err := h.s.bucket(bn)
	return b, key, err
}

func (h *handler) copyObject(w http.ResponseWriter, r *http.Request, dst *bucket, key string) {
	sb, skey, err := h.copySource(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m, f, err := sb.open(skey)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if im := r.Header.Get("X-Amz-Copy-Source-If-Match"); im != "" && strings.Trim(im, `"`) != m.ETag {
		f.Close()
		h.fail(w, r, errPrecondition)
		return
	}
	tmp, size, sum, err := dst.stage(f)
	f.Close()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	nm := &objectMeta{Key: key, Size: size, ETag: fmt.Sprintf("%x", sum), LastModified: time.Now().UTC(), Metadata: m.Metadata, ContentType: m.ContentType}
	if strings.EqualFold(r.Header.Get("X-Amz-Metadata-Directive"), "REPLACE") {
		nm.Metadata = userMetadata(r.Header)
		nm.ContentType = r.Header.Get("Content-Type")
	}
	if err := dst.commit(tmp, nm, r.Header.Get("If-None-Match"), r.Header.Get("If-Match")); err != nil {
		h.fail(w, r, err)
		return
	}
	writeXML(w, 200, struct {
		XMLName      xml.Name `xml:"CopyObjectResult"`
		NS           string   `xml:"xmlns,attr"`
		ETag         string
		LastModified string
	}{NS: s3NS, ETag: `"` + nm.ETag + `"`, LastModified: nm.LastModified.Format(time.RFC3339)})
}

func (h *handler) uploadPart(w http.ResponseWriter, r *http.Request, b *bucket, key string, q url.Values) {
	n, err := strconv.Atoi(q.Get("partNumber"))
	if err != nil {
		h.fail(w, r, errInvalidPart)
		return
	}
	var src io.Reader = body(r)
	isCopy := r.Header.Get("X-Amz-Copy-Source") != ""
	if isCopy {
		sb, skey, err := h.copySource(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		m, f, err := sb.open(skey)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		defer f.Close()
		off, cnt := int64(0), m.Size
		if rg := r.Header.Get("X-Amz-Copy-Source-Range"); rg != "" {
			if off, cnt, err = parseRange(rg, m.Size); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			h.fail(w, r, err)
			return
		}
		src = io.LimitReader(f, cnt)
	}
	etag, err := b.putPart(q.Get("uploadId"), key, n, src)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if isCopy {
		writeXML(w, 200, struct {
			XMLName      xml.Name `xml:"CopyPartResult"`
			NS           string   `xml:"xmlns,attr"`
			ETag         string
			LastModified string
		}{NS: s3NS, ETag: `"` + etag + `"`, LastModified: time.Now().UTC().Format(time.RFC3339)})
		return
	}
	w.Header().Set("ETag", `"`+etag+`"`)
	w.WriteHeader(200)
}

func (h *handler) completeUpload(w http.ResponseWriter, r *http.Request, b *bucket, key, id string) {
	var req struct {
		Parts []struct {
			PartNumber int
			ETag       string
		} `xml:"Part"`
	}
	if err := xml.NewDecoder(io.LimitReader(body(r), 4<<20)).Decode(&req); err != nil {
		h.fail(w, r, errBadRequest)
		return
	}
	parts := make([]completedPart, len(req.Parts))
	for i, p := range req.Parts {
		parts[i] = completedPart{Number: p.PartNumber, ETag: p.ETag}
	}
	m, err := b.complete(id, key, parts, r.Header.Get("If-None-Match"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeXML(w, 200, struct {
		XMLName xml.Name `xml:"CompleteMultipartUploadResult"`
		NS      string   `xml:"xmlns,attr"`
		Bucket  string
		Key     string
		ETag    string
	}{NS: s3NS, Bucket: b.name, Key: key, ETag: `"` + m.ETag + `"`})
}

func (h *handler) listUploads(w http.ResponseWriter, b *bucket, q url.Values) {
	type up struct {
		Key       string
		UploadId  string
		Initiated string
	}
	var out struct {
		XMLName     xml.Name `xml:"ListMultipartUploadsResult"`
		NS          string   `xml:"xmlns,attr"`
		Bucket      string
		Prefix      string
		IsTruncated bool
		Uploads     []up `xml:"Upload"`
	}
	out.NS, out.Bucket, out.Prefix = s3NS, b.name, q.Get("prefix")
	for _, u := range b.uploads() {
		if strings.HasPrefix(u.Key, out.Prefix) {
			out.Uploads = append(out.Uploads, up{Key: u.Key, UploadId: u.ID, Initiated: u.Started.Format(time.RFC3339)})
		}
	}
	writeXML(w, 200, out)
}

func (h *handler) listObjects(w http.ResponseWriter, r *http.Request, b *bucket, q url.Values) {
	max := 1000
	if s := q.Get("max-keys"); s != "" {
		if v, err := strconv.Atoi(s); err == nil && v >= 0 && v < max {
			max = v
		}
	}
	after := q.Get("start-after")
	if tok := q.Get("continuation-token"); tok != "" {
		after = tok
	}
	res := b.list(q.Get("prefix"), q.Get("delimiter"), after, max)
	type obj struct {
		Key          string
		LastModified string
		ETag         string
		Size         int64
		StorageClass string
	}
	type cp struct{ Prefix string }
	var out struct {
		XMLName               xml.Name `xml:"ListBucketResult"`
		NS                    string   `xml:"xmlns,attr"`
		Name                  string
		Prefix                string
		Delimiter             string `xml:",omitempty"`
		StartAfter            string `xml:",omitempty"`
		ContinuationToken     string `xml:",omitempty"`
		NextContinuationToken string `xml:",omitempty"`
		KeyCount              int
		MaxKeys               int
		IsTruncated           bool
		Contents              []obj
		CommonPrefixes        []cp
	}
	out.NS, out.Name, out.Prefix, out.Delimiter = s3NS, b.name, q.Get("prefix"), q.Get("delimiter")
	out.StartAfter, out.ContinuationToken, out.MaxKeys = q.Get("start-after"), q.Get("continuation-token"), max
	out.IsTruncated = res.truncated
	if res.truncated {
		out.NextContinuationToken = res.next
	}
	for _, o := range res.objects {
		out.Contents = append(out.Contents, obj{Key: o.Key, LastModified: o.LastModified.Format(time.RFC3339Nano), ETag: `"` + o.ETag + `"`, Size: o.Size, StorageClass: "STANDARD"})
	}
	for _, p := range res.prefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, cp{p})
	}
	out.KeyCount = len(out.Contents) + len(out.CommonPrefixes)
	writeXML(w, 200, out)
}

func (h *handler) deleteObjects(w http.ResponseWriter, r *http.Request, b *bucket) {
	var req struct {
		Quiet   bool
		Objects []struct{ Key string } `xml:"Object"`
	}
	if err := xml.NewDecoder(io.LimitReader(body(r), 8<<20)).Decode(&req); err != nil {
		h.fail(w, r, errBadRequest)
		return
	}
	type del struct{ Key string }
	var out struct {
		XMLName xml.Name `xml:"DeleteResult"`
		NS      string   `xml:"xmlns,attr"`
		Deleted []del
	}
	out.NS = s3NS
	for _, o := range req.Objects {
		b.remove(o.Key)
		if !req.Quiet {
			out.Deleted = append(out.Deleted, del{o.Key})
		}
	}
	writeXML(w, 200, out)
}

// chunkedReader decodes the aws-chunked payload encoding:
// hex-size[;chunk-signature=...]\r\n data \r\n ... 0[;...]\r\n [trailers] \r\n
type chunkedReader struct {
	br   *bufio.Reader
	left int64
	done bool
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.left == 0 {
		if c.done {
			return 0, io.EOF
		}
		line, err := c.br.ReadString('\n')
		if err != nil {
			return 0, io.ErrUnexpectedEOF
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" { // CRLF after a chunk's data
			continue
		}
		sz, _, _ := strings.Cut(line, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(sz), 16, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("localstore: bad aws-chunked size %q", line)
		}
		if n == 0 {
			c.done = true
			io.Copy(io.Discard, c.br) // trailers
			return 0, io.EOF
		}
		c.left = n
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= int64(n)
	if err == io.EOF && c.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
