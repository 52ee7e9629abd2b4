package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	unitFile     = "../../deploy/systemd/sealhub.service"
	sysusersFile = "../../deploy/systemd/sealhub.sysusers"
)

// unit is a systemd unit file: section → directive → values in order (a directive may repeat).
type unit map[string]map[string][]string

func (u unit) one(t *testing.T, section, key string) string {
	t.Helper()
	v := u[section][key]
	if len(v) != 1 {
		t.Errorf("[%s] %s= given %d times, want once", section, key, len(v))
		return ""
	}
	return v[0]
}

func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	var section string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		case section == "":
			t.Fatalf("%s:%d: a directive before any section", path, n)
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok || strings.HasSuffix(line, "\\") {
				t.Fatalf("%s:%d: want Key=value on one line: %q", path, n, line)
			}
			u[section][key] = append(u[section][key], value)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestUnitDirectives checks the directives the deployment relies on, which systemd-analyze
// accepts in any combination: how the node is started and stopped, where its files are, and the
// sandbox described in deploy/systemd/README.md.
func TestUnitDirectives(t *testing.T) {
	u := parseUnit(t, unitFile)
	svc := "Service"
	// sealhub does not call sd_notify, so notify would wait for a READY=1 that never comes.
	if typ := u.one(t, svc, "Type"); typ != "exec" && typ != "simple" {
		t.Errorf("Type=%s: want exec (or simple); sealhub does not speak sd_notify", typ)
	}
	user := u.one(t, svc, "User")
	if user == "" || user == "root" || u.one(t, svc, "Group") == "" {
		t.Errorf("User=%q: want an unprivileged user and group", user)
	}
	state, conf := u.one(t, svc, "StateDirectory"), u.one(t, svc, "ConfigurationDirectory")
	cmdline := strings.Fields(u.one(t, svc, "ExecStart"))
	if len(cmdline) < 2 || !filepath.IsAbs(cmdline[0]) || cmdline[1] != "server" {
		t.Fatalf("ExecStart=%v: want an absolute path to sealhub and the server subcommand", cmdline)
	}
	flag := func(name string) string {
		if i := slices.Index(cmdline, name); i > 0 && i+1 < len(cmdline) {
			return cmdline[i+1]
		}
		return ""
	}
	if c := flag("--config"); !strings.HasPrefix(c, "/etc/"+conf+"/") {
		t.Errorf("--config %q: want a file in the ConfigurationDirectory /etc/%s", c, conf)
	}
	if d := flag("--data-dir"); d != "/var/lib/"+state {
		t.Errorf("--data-dir %q: want the StateDirectory /var/lib/%s (the only writable place)", d, state)
	}
	if env := u.one(t, svc, "EnvironmentFile"); !strings.HasPrefix(env, "-/etc/"+conf+"/") {
		t.Errorf("EnvironmentFile=%s: want an optional (-) file in /etc/%s for the SEALHUB_* secrets", env, conf)
	}
	if k := u.one(t, svc, "KillSignal"); k != "SIGTERM" {
		t.Errorf("KillSignal=%s: the node hands leadership over on SIGTERM", k)
	}
	stop, err := time.ParseDuration(u.one(t, svc, "TimeoutStopSec") + "s")
	if err != nil || stop < 15*time.Second || stop > 90*time.Second {
		t.Errorf("TimeoutStopSec=%v: want 15 to 90 s (the node stops within 10 s)", stop)
	}
	if r := u.one(t, svc, "Restart"); r != "on-failure" && r != "always" {
		t.Errorf("Restart=%s: want on-failure", r)
	}
	if n, err := strconv.Atoi(u.one(t, svc, "LimitNOFILE")); err != nil || n < 65536 {
		t.Errorf("LimitNOFILE=%d: want at least 65536 (raft peers, API clients, the log store)", n)
	}
	for key, want := range map[string]string{
		"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
		"PrivateDevices": "yes", "CapabilityBoundingSet": "", "AmbientCapabilities": "", "RestrictSUIDSGID": "yes",
		"RestrictNamespaces": "yes", "LockPersonality": "yes", "SystemCallArchitectures": "native",
	} {
		if got := u.one(t, svc, key); got != want {
			t.Errorf("%s=%s, want %q", key, got, want)
		}
	}
	families := strings.Fields(u.one(t, svc, "RestrictAddressFamilies"))
	if !slices.Contains(families, "AF_INET") || !slices.Contains(families, "AF_INET6") || slices.Contains(families, "AF_NETLINK") {
		t.Errorf("RestrictAddressFamilies=%v: want IPv4 and IPv6, nothing wider", families)
	}
	if f := u[svc]["SystemCallFilter"]; len(f) == 0 || f[0] != "@system-service" {
		t.Errorf("SystemCallFilter=%v: want @system-service first", f)
	}
	if w := u.one(t, "Install", "WantedBy"); w != "multi-user.target" {
		t.Errorf("WantedBy=%s", w)
	}
	if !slices.Contains(strings.Fields(u.one(t, "Unit", "After")), "network-online.target") {
		t.Error("After= should include network-online.target: the node dials its peers at start")
	}

	users, err := os.ReadFile(sysusersFile)
	if err != nil {
		t.Fatal(err)
	}
	if fields := strings.Fields(stripComments(string(users))); len(fields) < 2 || fields[0] != "u" || fields[1] != user {
		t.Errorf("%s: want a line u %s …, the unit's User=", sysusersFile, user)
	}
}

// unitCopy writes the unit into a temporary directory with ExecStart's binary replaced by an
// executable script there, since systemd-analyze verify requires the binary to exist.
func unitCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "sealhub")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	cmdline := strings.Fields(parseUnit(t, unitFile).one(t, "Service", "ExecStart"))
	text := strings.Replace(string(data), "ExecStart="+cmdline[0]+" ", "ExecStart="+bin+" ", 1)
	path := filepath.Join(dir, filepath.Base(unitFile))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSystemdAnalyze runs systemd's own checks on the unit: `verify` (syntax, unknown
// directives, bad values — it exits 0 on warnings, so any line naming the unit fails the test)
// and `security --offline`, whose exposure score must stay "OK" (at most 2.0 of 10).
func TestSystemdAnalyze(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed: the unit is checked by TestUnitDirectives only")
	}
	path := unitCopy(t)
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, filepath.Base(path)) {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
	out, err = exec.Command(analyze, "security", "--offline=yes", "--threshold=20", "--no-pager", path).CombinedOutput()
	switch {
	case err != nil && strings.Contains(string(out), "unrecognized option"):
		t.Logf("systemd-analyze security --offline needs systemd 250 or later: %s", strings.TrimSpace(string(out)))
	case err != nil:
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		t.Errorf("systemd-analyze security: %v; exposure above 2.0: %s", err, lines[len(lines)-1])
	}
}
