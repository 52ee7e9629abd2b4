package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
)

// Ports of a node inside its container.
const (
	APIPort     = "8080" // the HTTP API, plain HTTP, on the api network
	ClusterPort = "7000" // raft and the internal RPC, mutual TLS, on the cluster network
)

// Node is one hub container. Its addresses can change when it is started again or reconnected,
// so they are read through the accessors; the nemesis marks it down while it is killed, paused or
// restarting, and partitioned while it is off the cluster network.
type Node struct {
	Name      string   // service name and node ID: hub-1
	Container string   // <project>_hub-1_1
	Aliases   []string // its names on the cluster network: hub-1, hub-1.cluster (the raft address)

	mu          sync.Mutex
	api         string // http://IP:8080 on the api network
	cluster     string // IP:7000 on the cluster network
	down        bool
	partitioned bool
}

// URL is the node's API base URL ("" before its address is known).
func (n *Node) URL() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.api
}

// ClusterAddr is the node's cluster-port address ("" while it is off the cluster network).
func (n *Node) ClusterAddr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cluster
}

// Down reports whether the nemesis holds the node killed, paused or restarting.
func (n *Node) Down() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.down
}

// Partitioned reports whether the nemesis holds the node off the cluster network.
func (n *Node) Partitioned() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.partitioned
}

func (n *Node) setDown(v bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.down = v
}

func (n *Node) setPartitioned(v bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.partitioned = v
}

// setAddrs takes the node's addresses from its networks; a network it is not on keeps the last
// known API address (a killed container has none until it is started) and clears the cluster one.
func (n *Node) setAddrs(ips map[string]string, apiNet, clusterNet string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ip := ips[apiNet]; ip != "" {
		n.api = "http://" + net.JoinHostPort(ip, APIPort)
	}
	n.cluster = ""
	if ip := ips[clusterNet]; ip != "" {
		n.cluster = net.JoinHostPort(ip, ClusterPort)
	}
}

// Nodes are the hub containers of a run.
type Nodes struct {
	List       []*Node
	APINet     string
	ClusterNet string
}

// Refresh reads n's addresses from docker.
func (ns *Nodes) Refresh(ctx context.Context, insp Inspector, n *Node) error {
	st, err := insp.Inspect(ctx, n.Container)
	if err != nil {
		return err
	}
	n.setAddrs(st.IPs, ns.APINet, ns.ClusterNet)
	if n.URL() == "" {
		return fmt.Errorf("%s has no address on %s", n.Container, ns.APINet)
	}
	return nil
}

// Pick chooses a random node that is not down, other than not (nil: any), or any node other than
// not when every one is down (its request then fails, which is an outcome like any other).
func (ns *Nodes) Pick(r *rand.Rand, not *Node) *Node {
	var up, other []*Node
	for _, n := range ns.List {
		if n == not {
			continue
		}
		other = append(other, n)
		if !n.Down() {
			up = append(up, n)
		}
	}
	if len(up) > 0 {
		return up[r.IntN(len(up))]
	}
	if len(other) > 0 {
		return other[r.IntN(len(other))]
	}
	return ns.List[r.IntN(len(ns.List))]
}

// Inspector reads a container's state.
type Inspector interface {
	Inspect(ctx context.Context, container string) (ContainerState, error)
}
