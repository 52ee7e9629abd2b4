package trustlist

import (
	"errors"
	"testing"
)

// TestParsePushStrictKeys: the signed bytes must read the same to every tool, so member names match
// exactly (no case folding) and a name may appear once.
func TestParsePushStrictKeys(t *testing.T) {
	for name, body := range map[string]string{
		"case-folded name": `{"Registry":"37","seq":1,"issued_at":"2026-01-01T00:00:00Z","ops":[]}`,
		"duplicate name":   `{"registry":"37","registry":"38","seq":1,"issued_at":"2026-01-01T00:00:00Z","ops":[]}`,
		"duplicate in op":  `{"registry":"37","seq":1,"issued_at":"2026-01-01T00:00:00Z","ops":[{"op":"seal.status","code":"1","code":"2"}]}`,
		"invalid UTF-8":    "{\"registry\":\"37\",\"seq\":1,\"issued_at\":\"2026-01-01T00:00:00Z\",\"ops\":[{\"op\":\"seal.status\",\"reason\":\"\xff\"}]}",
		"trailing data":    `{"registry":"37","seq":1,"issued_at":"2026-01-01T00:00:00Z","ops":[]} {}`,
	} {
		_, err := ParsePush([]byte(body))
		var r *Rejection
		if !errors.As(err, &r) || r.Code != CodeMalformed {
			t.Errorf("%s: got %v, want %s", name, err, CodeMalformed)
		}
	}
}
