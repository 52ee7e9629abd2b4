package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestServicesAndSelectors relates the objects: the StatefulSet's Service is headless and
// publishes pods before they are ready (they become ready only once a leader is elected, which
// needs them to find each other), the API Service is not headless, and every selector — the
// StatefulSet's, both Services', the disruption budget's, anti-affinity and spreading — selects
// the pods.
func TestServicesAndSelectors(t *testing.T) {
	d := loadDeployment(t)
	labels := d.set.Spec.Template.Metadata.Labels
	if !matches(d.set.Spec.Selector.MatchLabels, labels) {
		t.Errorf("StatefulSet selector %v does not select its pod labels %v", d.set.Spec.Selector.MatchLabels, labels)
	}
	var headless, api []service
	for _, s := range d.services {
		if !matches(s.Spec.Selector, labels) {
			t.Errorf("Service %s: selector %v does not select the pods %v", s.Metadata.Name, s.Spec.Selector, labels)
		}
		for _, p := range s.Spec.Ports {
			name, number, ok := d.port(p.TargetPort)
			switch {
			case !ok:
				t.Errorf("Service %s port %s: targetPort %v is no container port", s.Metadata.Name, p.Name, p.TargetPort)
			case name != p.Name || number != p.Port:
				t.Errorf("Service %s port %s %d: reaches container port %s %d; keep name and number the same", s.Metadata.Name, p.Name, p.Port, name, number)
			}
		}
		if s.Spec.ClusterIP == "None" {
			headless = append(headless, s)
		} else {
			api = append(api, s)
		}
	}
	if len(headless) != 1 || len(api) != 1 {
		t.Fatalf("%d headless and %d other Services, want one of each", len(headless), len(api))
	}
	peers := headless[0]
	if d.set.Spec.ServiceName != peers.Metadata.Name {
		t.Errorf("StatefulSet serviceName %q, want the headless Service %q", d.set.Spec.ServiceName, peers.Metadata.Name)
	}
	if !peers.Spec.PublishNotReadyAddresses {
		t.Errorf("Service %s: publishNotReadyAddresses must be true, or no pod finds another before a leader exists", peers.Metadata.Name)
	}
	if !slices.ContainsFunc(peers.Spec.Ports, func(p servicePort) bool { return p.Port == d.portNamed("raft") }) {
		t.Errorf("Service %s does not carry the raft port", peers.Metadata.Name)
	}
	for _, p := range api[0].Spec.Ports {
		if p.Port == d.portNamed("raft") {
			t.Errorf("Service %s exposes the cluster port; only nodes and operators need it", api[0].Metadata.Name)
		}
	}
	if len(d.budgets) != 1 {
		t.Fatalf("%d PodDisruptionBudgets, want 1", len(d.budgets))
	}
	b := d.budgets[0]
	if !matches(b.Spec.Selector.MatchLabels, labels) {
		t.Errorf("PodDisruptionBudget %s: selector %v does not select the pods", b.Metadata.Name, b.Spec.Selector.MatchLabels)
	}
	if b.Spec.MaxUnavailable != float64(1) || b.Spec.MinAvailable != nil {
		t.Errorf("PodDisruptionBudget %s: maxUnavailable %v, minAvailable %v; want maxUnavailable 1 only", b.Metadata.Name, b.Spec.MaxUnavailable, b.Spec.MinAvailable)
	}
	aa := d.pod.Affinity.PodAntiAffinity.Required
	if len(aa) == 0 || aa[0].TopologyKey != "kubernetes.io/hostname" || !matches(aa[0].LabelSelector.MatchLabels, labels) {
		t.Errorf("pod anti-affinity %+v: want the pods kept on different hosts", aa)
	}
	for _, c := range d.pod.TopologySpreadConstraints {
		if !matches(c.LabelSelector.MatchLabels, labels) {
			t.Errorf("topology spread selector %v does not select the pods", c.LabelSelector.MatchLabels)
		}
	}
	if r := d.set.Spec.Replicas; r < 3 || r%2 == 0 {
		t.Errorf("replicas %d: want an odd number of voters, at least 3", r)
	}
	if p := d.set.Spec.PodManagementPolicy; p != "Parallel" {
		t.Errorf("podManagementPolicy %q: OrderedReady deadlocks after a full stop (see the comment in statefulset.yaml)", p)
	}
}

// TestPodSecurity checks the pod's sandbox and lifecycle settings: the image's user, no root, a
// read-only root file system with /tmp on an emptyDir, no capabilities, and time enough to stop.
func TestPodSecurity(t *testing.T) {
	d := loadDeployment(t)
	sc, c := d.pod.SecurityContext, d.node.SecurityContext
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532 ||
		sc.RunAsGroup == nil || *sc.RunAsGroup != 65532 || sc.FSGroup == nil || *sc.FSGroup != 65532 {
		t.Errorf("pod securityContext %+v: want runAsNonRoot and uid, gid and fsGroup 65532 (the image's user)", sc)
	}
	if c.ReadOnlyRootFilesystem == nil || !*c.ReadOnlyRootFilesystem || c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation ||
		!slices.Equal(c.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("container securityContext %+v: want a read-only root, no privilege escalation, all capabilities dropped", c)
	}
	if v := d.file(t, "/tmp", "/tmp/x"); !slices.ContainsFunc(d.pod.Volumes, func(vol volume) bool { return vol.Name == v && vol.EmptyDir != nil }) {
		t.Errorf("/tmp is on volume %q, want an emptyDir (the root file system is read-only)", v)
	}
	if g := d.pod.TerminationGracePeriodSeconds; g == nil || *g < 20 {
		t.Errorf("terminationGracePeriodSeconds %v: want at least 20 (leadership transfer plus a shutdown of up to 10 s)", g)
	}
	if a := d.pod.AutomountServiceAccountToken; a == nil || *a {
		t.Error("automountServiceAccountToken should be false: sealhub does not use the Kubernetes API")
	}
	if e := d.pod.EnableServiceLinks; e == nil || *e {
		t.Error("enableServiceLinks should be false: the Service sealhub would add SEALHUB_* variables")
	}
	for _, r := range []string{"cpu", "memory"} {
		if d.node.Resources.Requests[r] == nil {
			t.Errorf("no %s request", r)
		}
	}
	if d.node.Resources.Limits["memory"] == nil {
		t.Error("no memory limit")
	}
	for _, v := range d.pod.Volumes {
		if v.Secret != nil && (v.Secret.DefaultMode == nil || *v.Secret.DefaultMode != 0o440) {
			t.Errorf("volume %s: Secret files should be mode 0440 (owner and fsGroup read)", v.Name)
		}
	}
}

// TestProbesAndPorts checks that the probes reach the API port on the node's health routes and
// that the Prometheus annotations name the same port.
func TestProbesAndPorts(t *testing.T) {
	d := loadDeployment(t)
	for _, p := range []struct {
		name  string
		probe *probe
		path  string
	}{{"startupProbe", d.node.StartupProbe, "/healthz"}, {"livenessProbe", d.node.LivenessProbe, "/healthz"}, {"readinessProbe", d.node.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s: want an httpGet probe", p.name)
			continue
		}
		if name, _, ok := d.port(p.probe.HTTPGet.Port); !ok || name != "http" {
			t.Errorf("%s: port %v, want the API port http", p.name, p.probe.HTTPGet.Port)
		}
		if p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s: path %q, want %s", p.name, p.probe.HTTPGet.Path, p.path)
		}
	}
	ann := d.set.Spec.Template.Metadata.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/path"] != "/metrics" || ann["prometheus.io/port"] != fmt.Sprint(d.portNamed("http")) {
		t.Errorf("prometheus annotations %v: want scrape true, path /metrics, the http port", ann)
	}
}

// TestVolumes checks that every mount has a volume or a claim template and every volume is
// mounted, and that each ConfigMap, Secret and key the pod refers to exists.
func TestVolumes(t *testing.T) {
	d := loadDeployment(t)
	claims := map[string]bool{}
	for _, c := range d.set.Spec.VolumeClaimTemplates {
		claims[c.Metadata.Name] = true
	}
	mounted := map[string]bool{}
	for _, m := range d.node.VolumeMounts {
		mounted[m.Name] = true
		if m.SubPath != "" {
			t.Errorf("mount %s: subPath mounts do not see Secret and ConfigMap updates", m.Name)
		}
		if !claims[m.Name] && !slices.ContainsFunc(d.pod.Volumes, func(v volume) bool { return v.Name == m.Name }) {
			t.Errorf("mount %s: no such volume or claim template", m.Name)
		}
	}
	for _, v := range d.pod.Volumes {
		if !mounted[v.Name] {
			t.Errorf("volume %s is not mounted", v.Name)
		}
		if v.ConfigMap != nil {
			cm, ok := d.config[v.ConfigMap.Name]
			if !ok {
				t.Errorf("volume %s: no ConfigMap %s", v.Name, v.ConfigMap.Name)
			}
			for _, it := range v.ConfigMap.Items {
				if !cm.has(it.Key) {
					t.Errorf("volume %s: ConfigMap %s has no key %s", v.Name, v.ConfigMap.Name, it.Key)
				}
			}
		}
		if v.Secret != nil {
			if _, ok := d.secrets[v.Secret.SecretName]; !ok {
				t.Errorf("volume %s: templates/secret.yaml shows no Secret %s", v.Name, v.Secret.SecretName)
			}
		}
	}
	for _, e := range d.node.Env {
		if e.ValueFrom == nil {
			continue
		}
		if r := e.ValueFrom.SecretKeyRef; r != nil && !d.secrets[r.Name].has(r.Key) {
			t.Errorf("env %s: templates/secret.yaml shows no key %s in Secret %s", e.Name, r.Key, r.Name)
		}
		if r := e.ValueFrom.ConfigMapKeyRef; r != nil && !d.config[r.Name].has(r.Key) {
			t.Errorf("env %s: ConfigMap %s has no key %s", e.Name, r.Name, r.Key)
		}
	}
	dataDir, _ := serverConfig(t, d)["data_dir"].(string)
	if data := d.file(t, "data_dir", dataDir+"/raft"); !claims[data] {
		t.Errorf("data_dir %q is on volume %q, want a volume claim template", dataDir, data)
	}
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// podArgs is the container's arguments as pod ordinal i of the set would get them, with
// Kubernetes' $(VAR) expansion of POD_NAME and POD_NAMESPACE, split into flag → values.
func (d deployment) podArgs(t *testing.T, i int, namespace string) (string, map[string][]string) {
	t.Helper()
	vars := map[string]string{"POD_NAME": fmt.Sprintf("%s-%d", d.set.Metadata.Name, i), "POD_NAMESPACE": namespace}
	flags := map[string][]string{}
	var cmd string
	for j, a := range d.node.Args {
		for _, ref := range varRef.FindAllStringSubmatch(a, -1) {
			if !d.envDefined(ref[1]) {
				t.Errorf("argument %q: $(%s) is not an environment variable of the container, so Kubernetes leaves it as it is", a, ref[1])
			}
		}
		a = varRef.ReplaceAllStringFunc(a, func(s string) string { return vars[varRef.FindStringSubmatch(s)[1]] })
		if j == 0 {
			cmd = a
			continue
		}
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") || !ok {
			t.Errorf("argument %q: write flags as --name=value", a)
			continue
		}
		flags[name] = append(flags[name], value)
	}
	return cmd, flags
}

// TestNodeFlags checks the per-pod flags as each pod of the set gets them: node id, advertised
// address under the headless Service, one bootstrap node, a join list of every first member,
// and certificate files that the Secret holds for that pod.
func TestNodeFlags(t *testing.T) {
	d := loadDeployment(t)
	const ns = "ns"
	raft := d.portNamed("raft")
	var peers []string
	for i := range d.set.Spec.Replicas {
		peers = append(peers, fmt.Sprintf("%s-%d.%s.%s.svc.cluster.local:%d", d.set.Metadata.Name, i, d.set.Spec.ServiceName, ns, raft))
	}
	for i := range d.set.Spec.Replicas {
		pod := fmt.Sprintf("%s-%d", d.set.Metadata.Name, i)
		t.Run(pod, func(t *testing.T) {
			cmd, f := d.podArgs(t, i, ns)
			one := func(name string) string {
				if len(f[name]) != 1 {
					t.Errorf("--%s given %d times, want once", name, len(f[name]))
					return ""
				}
				return f[name][0]
			}
			if cmd != "server" {
				t.Errorf("first argument %q, want the subcommand server", cmd)
			}
			if id := one("node-id"); id != pod {
				t.Errorf("--node-id %q, want the pod name %q", id, pod)
			}
			if a := one("raft-advertise-addr"); a != peers[i] {
				t.Errorf("--raft-advertise-addr %q, want %q", a, peers[i])
			}
			if b := one("bootstrap-node"); b != d.set.Metadata.Name+"-0" {
				t.Errorf("--bootstrap-node %q, want the first pod", b)
			}
			if f["bootstrap"] != nil {
				t.Error("--bootstrap on every pod would let each found its own cluster; use --bootstrap-node")
			}
			if !slices.Equal(f["join"], peers) {
				t.Errorf("--join %v, want every first member %v", f["join"], peers)
			}
			d.file(t, "--config", one("config"))
			for _, flag := range []string{"tls-ca", "tls-cert", "tls-key"} {
				d.file(t, "--"+flag, one(flag))
			}
			if !strings.HasSuffix(one("tls-cert"), "/"+pod+".crt") || !strings.HasSuffix(one("tls-key"), "/"+pod+".key") {
				t.Errorf("--tls-cert %s, --tls-key %s: want this pod's pair", one("tls-cert"), one("tls-key"))
			}
			for name := range f {
				if !slices.Contains(knownServerFlags, name) {
					t.Errorf("--%s is not a flag of sealhub server", name)
				}
			}
		})
	}
}

// knownServerFlags are the flags of `sealhub server --help` the manifests may use.
var knownServerFlags = []string{"config", "node-id", "data-dir", "raft-addr", "raft-advertise-addr", "http-addr", "join",
	"bootstrap", "bootstrap-node", "tls-ca", "tls-cert", "tls-key", "admin-key", "log-format", "log-level", "max-push-age",
	"max-stale", "stale-reads"}
