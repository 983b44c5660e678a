package namenode

import (
	"context"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/dfs"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// xattrName is the full name of a wire attribute ("user.NAME"); other
// namespaces get a name dfs refuses or never finds.
func xattrName(x *hdfspb.XAttrProto) string {
	if x == nil || x.GetNamespace() != hdfspb.XAttrProto_USER {
		return strings.ToLower(x.GetNamespace().String()) + "." + x.GetName()
	}
	return dfs.UserXattrPrefix + x.GetName()
}

func xattrProtos(xs []dfs.Xattr) []*hdfspb.XAttrProto {
	out := make([]*hdfspb.XAttrProto, len(xs))
	for i, x := range xs {
		v := x.Value
		if v == nil {
			v = []byte{}
		}
		out[i] = &hdfspb.XAttrProto{
			Namespace: hdfspb.XAttrProto_USER.Enum(),
			Name:      proto.String(strings.TrimPrefix(x.Name, dfs.UserXattrPrefix)),
			Value:     v,
		}
	}
	return out
}

func (s *Server) listXAttrs(ctx context.Context, c *dfs.Caller, req *hdfspb.ListXAttrsRequestProto) (*hdfspb.ListXAttrsResponseProto, error) {
	xs, err := s.ns.ListXattrs(ctx, c, req.GetSrc())
	if err != nil {
		return nil, err
	}
	// Hadoop sends values too; Java keeps the names, colinmarc both.
	return &hdfspb.ListXAttrsResponseProto{XAttrs: xattrProtos(xs)}, nil
}

func (s *Server) getXAttrs(ctx context.Context, c *dfs.Caller, req *hdfspb.GetXAttrsRequestProto) (*hdfspb.GetXAttrsResponseProto, error) {
	names := make([]string, len(req.GetXAttrs()))
	for i, x := range req.GetXAttrs() {
		names[i] = xattrName(x)
	}
	xs, err := s.ns.GetXattrs(ctx, c, req.GetSrc(), names)
	if err != nil {
		return nil, err
	}
	return &hdfspb.GetXAttrsResponseProto{XAttrs: xattrProtos(xs)}, nil
}

func (s *Server) setXAttr(ctx context.Context, c *dfs.Caller, req *hdfspb.SetXAttrRequestProto) (*hdfspb.SetXAttrResponseProto, error) {
	flag := req.GetFlag()
	create := flag&uint32(hdfspb.XAttrSetFlagProto_XATTR_CREATE) != 0
	replace := flag&uint32(hdfspb.XAttrSetFlagProto_XATTR_REPLACE) != 0
	if err := s.ns.SetXattr(ctx, c, req.GetSrc(), xattrName(req.GetXAttr()), req.GetXAttr().GetValue(), create, replace); err != nil {
		return nil, err
	}
	return &hdfspb.SetXAttrResponseProto{}, nil
}

func (s *Server) removeXAttr(ctx context.Context, c *dfs.Caller, req *hdfspb.RemoveXAttrRequestProto) (*hdfspb.RemoveXAttrResponseProto, error) {
	if err := s.ns.RemoveXattr(ctx, c, req.GetSrc(), xattrName(req.GetXAttr())); err != nil {
		return nil, err
	}
	return &hdfspb.RemoveXAttrResponseProto{}, nil
}
