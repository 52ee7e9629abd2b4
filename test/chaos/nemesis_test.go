package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDocker records the commands and keeps each container's state as docker would.
type fakeDocker struct {
	mu    sync.Mutex
	calls []string
	state map[string]*ContainerState
}

func newFakeDocker(ns *Nodes) *fakeDocker {
	f := &fakeDocker{state: map[string]*ContainerState{}}
	for i, n := range ns.List {
		f.state[n.Container] = &ContainerState{Status: "running", Running: true, IPs: map[string]string{
			ns.APINet: fmt.Sprintf("10.1.0.%d", i+2), ns.ClusterNet: fmt.Sprintf("10.2.0.%d", i+2)}}
	}
	return f
}

func (f *fakeDocker) do(call string, c string, change func(*ContainerState)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call+" "+c)
	change(f.state[c])
	return nil
}

func (f *fakeDocker) Inspect(_ context.Context, c string) (ContainerState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := *f.state[c]
	st.IPs = map[string]string{}
	for k, v := range f.state[c].IPs {
		st.IPs[k] = v
	}
	return st, nil
}

func (f *fakeDocker) Kill(_ context.Context, c string) error {
	return f.do("kill", c, func(s *ContainerState) { s.Running, s.Status = false, "exited" })
}
func (f *fakeDocker) Start(_ context.Context, c string) error {
	return f.do("start", c, func(s *ContainerState) { s.Running, s.Status = true, "running" })
}
func (f *fakeDocker) Pause(_ context.Context, c string) error {
	return f.do("pause", c, func(s *ContainerState) { s.Paused, s.Status = true, "paused" })
}
func (f *fakeDocker) Unpause(_ context.Context, c string) error {
	return f.do("unpause", c, func(s *ContainerState) { s.Paused, s.Status = false, "running" })
}
func (f *fakeDocker) Restart(_ context.Context, c string) error {
	return f.do("restart", c, func(s *ContainerState) { s.Running, s.Status = true, "running" })
}
func (f *fakeDocker) Disconnect(_ context.Context, network, c string) error {
	return f.do("disconnect", c, func(s *ContainerState) { delete(s.IPs, network) })
}
func (f *fakeDocker) Connect(_ context.Context, network, c string, aliases ...string) error {
	return f.do("connect "+strings.Join(aliases, ","), c, func(s *ContainerState) { s.IPs[network] = "10.2.9.9" })
}

var _ Injector = (*fakeDocker)(nil)

func testNodes() *Nodes {
	ns := &Nodes{APINet: "p_api", ClusterNet: "p_cluster"}
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("hub-%d", i)
		ns.List = append(ns.List, &Node{Name: name, Container: fmt.Sprintf("p_%s_1", name), Aliases: []string{name, name + ".cluster"}})
	}
	return ns
}

// runNemesis runs a nemesis on the fake for events events and returns it.
func runNemesis(t *testing.T, seed uint64, events int) (*Nemesis, *fakeDocker) {
	t.Helper()
	ns := testNodes()
	fd := newFakeDocker(ns)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sleeps := 0
	var clock time.Duration
	m := &Nemesis{Inj: fd, Nodes: ns, Rand: rand.New(rand.NewPCG(seed, 1)), Timing: DefaultTiming,
		Clock: func() time.Duration { return clock }, Logf: t.Logf,
		Sleep: func(ctx context.Context, d time.Duration) bool {
			clock += d
			if sleeps++; sleeps > 2*events { // a quiet gap and a hold per event
				cancel()
				return false
			}
			return true
		}}
	m.Run(ctx)
	return m, fd
}

func TestNemesisHealsEveryFault(t *testing.T) {
	m, fd := runNemesis(t, 7, 60)
	faults := m.Faults()
	kinds := map[string]int{}
	doubles := 0
	for i, f := range faults {
		kinds[f.Kind]++
		if f.Err != "" {
			t.Errorf("fault %+v failed", f)
		}
		if i > 0 && faults[i-1].Event == f.Event {
			doubles++
			if faults[i-1].Node == f.Node {
				t.Errorf("event %d hits %s twice", f.Event, f.Node)
			}
		}
		if f.Held < DefaultTiming.FaultMin || f.Held > DefaultTiming.FaultMax {
			t.Errorf("fault %+v held outside the timing", f)
		}
	}
	for _, k := range FaultKinds {
		if kinds[k] == 0 {
			t.Errorf("no %s fault in 60 events: %v", k, kinds)
		}
	}
	if doubles == 0 || doubles > 30 {
		t.Errorf("%d double faults in 60 events", doubles)
	}
	for _, n := range m.Nodes.List {
		st, _ := fd.Inspect(context.Background(), n.Container)
		if !st.Running || st.Paused || st.IPs[m.Nodes.ClusterNet] == "" || n.Down() || n.Partitioned() {
			t.Errorf("%s not healed: %+v, down %v, partitioned %v", n.Name, st, n.Down(), n.Partitioned())
		}
	}
	if !slices.ContainsFunc(fd.calls, func(c string) bool {
		return strings.HasPrefix(c, "connect hub-") && strings.Contains(c, ".cluster p_hub-")
	}) {
		t.Errorf("no partition healed under the node's name: %v", fd.calls)
	}
}

func TestNemesisIsSeeded(t *testing.T) {
	a, _ := runNemesis(t, 42, 20)
	b, _ := runNemesis(t, 42, 20)
	c, _ := runNemesis(t, 43, 20)
	key := func(fs []Fault) string {
		s := ""
		for _, f := range fs {
			s += fmt.Sprintf("%d %s %s %s;", f.Event, f.Kind, f.Node, f.At)
		}
		return s
	}
	if key(a.Faults()) != key(b.Faults()) {
		t.Error("the same seed gave different schedules")
	}
	if key(a.Faults()) == key(c.Faults()) {
		t.Error("different seeds gave the same schedule")
	}
}

func TestHealAll(t *testing.T) {
	ns := testNodes()
	fd := newFakeDocker(ns)
	ctx := context.Background()
	_ = fd.Kill(ctx, ns.List[0].Container)
	_ = fd.Pause(ctx, ns.List[1].Container)
	_ = fd.Disconnect(ctx, ns.ClusterNet, ns.List[2].Container)
	ns.List[2].setPartitioned(true)
	if err := HealAll(ctx, fd, ns); err != nil {
		t.Fatal(err)
	}
	for _, n := range ns.List {
		st, _ := fd.Inspect(ctx, n.Container)
		if !st.Running || st.Paused || st.IPs[ns.ClusterNet] == "" || n.Partitioned() || n.URL() == "" || n.ClusterAddr() == "" {
			t.Errorf("%s not healed: %+v", n.Name, st)
		}
	}
}

func TestPick(t *testing.T) {
	ns := testNodes()
	r := rand.New(rand.NewPCG(1, 2))
	ns.List[0].setDown(true)
	for range 100 {
		if n := ns.Pick(r, ns.List[1]); n != ns.List[2] {
			t.Fatalf("picked %s; only hub-3 is up and not excluded", n.Name)
		}
	}
	for _, n := range ns.List {
		n.setDown(true)
	}
	if n := ns.Pick(r, ns.List[0]); n == ns.List[0] {
		t.Fatal("picked the excluded node")
	}
}
