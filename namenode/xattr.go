package namenode

import (
	"context"
	"errors"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// Only the user namespace is stored; fs keys are "user.NAME".
const userPrefix = "user."

// Messages colinmarc/hdfs (and Hadoop) use for missing attributes.
const (
	msgXattrNotFound       = "At least one of the attributes provided was not found."
	msgXattrRemoveNotFound = "No matching attributes found for remove operation"
)

func userXattr(x *hdfspb.XAttrProto) (string, bool) {
	if x == nil || x.GetNamespace() != hdfspb.XAttrProto_USER || x.GetName() == "" {
		return "", false
	}
	return userPrefix + x.GetName(), true
}

func xattrProto(key string, value []byte) *hdfspb.XAttrProto {
	if value == nil {
		value = []byte{}
	}
	return &hdfspb.XAttrProto{
		Namespace: hdfspb.XAttrProto_USER.Enum(),
		Name:      proto.String(strings.TrimPrefix(key, userPrefix)),
		Value:     value,
	}
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if strings.HasPrefix(k, userPrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func (s *Server) listXAttrs(ctx context.Context, c *caller, req *hdfspb.ListXAttrsRequestProto) (*hdfspb.ListXAttrsResponseProto, error) {
	p, err := s.checkedPath(ctx, c, req.GetSrc(), permRead)
	if err != nil {
		return nil, err
	}
	fi, err := s.anyStat(ctx, c, p)
	if err != nil {
		return nil, err
	}
	resp := &hdfspb.ListXAttrsResponseProto{}
	for _, k := range sortedKeys(fi.Xattrs) {
		// Hadoop sends values too; Java keeps the names, colinmarc both.
		resp.XAttrs = append(resp.XAttrs, xattrProto(k, fi.Xattrs[k]))
	}
	return resp, nil
}

func (s *Server) getXAttrs(ctx context.Context, c *caller, req *hdfspb.GetXAttrsRequestProto) (*hdfspb.GetXAttrsResponseProto, error) {
	p, err := s.checkedPath(ctx, c, req.GetSrc(), permRead)
	if err != nil {
		return nil, err
	}
	fi, err := s.anyStat(ctx, c, p)
	if err != nil {
		return nil, err
	}
	resp := &hdfspb.GetXAttrsResponseProto{}
	if len(req.GetXAttrs()) == 0 {
		for _, k := range sortedKeys(fi.Xattrs) {
			resp.XAttrs = append(resp.XAttrs, xattrProto(k, fi.Xattrs[k]))
		}
		return resp, nil
	}
	for _, x := range req.GetXAttrs() {
		key, ok := userXattr(x)
		v, found := fi.Xattrs[key]
		if !ok || !found {
			return nil, failf(errIOMessage, "%s", msgXattrNotFound)
		}
		resp.XAttrs = append(resp.XAttrs, xattrProto(key, v))
	}
	return resp, nil
}

func (s *Server) setXAttr(ctx context.Context, c *caller, req *hdfspb.SetXAttrRequestProto) (*hdfspb.SetXAttrResponseProto, error) {
	p, err := cleanPath(req.GetSrc())
	if err != nil {
		return nil, err
	}
	key, ok := userXattr(req.GetXAttr())
	if !ok {
		return nil, failf(errors.ErrUnsupported, "only user.* extended attributes are supported")
	}
	if err := c.checkOn(ctx, p, permWrite); err != nil {
		return nil, err
	}
	fi, err := s.anyStat(ctx, c, p)
	if err != nil {
		return nil, err
	}
	flag := req.GetFlag()
	_, exists := fi.Xattrs[key]
	switch {
	case exists && flag&uint32(hdfspb.XAttrSetFlagProto_XATTR_REPLACE) == 0:
		return nil, failf(errIOMessage, "XAttr: %s already exists. The REPLACE flag must be specified.", req.GetXAttr().GetName())
	case !exists && flag&uint32(hdfspb.XAttrSetFlagProto_XATTR_CREATE) == 0:
		return nil, failf(errIOMessage, "XAttr: %s does not exist. The CREATE flag must be specified.", req.GetXAttr().GetName())
	}
	value := req.GetXAttr().GetValue()
	if value == nil {
		value = []byte{}
	}
	if err := s.opts.FS.SetXattr(ctx, p, key, value); err != nil {
		return nil, err
	}
	return &hdfspb.SetXAttrResponseProto{}, nil
}

func (s *Server) removeXAttr(ctx context.Context, c *caller, req *hdfspb.RemoveXAttrRequestProto) (*hdfspb.RemoveXAttrResponseProto, error) {
	p, err := s.checkedPath(ctx, c, req.GetSrc(), permWrite)
	if err != nil {
		return nil, err
	}
	fi, err := s.anyStat(ctx, c, p)
	if err != nil {
		return nil, err
	}
	key, ok := userXattr(req.GetXAttr())
	if _, found := fi.Xattrs[key]; !ok || !found {
		return nil, failf(errIOMessage, "%s", msgXattrRemoveNotFound)
	}
	if err := s.opts.FS.RemoveXattr(ctx, p, key); err != nil {
		return nil, err
	}
	return &hdfspb.RemoveXAttrResponseProto{}, nil
}
