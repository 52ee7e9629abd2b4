package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// Metric names exported by [Metrics].
const (
	MetricRequestsTotal    = "sealhub_http_requests_total"
	MetricRequestDuration  = "sealhub_http_request_duration_seconds"
	MetricRequestsInFlight = "sealhub_http_requests_in_flight"
)

// Metrics returns middleware recording, on reg:
//
//   - sealhub_http_requests_total{route,method,code} (counter)
//   - sealhub_http_request_duration_seconds{route,method} (histogram)
//   - sealhub_http_requests_in_flight (gauge)
//
// route is the template (c.FullPath(), e.g. /v1/seals/:code) or "unmatched",
// never the raw path; method is one of the standard methods or "OTHER", so
// clients cannot grow label cardinality. If reg already holds identical
// collectors (a second engine on the same registry) they are shared.
//
// Place it outside [Errors] so it records the rendered status.
func Metrics(reg prometheus.Registerer) (gin.HandlerFunc, error) {
	if reg == nil {
		return nil, errors.New("httpx: Metrics: nil prometheus.Registerer")
	}
	total, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricRequestsTotal,
		Help: "HTTP requests completed, by route template, method and status code.",
	}, []string{"route", "method", "code"}))
	if err != nil {
		return nil, err
	}
	duration, err := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    MetricRequestDuration,
		Help:    "HTTP request latency in seconds, by route template and method.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route", "method"}))
	if err != nil {
		return nil, err
	}
	inFlight, err := register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: MetricRequestsInFlight,
		Help: "HTTP requests currently being served.",
	}))
	if err != nil {
		return nil, err
	}

	return func(c *gin.Context) {
		start := time.Now()
		inFlight.Inc()
		panicked := true
		defer func() {
			inFlight.Dec()
			route, method := routeOf(c), methodLabel(c.Request.Method)
			status := finalStatus(c, panicked)
			total.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
			duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		}()
		c.Next()
		panicked = false
	}, nil
}

// register registers c on reg, returning the already registered collector
// if an identical one exists.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		var zero C
		return zero, fmt.Errorf("httpx: register metrics: %w", err)
	}
	return c, nil
}

// methodLabel bounds the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodConnect,
		http.MethodOptions, http.MethodTrace:
		return m
	default:
		return "OTHER"
	}
}
