package deploy

import (
	"cmp"
	"encoding/json"
	"path"
	"strings"
	"testing"
)

// The fields of the Kubernetes objects that the cross-checks read, decoded loosely (the strict
// schema check is TestManifestsStrict). encoding/json matches the API's camelCase names.

type labelSelector struct {
	MatchLabels map[string]string
}

type statefulSet struct {
	Metadata struct{ Name string }
	Spec     struct {
		ServiceName         string
		Replicas            int
		PodManagementPolicy string
		Selector            labelSelector
		Template            struct {
			Metadata struct {
				Labels      map[string]string
				Annotations map[string]string
			}
			Spec podSpec
		}
		VolumeClaimTemplates []struct {
			Metadata struct{ Name string }
		}
	}
}

type podSpec struct {
	TerminationGracePeriodSeconds *int
	AutomountServiceAccountToken  *bool
	EnableServiceLinks            *bool
	SecurityContext               struct {
		RunAsNonRoot        *bool
		RunAsUser, FSGroup  *int
		RunAsGroup          *int
		FSGroupChangePolicy string
	}
	Affinity struct {
		PodAntiAffinity struct {
			Required []struct {
				TopologyKey   string
				LabelSelector labelSelector
			} `json:"requiredDuringSchedulingIgnoredDuringExecution"`
		}
	}
	TopologySpreadConstraints []struct{ LabelSelector labelSelector }
	Containers                []container
	Volumes                   []volume
}

type container struct {
	Name  string
	Image string
	Args  []string
	Env   []struct {
		Name      string
		Value     string
		ValueFrom *struct {
			SecretKeyRef    *keyRef
			ConfigMapKeyRef *keyRef
			FieldRef        *struct{ FieldPath string }
		}
	}
	Ports []struct {
		Name          string
		ContainerPort int
	}
	StartupProbe, LivenessProbe, ReadinessProbe *probe
	SecurityContext                             struct {
		AllowPrivilegeEscalation *bool
		ReadOnlyRootFilesystem   *bool
		Capabilities             struct{ Drop []string }
	}
	VolumeMounts []struct {
		Name      string
		MountPath string
		ReadOnly  bool
		SubPath   string
	}
	Resources struct {
		Requests, Limits map[string]any
	}
}

type keyRef struct {
	Name, Key string
	Optional  *bool
}

type probe struct {
	HTTPGet *struct {
		Path string
		Port any // a port number or a container port's name
	} `json:"httpGet"`
}

type volume struct {
	Name      string
	EmptyDir  *struct{ SizeLimit string }
	ConfigMap *struct {
		Name  string
		Items []struct{ Key, Path string }
	}
	Secret *struct {
		SecretName  string
		DefaultMode *int
		Items       []struct{ Key, Path string }
	}
}

type service struct {
	Metadata struct{ Name string }
	Spec     struct {
		Type                     string
		ClusterIP                string `json:"clusterIP"`
		PublishNotReadyAddresses bool
		Selector                 map[string]string
		Ports                    []servicePort
	}
}

type servicePort struct {
	Name       string
	Port       int
	TargetPort any // a port number or a container port's name
}

type disruptionBudget struct {
	Metadata struct{ Name string }
	Spec     struct {
		MaxUnavailable any
		MinAvailable   any
		Selector       labelSelector
	}
}

// keyed is a ConfigMap or a Secret: a name and the keys it holds.
type keyed struct {
	Kind     string
	Metadata struct{ Name string }
	Data     map[string]string
	// StringData is a Secret's plain-text form, as the template uses.
	StringData map[string]string
}

func (k keyed) has(key string) bool {
	_, a := k.Data[key]
	_, b := k.StringData[key]
	return a || b
}

// deployment is deploy/k8s decoded: the objects the checks relate to each other.
type deployment struct {
	set      statefulSet
	pod      podSpec
	node     container // the sealhub container
	services []service
	budgets  []disruptionBudget
	config   map[string]keyed // ConfigMaps by name
	secrets  map[string]keyed // Secrets by name, from the templates
}

func decodeInto(t *testing.T, m manifest, v any) {
	t.Helper()
	if err := json.Unmarshal(m.json, v); err != nil {
		t.Fatalf("%s: %v", m, err)
	}
}

// loadDeployment decodes the manifests and the Secret templates; it expects one StatefulSet with
// one container named sealhub.
func loadDeployment(t *testing.T) deployment {
	t.Helper()
	d := deployment{config: map[string]keyed{}, secrets: map[string]keyed{}}
	sets := 0
	for _, m := range loadManifests(t, true) {
		switch m.Kind {
		case "StatefulSet":
			sets++
			decodeInto(t, m, &d.set)
		case "Service":
			var s service
			decodeInto(t, m, &s)
			d.services = append(d.services, s)
		case "PodDisruptionBudget":
			var b disruptionBudget
			decodeInto(t, m, &b)
			d.budgets = append(d.budgets, b)
		case "ConfigMap", "Secret":
			var k keyed
			decodeInto(t, m, &k)
			if m.Kind == "Secret" {
				if !strings.HasPrefix(m.file, "templates/") {
					t.Errorf("%s: a Secret outside templates/ would be applied with the manifests", m)
				}
				d.secrets[k.Metadata.Name] = k
			} else {
				d.config[k.Metadata.Name] = k
			}
		default:
			t.Errorf("%s: a kind the checks do not know; add checks for it", m)
		}
	}
	if sets != 1 {
		t.Fatalf("%d StatefulSets, want 1", sets)
	}
	d.pod = d.set.Spec.Template.Spec
	if len(d.pod.Containers) != 1 || d.pod.Containers[0].Name != "sealhub" {
		t.Fatalf("containers %+v: want one, named sealhub", d.pod.Containers)
	}
	d.node = d.pod.Containers[0]
	return d
}

// port finds the container port a probe or a Service names, by name or by number.
func (d deployment) port(ref any) (name string, number int, ok bool) {
	for _, p := range d.node.Ports {
		switch r := ref.(type) {
		case string:
			if p.Name == r {
				return p.Name, p.ContainerPort, true
			}
		case float64:
			if p.ContainerPort == int(r) {
				return p.Name, p.ContainerPort, true
			}
		}
	}
	return "", 0, false
}

// portNamed is the number of the container port called name, 0 if none.
func (d deployment) portNamed(name string) int {
	_, n, _ := d.port(name)
	return n
}

// file resolves a path inside the container to the volume that holds it, and checks that the
// ConfigMap or Secret behind it has the key the path names. It reports the volume's name.
func (d deployment) file(t *testing.T, what, p string) string {
	t.Helper()
	for _, m := range d.node.VolumeMounts {
		rel, ok := strings.CutPrefix(p, m.MountPath+"/")
		if !ok {
			continue
		}
		for _, v := range d.pod.Volumes {
			if v.Name != m.Name {
				continue
			}
			switch {
			case v.ConfigMap != nil:
				d.checkKey(t, what, p, d.config[v.ConfigMap.Name], "ConfigMap "+v.ConfigMap.Name, rel, v.ConfigMap.Items)
			case v.Secret != nil:
				d.checkKey(t, what, p, d.secrets[v.Secret.SecretName], "Secret "+v.Secret.SecretName, rel, v.Secret.Items)
			}
			return v.Name
		}
		return m.Name // a volume claim template
	}
	t.Errorf("%s %s: on no volume the container mounts", what, p)
	return ""
}

func (d deployment) checkKey(t *testing.T, what, p string, k keyed, source, rel string, items []struct{ Key, Path string }) {
	t.Helper()
	key := rel
	if items != nil {
		key = ""
		for _, it := range items {
			if path.Clean(it.Path) == rel {
				key = it.Key
			}
		}
	}
	if key == "" || !k.has(key) {
		t.Errorf("%s %s: %s has no key %q", what, p, source, cmp.Or(key, rel))
	}
}

// envDefined reports whether the container defines the environment variable name.
func (d deployment) envDefined(name string) bool {
	for _, e := range d.node.Env {
		if e.Name == name {
			return true
		}
	}
	return false
}

// matches reports whether every label of sel is on labels with the same value.
func matches(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}
