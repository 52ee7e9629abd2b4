package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// node is one `sealhub server` process. It can be killed and started again with the same
// arguments, data directory and ports; its stdout and stderr are appended to files in logDir,
// each start marked by a header line.
type node struct {
	id       string
	raftAddr string
	httpAddr string
	bin      string
	args     []string // of `sealhub server`, the same at every start
	logDir   string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed once the current process has exited
	state  *os.ProcessState
	starts int
}

func (n *node) url() string        { return "http://" + n.httpAddr }
func (n *node) stdoutPath() string { return filepath.Join(n.logDir, n.id+".stdout.log") }
func (n *node) stderrPath() string { return filepath.Join(n.logDir, n.id+".stderr.log") }

// start runs the server process; it does not wait for it to serve (see cluster.waitReady).
func (n *node) start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil && !isClosed(n.exited) {
		return fmt.Errorf("node %s: already running (pid %d)", n.id, n.cmd.Process.Pid)
	}
	n.starts++
	stdout, err := openLog(n.stdoutPath(), n.starts)
	if err != nil {
		return err
	}
	defer stdout.Close() // the child has its own descriptor
	stderr, err := openLog(n.stderrPath(), n.starts)
	if err != nil {
		return err
	}
	defer stderr.Close()
	cmd := exec.Command(n.bin, append([]string{"server"}, n.args...)...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("node %s: %w", n.id, err)
	}
	exited := make(chan struct{})
	n.cmd, n.exited, n.state = cmd, exited, nil
	go func() {
		_ = cmd.Wait() // the exit status is in ProcessState
		n.mu.Lock()
		n.state = cmd.ProcessState
		n.mu.Unlock()
		close(exited)
	}()
	return nil
}

// openLog opens a capture file for appending and writes the header of start number start.
func openLog(path string, start int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(f, "=== start %d at %s ===\n", start, time.Now().Format(time.RFC3339Nano))
	return f, nil
}

// running reports whether the current process is alive (started and not yet reaped).
func (n *node) running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil && !isClosed(n.exited)
}

// kill sends SIGKILL (no leadership hand-over, nothing flushed) and waits for the process to go.
func (n *node) kill(timeout time.Duration) error {
	_, err := n.signal(syscall.SIGKILL, timeout)
	return err
}

// terminate sends SIGTERM and waits up to timeout for the process to exit; it returns the exit
// code (-1 when killed by a signal).
func (n *node) terminate(timeout time.Duration) (int, error) {
	return n.signal(syscall.SIGTERM, timeout)
}

func (n *node) signal(sig os.Signal, timeout time.Duration) (int, error) {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil {
		return 0, fmt.Errorf("node %s: never started", n.id)
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return 0, fmt.Errorf("node %s: %v: %w", n.id, sig, err)
	}
	select {
	case <-exited:
	case <-time.After(timeout):
		return 0, fmt.Errorf("node %s: still running %s after %v", n.id, timeout, sig)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.state.ExitCode(), nil
}

// servingLines counts the "serving the API" lines on stdout: one per start that reached serving.
func (n *node) servingLines() (int, error) {
	data, err := os.ReadFile(n.stdoutPath())
	if err != nil {
		return 0, err
	}
	line := fmt.Sprintf("sealhub: node %s serving the API at %s (cluster port %s)\n", n.id, n.url(), n.raftAddr)
	return bytes.Count(data, []byte(line)), nil
}

// logs is the node's stdout and the last lines of its stderr, for a failure report.
func (n *node) logs(lines int) string {
	var b strings.Builder
	for _, p := range []string{n.stdoutPath(), n.stderrPath()} {
		data, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintf(&b, "--- %s: %v\n", p, err)
			continue
		}
		all := strings.SplitAfter(string(data), "\n")
		if len(all) > lines {
			fmt.Fprintf(&b, "--- %s (last %d of %d lines)\n", filepath.Base(p), lines, len(all))
			all = all[len(all)-lines:]
		} else {
			fmt.Fprintf(&b, "--- %s\n", filepath.Base(p))
		}
		b.WriteString(strings.Join(all, ""))
	}
	return b.String()
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Ports are picked below the kernel's ephemeral range (Linux: 32768–60999, macOS: 49152–65535), as
// consul's freeport does: an outgoing connection of this test or another can then never take
// the port of a killed node before it is restarted on it.
const portLow, portHigh = 20000, 32000

// freeAddrs returns n distinct loopback addresses whose ports were free a moment ago: all are
// held open together, then released.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	for tries := 0; len(addrs) < n; tries++ {
		if tries > 1000 {
			return nil, fmt.Errorf("no free port found in %d–%d", portLow, portHigh)
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", portLow+rand.IntN(portHigh-portLow)))
		if err != nil {
			continue // taken
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}
