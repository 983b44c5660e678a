package hadoopconf

import (
	"fmt"
	"strconv"
)

// CommandLine is the File of properties given as -D name=value.
const CommandLine = "-D"

// Error is a problem with one configuration file or property.
type Error struct {
	// File is the file path as given to Load, or CommandLine.
	File string
	// Property is the property name exactly as written, or "" for a problem
	// with the file itself (an XML syntax error, a <property> without name).
	Property string
	// Line is the 1-based line in File, or 0 when unknown.
	Line int
	// Msg describes the problem.
	Msg string
	// Err is the underlying error, if any (reachable with errors.Is/As).
	Err error
}

func (e *Error) Error() string {
	loc := e.File
	if loc == "" {
		loc = DefaultsFile
	}
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Property != "" {
		return fmt.Sprintf("%s: property %s: %s", loc, e.Property, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error about the property e was read from.
func (e Entry) Errorf(format string, args ...any) *Error {
	return &Error{File: e.File, Property: e.Name, Line: e.Line, Msg: fmt.Sprintf(format, args...)}
}

// wrapErr is Errorf with an underlying error.
func (e Entry) wrapErr(err error, format string, args ...any) *Error {
	x := e.Errorf(format, args...)
	x.Err = err
	return x
}
