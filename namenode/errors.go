package namenode

// Exception classes of the RPC layer itself; everything a handler returns
// is translated by dfs.Exception.
const (
	exNoSuchMethod   = "org.apache.hadoop.ipc.RpcNoSuchMethodException"
	exNoSuchProtocol = "org.apache.hadoop.ipc.RpcNoSuchProtocolException"
	exIPC            = "org.apache.hadoop.ipc.IpcException"
	exRPCServer      = "org.apache.hadoop.ipc.RpcServerException"
)
