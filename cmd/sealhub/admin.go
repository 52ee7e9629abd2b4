package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/sealhub/sealhub/adapters"
	"os"
	"strings"
	"time"

	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
	"github.com/spf13/cobra"
)

// adminCmd holds the flags every admin subcommand shares.
type adminCmd struct {
	e      *env
	remote remoteFlags
	json   bool
}

func (e *env) adminCommand() *cobra.Command {
	a := &adminCmd{e: e}
	cmd := &cobra.Command{
		Use:   "admin --key ADMINKEY registry|root|anchor|key ...",
		Short: "Administrator pushes: create and change registries, add and distrust root CAs, rotate keys",
		Long: `Build and sign the national administrator's pushes (registry "admin"): each subcommand sends one
push through the hub's POST /v1/updates, signed with --key.

Every key a subcommand adds is given with --add-key PUBFILE (a PEM public key, as sealhub keygen
writes it): --key is always the key that signs.

Exit codes: 0 accepted, 1 rejected by the hub (4xx), 3 usage, I/O error or hub unreachable.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return usageError("admin what? registry, root, anchor or key (sealhub admin --help)")
		},
	}
	pf := cmd.PersistentFlags()
	a.remote.addServer(pf)
	a.remote.addKey(pf, "the administrator's signing key")
	pf.BoolVar(&a.json, "json", false, "print the hub's answer as JSON")
	cmd.AddCommand(a.registryCommand(), a.rootCommand(), a.anchorCommand(), a.keyCommand())
	return cmd
}

// send signs ops as the administrator's next push and prints the answer.
func (a *adminCmd) send(ctx context.Context, ops ...trustlist.Op) error {
	key, err := a.remote.signingKey()
	if err != nil {
		return err
	}
	c, err := a.e.newClient(&a.remote)
	if err != nil {
		return err
	}
	res, err := c.Push(ctx, client.Signer{Registry: trustlist.AdminID, Key: key}, ops)
	if err != nil {
		return apiFailure(a.e.stderr, "admin push", err, nil)
	}
	return a.e.printPush(res, a.json)
}

// group is a subcommand that only holds others.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return usageError("%s what? (%s --help)", c.CommandPath(), c.CommandPath())
		},
	}
	cmd.AddCommand(subs...)
	return cmd
}

type registryFlags struct {
	id, name, kind, mode string
	adapter              string // file of the adapter configuration (JSON)
	jurisdiction         []string
	addKeys, retireKeys  []string
}

func (a *adminCmd) registryCommand() *cobra.Command {
	cf := &registryFlags{}
	create := &cobra.Command{
		Use:   "create --id ID --name NAME --kind province|department --jurisdiction 37,3701 --add-key PUBFILE",
		Short: "Create a registry (registry.create)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			spec, err := cf.spec(true)
			if err != nil {
				return err
			}
			return a.send(c.Context(), trustlist.Op{Op: trustlist.OpRegistryCreate, RegistrySpec: spec})
		},
	}
	cf.add(create, true)
	uf := &registryFlags{}
	update := &cobra.Command{
		Use:   "update --id ID [--name NAME] [--jurisdiction 37,3701] [--add-key PUBFILE] [--retire-key KEYID] [--mode MODE] [--adapter FILE]",
		Short: "Change a registry (registry.update); what is not given keeps its value",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			spec, err := uf.spec(false)
			if err != nil {
				return err
			}
			return a.send(c.Context(), trustlist.Op{Op: trustlist.OpRegistryUpdate, RegistrySpec: spec})
		},
	}
	uf.add(update, false)
	return group("registry", "Create or change a registry", create, update)
}

func (f *registryFlags) add(cmd *cobra.Command, create bool) {
	fs := cmd.Flags()
	fs.StringVar(&f.id, "id", "", "registry id: 1-32 of a-z 0-9 _ - (a province uses its GB/T 2260 code, e.g. 37)")
	fs.StringVar(&f.name, "name", "", "registry name, e.g. 山东省电子印章管理平台")
	fs.StringSliceVar(&f.jurisdiction, "jurisdiction", nil, "GB/T 2260 code prefixes it files seals under, comma-separated (or *)")
	fs.StringSliceVar(&f.addKeys, "add-key", nil, "PEM public key file of a key the registry signs with (repeatable)")
	fs.StringVar(&f.mode, "mode", "", "how the hub learns its statuses: push, live or sync (create: default push)")
	fs.StringVar(&f.adapter, "adapter", "", "JSON file of the regional adapter configuration for live and sync modes (docs/adapters.md; never secrets: it names the nodes' credentials)")
	if create {
		fs.StringVar(&f.kind, "kind", "", "province or department")
	} else {
		fs.StringSliceVar(&f.retireKeys, "retire-key", nil, "key id to retire now (repeatable)")
	}
}

func (f *registryFlags) spec(create bool) (*trustlist.RegistrySpec, error) {
	if f.id == "" {
		return nil, usageError("--id is required")
	}
	if !trustlist.ValidRegistryID(f.id) {
		return nil, usageError("--id %q: want 1-32 of a-z 0-9 _ -", f.id)
	}
	s := &trustlist.RegistrySpec{ID: f.id, Name: f.name, Kind: trustlist.RegistryKind(f.kind), Mode: trustlist.Mode(f.mode), RetireKeys: f.retireKeys}
	if create {
		var missing []string
		for _, m := range []struct{ flag, v string }{{"--name", f.name}, {"--kind", f.kind}} {
			if m.v == "" {
				missing = append(missing, m.flag)
			}
		}
		if len(f.jurisdiction) == 0 {
			missing = append(missing, "--jurisdiction")
		}
		if len(f.addKeys) == 0 && (f.mode == "" || f.mode == string(trustlist.ModePush)) {
			missing = append(missing, "--add-key")
		}
		if len(missing) > 0 {
			return nil, usageError("registry create needs %s", strings.Join(missing, ", "))
		}
	}
	switch s.Kind {
	case "", trustlist.KindProvince, trustlist.KindDepartment:
	default:
		return nil, usageError("--kind %q: want province or department", f.kind)
	}
	switch s.Mode {
	case "", trustlist.ModePush, trustlist.ModeLive, trustlist.ModeSync:
	default:
		return nil, usageError("--mode %q: want push, live or sync", f.mode)
	}
	if f.adapter != "" {
		b, err := os.ReadFile(f.adapter)
		if err != nil {
			return nil, usageError("--adapter: %v", err)
		}
		c, err := adapters.ParseConfig(b)
		if err == nil && c.Kind == "" {
			err = errors.New(`"kind" is required`)
		}
		if err != nil {
			return nil, usageError("--adapter %s: not an adapter configuration (a JSON object with at least \"kind\"): %v", f.adapter, err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			return nil, usageError("--adapter %s: %v", f.adapter, err)
		}
		s.Adapter = compact.Bytes()
	}
	for _, j := range f.jurisdiction {
		if j = strings.TrimSpace(j); j != "" {
			s.Jurisdiction = append(s.Jurisdiction, j)
		}
	}
	for _, path := range f.addKeys {
		p, _, err := readPublicKeyFile(path)
		if err != nil {
			return nil, usageError("--add-key: %v", err)
		}
		s.Keys = append(s.Keys, trustlist.KeySpec{PublicKey: p})
	}
	return s, nil
}

func (a *adminCmd) rootCommand() *cobra.Command {
	var at, reason string
	add := &cobra.Command{
		Use:   "add CERT...",
		Short: "Trust root CA certificates (anchor.add): PEM (one or more CERTIFICATE blocks) or DER files",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eff, err := optionalTime("--at", at)
			if err != nil {
				return err
			}
			var ops []trustlist.Op
			for _, path := range args {
				ders, err := readCertificates(path)
				if err != nil {
					return err
				}
				for _, der := range ders {
					cert, err := smcrypto.ParseCertificate(der)
					if err != nil {
						return usageError("%s: %v", path, err)
					}
					fmt.Fprintf(a.e.stdout, "root %s  %s\n", cert.Fingerprint(), cert.Subject)
					ops = append(ops, trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: der, EffectiveAt: eff, Reason: reason})
				}
			}
			return a.send(c.Context(), ops...)
		},
	}
	add.Flags().StringVar(&at, "at", "", "trusted from, RFC 3339 (default: the certificate's notBefore)")
	add.Flags().StringVar(&reason, "reason", "", "why it is trusted, for the record")
	return group("root", "Manage root CA trust anchors", add)
}

func (a *adminCmd) anchorCommand() *cobra.Command {
	var at, reason string
	distrust := &cobra.Command{
		Use:   "distrust FINGERPRINT --at TIME --reason REASON",
		Short: "Distrust a CA from a time on (anchor.distrust): every seal and signature depending on it is invalid for uses after it",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			fp := strings.ToLower(strings.TrimSpace(args[0]))
			if len(fp) != 64 || strings.Trim(fp, "0123456789abcdef") != "" {
				return usageError("fingerprint %q: want the SM3 of the certificate DER, 64 hex digits", args[0])
			}
			eff, err := optionalTime("--at", at)
			if err != nil {
				return err
			}
			return a.send(c.Context(), trustlist.Op{Op: trustlist.OpAnchorDistrust, Fingerprint: fp, EffectiveAt: eff, Reason: reason})
		},
	}
	distrust.Flags().StringVar(&at, "at", "", "distrusted from, RFC 3339 (default: now)")
	distrust.Flags().StringVar(&reason, "reason", "", "why, for the record (e.g. 私钥泄露)")
	return group("anchor", "Manage trust anchors", distrust)
}

func (a *adminCmd) keyCommand() *cobra.Command {
	var add, retire, retireAt string
	rotate := &cobra.Command{
		Use:   "rotate --add-key NEWPUB [--retire KEYID [--retire-at TIME]]",
		Short: "Add an administrator key and/or retire one (key.rotate)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if add == "" && retire == "" {
				return usageError("key rotate needs --add-key, --retire or both")
			}
			if retireAt != "" && retire == "" {
				return usageError("--retire-at needs --retire")
			}
			op := trustlist.Op{Op: trustlist.OpKeyRotate, RetireKey: retire}
			if add != "" {
				p, id, err := readPublicKeyFile(add)
				if err != nil {
					return usageError("--add-key: %v", err)
				}
				op.Key = &trustlist.KeySpec{PublicKey: p}
				fmt.Fprintf(a.e.stdout, "adding key %s\n", id)
			}
			var err error
			if op.RetireAt, err = optionalTime("--retire-at", retireAt); err != nil {
				return err
			}
			return a.send(c.Context(), op)
		},
	}
	rotate.Flags().StringVar(&add, "add-key", "", "PEM public key file of the new key")
	rotate.Flags().StringVar(&retire, "retire", "", "key id to retire")
	rotate.Flags().StringVar(&retireAt, "retire-at", "", "when the retired key stops, RFC 3339 (default: now)")
	return group("key", "Manage the administrator's keys", rotate)
}

func optionalTime(flag, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, usageError("%s %q: want RFC 3339, e.g. 2024-05-01T08:00:00+08:00", flag, s)
	}
	return &t, nil
}

// readCertificates reads the CERTIFICATE blocks of a PEM file, or a DER file.
func readCertificates(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("%v", err)
	}
	if !strings.Contains(string(data), "-----BEGIN") {
		return [][]byte{data}, nil
	}
	var ders [][]byte
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			ders = append(ders, b.Bytes)
		}
	}
	if len(ders) == 0 {
		return nil, usageError("%s: no CERTIFICATE block", path)
	}
	return ders, nil
}
