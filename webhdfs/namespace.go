package webhdfs

import (
	"bufio"
	"errors"
	iofs "io/fs"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/emrfsd/emrfsd/dfs"
)

// The namespace ops decode parameters, call the HDFS rules (package dfs)
// and encode the answer; no rule lives here.

func (h *Handler) getFileStatus(rq *request) error {
	st, err := h.ns.GetFileInfo(rq.ctx, rq.c, rq.path)
	if err != nil {
		return err
	}
	if st == nil {
		return dfs.Failf(iofs.ErrNotExist, "File does not exist: %s", rq.path)
	}
	return h.writeJSON(rq, fileStatusJSON{FileStatus: toFileStatus(*st, "")})
}

// listStatus streams a whole directory, batch by batch, as Hadoop's
// getListingStream does: the first batch decides the status (a missing
// directory or a refusal is a proper error); a failure after that cuts the
// response short, so the client sees invalid JSON rather than a partial
// listing that looks whole.
func (h *Handler) listStatus(rq *request) error {
	entries, more, err := h.ns.List(rq.ctx, rq.c, rq.path, "")
	if err != nil {
		return err
	}
	hd := rq.w.Header()
	hd.Set("Content-Type", "application/json")
	rq.status = http.StatusOK
	rq.w.WriteHeader(rq.status)
	bw := bufio.NewWriterSize(rq.w, 32<<10)
	bw.WriteString(`{"FileStatuses":{"FileStatus":[` + "\n")
	n := 0
	for {
		for _, e := range entries {
			if n > 0 {
				bw.WriteString(",\n")
			}
			n++
			bw.Write(marshal(toFileStatus(e, e.Name)))
		}
		if !more || len(entries) == 0 {
			break
		}
		if err := bw.Flush(); err != nil {
			return nil // the client went away
		}
		entries, more, err = h.ns.List(rq.ctx, rq.c, rq.path, entries[len(entries)-1].Name)
		if err != nil {
			h.log.Info("webhdfs: listing failed midway; cutting the response", "path", dfs.Clip(rq.path), "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	bw.WriteString("\n]}}\n")
	bw.Flush()
	return nil
}

func (h *Handler) listStatusBatch(rq *request) error {
	entries, more, err := h.ns.List(rq.ctx, rq.c, rq.path, rq.q.str(pStartAfter))
	if err != nil {
		return err
	}
	return h.writeJSON(rq, toListing(entries, more))
}

func (h *Handler) contentSummary(rq *request, quota bool) error {
	sum, err := h.ns.ContentSummary(rq.ctx, rq.c, rq.path)
	if err != nil {
		return err
	}
	if quota {
		return h.writeJSON(rq, toQuotaUsage(sum, h.ns.Options().Replication))
	}
	return h.writeJSON(rq, toContentSummary(sum, h.ns.Options().Replication))
}

// trashRoot is NamenodeWebHdfsMethods.getTrashRoot: a path in a bucket has
// its trash in the bucket (/BUCKET/.Trash/USER: emrfsd reports bucket roots
// as snapshottable and snapshot trash roots on, see dfs/trash.go), anything
// else the user's home trash.
func (h *Handler) trashRoot(rq *request) error {
	p, err := dfs.CleanPath(rq.path)
	if err != nil {
		return err
	}
	roots, err := h.ns.BucketRoots(rq.ctx, rq.c)
	if err != nil {
		return err
	}
	trash := path.Join(h.opts.HomePrefix, rq.user, dfs.TrashDir)
	for _, r := range roots {
		if r.Path != "/" && isUnder(p, r.Path) {
			trash = path.Join(r.Path, dfs.TrashDir, rq.user)
			break
		}
	}
	return h.writeJSON(rq, pathJSON{Path: trash})
}

func (h *Handler) serverDefaults(rq *request) error {
	o := h.ns.Options()
	var d serverDefaultsJSON
	sd := &d.FsServerDefaults
	// The same values getServerDefaults sends over RPC.
	sd.BlockSize, sd.Replication = o.BlockSize, o.Replication
	sd.BytesPerChecksum, sd.WritePacketSize, sd.FileBufferSize = 512, 64<<10, 4096
	sd.ChecksumType = 2 // DataChecksum.Type.CRC32C
	sd.TrashInterval = int64(o.TrashInterval / time.Minute)
	return h.writeJSON(rq, d)
}

func (h *Handler) aclStatus(rq *request) error {
	st, err := h.ns.Stat(rq.ctx, rq.c, rq.path)
	if err != nil {
		return err
	}
	var a aclStatusJSON
	a.AclStatus.Entries = []string{}
	a.AclStatus.Owner, a.AclStatus.Group = st.Owner, st.Group
	a.AclStatus.Permission = strconv.FormatUint(uint64(st.Perm&0o7777), 8)
	a.AclStatus.StickyBit = st.Perm&0o1000 != 0
	return h.writeJSON(rq, a)
}

func (h *Handler) checkAccess(rq *request) error {
	v := rq.q.str(pFsAction)
	if v == "" || v == "null" {
		return required(rq.op, pFsAction)
	}
	if len(v) != 3 || (v[0] != 'r' && v[0] != '-') || (v[1] != 'w' && v[1] != '-') || (v[2] != 'x' && v[2] != '-') {
		return badParam(pFsAction, "Invalid value: \""+v+"\" does not belong to the domain [r-][w-][x-]")
	}
	mode := 0
	if v[0] == 'r' {
		mode |= dfs.PermRead
	}
	if v[1] == 'w' {
		mode |= dfs.PermWrite
	}
	if v[2] == 'x' {
		mode |= dfs.PermExec
	}
	if err := h.ns.CheckAccess(rq.ctx, rq.c, rq.path, mode); err != nil {
		return err
	}
	return h.ok(rq)
}

func (h *Handler) mkdirs(rq *request) error {
	perm, err := rq.q.permission(pPermission, 0o755)
	if err != nil {
		return err
	}
	if _, err := rq.q.permission(pUnmaskedPermission, 0); err != nil {
		return err
	}
	// WebHDFS applies no umask: the permission is used as given.
	if err := h.ns.Mkdirs(rq.ctx, rq.c, rq.path, perm, true); err != nil {
		return err
	}
	return h.writeJSON(rq, booleanJSON{true})
}

func (h *Handler) rename(rq *request) error {
	dst, ok, err := rq.q.destination()
	if err != nil {
		return err
	}
	if !ok {
		return required(rq.op, pDestination)
	}
	opts, err := rq.q.enumSet(pRenameOptions, "org.apache.hadoop.fs.Options.Rename", "NONE", "OVERWRITE", "TO_TRASH")
	if err != nil {
		return err
	}
	if len(opts) == 0 {
		ok, err := h.ns.Rename(rq.ctx, rq.c, rq.path, dst)
		if err != nil {
			return err
		}
		return h.writeJSON(rq, booleanJSON{ok})
	}
	if err := h.ns.Rename2(rq.ctx, rq.c, rq.path, dst, opts["OVERWRITE"]); err != nil {
		return err
	}
	return h.ok(rq)
}

func (h *Handler) delete(rq *request) error {
	recursive, err := rq.q.boolean(pRecursive, false)
	if err != nil {
		return err
	}
	ok, err := h.ns.Delete(rq.ctx, rq.c, rq.path, recursive)
	if err != nil {
		return err
	}
	return h.writeJSON(rq, booleanJSON{ok})
}

func (h *Handler) setPermission(rq *request) error {
	// Hadoop uses the directory default (755) when none is given.
	perm, err := rq.q.permission(pPermission, 0o755)
	if err != nil {
		return err
	}
	if err := h.ns.SetPermission(rq.ctx, rq.c, rq.path, perm); err != nil {
		return err
	}
	return h.ok(rq)
}

func (h *Handler) setOwner(rq *request) error {
	owner, group := rq.q.str(pOwner), rq.q.str(pGroup)
	if owner == "" && group == "" {
		return illegalArg("Both owner and group are empty.")
	}
	if err := h.ns.SetOwner(rq.ctx, rq.c, rq.path, owner, group); err != nil {
		return err
	}
	return h.ok(rq)
}

func (h *Handler) setTimes(rq *request) error {
	mtime, err := rq.q.long(pModificationTime, -1, -1)
	if err != nil {
		return err
	}
	atime, err := rq.q.long(pAccessTime, -1, -1)
	if err != nil {
		return err
	}
	if err := h.ns.SetTimes(rq.ctx, rq.c, rq.path, mtime, atime); err != nil {
		return err
	}
	return h.ok(rq)
}

func (h *Handler) setReplication(rq *request) error {
	repl, given, err := rq.q.integer(pReplication, 10, 16, ptr(1), nil)
	if err != nil {
		return err
	}
	if !given {
		repl = int64(h.ns.Options().Replication) // Hadoop's default: dfs.replication
	}
	ok, err := h.ns.SetReplication(rq.ctx, rq.c, rq.path, int(repl))
	if err != nil {
		return err
	}
	return h.writeJSON(rq, booleanJSON{ok})
}

func (h *Handler) setXattr(rq *request) error {
	raw := rq.q.str(pXAttrName)
	if raw == "" {
		return required(rq.op, pXAttrName)
	}
	flags, err := rq.q.enumSet(pXAttrFlag, "org.apache.hadoop.fs.XAttrSetFlag", "CREATE", "REPLACE")
	if err != nil {
		return err
	}
	if len(flags) == 0 {
		return required(rq.op, pXAttrFlag)
	}
	name, err := xattrName(raw)
	if err != nil {
		return err
	}
	var value []byte
	if v := rq.q.str(pXAttrValue); v != "" {
		if value, err = decodeXattrValue(v); err != nil {
			return err
		}
	}
	if err := h.ns.SetXattr(rq.ctx, rq.c, rq.path, name, value, flags["CREATE"], flags["REPLACE"]); err != nil {
		return err
	}
	return h.ok(rq)
}

func (h *Handler) removeXattr(rq *request) error {
	raw := rq.q.str(pXAttrName)
	if raw == "" {
		return required(rq.op, pXAttrName)
	}
	name, err := xattrName(raw)
	if err != nil {
		return err
	}
	if err := h.ns.RemoveXattr(rq.ctx, rq.c, rq.path, name); err != nil {
		return err
	}
	return h.ok(rq)
}

func (h *Handler) getXattrs(rq *request) error {
	enc := rq.q.str(pXAttrEncoding)
	if enc == "" {
		return required(rq.op, pXAttrEncoding)
	}
	switch enc = strings.ToUpper(enc); enc {
	case "TEXT", "HEX", "BASE64":
	default:
		return badParam(pXAttrEncoding, "No enum constant org.apache.hadoop.fs.XAttrCodec."+enc)
	}
	var names []string
	for _, raw := range rq.q[pXAttrName] {
		if raw == "" {
			continue
		}
		name, err := xattrName(raw)
		if err != nil {
			return err
		}
		names = append(names, name)
	}
	xs, err := h.ns.GetXattrs(rq.ctx, rq.c, rq.path, names)
	if err != nil {
		return err
	}
	out := xattrsJSON{XAttrs: make([]xattrJSON, len(xs))}
	for i, x := range xs {
		out.XAttrs[i] = xattrJSON{Name: x.Name, Value: encodeXattrValue(x.Value, enc)}
	}
	return h.writeJSON(rq, out)
}

func (h *Handler) listXattrs(rq *request) error {
	xs, err := h.ns.ListXattrs(rq.ctx, rq.c, rq.path)
	if err != nil {
		return err
	}
	names := make([]string, len(xs))
	for i, x := range xs {
		names[i] = x.Name
	}
	return h.writeJSON(rq, xattrNamesJSON{XAttrNames: string(marshal(names))})
}

// appendOp refuses APPEND with the exceptions dfs gives over RPC (after
// the checks HDFS makes first), at the NameNode step: no data is sent.
func (h *Handler) appendOp(rq *request) error {
	if _, _, err := rq.q.integer(pBufferSize, 10, 32, ptr(1), nil); err != nil {
		return err
	}
	return h.ns.Append(rq.ctx, rq.c, rq.path)
}

func (h *Handler) truncate(rq *request) error {
	n, ok, err := rq.q.integer(pNewLength, 10, 64, ptr(0), nil)
	if err != nil {
		return err
	}
	if !ok {
		return required(rq.op, pNewLength)
	}
	// Each REST request is a client of its own, as in Hadoop.
	done, err := h.ns.Truncate(rq.ctx, rq.c, rq.path, n, newHolder())
	if err != nil {
		return err
	}
	return h.writeJSON(rq, booleanJSON{done})
}

// concat is refused: S3 objects cannot be joined in place. The target is
// checked first, so a bad path still gets its own exception.
func (h *Handler) concat(rq *request) error {
	if rq.q.str(pSources) == "" {
		return required(rq.op, pSources)
	}
	p, err := dfs.CleanPath(rq.path)
	if err != nil {
		return err
	}
	return dfs.Failf(errors.ErrUnsupported, "concat into %s is not supported: S3 objects are immutable", p)
}

// blockLocations is GETFILEBLOCKLOCATIONS: the file's blocks (byte ranges
// of its object, cut at its block size) overlapping [offset,
// offset+length), each on this server, so split planners (MapReduce,
// Spark) can plan over webhdfs://. Reading needs the read permission, as
// getBlockLocations does.
func (h *Handler) blockLocations(rq *request) error {
	off, err := rq.q.long(pOffset, 0, 0)
	if err != nil {
		return err
	}
	length, err := rq.q.long(pLength, 0, -1)
	if err != nil {
		return err
	}
	st, err := h.ns.OpenRead(rq.ctx, rq.c, rq.path)
	if err != nil {
		return err
	}
	end := st.Size
	if length >= 0 && off+length < end && off+length >= off {
		end = off + length
	}
	host := rq.r.Host
	hostname := host
	if hn, _, err := net.SplitHostPort(host); err == nil {
		hostname = hn
	}
	var out blockLocationsJSON
	out.BlockLocations.BlockLocation = []blockLocationJSON{}
	bs := max(st.BlockSize, 1)
	for start := off / bs * bs; start < end; start += bs {
		out.BlockLocations.BlockLocation = append(out.BlockLocations.BlockLocation, blockLocationJSON{
			CachedHosts: []string{}, Hosts: []string{hostname}, Names: []string{host},
			Offset: start, Length: min(bs, st.Size-start), StorageTypes: []string{"DISK"},
			TopologyPaths: []string{"/default-rack/" + host},
		})
	}
	return h.writeJSON(rq, out)
}
