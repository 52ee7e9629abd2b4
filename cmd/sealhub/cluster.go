package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sealhub/sealhub/federation/transport"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/rpc"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Operator commands reach a node's cluster port (the internal RPC, mutual TLS in production).
const (
	envPeer     = "SEALHUB_PEER"
	envTLSCA    = "SEALHUB_TLS_CA"
	envTLSCert  = "SEALHUB_TLS_CERT"
	envTLSKey   = "SEALHUB_TLS_KEY"
	defaultPeer = "127.0.0.1:7000"
)

// peerFlags are the flags of the commands that talk to the cluster port.
type peerFlags struct {
	peer, ca, cert, key string
	timeout             time.Duration
}

func (f *peerFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.peer, "peer", "", "cluster address of any member (default $"+envPeer+", else "+defaultPeer+")")
	fs.StringVar(&f.ca, "tls-ca", "", "cluster CA bundle (default $"+envTLSCA+"; none: plain TCP)")
	fs.StringVar(&f.cert, "tls-cert", "", "operator certificate from `sealhub tls init` (default $"+envTLSCert+")")
	fs.StringVar(&f.key, "tls-key", "", "operator key (default $"+envTLSKey+")")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "how long to wait for the answer")
}

// client resolves the flags and the environment into an RPC client and the peer address.
func (e *env) peerClient(f *peerFlags) (*rpc.Client, string, error) {
	pick := func(v, name string) string {
		if v != "" {
			return v
		}
		return strings.TrimSpace(e.getenv(name))
	}
	peer := pick(f.peer, envPeer)
	if peer == "" {
		peer = defaultPeer
	}
	if err := checkHostPort(peer); err != nil {
		return nil, "", usageError("--peer %q: %v", peer, err)
	}
	ca, cert, key := pick(f.ca, envTLSCA), pick(f.cert, envTLSCert), pick(f.key, envTLSKey)
	var tc *tls.Config
	switch {
	case ca == "" && cert == "" && key == "":
	case ca == "" || cert == "" || key == "":
		return nil, "", usageError("give all of --tls-ca, --tls-cert and --tls-key (or their $SEALHUB_TLS_* variables), or none")
	default:
		var err error
		if tc, err = transport.LoadClientTLS(ca, cert, key); err != nil {
			return nil, "", usageError("%v", err)
		}
	}
	hc := (&transport.Dialer{TLS: tc, Timeout: 10 * time.Second}).HTTPClient()
	return rpc.NewClient(hc), peer, nil
}

// withPeer resolves the peer client and runs fn under the command's timeout.
func (e *env) withPeer(c *cobra.Command, f *peerFlags, fn func(ctx context.Context, rc *rpc.Client, peer string) error) error {
	rc, peer, err := e.peerClient(f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Context(), f.timeout)
	defer cancel()
	return fn(ctx, rc, peer)
}

// remoteFailure maps an RPC error onto the exit codes: a refusal (4xx) is 1, the rest 3.
func remoteFailure(err error) error {
	var ae *client.Error
	if errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 {
		return &exitError{code: exitRejected, err: fmt.Errorf("%s: %s", ae.Code, ae.Message)}
	}
	if errors.As(err, &ae) {
		return &exitError{code: exitUsage, err: fmt.Errorf("%s: %s", ae.Code, ae.Message)}
	}
	return &exitError{code: exitUsage, err: err}
}

func (e *env) clusterCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Show and change the cluster's membership (status, join, remove, transfer-leadership)",
		Long: `Operator commands on the cluster, sent to any member's cluster port (--peer); changes are
forwarded to the leader. With mutual TLS, use an operator certificate from ` + "`sealhub tls init`" + `.

Nodes normally join by themselves (sealhub server --join); they join as non-voters and are promoted
once caught up and healthy. When quorum is lost for good, see docs/operations.md#quorum (peers.json).`,
	}
	var f peerFlags
	f.add(cmd.PersistentFlags())

	var asJSON bool
	status := &cobra.Command{
		Use:   "status",
		Short: "The leader's view: members, roles, health, indexes",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return e.withPeer(c, &f, func(ctx context.Context, rc *rpc.Client, peer string) error {
				st, err := rc.Cluster(ctx, peer)
				if err != nil {
					return remoteFailure(err)
				}
				if asJSON {
					enc := json.NewEncoder(e.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(st)
				}
				printClusterStatus(e.stdout, st)
				return nil
			})
		},
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")

	join := &cobra.Command{
		Use:   "join ID ADDR",
		Short: "Add node ID, whose cluster port is ADDR, as a non-voter",
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkHostPort(args[1]); err != nil {
				return usageError("ADDR %q: %v", args[1], err)
			}
			return e.withPeer(c, &f, func(ctx context.Context, rc *rpc.Client, peer string) error {
				res, err := rc.Join(ctx, peer, args[0], args[1])
				if err != nil {
					return remoteFailure(err)
				}
				if res.Changed {
					fmt.Fprintf(e.stdout, "node %s at %s added as a non-voter by leader %s; it is promoted once caught up\n", args[0], args[1], res.Leader)
				} else {
					fmt.Fprintf(e.stdout, "node %s at %s is already a member; nothing changed\n", args[0], args[1])
				}
				return nil
			})
		},
	}

	remove := &cobra.Command{
		Use:   "remove ID",
		Short: "Remove node ID from the cluster (needs a working quorum)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return e.withPeer(c, &f, func(ctx context.Context, rc *rpc.Client, peer string) error {
				if err := rc.Remove(ctx, peer, args[0]); err != nil {
					return remoteFailure(err)
				}
				fmt.Fprintf(e.stdout, "node %s removed from the cluster; stop it and wipe its data directory before reusing the machine\n", args[0])
				return nil
			})
		},
	}

	transfer := &cobra.Command{
		Use:   "transfer-leadership [ID]",
		Short: "Hand leadership to voter ID, or to the most up-to-date voter",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return e.withPeer(c, &f, func(ctx context.Context, rc *rpc.Client, peer string) error {
				id := ""
				if len(args) == 1 {
					id = args[0]
				}
				leader, err := rc.TransferLeadership(ctx, peer, id)
				if err != nil {
					return remoteFailure(err)
				}
				fmt.Fprintf(e.stdout, "leadership transferred; the leader is now %s\n", leader)
				return nil
			})
		},
	}
	cmd.AddCommand(status, join, remove, transfer)
	return cmd
}

func printClusterStatus(w io.Writer, st *rpc.ClusterStatus) {
	fmt.Fprintf(w, "leader %s (%s), term %s, commit index %d, answered by %s\n", orDash(st.Leader), orDash(st.LeaderAddress), st.Term, st.CommitIndex, st.AnsweredBy)
	if st.Healthy != nil {
		fmt.Fprintf(w, "healthy: %v, failure tolerance: %d\n", *st.Healthy, *st.FailureTolerance)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tADDRESS\tROLE\tHEALTHY\tLAST INDEX\tLAST CONTACT")
	for _, s := range st.Servers {
		role := "non-voter"
		switch {
		case s.Leader:
			role = "leader"
		case s.Voter:
			role = "voter"
		}
		healthy := "-"
		if s.Healthy != nil {
			healthy = fmt.Sprint(*s.Healthy)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", s.ID, s.Address, role, healthy, s.LastIndex, orDash(s.LastContact))
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (e *env) snapshotCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Back up the trust list of a running cluster, or restore one into a fresh cluster",
		Long: `save streams a node's current trust list (consistent at its index; the file is the same
compressed, SM3-sealed encoding raft snapshots use) to FILE. restore uploads FILE to the cluster's
leader, which checks it and installs it on every node through raft. restore refuses a cluster that
already holds a trust list unless --force is given.`,
	}
	var f peerFlags
	f.add(cmd.PersistentFlags())
	save := &cobra.Command{
		Use:   "save FILE",
		Short: "Write the trust list of the node at --peer to FILE",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return e.withPeer(c, &f, func(ctx context.Context, rc *rpc.Client, peer string) error {
				path := args[0]
				tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".part-*")
				if err != nil {
					return &exitError{code: exitUsage, err: err}
				}
				defer os.Remove(tmp.Name())
				info, err := rc.SaveSnapshot(ctx, peer, tmp)
				if err == nil {
					err = tmp.Sync()
				}
				if cerr := tmp.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return remoteFailure(err)
				}
				if err := os.Rename(tmp.Name(), path); err != nil {
					return &exitError{code: exitUsage, err: err}
				}
				fmt.Fprintf(e.stdout, "saved %s: index %d, %d seals, %d bytes, digest %s\n", path, info.Index, info.Seals, info.Bytes, info.Digest)
				return nil
			})
		},
	}
	var force bool
	restore := &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the cluster's trust list with FILE (a fresh cluster, or --force)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			rc, peer, err := e.peerClient(&f)
			if err != nil {
				return err
			}
			file, err := os.Open(args[0])
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			defer file.Close()
			fi, err := file.Stat()
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			ctx, cancel := context.WithTimeout(c.Context(), f.timeout)
			defer cancel()
			info, err := rc.RestoreSnapshot(ctx, peer, file, fi.Size(), force)
			if err != nil {
				return remoteFailure(err)
			}
			fmt.Fprintf(e.stdout, "restored %s: the cluster is at index %d with %d seals, digest %s\n", args[0], info.Index, info.Seals, info.Digest)
			return nil
		},
	}
	restore.Flags().BoolVar(&force, "force", false, "replace a trust list the cluster already holds")
	cmd.AddCommand(save, restore)
	return cmd
}
