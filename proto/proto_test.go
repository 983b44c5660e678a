// Package proto_test checks emrfsd's Hadoop protos: they load in the same
// binary as colinmarc/hdfs's copies (no registry conflict), and every
// message and enum agrees with colinmarc's (≈ Hadoop 3.3.1) field by field,
// except for the documented Hadoop 3.4 changes.
package proto_test

import (
	"fmt"
	"strings"
	"testing"

	_ "github.com/colinmarc/hdfs/v2" // registers hadoop.common / hadoop.hdfs
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	commonpb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/common"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// ourFiles are every file emrfsd generates.
var ourFiles = []protoreflect.FileDescriptor{
	commonpb.File_emrfsd_hadoop_common_rpc_proto,
	commonpb.File_emrfsd_hadoop_common_security_proto,
	hdfspb.File_emrfsd_hadoop_hdfs_hdfs_proto,
	hdfspb.File_emrfsd_hadoop_hdfs_datatransfer_proto,
	hdfspb.File_emrfsd_hadoop_hdfs_namenode_proto,
}

// changed34 lists fields that Hadoop 3.4 added or relabelled relative to
// colinmarc's 3.3.1 copies (message.field -> what changed).
var changed34 = map[string]string{
	"RPCTraceInfoProto.spanContext":                      "added",
	"RpcRequestHeaderProto.routerFederatedState":         "added",
	"RpcResponseHeaderProto.routerFederatedState":        "added",
	"DataTransferEncryptorMessageProto.accessTokenError": "added",
	"DataTransferTraceInfoProto.traceId":                 "required->optional",
	"DataTransferTraceInfoProto.parentId":                "required->optional",
	"DataTransferTraceInfoProto.spanContext":             "added",
	"HdfsFileStatusProto.namespace":                      "added",
	"FsServerDefaultsProto.snapshotTrashRootEnabled":     "added",
	"RenewLeaseRequestProto.namespaces":                  "added",
}

// added34 lists whole messages Hadoop 3.4 added (HDFS-17073,
// getEnclosingRoot), which colinmarc's copies cannot have: their fields are
// checked against ClientNamenodeProtocol.proto of Hadoop 3.4.1 as written
// out here (field name -> signature).
var added34 = map[string]map[string]string{
	"GetEnclosingRootRequestProto":  {"filename": "1 optional string packed=false"},
	"GetEnclosingRootResponseProto": {"enclosingRootPath": "1 optional string packed=false"},
}

// addedRPCs34 lists ClientNamenodeProtocol methods Hadoop 3.4 added.
var addedRPCs34 = map[string]bool{"getEnclosingRoot": true}

// changedEnums34 lists enum values Hadoop 3.4 added.
var changedEnums34 = map[string]bool{
	"StorageTypeProto.NVDIMM":            true,
	"CipherSuiteProto.SM4_CTR_NOPADDING": true,
}

func theirName(ours protoreflect.FullName) protoreflect.FullName {
	return protoreflect.FullName(strings.TrimPrefix(string(ours), "emrfsd."))
}

// relName is a message/enum name relative to its package, e.g.
// "AclEntryProto.FsActionProto".
func relName(d protoreflect.Descriptor) string {
	return strings.TrimPrefix(string(d.FullName()), string(d.ParentFile().Package())+".")
}

func TestNoRegistryConflict(t *testing.T) {
	for _, fd := range ourFiles {
		if !strings.HasPrefix(fd.Path(), "emrfsd/hadoop/") {
			t.Errorf("file %s is not under emrfsd/hadoop/", fd.Path())
		}
		got, err := protoregistry.GlobalFiles.FindFileByPath(fd.Path())
		if err != nil || got != fd {
			t.Errorf("file %s not registered as ours: %v", fd.Path(), err)
		}
	}
	// colinmarc's copies are registered too, under Hadoop's names.
	for _, name := range []string{"hadoop.hdfs.HdfsFileStatusProto", "hadoop.common.RpcRequestHeaderProto"} {
		if _, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name)); err != nil {
			t.Errorf("colinmarc's %s not registered: %v", name, err)
		}
	}
}

func TestMatchesHadoop(t *testing.T) {
	seen34 := map[string]bool{}
	var nMsgs, nEnums int
	for _, fd := range ourFiles {
		walkMessages(fd.Messages(), func(md protoreflect.MessageDescriptor) {
			nMsgs++
			if want, ok := added34[relName(md)]; ok {
				seen34[relName(md)] = true
				compareAdded(t, md, want)
				return
			}
			d, err := protoregistry.GlobalFiles.FindDescriptorByName(theirName(md.FullName()))
			if err != nil {
				t.Errorf("%s: no Hadoop counterpart %s", md.FullName(), theirName(md.FullName()))
				return
			}
			compareMessage(t, md, d.(protoreflect.MessageDescriptor), seen34)
		})
		walkEnums(fd, func(ed protoreflect.EnumDescriptor) {
			nEnums++
			d, err := protoregistry.GlobalFiles.FindDescriptorByName(theirName(ed.FullName()))
			if err != nil {
				t.Errorf("%s: no Hadoop counterpart", ed.FullName())
				return
			}
			compareEnum(t, ed, d.(protoreflect.EnumDescriptor), seen34)
		})
		svcs := fd.Services()
		for i := 0; i < svcs.Len(); i++ {
			sd := svcs.Get(i)
			d, err := protoregistry.GlobalFiles.FindDescriptorByName(theirName(sd.FullName()))
			if err != nil {
				t.Errorf("service %s: no Hadoop counterpart", sd.FullName())
				continue
			}
			theirs := d.(protoreflect.ServiceDescriptor)
			for j := 0; j < sd.Methods().Len(); j++ {
				m := sd.Methods().Get(j)
				tm := theirs.Methods().ByName(m.Name())
				if addedRPCs34[string(m.Name())] {
					seen34["rpc "+string(m.Name())] = true
					if tm != nil {
						t.Errorf("rpc %s: listed as added in 3.4 but colinmarc has it", m.Name())
					}
					continue
				}
				if tm == nil {
					t.Errorf("rpc %s not in Hadoop's service", m.Name())
					continue
				}
				if theirName(m.Input().FullName()) != tm.Input().FullName() ||
					theirName(m.Output().FullName()) != tm.Output().FullName() {
					t.Errorf("rpc %s: types %s->%s, Hadoop %s->%s", m.Name(),
						m.Input().FullName(), m.Output().FullName(), tm.Input().FullName(), tm.Output().FullName())
				}
			}
		}
	}
	for k := range changed34 {
		if !seen34[k] {
			t.Errorf("expected 3.4 change %s not found", k)
		}
	}
	for k := range added34 {
		if !seen34[k] {
			t.Errorf("expected 3.4 message %s not found", k)
		}
	}
	for k := range addedRPCs34 {
		if !seen34["rpc "+k] {
			t.Errorf("expected 3.4 rpc %s not found", k)
		}
	}
	for k := range changedEnums34 {
		if !seen34[k] {
			t.Errorf("expected 3.4 enum value %s not found", k)
		}
	}
	if nMsgs < 100 || nEnums < 15 {
		t.Errorf("compared only %d messages and %d enums", nMsgs, nEnums)
	}
	t.Logf("compared %d messages and %d enums with colinmarc's Hadoop copies", nMsgs, nEnums)
}

func walkMessages(ms protoreflect.MessageDescriptors, f func(protoreflect.MessageDescriptor)) {
	for i := 0; i < ms.Len(); i++ {
		m := ms.Get(i)
		f(m)
		walkMessages(m.Messages(), f)
	}
}

func walkEnums(fd protoreflect.FileDescriptor, f func(protoreflect.EnumDescriptor)) {
	for i := 0; i < fd.Enums().Len(); i++ {
		f(fd.Enums().Get(i))
	}
	walkMessages(fd.Messages(), func(m protoreflect.MessageDescriptor) {
		for i := 0; i < m.Enums().Len(); i++ {
			f(m.Enums().Get(i))
		}
	})
}

func fieldSig(fd protoreflect.FieldDescriptor) string {
	s := fmt.Sprintf("%d %s %s packed=%v", fd.Number(), fd.Cardinality(), fd.Kind(), fd.IsPacked())
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		s += " " + string(theirName(fd.Message().FullName()))
	case protoreflect.EnumKind:
		s += " " + string(theirName(fd.Enum().FullName()))
	}
	if fd.HasDefault() {
		s += fmt.Sprintf(" default=%v", fd.Default().Interface())
		if fd.Kind() == protoreflect.EnumKind {
			s += " " + string(fd.DefaultEnumValue().Name())
		}
	}
	return s
}

func compareMessage(t *testing.T, ours, theirs protoreflect.MessageDescriptor, seen34 map[string]bool) {
	t.Helper()
	name := relName(ours)
	for i := 0; i < ours.Fields().Len(); i++ {
		f := ours.Fields().Get(i)
		key := name + "." + string(f.Name())
		tf := theirs.Fields().ByName(f.Name())
		if change, ok := changed34[key]; ok {
			seen34[key] = true
			switch change {
			case "added":
				if tf != nil {
					t.Errorf("%s: listed as added in 3.4 but colinmarc has it", key)
				}
				continue
			case "required->optional":
				if tf == nil || tf.Cardinality() != protoreflect.Required || f.Cardinality() != protoreflect.Optional {
					t.Errorf("%s: expected required (3.3) -> optional (3.4)", key)
				}
				continue
			}
		}
		if tf == nil {
			t.Errorf("%s: field not in Hadoop", key)
			continue
		}
		if a, b := fieldSig(f), fieldSig(tf); a != b {
			t.Errorf("%s: ours %q, Hadoop %q", key, a, b)
		}
	}
	// Every Hadoop field must be present (we include whole messages).
	for i := 0; i < theirs.Fields().Len(); i++ {
		tf := theirs.Fields().Get(i)
		if ours.Fields().ByNumber(tf.Number()) == nil {
			t.Errorf("%s: missing Hadoop field %d %s", name, tf.Number(), tf.Name())
		}
	}
	// ProtobufRpcEngine2's RequestHeaderProto (which we follow) declares
	// "extensions 1000 to max"; colinmarc's ProtobufRpcEngine copy does not.
	if ours.ExtensionRanges().Len() != theirs.ExtensionRanges().Len() && name != "RequestHeaderProto" {
		t.Errorf("%s: extension ranges differ", name)
	}
}

// compareAdded checks a message Hadoop 3.4 added against its written-out
// fields: the same names, numbers, labels and types, nothing more.
func compareAdded(t *testing.T, ours protoreflect.MessageDescriptor, want map[string]string) {
	t.Helper()
	name := relName(ours)
	if ours.Fields().Len() != len(want) {
		t.Errorf("%s: %d fields, Hadoop 3.4.1 has %d", name, ours.Fields().Len(), len(want))
	}
	for fname, sig := range want {
		f := ours.Fields().ByName(protoreflect.Name(fname))
		if f == nil {
			t.Errorf("%s: missing Hadoop 3.4.1 field %s", name, fname)
			continue
		}
		if got := fieldSig(f); got != sig {
			t.Errorf("%s.%s: ours %q, Hadoop 3.4.1 %q", name, fname, got, sig)
		}
	}
}

func compareEnum(t *testing.T, ours, theirs protoreflect.EnumDescriptor, seen34 map[string]bool) {
	t.Helper()
	name := relName(ours)
	for i := 0; i < ours.Values().Len(); i++ {
		v := ours.Values().Get(i)
		key := name + "." + string(v.Name())
		if changedEnums34[key] {
			seen34[key] = true
			continue
		}
		tv := theirs.Values().ByName(v.Name())
		if tv == nil || tv.Number() != v.Number() {
			t.Errorf("%s: value %d not in Hadoop", key, v.Number())
		}
	}
	if ours.Values().Len() < theirs.Values().Len() {
		t.Errorf("%s: %d values, Hadoop %d", name, ours.Values().Len(), theirs.Values().Len())
	}
}

// TestRequiredEnforced shows Marshal refuses incomplete messages, which the
// server relies on to catch incomplete responses.
func TestRequiredEnforced(t *testing.T) {
	_, err := proto.Marshal(&hdfspb.HdfsFileStatusProto{Path: []byte{}})
	if err == nil {
		t.Fatal("Marshal accepted HdfsFileStatusProto without required fields")
	}
	b, err := proto.Marshal(&hdfspb.BlockOpResponseProto{Status: hdfspb.Status_SUCCESS.Enum(), FirstBadLink: proto.String("")})
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x08, 0x00, 0x12, 0x00}; string(b) != string(want) {
		t.Errorf("BlockOpResponseProto = % x, want % x", b, want)
	}
	// A 3.4 traced client may send a trace header without ids.
	var ti hdfspb.DataTransferTraceInfoProto
	if err := proto.Unmarshal([]byte{0x1a, 0x01, 0x07}, &ti); err != nil {
		t.Errorf("trace info with only spanContext: %v", err)
	}
}
