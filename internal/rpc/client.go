package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/internal/client"
)

// Client reaches other nodes' internal API. Addresses are cluster (raft) addresses; HTTP must dial
// them through federation/transport (transport.Dialer.HTTPClient), which adds the TLS and the
// connection-kind byte, so URLs stay "http://host:port".
type Client struct {
	HTTP  *http.Client
	proxy *httputil.ReverseProxy
}

// NewClient wraps an HTTP client that dials cluster ports.
func NewClient(hc *http.Client) *Client {
	c := &Client{HTTP: hc}
	c.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			addr := r.In.Context().Value(proxyTarget{}).(string)
			r.SetURL(&url.URL{Scheme: "http", Host: addr})
			r.Out.Host = r.In.Host
			r.Out.Header.Set(HeaderForwarded, r.In.Context().Value(proxyFrom{}).(string))
		},
		Transport: hc.Transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			body, _ := json.Marshal(map[string]string{"code": "LEADER_UNREACHABLE",
				"message": "this node could not reach the leader to forward the request; retry: " + err.Error()})
			_, _ = w.Write(body)
		},
	}
	return c
}

type proxyTarget struct{}
type proxyFrom struct{}

// Proxy forwards r to the node at addr (the leader), marking it as forwarded by node id, and
// copies the answer to w. The answering node's X-Sealhub-* headers replace the local ones.
func (c *Client) Proxy(w http.ResponseWriter, r *http.Request, addr, from string) {
	for k := range w.Header() {
		if strings.HasPrefix(k, "X-Sealhub-") {
			w.Header().Del(k)
		}
	}
	ctx := context.WithValue(context.WithValue(r.Context(), proxyTarget{}, addr), proxyFrom{}, from)
	c.proxy.ServeHTTP(w, r.WithContext(ctx))
}

func (c *Client) api(addr string) *client.Client {
	a := client.New("http://" + addr)
	a.HTTP = c.HTTP
	a.Retries = 0
	return a
}

func (c *Client) get(ctx context.Context, addr, path string, out any, from string) error {
	hdr := http.Header{}
	if from != "" {
		hdr.Set(HeaderForwarded, from)
	}
	return c.api(addr).Do(ctx, http.MethodGet, path, nil, hdr, out)
}

// Stats asks the node at addr for its raft progress.
func (c *Client) Stats(ctx context.Context, addr string) (federation.ServerStats, error) {
	var st federation.ServerStats
	err := c.get(ctx, addr, PathStats, &st, "")
	return st, err
}

// Identity asks the node at addr for its ID and receipt key.
func (c *Client) Identity(ctx context.Context, addr string) (Identity, error) {
	var id Identity
	err := c.get(ctx, addr, PathIdentity, &id, "")
	return id, err
}

// Join asks the cluster at addr (any member: it forwards to the leader) to add node id at raftAddr.
func (c *Client) Join(ctx context.Context, addr, id, raftAddr string) (JoinResponse, error) {
	body, _ := json.Marshal(JoinRequest{ID: id, Address: raftAddr})
	var out JoinResponse
	err := c.api(addr).Do(ctx, http.MethodPost, PathJoin, body, nil, &out)
	return out, err
}

// Remove asks the cluster at addr to remove node id.
func (c *Client) Remove(ctx context.Context, addr, id string) error {
	body, _ := json.Marshal(IDRequest{ID: id})
	return c.api(addr).Do(ctx, http.MethodPost, PathRemove, body, nil, nil)
}

// TransferLeadership asks the leader (through addr) to hand over to id, or to the best voter.
func (c *Client) TransferLeadership(ctx context.Context, addr, id string) (newLeader string, err error) {
	var body []byte
	if id != "" {
		body, _ = json.Marshal(IDRequest{ID: id})
	}
	var out struct {
		Leader string `json:"leader"`
	}
	err = c.api(addr).Do(ctx, http.MethodPost, PathTransfer, body, nil, &out)
	return out.Leader, err
}

// ReadIndex asks the leader at addr for a read index.
func (c *Client) ReadIndex(ctx context.Context, addr, from string) (uint64, error) {
	var out ReadIndexResponse
	err := c.get(ctx, addr, PathReadIndex, &out, from)
	return out.Index, err
}

// Cluster asks the node at addr for the cluster status (the leader's view when it can be had).
func (c *Client) Cluster(ctx context.Context, addr string) (*ClusterStatus, error) {
	var out ClusterStatus
	err := c.get(ctx, addr, PathCluster, &out, "")
	return &out, err
}

// SnapshotInfo describes a saved snapshot.
type SnapshotInfo struct {
	Index  uint64 `json:"index"`
	Digest string `json:"digest"`
	Seals  int    `json:"seals"`
	Bytes  int64  `json:"bytes"`
}

// SaveSnapshot streams the trust list of the node at addr into w.
func (c *Client) SaveSnapshot(ctx context.Context, addr string, w io.Writer) (SnapshotInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+PathSnapshot, nil)
	if err != nil {
		return SnapshotInfo{}, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("snapshot from %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return SnapshotInfo{}, answerError(resp)
	}
	var info SnapshotInfo
	info.Index, _ = strconv.ParseUint(resp.Header.Get("X-Sealhub-Index"), 10, 64)
	info.Digest = resp.Header.Get("X-Sealhub-Digest")
	info.Seals, _ = strconv.Atoi(resp.Header.Get("X-Sealhub-Seals"))
	if info.Bytes, err = io.Copy(w, resp.Body); err != nil {
		return info, fmt.Errorf("snapshot from %s: %w", addr, err)
	}
	return info, nil
}

// RestoreSnapshot uploads a snapshot to the cluster at addr (forwarded to the leader).
func (c *Client) RestoreSnapshot(ctx context.Context, addr string, r io.Reader, size int64, force bool) (SnapshotInfo, error) {
	u := "http://" + addr + PathSnapshot
	if force {
		u += "?force=true"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, r)
	if err != nil {
		return SnapshotInfo{}, err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	hc := *c.HTTP
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("restore through %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return SnapshotInfo{}, answerError(resp)
	}
	var info SnapshotInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return info, fmt.Errorf("restore: reading the answer: %w", err)
	}
	info.Bytes = size
	return info, nil
}

func answerError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &client.Error{Status: resp.StatusCode}
	if json.Unmarshal(bytes.TrimSpace(data), e) != nil || e.Code == "" {
		e.Code, e.Message = "HTTP_"+strconv.Itoa(resp.StatusCode), strings.TrimSpace(string(data))
	}
	return e
}

// JoinTimeout bounds one join attempt.
const JoinTimeout = 10 * time.Second
