package chaos

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

var (
	flagDuration = flag.Duration("chaos.duration", 3*time.Minute, "how long the workload and the nemesis run (start-up and checks come on top)")
	flagSeed     = flag.Uint64("chaos.seed", 0, "seed of the nemesis and the workload (0: from the clock; the report prints it)")
	flagReport   = flag.String("chaos.report", "", "also write the report to this file (a failed run leaves its container logs and history beside it)")
	flagKeep     = flag.Bool("chaos.keep", false, "leave the compose project running at the end (remove it with docker-compose -p PROJECT down -v)")
	flagWriters  = flag.Int("chaos.writers", 4, "registries, one writer each")
	flagReaders  = flag.Int("chaos.readers", 4, "linearizable readers")
	flagCheck    = flag.Duration("chaos.check-timeout", 3*time.Minute, "bound on the linearizability check (it fails as Unknown past it)")
	flagReads    = flag.String("chaos.read-consistency", "linearizable", "the readers' consistency; stale shows the checker catching stale reads (the run must fail)")
)

// Phases' bounds: failure deadlines, not pauses.
const (
	startTimeout    = 5 * time.Minute  // compose up until every hub is ready
	setupTimeout    = 2 * time.Minute  // registries and verification baselines
	giveUpAfter     = 90 * time.Second // once healed, how long a writer may still deliver its last push
	convergeTimeout = 3 * time.Minute
	progressEvery   = 15 * time.Second
)

func TestChaos(t *testing.T) {
	if os.Getenv("SEALHUB_CHAOS") != "1" {
		t.Skip("the chaos test runs the docker-compose cluster and takes minutes: set SEALHUB_CHAOS=1 to run it (see doc.go)")
	}
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		t.Skipf("docker is not usable here (docker info: %v): %s", err, tail(string(out), 300))
	}
	began := time.Now()
	seed := *flagSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano() % 1_000_000_000)
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	project := fmt.Sprintf("sealhub-chaos-%d", os.Getpid())
	s := NewStack(root, project, t.TempDir(), t.Logf)
	hc := NewHTTPClient()
	ctx := context.Background()

	t.Logf("seed %d, project %s: building the images", seed, project)
	if err := s.Build(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if *flagKeep {
			t.Logf("left running (-chaos.keep): docker-compose -p %s -f %s down -v", project, s.D.File)
			return
		}
		if err := s.Down(context.Background()); err != nil {
			t.Errorf("compose down: %v", err)
		}
	})
	start(t, s)

	writers, err := NewWriters(*flagWriters)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := s.AdminKey()
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	if err := CreateRegistries(sctx, hc, s.Nodes.List[0].URL(), admin, writers); err != nil {
		t.Fatal(err)
	}
	seals, err := LoadSeals(filepath.Join(s.Dir, "seals"))
	if err != nil {
		t.Fatal(err)
	}
	w := &Workload{Nodes: s.Nodes, HTTP: hc, Writers: writers, Readers: *flagReaders, Seals: seals, Seed: seed,
		History: NewHistory(), Consistency: *flagReads}
	if err := w.Baseline(sctx, s.Nodes.List[0]); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d registries created; baseline verdicts of %d demo seals: %s", len(writers), len(seals), baselines(seals))

	rep := &Report{Seed: seed, Project: project, Planned: *flagDuration, Writers: len(writers), Readers: *flagReaders,
		Seals: len(seals), Counters: &w.Counters}
	nem := &Nemesis{Inj: s.D, Nodes: s.Nodes, Rand: rand.New(rand.NewPCG(seed, 0xc4a05)), Timing: DefaultTiming,
		Clock: w.History.Now, Leader: w.Leader, Logf: t.Logf}
	runChaos(t, s, w, nem)
	rep.Ran, rep.Pushes, rep.Faults, rep.Violations = w.History.Now(), w.History.Pushes(), nem.Faults(), w.Violations()

	op, err := NewOperator(s.TLSFiles())
	if err != nil {
		t.Fatal(err)
	}
	cctx, ccancel := context.WithTimeout(ctx, convergeTimeout)
	defer ccancel()
	if states, err := op.Converge(cctx, s.Nodes); err != nil {
		rep.ConvergeEr = err.Error()
	} else {
		rep.Final = CheckStates(states, rep.Pushes)
	}
	checkHistory(t, w.History, rep)
	rep.Total = time.Since(began)
	finish(t, s, rep)
}

// start brings the project up and copies the files the test needs out of it.
func start(t *testing.T, s *Stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := s.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReady(ctx, NewHTTPClient()); err != nil {
		t.Fatal(err)
	}
	if err := s.CopyFiles(ctx); err != nil {
		t.Fatal(err)
	}
	for _, n := range s.Nodes.List {
		t.Logf("%s: API %s, cluster port %s", n.Name, n.URL(), n.ClusterAddr())
	}
}

// runChaos runs the workload and the nemesis for -chaos.duration, heals every node, and lets each
// writer deliver its last push.
func runChaos(t *testing.T, s *Stack, w *Workload, nem *Nemesis) {
	stop, cancel := context.WithTimeout(context.Background(), *flagDuration)
	defer cancel()
	giveUp, giveUpNow := context.WithCancel(context.Background())
	defer giveUpNow()
	w.Start(stop, giveUp)
	nemDone := make(chan struct{})
	go func() {
		defer close(nemDone)
		nem.Run(stop)
	}()
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for stop.Err() == nil {
		select {
		case <-stop.Done():
		case <-tick.C:
			t.Log(progress(w, nem))
		}
	}
	<-nemDone
	hctx, hcancel := context.WithTimeout(context.Background(), HealTimeout)
	defer hcancel()
	if err := HealAll(hctx, s.D, s.Nodes); err != nil {
		t.Errorf("healing the nodes after the run: %v", err)
	}
	t.Logf("%s the nemesis stopped and every node is healed; writers deliver their last push (at most %s)", fmtOffset(w.History.Now()), giveUpAfter)
	timer := time.AfterFunc(giveUpAfter, giveUpNow)
	defer timer.Stop()
	w.Wait()
}

func progress(w *Workload, nem *Nemesis) string {
	c := &w.Counters
	now := nem.Now()
	if now == "" {
		now = "none"
	}
	return fmt.Sprintf("%s pushes acknowledged %d (attempts %d); linearizable reads answered %d, refused %d; verifications %d; faults %d; now: %s",
		fmtOffset(w.History.Now()), c.Get("push.acked"), c.Get("push.attempts"), c.Sum("read.ok."), c.Sum("read.refused."),
		c.Sum("verify."), len(nem.Faults()), now)
}

// checkHistory runs porcupine over the history and, unless it says Ok, writes the visualization.
func checkHistory(t *testing.T, h *History, rep *Report) {
	t.Helper()
	ops := h.Operations()
	began := time.Now()
	res, info := porcupine.CheckOperationsVerbose(Model(), ops, *flagCheck)
	rep.Checker, rep.CheckerTook, rep.Operations = res, time.Since(began), len(ops)
	if res == porcupine.Ok {
		return
	}
	path := artifact(rep, "history.html")
	if err := porcupine.VisualizePath(Model(), info, path); err != nil {
		t.Errorf("writing the visualization: %v", err)
		return
	}
	rep.Visualization = path
}

// finish prints and writes the report, keeps the containers' logs of a failed run, and fails the
// test for each reason.
func finish(t *testing.T, s *Stack, rep *Report) {
	t.Helper()
	text := rep.String()
	fmt.Print(text)
	if *flagReport != "" {
		if err := os.WriteFile(*flagReport, []byte(text), 0o644); err != nil {
			t.Errorf("writing the report: %v", err)
		}
	}
	fails := rep.Failures()
	if len(fails) == 0 {
		return
	}
	dir := artifact(rep, "logs")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.SaveLogs(ctx, dir); err != nil {
		t.Logf("saving the containers' logs: %v", err)
	} else {
		t.Logf("containers' logs: %s", dir)
	}
	for _, f := range fails {
		t.Error(f)
	}
}

// artifact is where a file of a failed run goes: beside the report, else in the temporary
// directory (kept after the test).
func artifact(rep *Report, name string) string {
	if *flagReport != "" {
		return strings.TrimSuffix(*flagReport, filepath.Ext(*flagReport)) + "-" + name
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("sealhub-chaos-%d-%s", rep.Seed, name))
}

func baselines(seals []*SealFile) string {
	m := map[string]int{}
	for _, s := range seals {
		m[string(s.Baseline)]++
	}
	return counts(m)
}

// repoRoot is the module's root: go test runs this package in test/chaos.
func repoRoot() (string, error) {
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "deploy", "compose", "docker-compose.yml")); err != nil {
		return "", fmt.Errorf("chaos: the module root: %w", err)
	}
	return dir, nil
}
