// Package deploy checks the operator assets in deploy/k8s and deploy/systemd without a cluster or
// a systemd instance, so that a typo in a manifest or a unit fails `go test ./...` instead of a
// rollout:
//
//   - every Kubernetes manifest is decoded strictly against the field schema of k8s.io/api (the
//     module's own round-trip fixtures, which fill in every field of every type), so an unknown
//     or misspelt field is an error;
//   - the objects are checked against each other: the StatefulSet's Service, the selectors of the
//     Services and the disruption budget, the ports the probes and Services name, every volume,
//     Secret and ConfigMap key the pod uses, the per-pod flags, and the server configuration in the
//     ConfigMap against docs/server.example.json;
//   - when kubectl is installed, `kubectl kustomize deploy/k8s` must build the same objects;
//   - the systemd unit is checked for the directives the deployment relies on, and, when
//     systemd-analyze is installed, by `systemd-analyze verify` and `systemd-analyze security`.
//
// The Grafana dashboard is checked in test/alerts, beside the alert rules, against a running node.
//
//	go test ./test/deploy
package deploy
