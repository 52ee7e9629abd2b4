package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Fault kinds.
const (
	FaultKill      = "kill"      // docker kill -s KILL, later docker start: a crash, no flush, no hand-over
	FaultPause     = "pause"     // docker pause / unpause: the node freezes, connections hang, clocks jump
	FaultPartition = "partition" // docker network disconnect / connect on the cluster network
	FaultRestart   = "restart"   // docker restart -t 10: SIGTERM (leadership hand-over), then start
)

// FaultKinds are the kinds the nemesis picks from, uniformly.
var FaultKinds = []string{FaultKill, FaultPause, FaultPartition, FaultRestart}

// Injector carries out faults on containers (Docker; a fake in tests).
type Injector interface {
	Inspector
	Kill(ctx context.Context, c string) error
	Start(ctx context.Context, c string) error
	Pause(ctx context.Context, c string) error
	Unpause(ctx context.Context, c string) error
	Restart(ctx context.Context, c string) error
	Disconnect(ctx context.Context, network, c string) error
	Connect(ctx context.Context, network, c string, aliases ...string) error
}

// Timing shapes the nemesis's schedule.
type Timing struct {
	QuietMin, QuietMax time.Duration // between one fault's heal and the next fault
	FaultMin, FaultMax time.Duration // how long a fault is held
	Double             float64       // chance that a fault hits two nodes at once (quorum lost)
}

// DefaultTiming: a fault every few seconds, held 2–10 s, one in five on two nodes.
var DefaultTiming = Timing{QuietMin: 2 * time.Second, QuietMax: 6 * time.Second,
	FaultMin: 2 * time.Second, FaultMax: 10 * time.Second, Double: 0.2}

// Fault is one fault on one node, as injected and healed.
type Fault struct {
	Event int    // faults of one event were injected together
	Kind  string // FaultKill …
	Node  string
	At    time.Duration // injected, from the start of the run
	Held  time.Duration // until it was healed
	Err   string        // what failed in injecting or healing it
	Note  string        // restart: how long docker restart took and how the process stopped
	// OnLeader: the node was the leader as the workload last heard (X-Sealhub-Leader).
	OnLeader bool

	restarted chan restarted // restart: the docker restart running meanwhile
}

// restarted is the end of a docker restart.
type restarted struct {
	err   error
	took  time.Duration
	since time.Time
}

// exitReporter tells how a container's processes ended (Docker.Exits), for the restart notes.
type exitReporter interface {
	Exits(ctx context.Context, c string, since time.Time) ([]int, error)
}

// Nemesis injects faults at random (from its seed) until its context ends, then heals the fault
// under way. Each fault is logged when injected and when healed.
type Nemesis struct {
	Inj    Injector
	Nodes  *Nodes
	Rand   *rand.Rand
	Timing Timing
	Clock  func() time.Duration // the run's clock
	Leader func() string        // the leader's name as last heard (nil: not known)
	Logf   func(format string, args ...any)
	Sleep  func(ctx context.Context, d time.Duration) bool // nil: a timer; false when ctx ended

	mu     sync.Mutex
	faults []Fault
	now    string // the fault under way, for progress lines
}

// HealTimeout bounds healing one fault (a start, an unpause, a connect), context or not.
const HealTimeout = 2 * time.Minute

// Run injects faults until ctx ends; it returns once the last one is healed.
func (m *Nemesis) Run(ctx context.Context) {
	if m.Sleep == nil {
		m.Sleep = sleepCtx
	}
	for event := 1; ; event++ {
		if !m.Sleep(ctx, m.between(m.Timing.QuietMin, m.Timing.QuietMax)) {
			return
		}
		targets := m.pick()
		hold := m.between(m.Timing.FaultMin, m.Timing.FaultMax)
		current := make([]Fault, 0, len(targets))
		for _, n := range targets {
			kind := FaultKinds[m.Rand.IntN(len(FaultKinds))]
			current = append(current, m.inject(ctx, event, kind, n))
		}
		m.setNow(fmt.Sprintf("event %d: %s", event, describeFaults(current)))
		m.Sleep(ctx, hold)
		for i := range current {
			m.heal(&current[i])
		}
		m.setNow("")
	}
}

// pick chooses one node, or two (Timing.Double), at random.
func (m *Nemesis) pick() []*Node {
	order := m.Rand.Perm(len(m.Nodes.List))
	k := 1
	if m.Rand.Float64() < m.Timing.Double && len(order) > 2 {
		k = 2
	}
	out := make([]*Node, k)
	for i := range out {
		out[i] = m.Nodes.List[order[i]]
	}
	return out
}

func (m *Nemesis) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(m.Rand.Int64N(int64(hi-lo)))
}

func (m *Nemesis) inject(ctx context.Context, event int, kind string, n *Node) Fault {
	ctx = context.WithoutCancel(ctx) // a docker command cut short would leave the fault half made
	f := Fault{Event: event, Kind: kind, Node: n.Name, At: m.Clock(), OnLeader: m.Leader != nil && m.Leader() == n.Name}
	var err error
	switch kind {
	case FaultKill:
		n.setDown(true)
		err = m.Inj.Kill(ctx, n.Container)
	case FaultPause:
		n.setDown(true)
		err = m.Inj.Pause(ctx, n.Container)
	case FaultPartition:
		err = m.Inj.Disconnect(ctx, m.Nodes.ClusterNet, n.Container)
		n.setPartitioned(err == nil)
	case FaultRestart:
		// docker restart waits for the stop and the start: it runs while the fault is held, so that
		// a restart lasts no longer than the other faults, and the heal waits for it.
		n.setDown(true)
		f.restarted = make(chan restarted, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), HealTimeout)
			defer cancel()
			began := time.Now()
			err := m.Inj.Restart(ctx, n.Container)
			f.restarted <- restarted{err: err, took: time.Since(began), since: began}
		}()
	}
	if err != nil {
		f.Err = "inject: " + err.Error()
	}
	m.Logf("nemesis %s: %s %s%s%s", fmtOffset(f.At), kind, n.Name, leaderMark(f.OnLeader), errSuffix(err))
	return f
}

// heal undoes f, whatever the run's context says, and re-reads the node's addresses.
func (m *Nemesis) heal(f *Fault) {
	ctx, cancel := context.WithTimeout(context.Background(), HealTimeout)
	defer cancel()
	n := m.node(f.Node)
	var err error
	switch f.Kind {
	case FaultKill:
		err = m.Inj.Start(ctx, n.Container)
	case FaultRestart:
		r := <-f.restarted
		f.Note = m.restartNote(ctx, n, r)
		if err = r.err; err == nil {
			err = m.Inj.Start(ctx, n.Container) // a no-op: it runs again
		}
	case FaultPause:
		err = m.Inj.Unpause(ctx, n.Container)
	case FaultPartition:
		n.setPartitioned(false)
		err = m.Inj.Connect(ctx, m.Nodes.ClusterNet, n.Container, n.Aliases...)
	}
	if err == nil {
		err = m.Nodes.Refresh(ctx, m.Inj, n)
	}
	n.setDown(false)
	n.setPartitioned(false)
	f.Held = m.Clock() - f.At
	if err != nil {
		f.Err = joinErr(f.Err, "heal: "+err.Error())
	}
	m.Logf("nemesis %s: healed %s %s after %s%s", fmtOffset(m.Clock()), f.Kind, f.Node, f.Held.Round(time.Millisecond), errSuffix(err))
	m.mu.Lock()
	m.faults = append(m.faults, *f)
	m.mu.Unlock()
}

// restartNote says how long a restart took and how the process stopped: docker restart -t 10 sends
// SIGKILL when the node has not stopped 10 s after SIGTERM (exit code 137).
func (m *Nemesis) restartNote(ctx context.Context, n *Node, r restarted) string {
	note := fmt.Sprintf("docker restart took %s", r.took.Round(100*time.Millisecond))
	er, ok := m.Inj.(exitReporter)
	if !ok || r.err != nil {
		return note
	}
	codes, err := er.Exits(ctx, n.Container, r.since)
	switch {
	case err != nil:
		return note + "; exit code unknown: " + err.Error()
	case slices.Contains(codes, 137):
		return note + "; not stopped 10 s after SIGTERM: killed (exit 137)"
	case len(codes) > 0:
		return note + fmt.Sprintf("; stopped on SIGTERM (exit %d)", codes[len(codes)-1])
	}
	return note
}

func (m *Nemesis) node(name string) *Node {
	for _, n := range m.Nodes.List {
		if n.Name == name {
			return n
		}
	}
	panic("chaos: no node " + name)
}

// Faults are the faults injected and healed so far.
func (m *Nemesis) Faults() []Fault {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Fault(nil), m.faults...)
}

// Now describes the fault under way ("" between faults).
func (m *Nemesis) Now() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

func (m *Nemesis) setNow(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = s
}

// HealAll brings every node back whatever state it is in: unpaused, started, on the cluster
// network under its name; then it re-reads the addresses. It is what the run does at its end,
// after the nemesis stopped, in case a heal failed.
func HealAll(ctx context.Context, inj Injector, ns *Nodes) error {
	var errs []error
	for _, n := range ns.List {
		st, err := inj.Inspect(ctx, n.Container)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if st.Paused {
			errs = append(errs, inj.Unpause(ctx, n.Container))
		}
		if !st.Running {
			errs = append(errs, inj.Start(ctx, n.Container))
		}
		if _, ok := st.IPs[ns.ClusterNet]; !ok {
			errs = append(errs, inj.Connect(ctx, ns.ClusterNet, n.Container, n.Aliases...))
		}
		errs = append(errs, ns.Refresh(ctx, inj, n))
		n.setDown(false)
		n.setPartitioned(false)
	}
	return errors.Join(errs...)
}

func describeFaults(fs []Fault) string {
	s := ""
	for i, f := range fs {
		if i > 0 {
			s += " + "
		}
		s += f.Kind + " " + f.Node
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func fmtOffset(d time.Duration) string {
	d = d.Round(100 * time.Millisecond)
	return fmt.Sprintf("+%02d:%04.1f", int(d.Minutes()), (d % time.Minute).Seconds())
}

func leaderMark(on bool) string {
	if on {
		return " (the leader)"
	}
	return ""
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " (error: " + err.Error() + ")"
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
