package namenode

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/internal/reqid"
	commonpb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/common"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// call is one RPC in flight.
type call struct {
	conn     *conn
	id       int32
	clientID []byte
	retry    int32
	method   string
	protocol string
	h        handler       // zero when the method is unknown
	req      proto.Message // parsed request when h is set
}

// handler runs one method.
type handler struct {
	newReq func() proto.Message
	run    func(ctx context.Context, c *dfs.Caller, req proto.Message) (proto.Message, error)
	out    protoreflect.FullName
}

// register adds a typed method implementation to a table.
func register[Req, Resp proto.Message](t map[string]handler, name string,
	fn func(context.Context, *dfs.Caller, Req) (Resp, error)) {
	var req Req
	var resp Resp
	mt := req.ProtoReflect().Type()
	t[name] = handler{
		newReq: func() proto.Message { return mt.New().Interface() },
		run: func(ctx context.Context, c *dfs.Caller, m proto.Message) (proto.Message, error) {
			return fn(ctx, c, m.(Req))
		},
		out: resp.ProtoReflect().Descriptor().FullName(),
	}
}

// methodTable builds the dispatch table and checks it against the
// ClientNamenodeProtocol service descriptor.
func (s *Server) methodTable() (map[string]handler, error) {
	t := map[string]handler{}
	register(t, "getFileInfo", s.getFileInfo)
	register(t, "getFileLinkInfo", s.getFileLinkInfo)
	register(t, "getLocatedFileInfo", s.getLocatedFileInfo)
	register(t, "getListing", s.getListing)
	register(t, "getBlockLocations", s.getBlockLocations)
	register(t, "getServerDefaults", s.getServerDefaults)
	register(t, "create", s.create)
	register(t, "append", s.append)
	register(t, "addBlock", s.addBlock)
	register(t, "complete", s.complete)
	register(t, "abandonBlock", s.abandonBlock)
	register(t, "renewLease", s.renewLease)
	register(t, "recoverLease", s.recoverLease)
	register(t, "isFileClosed", s.isFileClosed)
	register(t, "updateBlockForPipeline", s.updateBlockForPipeline)
	register(t, "updatePipeline", s.updatePipeline)
	register(t, "fsync", s.fsync)
	register(t, "reportBadBlocks", s.reportBadBlocks)
	register(t, "truncate", s.truncate)
	register(t, "mkdirs", s.mkdirs)
	register(t, "delete", s.delete)
	register(t, "rename", s.rename)
	register(t, "rename2", s.rename2)
	register(t, "getContentSummary", s.getContentSummary)
	register(t, "getQuotaUsage", s.getQuotaUsage)
	register(t, "getFsStats", s.getFsStats)
	register(t, "getPreferredBlockSize", s.getPreferredBlockSize)
	register(t, "setPermission", s.setPermission)
	register(t, "setOwner", s.setOwner)
	register(t, "setTimes", s.setTimes)
	register(t, "setReplication", s.setReplication)
	register(t, "checkAccess", s.checkAccess)
	register(t, "getAclStatus", s.getAclStatus)
	register(t, "listXAttrs", s.listXAttrs)
	register(t, "getXAttrs", s.getXAttrs)
	register(t, "setXAttr", s.setXAttr)
	register(t, "removeXAttr", s.removeXAttr)
	register(t, "setSafeMode", s.setSafeMode)
	register(t, "getDelegationToken", s.getDelegationToken)
	register(t, "getEZForPath", s.getEZForPath)
	register(t, "getEnclosingRoot", s.getEnclosingRoot)
	register(t, "getErasureCodingPolicy", s.getErasureCodingPolicy)
	register(t, "getStoragePolicy", s.getStoragePolicy)
	register(t, "getStoragePolicies", s.getStoragePolicies)
	register(t, "msync", s.msync)
	register(t, "getHAServiceState", s.getHAServiceState)
	register(t, "getSnapshottableDirListing", s.getSnapshottableDirListing)

	svc := hdfspb.File_emrfsd_hadoop_hdfs_namenode_proto.Services().ByName("ClientNamenodeProtocol")
	for name, h := range t {
		m := svc.Methods().ByName(protoreflect.Name(name))
		if m == nil {
			return nil, fmt.Errorf("namenode: method %s not in the service descriptor", name)
		}
		if m.Input().FullName() != h.newReq().ProtoReflect().Descriptor().FullName() || m.Output().FullName() != h.out {
			return nil, fmt.Errorf("namenode: method %s has the wrong message types", name)
		}
	}
	if svc.Methods().Len() != len(t) {
		return nil, fmt.Errorf("namenode: %d methods in the service, %d implemented", svc.Methods().Len(), len(t))
	}
	return t, nil
}

// atMostOnce are the non-idempotent methods whose retries (same clientId
// and callId) are answered from the retry cache.
var atMostOnce = map[string]bool{
	"create": true, "append": true, "rename": true, "rename2": true, "delete": true,
	"updatePipeline": true, "setXAttr": true, "removeXAttr": true, "truncate": true,
}

type retryKey struct {
	client string
	callID int32
}

const retryTTL = 10 * time.Minute

// handle runs a call and sends its response. Every call dispatched to a
// method gets a request id (reqid): in its context, in its "rpc" log line,
// and appended to the exception message when it fails, so a client's error
// and the daemon's log line can be matched.
func (c *conn) handle(cl *call) {
	s := c.s
	start := time.Now()
	id := reqid.New()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("rpc handler panic", "method", cl.method, reqid.LogKey, id, "panic", r, "stack", string(debug.Stack()))
			s.metrics.observe(cl.method, exRPCServer, time.Since(start))
			c.send(errorHeader(cl.id, cl.clientID, cl.retry, commonpb.RpcResponseHeaderProto_ERROR,
				commonpb.RpcResponseHeaderProto_ERROR_RPC_SERVER, exRPCServer, "internal server error in "+cl.method+reqid.Suffix(id)))
		}
	}()
	if cl.protocol != clientProtocol {
		s.metrics.observe(methodUnknown, exNoSuchProtocol, time.Since(start))
		c.send(errorHeader(cl.id, cl.clientID, cl.retry, commonpb.RpcResponseHeaderProto_ERROR,
			commonpb.RpcResponseHeaderProto_ERROR_NO_SUCH_PROTOCOL, exNoSuchProtocol, "Unknown protocol: "+cl.protocol))
		return
	}
	if cl.h.run == nil {
		s.metrics.observe(methodUnknown, exNoSuchMethod, time.Since(start))
		c.send(errorHeader(cl.id, cl.clientID, cl.retry, commonpb.RpcResponseHeaderProto_ERROR,
			commonpb.RpcResponseHeaderProto_ERROR_NO_SUCH_METHOD, exNoSuchMethod,
			fmt.Sprintf("Unknown method %s called on %s protocol.", cl.method, clientProtocol)))
		return
	}
	key := retryKey{string(cl.clientID), cl.id}
	cacheable := atMostOnce[cl.method] && len(cl.clientID) == 16
	if cacheable && cl.retry > 0 {
		if resp, ok := s.retry.Get(key); ok {
			s.metrics.observe(cl.method, "", time.Since(start))
			c.reply(cl, resp)
			return
		}
	}
	// The call's context ends with its connection (a client that went away
	// cancels its S3 and KMS work) or at the call deadline.
	ctx, cancel := context.WithTimeout(c.ctx, s.opts.CallTimeout)
	if ap, err := netip.ParseAddrPort(c.nc.LocalAddr().String()); err == nil {
		ctx = context.WithValue(ctx, connAddrKey{}, ap.Addr().Unmap().String())
	}
	ctx = dfs.CallContext(reqid.With(ctx, id))
	defer cancel()
	resp, err := cl.h.run(ctx, s.ns.Caller(c.user), cl.req)
	lvl := slog.LevelDebug
	var class, msg string
	if err != nil {
		lvl = slog.LevelInfo
		class, msg = dfs.Exception(err)
	}
	s.log.Log(ctx, lvl, "rpc", "method", cl.method, "user", c.user, "took", time.Since(start), reqid.LogKey, id, "err", err)
	if err == nil && cacheable {
		s.retry.Add(key, resp)
	}
	// Counted before the answer goes out: a client that has its answer
	// finds its call on /metrics.
	s.metrics.observe(cl.method, class, time.Since(start))
	if err != nil {
		c.replyError(cl, class, msg+reqid.Suffix(id))
	} else {
		c.reply(cl, resp)
	}
}

// replyError sends an application error (class, msg) for cl.
func (c *conn) replyError(cl *call, class, msg string) {
	c.send(errorHeader(cl.id, cl.clientID, cl.retry, commonpb.RpcResponseHeaderProto_ERROR,
		commonpb.RpcResponseHeaderProto_ERROR_APPLICATION, class, msg))
}

// reply sends resp, the answer of a call that succeeded.
func (c *conn) reply(cl *call, resp proto.Message) {
	if err := c.send(responseHeader(cl.id, cl.clientID, cl.retry), resp); err != nil {
		if _, merr := proto.Marshal(resp); merr != nil {
			// An incomplete response is a bug here; tell the client.
			c.s.log.Error("cannot encode response", "method", cl.method, "err", merr)
			c.send(errorHeader(cl.id, cl.clientID, cl.retry, commonpb.RpcResponseHeaderProto_ERROR,
				commonpb.RpcResponseHeaderProto_ERROR_SERIALIZING_RESPONSE, exRPCServer, "cannot encode "+cl.method+" response"))
		}
	}
}
