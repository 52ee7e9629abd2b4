package fakeregion

import (
	"net/http"
	"strconv"
	"time"
)

type fault int

const (
	faultNone fault = iota
	faultError
	faultAuth
	faultMalformed
	faultTruncated
	faultHTML
	faultDrip
)

// draw counts the call and picks its fault, in a fixed order so a seed replays the same run.
func (r *REST) draw() (Faults, fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	f := r.faults
	if f.DripEvery <= 0 {
		f.DripEvery = 50 * time.Millisecond
	}
	for _, c := range []struct {
		rate float64
		kind fault
	}{
		{f.ErrorRate, faultError}, {f.AuthRate, faultAuth}, {f.MalformedRate, faultMalformed},
		{f.TruncatedRate, faultTruncated}, {f.HTMLRate, faultHTML}, {f.DripRate, faultDrip},
	} {
		if c.rate > 0 && r.rng.Float64() < c.rate {
			return f, c.kind
		}
	}
	return f, faultNone
}

const htmlPage = `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>` +
	`<body><h1>网关错误</h1><p>请求已被拦截，请稍后重试。</p></body></html>`

// serve writes body (HTTP 200) the way the fault says.
func serve(w http.ResponseWriter, req *http.Request, f fault, body []byte, every time.Duration) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	switch f {
	case faultMalformed:
		body = append([]byte(`{"code":"0000","data":{"sealStatus":`), body...)
	case faultHTML:
		w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		body = []byte(htmlPage)
	case faultTruncated:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler) // closes the connection short of Content-Length
	case faultDrip:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		fl, _ := w.(http.Flusher)
		t := time.NewTicker(every)
		defer t.Stop()
		for i := range body {
			if _, err := w.Write(body[i : i+1]); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
			select {
			case <-t.C:
			case <-req.Context().Done():
				return
			}
		}
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
