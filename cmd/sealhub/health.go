package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// healthDefaultURL is what a container's health check asks: the node's own readiness.
const healthDefaultURL = "http://127.0.0.1:8080/readyz"

// healthCommand is a probe for images without a shell or curl (the FROM scratch image): it asks
// one URL and exits 0 on 200, 1 on any other answer or none.
func (e *env) healthCommand() *cobra.Command {
	var target string
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "health [--url URL]",
		Short: "Probe a node: exit 0 when its readiness (or another URL) answers 200 OK",
		Long: `Ask one URL of a node and exit 0 when it answers 200 OK, 1 otherwise (any other status, no
answer within --timeout), printing the answer's first line either way. Container health checks use
it, since the sealhub image has no shell or curl:

  HEALTHCHECK CMD ["/sealhub", "health"]

/readyz answers 200 once the node knows a leader and has applied what it was sent; /healthz
answers 200 while the process serves at all (a liveness probe).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			u, err := url.Parse(target)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usageError("--url %q: want an http:// or https:// URL", target)
			}
			if timeout <= 0 {
				return usageError("--timeout %s: want a positive duration", timeout)
			}
			return e.health(c.Context(), target, timeout)
		},
	}
	c.Flags().StringVar(&target, "url", healthDefaultURL, "URL to ask")
	c.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	return c
}

func (e *env) health(ctx context.Context, target string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return usageError("%v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(e.stderr, "unhealthy: %v\n", err)
		return &exitError{code: 1}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(e.stderr, "unhealthy: %s %s\n", resp.Status, line)
		return &exitError{code: 1}
	}
	fmt.Fprintf(e.stdout, "healthy: %s %s\n", resp.Status, line)
	return nil
}
