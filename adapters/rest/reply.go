package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// errAbsent: the field is not in the reply (or is null).
var errAbsent = errors.New("field absent")

// parseJSON decodes exactly one JSON value, keeping numbers as written.
func parseJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON value")
	}
	return doc, nil
}

// scalar is the string, number or boolean at a dotted path, as text; numbers as written.
func scalar(doc any, path string) (string, error) {
	if path == "" {
		return "", errAbsent
	}
	v := doc
	for _, key := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return "", fmt.Errorf("%s: %w", path, errAbsent)
		}
		if v, ok = obj[key]; !ok {
			return "", fmt.Errorf("%s: %w", path, errAbsent)
		}
	}
	switch x := v.(type) {
	case nil:
		return "", fmt.Errorf("%s: %w", path, errAbsent)
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return fmt.Sprint(x), nil
	default:
		return "", fmt.Errorf("%s: an object or array, not a value", path)
	}
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
