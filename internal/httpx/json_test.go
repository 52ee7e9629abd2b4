package httpx

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

type jsonInner struct {
	Code   string    `json:"code"`
	Events []string  `json:"events"`
	At     time.Time `json:"at"`
}

type jsonOuter struct {
	*jsonInner
	Index   uint64            `json:"index"`
	Name    string            `json:"name,omitempty"`
	Raw     json.RawMessage   `json:"raw,omitempty"`
	Bytes   []byte            `json:"bytes"`
	Map     map[string]int    `json:"map"`
	NilMap  map[string]string `json:"nil_map"`
	Ptr     *int              `json:"ptr"`
	Float   float64           `json:"float"`
	Text    string            `json:"text"`
	Since   time.Time         `json:"since,omitzero"`
	Any     any               `json:"any"`
	private int
}

// The answers are encoded with the JSON v2 engine in encoding/json's mode; the bytes must be the
// ones encoding/json (without HTML escaping) writes.
func TestEncodeJSONMatchesEncodingJSON(t *testing.T) {
	one := 1
	values := []any{
		jsonOuter{jsonInner: &jsonInner{Code: "37010200000001", At: time.Date(2025, 3, 1, 9, 30, 0, 123456789, time.FixedZone("CST", 8*3600))},
			Index: math.MaxUint64, Raw: json.RawMessage(`{"b":1,"a":[true,null]}`), Bytes: []byte{0, 1, 2, 250},
			Map: map[string]int{"z": 1, "a": 2, "中": 3}, Ptr: &one, Float: 0.1, Text: "<R&D> \"引号\" \u2028 \x01 \\", Any: map[string]any{"k": []any{1.5, "x"}}},
		jsonOuter{},
		ErrorBody{Code: "BODY_INVALID", Message: "bad", RequestID: "r1", Details: map[string]int64{"max_bytes": 8}},
		[]string(nil),
		map[string]any{"nested": []jsonInner{{Code: "c"}}},
	}
	for i, v := range values {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		got, err := encodeJSON(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("value %d:\n got %s\nwant %s", i, got, want.Bytes())
		}
	}
}
