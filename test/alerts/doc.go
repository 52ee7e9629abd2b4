// Package alerts tests the Prometheus alert rules in deploy/prometheus against a running node: every
// metric and label the rules use must be one a one-node hub exports, so a renamed metric breaks this
// test instead of silently disabling an alert. It also checks each rule's form (for, severity,
// summary, description, runbook) and, when promtool is installed, runs promtool's own checks.
//
// The Grafana dashboard deploy/grafana/sealhub-cluster.json is checked the same way, against a node
// that has also served live and sync regions, verifications and pushes, so that the adapter, sync
// and verification metrics have series; its form (variables, rows, layout, data source) is checked
// too:
//
//	go test ./test/alerts
package alerts
