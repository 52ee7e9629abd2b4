package httpx

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// countingReader records how many bytes were read from it.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

// failingReader fails every read.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestLimitBody(t *testing.T) {
	const limit = 8
	tests := map[string]struct {
		body          io.Reader
		contentLength int64 // -1 means unknown (chunked)
		wantStatus    int
		wantCode      string
		wantLen       int  // bytes the handler saw, on success
		wantUnread    bool // the body must not have been touched
	}{
		"empty":                      {body: http.NoBody, contentLength: 0, wantStatus: 200, wantLen: 0},
		"exactly the limit":          {body: strings.NewReader("12345678"), contentLength: 8, wantStatus: 200, wantLen: 8},
		"exactly the limit, chunked": {body: strings.NewReader("12345678"), contentLength: -1, wantStatus: 200, wantLen: 8},
		"limit+1, chunked":           {body: strings.NewReader("123456789"), contentLength: -1, wantStatus: 413, wantCode: CodeBodyTooLarge},
		"much larger, chunked":       {body: bytes.NewReader(make([]byte, 1<<20)), contentLength: -1, wantStatus: 413, wantCode: CodeBodyTooLarge},
		"Content-Length too large":   {body: strings.NewReader("123456789"), contentLength: 9, wantStatus: 413, wantCode: CodeBodyTooLarge, wantUnread: true},
		"read error":                 {body: failingReader{}, contentLength: -1, wantStatus: 400, wantCode: CodeBodyUnreadable},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			handlerRan := false
			h := newHarness(t, func(g gin.IRouter) {
				g.POST("/echo", LimitBody(limit), func(c *gin.Context) {
					handlerRan = true
					b, err := ReadBody(c)
					if err != nil {
						Fail(c, err)
						return
					}
					JSON(c, http.StatusOK, map[string]int{"len": len(b)})
				})
			})
			counter := &countingReader{r: tt.body}
			req := httptest.NewRequest(http.MethodPost, "/v1/echo", counter)
			req.ContentLength = tt.contentLength
			rec := h.serve(req)

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantUnread {
				if counter.read != 0 || handlerRan {
					t.Errorf("read %d bytes, handler ran %v; want the request rejected unread", counter.read, handlerRan)
				}
			}
			if tt.wantCode == "" {
				var got struct{ Len int }
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Len != tt.wantLen {
					t.Errorf("body = %s, want len %d", rec.Body, tt.wantLen)
				}
				return
			}
			body := errorBody(t, rec)
			if body.Code != tt.wantCode {
				t.Errorf("code = %q, want %q", body.Code, tt.wantCode)
			}
			if tt.wantCode == CodeBodyTooLarge {
				if got := mustJSON(t, body.Details); got != `{"max_bytes":8}` {
					t.Errorf("details = %s", got)
				}
			}
		})
	}
}

// TestLimitBodyOverNetwork sends a chunked body larger than the limit
// through a real server, where MaxBytesReader also sees the real writer.
func TestLimitBodyOverNetwork(t *testing.T) {
	h := newHarness(t, func(g gin.IRouter) {
		g.POST("/echo", LimitBody(16), func(c *gin.Context) {
			if _, err := ReadBody(c); err != nil {
				Fail(c, err)
				return
			}
			c.Status(http.StatusNoContent)
		})
	})
	srv := httptest.NewServer(h.engine)
	defer srv.Close()

	for name, tc := range map[string]struct {
		size int
		want int
	}{"fits": {16, http.StatusNoContent}, "too large": {4096, http.StatusRequestEntityTooLarge}} {
		t.Run(name, func(t *testing.T) {
			// io.MultiReader hides the length, so the client sends chunked.
			body := io.MultiReader(bytes.NewReader(make([]byte, tc.size)))
			resp, err := srv.Client().Post(srv.URL+"/v1/echo", "application/octet-stream", body)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}
