package hadoopconf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// parsed is one <property> as read from a file.
type parsed struct {
	e        Entry
	hasValue bool
}

// parseXML reads one *-site.xml file. file names the file in errors.
func parseXML(file string, data []byte) ([]parsed, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var out []parsed
	sawRoot := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, syntaxErr(file, d, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		line, _ := d.InputPos()
		if se.Name.Local != "configuration" {
			return nil, &Error{File: file, Line: line, Msg: fmt.Sprintf("root element is <%s>, want <configuration>", se.Name.Local)}
		}
		sawRoot = true
		props, err := parseConfiguration(file, d)
		if err != nil {
			return nil, err
		}
		out = append(out, props...)
	}
	if !sawRoot {
		return nil, &Error{File: file, Msg: "no <configuration> element"}
	}
	return out, nil
}

func syntaxErr(file string, d *xml.Decoder, err error) *Error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &Error{File: file, Line: se.Line, Msg: "XML syntax error: " + se.Msg, Err: err}
	}
	line, _ := d.InputPos()
	return &Error{File: file, Line: line, Msg: "XML error: " + err.Error(), Err: err}
}

// parseConfiguration reads the children of <configuration> up to its end
// tag. Nested <configuration> elements are flattened, as in Hadoop.
func parseConfiguration(file string, d *xml.Decoder) ([]parsed, error) {
	var out []parsed
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, syntaxErr(file, d, err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return out, nil
		case xml.StartElement:
			line, _ := d.InputPos()
			switch t.Name.Local {
			case "property":
				p, err := parseProperty(file, line, t, d)
				if err != nil {
					return nil, err
				}
				out = append(out, p)
			case "configuration":
				more, err := parseConfiguration(file, d)
				if err != nil {
					return nil, err
				}
				out = append(out, more...)
			case "include":
				return nil, &Error{File: file, Line: line, Msg: "XInclude (<include>) is not supported"}
			default:
				if err := d.Skip(); err != nil {
					return nil, syntaxErr(file, d, err)
				}
			}
		}
	}
}

// parseProperty reads one <property> element whose start tag is se.
func parseProperty(file string, line int, se xml.StartElement, d *xml.Decoder) (parsed, error) {
	var (
		name, value, final string
		hasName, hasValue  bool
	)
	for _, a := range se.Attr {
		switch a.Name.Local {
		case "name":
			name, hasName = a.Value, true
		case "value":
			value, hasValue = a.Value, true
		case "final":
			final = a.Value
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return parsed{}, syntaxErr(file, d, err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			name = strings.TrimSpace(name)
			if !hasName || name == "" {
				return parsed{}, &Error{File: file, Line: line, Msg: "<property> without <name>"}
			}
			return parsed{
				e: Entry{
					Name:  name,
					Raw:   value,
					File:  file,
					Line:  line,
					Final: strings.TrimSpace(final) == "true",
				},
				hasValue: hasValue,
			}, nil
		case xml.StartElement:
			field := t.Name.Local
			if field != "name" && field != "value" && field != "final" {
				// <description>, <source>, <tag>, ...
				if err := d.Skip(); err != nil {
					return parsed{}, syntaxErr(file, d, err)
				}
				continue
			}
			text, err := elementText(file, d)
			if err != nil {
				return parsed{}, err
			}
			switch field {
			case "name":
				name, hasName = text, true
			case "value":
				value, hasValue = text, true
			case "final":
				final = text
			}
		}
	}
}

// elementText returns the character data of the element just opened,
// consuming its end tag. Nested elements are an error.
func elementText(file string, d *xml.Decoder) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", syntaxErr(file, d, err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.EndElement:
			return b.String(), nil
		case xml.StartElement:
			line, _ := d.InputPos()
			return "", &Error{File: file, Line: line, Msg: fmt.Sprintf("unexpected element <%s> inside a property field", t.Name.Local)}
		}
	}
}
