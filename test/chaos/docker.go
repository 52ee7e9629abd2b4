package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Docker runs the docker and docker-compose command lines (the Python docker-compose v1: containers
// are named <project>_<service>_1). Each command is bounded by its context and by CommandTimeout.
type Docker struct {
	Project string   // compose project, unique per run
	File    string   // the compose file
	Dir     string   // the repository root: commands run there
	Env     []string // extra environment of docker-compose (published ports)
}

// CommandTimeout bounds one docker command (pulling nothing, they are quick; a graceful restart
// waits up to its own stop timeout).
const CommandTimeout = 90 * time.Second

// Container is the name of service's container.
func (d *Docker) Container(service string) string { return d.Project + "_" + service + "_1" }

// Network is the full name of one of the compose file's networks.
func (d *Docker) Network(name string) string { return d.Project + "_" + name }

// Compose runs docker-compose -p PROJECT -f FILE args….
func (d *Docker) Compose(ctx context.Context, args ...string) (string, error) {
	return d.Run(ctx, CommandTimeout, "docker-compose", append([]string{"-p", d.Project, "-f", d.File}, args...)...)
}

// Cmd runs docker args….
func (d *Docker) Cmd(ctx context.Context, args ...string) (string, error) {
	return d.Run(ctx, CommandTimeout, "docker", args...)
}

// Run runs a command in the repository root, bounded by timeout, and returns its standard output;
// an error carries its standard error.
func (d *Docker) Run(ctx context.Context, timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = d.Dir
	cmd.Env = append(os.Environ(), d.Env...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, tail(stderr.String(), 3000))
	}
	return out.String(), nil
}

// tail is the end of s, at most n bytes of it.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// The faults, each one docker command on a container.

// Kill sends SIGKILL: the process dies at once, without a leadership hand-over or a flush.
func (d *Docker) Kill(ctx context.Context, c string) error {
	return d.cmd(ctx, "kill", "-s", "KILL", c)
}

// Start starts a stopped container (a no-op for a running one).
func (d *Docker) Start(ctx context.Context, c string) error { return d.cmd(ctx, "start", c) }

// Pause freezes every process of the container (cgroup freezer): connections stay open, nothing
// answers.
func (d *Docker) Pause(ctx context.Context, c string) error { return d.cmd(ctx, "pause", c) }

// Unpause thaws a paused container.
func (d *Docker) Unpause(ctx context.Context, c string) error { return d.cmd(ctx, "unpause", c) }

// Restart stops the container gracefully (SIGTERM, SIGKILL after 10 s) and starts it again.
func (d *Docker) Restart(ctx context.Context, c string) error {
	return d.cmd(ctx, "restart", "-t", "10", c)
}

// Exits are the exit codes of the container's processes that died between since and now
// (docker events "die"): 0 for a clean stop, 137 for SIGKILL.
func (d *Docker) Exits(ctx context.Context, c string, since time.Time) ([]int, error) {
	out, err := d.Cmd(ctx, "events", "--since", strconv.FormatInt(since.Unix()-1, 10), "--until", strconv.FormatInt(time.Now().Unix()+1, 10),
		"--filter", "container="+c, "--filter", "event=die", "--format", "{{.Actor.Attributes.exitCode}}")
	if err != nil {
		return nil, err
	}
	var codes []int
	for _, l := range strings.Fields(out) {
		n, err := strconv.Atoi(l)
		if err != nil {
			return nil, fmt.Errorf("docker events: exit code %q", l)
		}
		codes = append(codes, n)
	}
	return codes, nil
}

// Disconnect takes the container off a network: it keeps its other networks.
func (d *Docker) Disconnect(ctx context.Context, network, c string) error {
	return d.cmd(ctx, "network", "disconnect", network, c)
}

// Connect puts the container back on a network under the names compose gave it there, so that its
// peers resolve it by them again (a plain connect knows only the container's own name).
func (d *Docker) Connect(ctx context.Context, network, c string, aliases ...string) error {
	args := []string{"network", "connect"}
	for _, a := range aliases {
		args = append(args, "--alias", a)
	}
	return d.cmd(ctx, append(args, network, c)...)
}

func (d *Docker) cmd(ctx context.Context, args ...string) error {
	_, err := d.Cmd(ctx, args...)
	return err
}

// ContainerState is what Inspect reports of a container.
type ContainerState struct {
	Status   string            // created, running, paused, restarting, exited, dead
	Running  bool              // true also while paused
	Paused   bool              //
	ExitCode int               //
	Health   string            // the healthcheck's status, "" without one
	IPs      map[string]string // network name → IP address
}

// Inspect reads a container's state and addresses.
func (d *Docker) Inspect(ctx context.Context, c string) (ContainerState, error) {
	out, err := d.Cmd(ctx, "inspect", "--type", "container", "--format", "{{json .State}}\t{{json .NetworkSettings.Networks}}", c)
	if err != nil {
		return ContainerState{}, err
	}
	state, nets, ok := strings.Cut(strings.TrimSpace(out), "\t")
	if !ok {
		return ContainerState{}, fmt.Errorf("docker inspect %s: unexpected output %q", c, out)
	}
	var st struct {
		Status   string
		Running  bool
		Paused   bool
		ExitCode int
		Health   *struct{ Status string }
	}
	var networks map[string]struct{ IPAddress string }
	if err := json.Unmarshal([]byte(state), &st); err != nil {
		return ContainerState{}, fmt.Errorf("docker inspect %s: state: %w", c, err)
	}
	if err := json.Unmarshal([]byte(nets), &networks); err != nil {
		return ContainerState{}, fmt.Errorf("docker inspect %s: networks: %w", c, err)
	}
	cs := ContainerState{Status: st.Status, Running: st.Running, Paused: st.Paused, ExitCode: st.ExitCode, IPs: map[string]string{}}
	if st.Health != nil {
		cs.Health = st.Health.Status
	}
	for name, n := range networks {
		if n.IPAddress != "" {
			cs.IPs[name] = n.IPAddress
		}
	}
	return cs, nil
}

// Logs is the container's log: its standard output and standard error, interleaved as docker
// logs writes them (the hubs log to standard error).
func (d *Docker) Logs(ctx context.Context, c string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, CommandTimeout)
	defer cancel()
	return exec.CommandContext(ctx, "docker", "logs", "--timestamps", c).CombinedOutput()
}

// CopyFrom copies path out of container c (running or exited) to dst on the host.
func (d *Docker) CopyFrom(ctx context.Context, c, path, dst string) error {
	return d.cmd(ctx, "cp", c+":"+path, dst)
}

// WaitExited waits until the one-shot container c has exited 0; it fails at once when it exited
// otherwise.
func (d *Docker) WaitExited(ctx context.Context, c string) error {
	return poll(ctx, c+" to finish", func(ctx context.Context) error {
		st, err := d.Inspect(ctx, c)
		switch {
		case err != nil:
			return err
		case st.Status == "exited" && st.ExitCode == 0:
			return nil
		case st.Status == "exited" || st.Status == "dead":
			logs, _ := d.Logs(ctx, c) // stderr too: that is where sealhub says what failed
			return permanent{fmt.Errorf("%s exited with code %d:\n%s", c, st.ExitCode, lastLines(logs, 40))}
		}
		return fmt.Errorf("%s is %s", c, st.Status)
	})
}

// lastLines is the last n lines of b.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// permanent marks an error poll must not wait out.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// pollInterval is how often poll looks again.
const pollInterval = 250 * time.Millisecond

// poll calls cond until it returns nil, a permanent error, or ctx ends; the error then says what
// was awaited and cond's last reason.
func poll(ctx context.Context, what string, cond func(context.Context) error) error {
	for {
		err := cond(ctx)
		if err == nil {
			return nil
		}
		var p permanent
		if errors.As(err, &p) {
			return fmt.Errorf("waiting for %s: %w", what, p.error)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %w)", what, ctx.Err(), err)
		case <-time.After(pollInterval):
		}
	}
}
