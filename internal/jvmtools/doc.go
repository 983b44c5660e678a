// Package jvmtools finds the JVM-side tools that scripts/jvm.sh installs
// under ./tools (the Hadoop 3.4.1 client jars, the benchmark's S3A and
// MiniDFSCluster jars, PySpark's venv) and compiles Java sources against
// them, for the JVM test tier (integration/jvm) and the benchmark's JVM peer
// cases (bench/cases). A missing tool is an error naming scripts/jvm.sh,
// never a reason to skip.
//
// Imports: nothing from this module (test and benchmark support).
package jvmtools
