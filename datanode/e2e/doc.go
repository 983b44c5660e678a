// Package e2e drives the DataNode with the real github.com/colinmarc/hdfs/v2
// client, through the project's NameNode and namespace over the shared MinIO
// (see internal/testenv). It has only tests; it lives apart from package
// datanode so the DataNode's unit tests do not depend on those packages.
package e2e
