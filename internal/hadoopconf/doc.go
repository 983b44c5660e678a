// Package hadoopconf reads Hadoop *-site.xml configuration files into a flat
// set of properties that remember where each value came from.
//
// # Files and precedence
//
// Load reads the files in order. Each file is
//
//	<configuration>
//	  <property><name>N</name><value>V</value><final>true</final></property>
//	  ...
//	</configuration>
//
// (the name/value/final attributes of <property> are accepted too, as Hadoop
// does). A later file overrides an earlier one, and command-line "-D
// name=value" definitions override every file, except that a property marked
// <final>true</final> keeps its value: later attempts are ignored with a
// warning, as in Hadoop. A property without a <value> is ignored (Hadoop
// does the same); an empty <value/> is the empty string. LoadOptions.Defaults
// form a bottom layer beneath the files, like Hadoop's *-default.xml (their
// File is DefaultsFile). Property names are trimmed; values are kept as
// written, and the typed accessors (Entry.Bool, Int, Bytes, Duration) trim.
//
// # Variable expansion
//
// Values are expanded when they are looked up: ${name} is replaced by the
// (expanded) value of property name, and ${env.NAME} by the environment
// variable NAME (${env.NAME:-default} and ${env.NAME-default} supply a
// default when NAME is unset or empty, respectively unset). Expansion is
// innermost-first, so ${a${b}} works. A variable that cannot be resolved
// stays literally in the value (Hadoop stops expanding at the first one; this
// package keeps expanding the rest). Nesting deeper than MaxExpansionDepth and
// reference cycles are reported by Load as an *Error naming the property.
//
// # Per-bucket properties
//
// Bucket resolves the S3A per-bucket convention, applied to EMRFS, S3A and
// emrfsd's own names: fs.s3.bucket.B.REST overrides fs.s3.REST,
// fs.s3a.bucket.B.REST overrides fs.s3a.REST, and emrfsd.bucket.B.REST
// overrides emrfsd.REST, for bucket B. Bucket names may
// contain dots, so the bucket a property belongs to is found by matching the
// option names the caller knows (LoadOptions.BucketOptions); see
// BucketsMentioned.
//
// # Errors
//
// Every problem with a value is an *Error naming the file, the property as
// written there and, where known, the line.
//
// Imports: nothing from this module (a leaf).
package hadoopconf
