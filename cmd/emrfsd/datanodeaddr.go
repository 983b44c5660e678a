package main

import (
	"net"
	"net/netip"

	"github.com/emrfsd/emrfsd/namenode"
)

// advertisedDataNode is the DataNode address block locations carry, after
// Hadoop's dfs.datanode.hostname convention: the configured name when
// there is one (clients dial its address, or the name itself with
// dfs.client.use.datanode.hostname); else, when the DataNode listens on a
// wildcard address, the address each client reached the NameNode at; else
// the address it listens on.
func advertisedDataNode(configured, bindHost, osHostname string, port int) namenode.DataNode {
	dn := namenode.DataNode{UUID: "emrfsd-" + osHostname, XferPort: port}
	switch ip, err := netip.ParseAddr(bindHost); {
	case configured != "":
		dn.Hostname, dn.IPAddr = configured, configured
		if ips, err := net.LookupIP(configured); err == nil && len(ips) > 0 {
			dn.IPAddr = ips[0].String()
		}
	case err == nil && ip.IsUnspecified():
		dn.FromConn = true
	default:
		dn.IPAddr, dn.Hostname = bindHost, bindHost
	}
	return dn
}
