package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/htmlindex"
)

// maxDepth bounds the nesting of a reply's elements.
const maxDepth = 64

// errAbsent: the field is not in the reply (or is xsi:nil).
var errAbsent = errors.New("field absent")

const namespaceXSI = "http://www.w3.org/2001/XMLSchema-instance"

// element is one element of a reply: its expanded name, the character data directly inside it
// and its child elements.
type element struct {
	name     xml.Name
	text     []byte
	children []*element
	isNil    bool // xsi:nil="true"
}

// parseXML reads a whole document into its root element. It follows the declared encoding (GBK,
// GB18030 … through golang.org/x/text), and refuses a DTD (SOAP forbids them), text or a second
// element after the root, nesting deeper than maxDepth, and anything not well-formed.
func parseXML(body []byte) (*element, error) {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))))
	d.CharsetReader = charsetReader
	var root *element
	var open []*element
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case len(open) >= maxDepth:
				return nil, fmt.Errorf("elements nested deeper than %d", maxDepth)
			case len(open) == 0 && root != nil:
				return nil, errors.New("a second element after the root")
			}
			e := &element{name: t.Name, isNil: xsiNil(t.Attr)}
			if len(open) == 0 {
				root = e
			} else {
				top := open[len(open)-1]
				top.children = append(top.children, e)
			}
			open = append(open, e)
		case xml.EndElement:
			open = open[:len(open)-1] // the decoder matched it
		case xml.CharData:
			if len(open) == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, errors.New("text outside the root element")
				}
				continue
			}
			top := open[len(open)-1]
			top.text = append(top.text, t...)
		case xml.Directive:
			return nil, errors.New("a document type declaration (SOAP forbids them)")
		}
	}
	if root == nil {
		return nil, errors.New("no element")
	}
	return root, nil
}

// charsetReader decodes a reply declared in another encoding than UTF-8, by its WHATWG label
// (gbk, gb2312, gb18030, …).
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(label)
	if err != nil {
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	return enc.NewDecoder().Reader(r), nil
}

func xsiNil(attrs []xml.Attr) bool {
	for _, a := range attrs {
		if a.Name.Space == namespaceXSI && a.Name.Local == "nil" {
			v := strings.TrimSpace(a.Value)
			return v == "true" || v == "1"
		}
	}
	return false
}

// child is e's only child element of that local name in one of spaces; nil when there is none,
// an error when there are several.
func (e *element) child(local string, spaces ...string) (*element, error) {
	var found *element
	for _, c := range e.children {
		if c.name.Local != local || !slices.Contains(spaces, c.name.Space) {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("more than one <%s>", local)
		}
		found = c
	}
	return found, nil
}

// firstChild is e's first child element, or nil.
func (e *element) firstChild() *element {
	if len(e.children) == 0 {
		return nil
	}
	return e.children[0]
}

// value is the text of the element at path (local names separated by "/") below e, each step in
// no namespace or in ns, trimmed of white space.
func (e *element) value(path, ns string) (string, error) {
	if path == "" {
		return "", errAbsent
	}
	at := e
	for step := range strings.SplitSeq(path, "/") {
		next, err := at.child(step, "", ns)
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		if next == nil || next.isNil {
			return "", fmt.Errorf("%s: %w", path, errAbsent)
		}
		at = next
	}
	if len(at.children) != 0 {
		return "", fmt.Errorf("%s: an element with children, not a value", path)
	}
	return strings.TrimSpace(string(at.text)), nil
}

// childText is the trimmed text of e's child local (in no namespace or in spaces), or "".
func (e *element) childText(local string, spaces ...string) string {
	c, err := e.child(local, append(spaces, "")...)
	if err != nil || c == nil {
		return ""
	}
	return strings.TrimSpace(string(c.text))
}

// timeIn reads a time in layout; "unix" and "unixms" read epoch seconds and milliseconds.
func timeIn(s, layout string, loc *time.Location) (time.Time, error) {
	switch layout {
	case "unix", "unixms":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, err
		}
		if layout == "unix" {
			return time.Unix(n, 0).UTC(), nil
		}
		return time.UnixMilli(n).UTC(), nil
	}
	t, err := time.ParseInLocation(layout, s, loc)
	return t.UTC(), err
}
