package fakeregion

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/adapters/adaptertest"
	"github.com/sealhub/sealhub/trustlist"
)

// Faults are the ways a region misbehaves; rates are fractions of requests in [0, 1], drawn in
// this order: error, auth, malformed, truncated, HTML, drip.
type Faults struct {
	Latency       time.Duration // before every answer
	ErrorRate     float64       // HTTP 500 with the region's error body
	AuthRate      float64       // HTTP 401 as if the signature were wrong
	MalformedRate float64       // HTTP 200, a body that does not parse
	TruncatedRate float64       // Content-Length promises more than is sent, then the connection closes
	HTMLRate      float64       // HTTP 200 with a gateway's HTML error page
	DripRate      float64       // the body one byte per DripEvery
	DripEvery     time.Duration // default 50 ms
}

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

type seal struct {
	status    trustlist.Status // sealhub's name, or a region's own code to simulate one sealhub does not know
	effective time.Time
}

// sim is what every simulated region shares: its seals, its change log, its faults and its
// request count. Its exported methods are promoted to each region, which makes every region an
// adaptertest.Region.
type sim struct {
	mu     sync.Mutex
	rng    *rand.Rand
	faults Faults
	seals  map[string]seal
	infos  map[string]adapters.SealInfo
	raw    map[string][]byte
	log    []adapters.Change // every Set, in order; Seq = index + 1
	calls  int
	now    func() time.Time
}

func newSim(seed uint64, f Faults, now func() time.Time) sim {
	if now == nil {
		now = time.Now
	}
	return sim{
		rng: rand.New(rand.NewPCG(seed, seed^0x5ea1)), faults: f, now: now,
		seals: map[string]seal{}, infos: map[string]adapters.SealInfo{}, raw: map[string][]byte{},
	}
}

// Set stores a seal's status (sealhub's name; a region's own code passes through, to simulate a
// code sealhub does not know) and when it took effect (zero: the region does not say). Every Set
// is also one entry of the region's change feed.
func (s *sim) Set(code string, status trustlist.Status, effective time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seals[code] = seal{status, effective}
	c := adapters.Change{Seq: uint64(len(s.log)) + 1, Code: code, Status: status, EffectiveAt: effective.UTC()}
	if _, seen := s.seenLocked(code); !seen {
		info := s.infoLocked(code, effective)
		c.Seal = &info
	}
	s.log = append(s.log, c)
}

// seenLocked reports whether the change log already has code.
func (s *sim) seenLocked(code string) (int, bool) {
	for i, c := range s.log {
		if c.Code == code {
			return i, true
		}
	}
	return 0, false
}

// Describe sets what the region says about a seal besides its status (its name, type, owner,
// validity), for feeds that file seals. Without it a seal is described with made-up values.
func (s *sim) Describe(code string, info adapters.SealInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.infos[code] = info
}

func (s *sim) infoLocked(code string, effective time.Time) adapters.SealInfo {
	if info, ok := s.infos[code]; ok {
		return info
	}
	start := effective
	if start.IsZero() || start.After(s.now()) {
		start = s.now().Add(-24 * time.Hour)
	}
	start = start.UTC().Truncate(time.Second)
	return adapters.SealInfo{
		Name: fmt.Sprintf("模拟印章 %s", code), Type: 1, OwnerName: "模拟单位",
		ValidStart: start, ValidEnd: start.AddDate(5, 0, 0),
	}
}

// SetRaw makes the region answer a query for code with body as is (HTTP 200), after its usual
// checks: for golden payloads. A region serving one document for every code serves body.
func (s *sim) SetRaw(code string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw[code] = body
}

// SetFaults replaces the faults.
func (s *sim) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Force makes every following request fail one way (adaptertest.FaultNone: none), keeping the
// latency.
func (s *sim) Force(f adaptertest.Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = Faults{Latency: s.faults.Latency, DripEvery: s.faults.DripEvery}
	switch f {
	case adaptertest.FaultServerError:
		s.faults.ErrorRate = 1
	case adaptertest.FaultAuth:
		s.faults.AuthRate = 1
	case adaptertest.FaultMalformed:
		s.faults.MalformedRate = 1
	case adaptertest.FaultTruncated:
		s.faults.TruncatedRate = 1
	case adaptertest.FaultHTML:
		s.faults.HTMLRate = 1
	case adaptertest.FaultDrip:
		s.faults.DripRate = 1
	}
}

// SetLatency delays every following answer by d.
func (s *sim) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.Latency = d
}

// Calls is how many requests reached the region.
func (s *sim) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// lookup finds what to answer for code: a raw body set for it, or its seal.
func (s *sim) lookup(code string) (raw []byte, isRaw bool, st seal, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, isRaw = s.raw[code]
	st, ok = s.seals[code]
	return raw, isRaw, st, ok
}

// changes is the change log after seq after, and the last seq.
func (s *sim) changes(after uint64) ([]adapters.Change, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	last := uint64(len(s.log))
	if after >= last {
		return nil, last
	}
	return append([]adapters.Change(nil), s.log[after:]...), last
}

// listing is every seal's latest entry of the change log (with its description), by first
// appearance, and the last seq.
func (s *sim) listing() ([]adapters.Change, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := map[string]int{}
	var out []adapters.Change
	for _, c := range s.log {
		i, ok := at[c.Code]
		if !ok {
			at[c.Code] = len(out)
			out = append(out, c)
			continue
		}
		seal := out[i].Seal
		out[i] = c
		out[i].Seal = seal
	}
	return out, uint64(len(s.log))
}

// draw counts the call and picks its fault, in a fixed order so a seed replays the same run.
func (s *sim) draw() (Faults, fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	f := s.faults
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
		if c.rate > 0 && s.rng.Float64() < c.rate {
			return f, c.kind
		}
	}
	return f, faultNone
}

// wait sleeps the latency; false when the request went away first.
func wait(req *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-req.Context().Done():
		return false
	}
}

const htmlPage = `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>` +
	`<body><h1>网关错误</h1><p>请求已被拦截，请稍后重试。</p></body></html>`

// serve writes body (HTTP 200, of contentType) the way the fault says; a malformed body is
// garble(body).
func serve(w http.ResponseWriter, req *http.Request, f fault, body []byte, contentType string, garble func([]byte) []byte, every time.Duration) {
	w.Header().Set("Content-Type", contentType)
	switch f {
	case faultMalformed:
		body = garble(body)
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
