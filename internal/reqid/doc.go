// Package reqid names one request (an RPC call, an HTTP request) so its log
// line and the error its client sees can be matched: the front end makes
// an id per request, puts it in the request's context and its log line
// (key LogKey), and appends Suffix(id) to the message of an error it
// returns. It is a leaf.
//
// Imports: nothing from this module (a leaf). Used by namenode.
package reqid
