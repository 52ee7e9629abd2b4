package httpx

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsLabelByRouteTemplate(t *testing.T) {
	var inFlightDuring float64
	var h *harness
	h = newHarness(t, func(g gin.IRouter) {
		g.GET("/seals/:code", func(c *gin.Context) { JSON(c, http.StatusOK, map[string]string{"code": c.Param("code")}) })
		g.GET("/inflight", func(c *gin.Context) {
			inFlightDuring = gaugeValue(t, h.reg, MetricRequestsInFlight)
			c.Status(http.StatusNoContent)
		})
		g.GET("/panic", func(*gin.Context) { panic("boom") })
	})
	requests := []struct{ method, target string }{
		{http.MethodGet, "/v1/seals/ABC123"},
		{http.MethodGet, "/v1/seals/XYZ789"},
		{http.MethodGet, "/v1/seals/ABC123/extra"}, // 404
		{http.MethodDelete, "/v1/seals/ABC123"},    // 405
		{"PROPFIND", "/v1/seals/ABC123"},           // 405, method bounded
		{http.MethodGet, "/v1/inflight"},
		{http.MethodGet, "/v1/panic"},
	}
	for _, r := range requests {
		h.do(t, r.method, r.target, nil, nil)
	}

	const want = `
# HELP sealhub_http_requests_total HTTP requests completed, by route template, method and status code.
# TYPE sealhub_http_requests_total counter
sealhub_http_requests_total{code="200",method="GET",route="/v1/seals/:code"} 2
sealhub_http_requests_total{code="204",method="GET",route="/v1/inflight"} 1
sealhub_http_requests_total{code="404",method="GET",route="unmatched"} 1
sealhub_http_requests_total{code="405",method="DELETE",route="unmatched"} 1
sealhub_http_requests_total{code="405",method="OTHER",route="unmatched"} 1
sealhub_http_requests_total{code="500",method="GET",route="/v1/panic"} 1
# HELP sealhub_http_requests_in_flight HTTP requests currently being served.
# TYPE sealhub_http_requests_in_flight gauge
sealhub_http_requests_in_flight 0
`
	if err := testutil.GatherAndCompare(h.reg, strings.NewReader(want),
		MetricRequestsTotal, MetricRequestsInFlight); err != nil {
		t.Error(err)
	}
	if inFlightDuring != 1 {
		t.Errorf("in-flight gauge during a request = %v, want 1", inFlightDuring)
	}
	// One histogram series per (route, method): seals GET, inflight GET,
	// panic GET, unmatched GET/DELETE/OTHER.
	if n, err := testutil.GatherAndCount(h.reg, MetricRequestDuration); err != nil || n != 6 {
		t.Errorf("duration series = %d (%v), want 6", n, err)
	}

	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if strings.Contains(lp.GetValue(), "ABC123") || strings.Contains(lp.GetValue(), "XYZ789") {
					t.Errorf("%s has raw path in label %s=%q", mf.GetName(), lp.GetName(), lp.GetValue())
				}
			}
		}
	}
}

func TestMetricsRegistration(t *testing.T) {
	t.Run("nil registerer", func(t *testing.T) {
		if _, err := Metrics(nil); err == nil {
			t.Fatal("Metrics(nil) succeeded")
		}
	})
	t.Run("second engine shares collectors", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		for i := range 2 {
			e, err := New(Options{Registry: reg})
			if err != nil {
				t.Fatalf("New #%d: %v", i, err)
			}
			e.GET("/x", func(c *gin.Context) { c.Status(http.StatusNoContent) })
			(&harness{engine: e}).do(t, http.MethodGet, "/x", nil, nil)
		}
		const want = `
# HELP sealhub_http_requests_total HTTP requests completed, by route template, method and status code.
# TYPE sealhub_http_requests_total counter
sealhub_http_requests_total{code="204",method="GET",route="/x"} 2
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), MetricRequestsTotal); err != nil {
			t.Error(err)
		}
	})
	t.Run("conflicting collector", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricRequestsTotal, Help: "squatter"}))
		if _, err := New(Options{Registry: reg}); err == nil {
			t.Fatal("New succeeded with a conflicting collector registered")
		}
	})
	t.Run("no registry means no metrics", func(t *testing.T) {
		e, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rec := (&harness{engine: e}).do(t, http.MethodGet, "/x", nil, nil); rec.Code != http.StatusNotFound {
			t.Errorf("status = %d", rec.Code)
		}
	})
}

func TestMethodLabel(t *testing.T) {
	tests := map[string]string{
		http.MethodGet: "GET", http.MethodPost: "POST", http.MethodOptions: "OPTIONS",
		"get": "OTHER", "PROPFIND": "OTHER", "": "OTHER",
	}
	for in, want := range tests {
		if got := methodLabel(in); got != want {
			t.Errorf("methodLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// gaugeValue reads an unlabelled gauge from reg.
func gaugeValue(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Errorf("gather: %v", err)
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Errorf("gauge %s not found", name)
	return -1
}
