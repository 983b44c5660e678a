package webhdfs

import (
	"strconv"
	"time"

	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/hdfschecksum"
)

// The JSON shapes of WebHDFS.md, field for field as Hadoop's JsonUtil
// writes them. JsonUtil builds TreeMaps, so fields are declared in
// alphabetical order and Go writes them in that order too.

// fileStatus is a FileStatus properties object.
type fileStatus struct {
	AccessTime       int64  `json:"accessTime"`
	BlockSize        int64  `json:"blockSize"`
	ChildrenNum      int    `json:"childrenNum"`
	FileID           uint64 `json:"fileId"`
	Group            string `json:"group"`
	Length           int64  `json:"length"`
	ModificationTime int64  `json:"modificationTime"`
	Owner            string `json:"owner"`
	PathSuffix       string `json:"pathSuffix"`
	Permission       string `json:"permission"`
	Replication      int    `json:"replication"`
	StoragePolicy    int    `json:"storagePolicy"`
	Type             string `json:"type"`
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// toFileStatus encodes a status as HDFS's JsonUtil does. name is the local
// name (pathSuffix): empty for single-path answers. childrenNum is 0 for
// files and, for directories, -1 (unknown without listing them; the value
// Hadoop's client assumes when it is missing), as over RPC.
func toFileStatus(st dfs.Status, name string) fileStatus {
	out := fileStatus{
		AccessTime:       millis(st.AccessTime),
		BlockSize:        st.BlockSize,
		FileID:           st.FileID,
		Group:            st.Group,
		Length:           max(st.Size, 0),
		ModificationTime: millis(st.ModTime),
		Owner:            st.Owner,
		PathSuffix:       name,
		Permission:       strconv.FormatUint(uint64(st.Perm&0o7777), 8),
		Replication:      st.Replication,
		Type:             "FILE",
	}
	if st.IsDir {
		out.Type, out.Length, out.ChildrenNum = "DIRECTORY", 0, -1
	}
	return out
}

type fileStatusJSON struct {
	FileStatus fileStatus `json:"FileStatus"`
}

type fileStatusesJSON struct {
	FileStatuses struct {
		FileStatus []fileStatus `json:"FileStatus"`
	} `json:"FileStatuses"`
}

type directoryListingJSON struct {
	DirectoryListing struct {
		PartialListing   fileStatusesJSON `json:"partialListing"`
		RemainingEntries int              `json:"remainingEntries"`
	} `json:"DirectoryListing"`
}

func toListing(entries []dfs.Status, more bool) directoryListingJSON {
	var l directoryListingJSON
	l.DirectoryListing.PartialListing.FileStatuses.FileStatus = make([]fileStatus, len(entries))
	for i, e := range entries {
		l.DirectoryListing.PartialListing.FileStatuses.FileStatus[i] = toFileStatus(e, e.Name)
	}
	if more {
		// The exact count is unknown without listing everything; clients
		// only test for non-zero (the RPC front end answers the same).
		l.DirectoryListing.RemainingEntries = 1
	}
	return l
}

type booleanJSON struct {
	Boolean bool `json:"boolean"`
}

type pathJSON struct {
	Path string `json:"Path"`
}

type locationJSON struct {
	Location string `json:"Location"`
}

type contentSummaryJSON struct {
	ContentSummary struct {
		DirectoryCount         int64          `json:"directoryCount"`
		ECPolicy               string         `json:"ecPolicy"`
		FileCount              int64          `json:"fileCount"`
		Length                 int64          `json:"length"`
		Quota                  int64          `json:"quota"`
		SnapshotDirectoryCount int64          `json:"snapshotDirectoryCount"`
		SnapshotFileCount      int64          `json:"snapshotFileCount"`
		SnapshotLength         int64          `json:"snapshotLength"`
		SnapshotSpaceConsumed  int64          `json:"snapshotSpaceConsumed"`
		SpaceConsumed          int64          `json:"spaceConsumed"`
		SpaceQuota             int64          `json:"spaceQuota"`
		TypeQuota              map[string]any `json:"typeQuota"`
	} `json:"ContentSummary"`
}

// replicated is the erasure coding policy name HDFS reports for replicated
// content.
const replicated = "Replicated"

func toContentSummary(s fs.Summary, replication int) contentSummaryJSON {
	var c contentSummaryJSON
	cs := &c.ContentSummary
	cs.DirectoryCount, cs.FileCount, cs.Length = s.Directories, s.Files, s.Length
	cs.ECPolicy = replicated
	cs.Quota, cs.SpaceQuota = -1, -1
	cs.SpaceConsumed = s.Length * int64(replication)
	cs.TypeQuota = map[string]any{}
	return c
}

type quotaUsageJSON struct {
	QuotaUsage struct {
		FileAndDirectoryCount int64          `json:"fileAndDirectoryCount"`
		Quota                 int64          `json:"quota"`
		SpaceConsumed         int64          `json:"spaceConsumed"`
		SpaceQuota            int64          `json:"spaceQuota"`
		TypeQuota             map[string]any `json:"typeQuota"`
	} `json:"QuotaUsage"`
}

func toQuotaUsage(s fs.Summary, replication int) quotaUsageJSON {
	var q quotaUsageJSON
	u := &q.QuotaUsage
	u.FileAndDirectoryCount = s.Files + s.Directories
	u.Quota, u.SpaceQuota = -1, -1
	u.SpaceConsumed = s.Length * int64(replication)
	u.TypeQuota = map[string]any{}
	return q
}

type fileChecksumJSON struct {
	FileChecksum struct {
		Algorithm string `json:"algorithm"`
		Bytes     string `json:"bytes"`
		Length    int    `json:"length"`
	} `json:"FileChecksum"`
}

func toFileChecksum(c hdfschecksum.FileChecksum) fileChecksumJSON {
	var j fileChecksumJSON
	b := c.Bytes()
	j.FileChecksum.Algorithm = c.Algorithm()
	j.FileChecksum.Bytes = hexString(b)
	j.FileChecksum.Length = len(b)
	return j
}

// hexString is Hadoop's StringUtils.byteToHexString (lower case).
func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, x := range b {
		out[2*i], out[2*i+1] = digits[x>>4], digits[x&15]
	}
	return string(out)
}

type xattrJSON struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type xattrsJSON struct {
	XAttrs []xattrJSON `json:"XAttrs"`
}

type xattrNamesJSON struct {
	// XAttrNames is a string holding a JSON array of names, as Hadoop
	// sends it.
	XAttrNames string `json:"XAttrNames"`
}

type aclStatusJSON struct {
	AclStatus struct {
		Entries    []string `json:"entries"`
		Group      string   `json:"group"`
		Owner      string   `json:"owner"`
		Permission string   `json:"permission"`
		StickyBit  bool     `json:"stickyBit"`
	} `json:"AclStatus"`
}

// serverDefaultsJSON is FsServerDefaults (a HashMap in Hadoop: any order;
// alphabetical here).
type serverDefaultsJSON struct {
	FsServerDefaults struct {
		BlockSize              int64  `json:"blockSize"`
		BytesPerChecksum       int    `json:"bytesPerChecksum"`
		ChecksumType           int    `json:"checksumType"`
		DefaultStoragePolicyID int    `json:"defaultStoragePolicyId"`
		EncryptDataTransfer    bool   `json:"encryptDataTransfer"`
		FileBufferSize         int    `json:"fileBufferSize"`
		KeyProviderURI         string `json:"keyProviderUri"`
		Replication            int    `json:"replication"`
		TrashInterval          int64  `json:"trashInterval"`
		WritePacketSize        int    `json:"writePacketSize"`
	} `json:"FsServerDefaults"`
}

// tokenJSON is GETDELEGATIONTOKEN's answer with security off: no token.
type tokenJSON struct {
	Token *struct{} `json:"Token"`
}

// blockLocationsJSON is GETFILEBLOCKLOCATIONS' answer (HashMaps in Hadoop:
// any order; alphabetical here).
type blockLocationsJSON struct {
	BlockLocations struct {
		BlockLocation []blockLocationJSON `json:"BlockLocation"`
	} `json:"BlockLocations"`
}

type blockLocationJSON struct {
	CachedHosts   []string `json:"cachedHosts"`
	Corrupt       bool     `json:"corrupt"`
	Hosts         []string `json:"hosts"`
	Length        int64    `json:"length"`
	Names         []string `json:"names"`
	Offset        int64    `json:"offset"`
	StorageTypes  []string `json:"storageTypes"`
	TopologyPaths []string `json:"topologyPaths"`
}
