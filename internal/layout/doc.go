// Package layout holds no code: its test checks that every room of the
// module imports only what its row of the table allows, so imports run
// downward (front ends → HDFS rules → namespace → providers → leaves) and
// never sideways between front ends. A new package needs a row.
package layout
