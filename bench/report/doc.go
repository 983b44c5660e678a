// Package report turns the benchmark's measurements into the summary
// statistics, the Markdown table and the PNG chart the tool writes.
//
// Imports: nothing from this module.
package report
