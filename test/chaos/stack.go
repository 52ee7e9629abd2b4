package chaos

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// The compose deployment the test runs (deploy/compose): three hubs, the simulated regions, and
// one-shot services that make the secrets and seed the demo data.
const (
	ComposeFile = "deploy/compose/docker-compose.yml"
	BuildScript = "deploy/docker/build"
	APINetwork  = "api"     // the HTTP API and the regions
	ClusterNet  = "cluster" // raft and the internal RPC only: a partition takes a node off it
	NodeCount   = 3
	BuildTime   = 15 * time.Minute // a cold build of the binaries and images
)

// Stack is one compose project: its containers and the files copied out of them into Dir.
type Stack struct {
	D     *Docker
	Nodes *Nodes
	Dir   string // tls/ (the cluster CA and operator certificate), admin.key, seals/
	Logf  func(format string, args ...any)
}

// NewStack describes a compose project of the repository at root; nothing runs yet. The hubs'
// published ports are random ones, so the project does not clash with a cluster a developer runs.
func NewStack(root, project, dir string, logf func(string, ...any)) *Stack {
	d := &Docker{Project: project, File: filepath.Join(root, ComposeFile), Dir: root,
		Env: []string{"SEALHUB_HUB1_PORT=", "SEALHUB_HUB2_PORT=", "SEALHUB_HUB3_PORT="}}
	ns := &Nodes{APINet: d.Network(APINetwork), ClusterNet: d.Network(ClusterNet)}
	for i := 1; i <= NodeCount; i++ {
		name := fmt.Sprintf("hub-%d", i)
		ns.List = append(ns.List, &Node{Name: name, Container: d.Container(name), Aliases: []string{name, name + ".cluster"}})
	}
	return &Stack{D: d, Nodes: ns, Dir: dir, Logf: logf}
}

// Build builds the binaries and images (quick when nothing changed).
func (s *Stack) Build(ctx context.Context) error {
	_, err := s.D.Run(ctx, BuildTime, "bash", filepath.Join(s.D.Dir, BuildScript))
	return err
}

// Up starts the project in the background.
func (s *Stack) Up(ctx context.Context) error {
	_, err := s.D.Run(ctx, 5*time.Minute, "docker-compose", "-p", s.D.Project, "-f", s.D.File, "up", "-d")
	return err
}

// Down removes the project, its volumes and networks.
func (s *Stack) Down(ctx context.Context) error {
	_, err := s.D.Run(ctx, 3*time.Minute, "docker-compose", "-p", s.D.Project, "-f", s.D.File, "down", "-v", "--remove-orphans", "-t", "5")
	return err
}

// WaitReady waits until the demo data is seeded (the setup service exited 0) and every hub answers
// /readyz, and reads the hubs' addresses.
func (s *Stack) WaitReady(ctx context.Context, hc *http.Client) error {
	if err := s.D.WaitExited(ctx, s.D.Container("setup")); err != nil {
		return err
	}
	for _, n := range s.Nodes.List {
		err := poll(ctx, n.Name+" to be ready", func(ctx context.Context) error {
			if err := s.Nodes.Refresh(ctx, s.D, n); err != nil {
				return err
			}
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(rctx, http.MethodGet, n.URL()+"/readyz", nil)
			if err != nil {
				return err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s/readyz answered %d", n.URL(), resp.StatusCode)
			}
			if n.ClusterAddr() == "" {
				return fmt.Errorf("%s is not on %s", n.Container, s.Nodes.ClusterNet)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// CopyFiles copies the operator's TLS files, the administrator's key and the demo seals out of the
// one-shot containers.
func (s *Stack) CopyFiles(ctx context.Context) error {
	for _, c := range []struct{ service, path, dst string }{
		{"tls", "/secrets/tls", "tls"},
		{"keys", "/secrets/admin.key", "admin.key"},
		{"setup", "/demo/seals", "seals"},
	} {
		if err := s.D.CopyFrom(ctx, s.D.Container(c.service), c.path, filepath.Join(s.Dir, c.dst)); err != nil {
			return err
		}
	}
	return nil
}

// TLSFiles are the cluster CA and the operator's certificate and key, once copied.
func (s *Stack) TLSFiles() (ca, cert, key string) {
	d := filepath.Join(s.Dir, "tls")
	return filepath.Join(d, "ca.crt"), filepath.Join(d, "operator.crt"), filepath.Join(d, "operator.key")
}

// AdminKey reads the administrator's key, once copied.
func (s *Stack) AdminKey() (*sm2.PrivateKey, error) {
	data, err := os.ReadFile(filepath.Join(s.Dir, "admin.key"))
	if err != nil {
		return nil, err
	}
	return smcrypto.ParsePrivateKeyPEM(data)
}

// SaveLogs writes each container's log into dir (for a failed run).
func (s *Stack) SaveLogs(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out, err := s.D.Compose(ctx, "ps", "--services")
	if err != nil {
		return err
	}
	for _, svc := range splitLines(out) {
		logs, err := s.D.Logs(ctx, s.D.Container(svc))
		if err != nil {
			logs = append(logs, "\n"+err.Error()...)
		}
		if err := os.WriteFile(filepath.Join(dir, svc+".log"), logs, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// NewWriters makes n registries (chaos1…chaosN), each with its own key.
func NewWriters(n int) ([]*Writer, error) {
	out := make([]*Writer, n)
	for i := range out {
		k, err := smcrypto.GenerateKey()
		if err != nil {
			return nil, err
		}
		out[i] = &Writer{Registry: fmt.Sprintf("chaos%d", i+1), Key: k}
	}
	return out, nil
}

// CreateRegistries creates the writers' registries with one administrator push through the node
// at url: department registries with jurisdiction "*" (any seal code) and the writer's key.
func CreateRegistries(ctx context.Context, hc *http.Client, url string, admin *sm2.PrivateKey, writers []*Writer) error {
	ops := make([]trustlist.Op, 0, len(writers))
	for _, w := range writers {
		pub, err := smcrypto.MarshalPublicKeyPEM(&w.Key.PublicKey)
		if err != nil {
			return err
		}
		ops = append(ops, trustlist.Op{Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{
			ID: w.Registry, Name: "混沌测试登记机关 " + w.Registry, Kind: trustlist.KindDepartment,
			Jurisdiction: []string{"*"}, Keys: []trustlist.KeySpec{{PublicKey: string(pub)}},
		}})
	}
	c := client.New(url)
	c.HTTP = hc
	if _, err := c.Push(ctx, client.Signer{Registry: trustlist.AdminID, Key: admin}, ops); err != nil {
		return fmt.Errorf("creating the chaos registries: %w", err)
	}
	return nil
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
