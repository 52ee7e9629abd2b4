package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/sealhub/sealhub/federation/transport"
	"github.com/spf13/cobra"
)

const (
	tlsCAName          = "sealhub cluster CA"
	tlsDefaultOperator = "operator"
	tlsDay             = 24 * time.Hour
)

var (
	// tlsFileName is what a node ID or operator name must look like to name files in --dir.
	tlsFileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	// tlsHostName is a node ID that can also serve as its default DNS name.
	tlsHostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)
)

func (e *env) tlsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tls",
		Short: "Certificates for the internode port (mutual TLS between nodes, 节点间双向认证)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(e.tlsInitCommand())
	return cmd
}

// tlsInitOptions are the flags of `sealhub tls init`.
type tlsInitOptions struct {
	dir      string
	nodes    []string // ID or ID=host,host…
	operator string
	opGiven  bool // --operator was on the command line
	daysCA   int
	days     int
	force    bool
	keep     bool // --keep-existing
}

func (e *env) tlsInitCommand() *cobra.Command {
	var o tlsInitOptions
	cmd := &cobra.Command{
		Use:   "init --dir DIR --node ID[=HOST,HOST…]… [--operator NAME]",
		Short: "Make a cluster CA and the certificates of its nodes and operator",
		Long: `Make the certificates for mutual TLS on the internode port, where nodes exchange raft traffic
and forwarded requests. In DIR it writes:

  ca.crt, ca.key        the cluster CA (kept if DIR already has one)
  ID.crt, ID.key        one node certificate per --node: CN ID, DNS name node.sealhub plus the
                        hosts given after "=" (IP addresses and DNS names; default: ID, 127.0.0.1);
                        usable as server and client
  NAME.crt, NAME.key    an operator certificate for the CLI (--operator, default "operator" when
                        the CA is new): client only, it can call a node but cannot act as one

Keys are ECDSA P-256 (crypto/tls cannot use SM2 certificates), PKCS#8 PEM, mode 0600. Copy to each
node only ca.crt and its own pair; keep ca.key off the servers.

If DIR already holds ca.crt and ca.key, that CA issues the new certificates, so a node can be added
later: sealhub tls init --dir DIR --node hub-4=10.0.0.4. Existing files are never overwritten unless
--force is given, and --force also makes a new CA, after which certificates of the old one are no
longer trusted. With --keep-existing, a certificate whose two files already exist is kept and
not issued again, so provisioning (an init container, a compose service) can run it every start.`,
		Example: `  sealhub tls init --dir tls --node hub-1=10.0.0.1,hub-1.example.org --node hub-2=10.0.0.2 --node hub-3=10.0.0.3`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o.opGiven = c.Flags().Changed("operator")
			if o.force && o.keep {
				return usageError("--force and --keep-existing contradict each other")
			}
			return e.tlsInit(o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "", "directory to write the certificates and keys in (created if missing)")
	f.StringArrayVar(&o.nodes, "node", nil, "a node to issue for, as ID or ID=HOST,HOST… (repeat for each node)")
	f.StringVar(&o.operator, "operator", tlsDefaultOperator, `name of the operator certificate ("" for none)`)
	f.IntVar(&o.daysCA, "days-ca", 3650, "validity of a new CA, in days")
	f.IntVar(&o.days, "days", 825, "validity of the node and operator certificates, in days (at most the CA's)")
	f.BoolVar(&o.force, "force", false, "overwrite existing files, making a new CA")
	f.BoolVar(&o.keep, "keep-existing", false, "keep a certificate whose .crt and .key exist instead of failing (not with --force)")
	return cmd
}

// tlsSubject is one certificate to issue.
type tlsSubject struct {
	name     string
	hosts    []string
	operator bool
}

func (e *env) tlsInit(o tlsInitOptions) error {
	subjects, err := o.subjects()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return usageError("%v", err)
	}
	caCrt, caKey := filepath.Join(o.dir, "ca.crt"), filepath.Join(o.dir, "ca.key")
	caCertPEM, caKeyPEM, reused, err := o.loadCA(caCrt, caKey)
	if err != nil {
		return err
	}
	if n := len(subjects); reused && !o.opGiven && n > 0 && subjects[n-1].operator {
		subjects = subjects[:n-1] // the default operator comes with a new CA only
	}
	if o.keep && reused { // certificates of a new CA cannot be kept: refuseOverwrite says so
		if subjects, err = e.keepExisting(o, subjects); err != nil || len(subjects) == 0 {
			return err // nil: every certificate asked for is there already
		}
	}
	if len(subjects) == 0 {
		return usageError("nothing to issue: give --node ID (or --operator NAME)")
	}
	if err := o.refuseOverwrite(subjects); err != nil {
		return err
	}
	if !reused {
		if caCertPEM, caKeyPEM, err = transport.NewCA(tlsCAName, time.Duration(o.daysCA)*tlsDay); err != nil {
			return usageError("%v", err)
		}
	}
	issued, err := o.issue(caCertPEM, caKeyPEM, subjects) // all in memory first: a bad host writes nothing
	if err != nil {
		return err
	}
	if err := e.writeCA(caCrt, caKey, caCertPEM, caKeyPEM, reused, o.force); err != nil {
		return err
	}
	for _, s := range issued {
		crt, key := s.path(o.dir, ".crt"), s.path(o.dir, ".key")
		if err := writeKeyFile(key, s.key, 0o600, o.force); err != nil {
			return usageError("%v", err)
		}
		if err := writeKeyFile(crt, s.cert, 0o644, o.force); err != nil {
			return usageError("%v", err)
		}
		fmt.Fprintf(e.stdout, "%s: wrote %s and %s (%s)\n", s.label(), crt, key, tlsDescribeCert(s.cert))
	}
	return e.printTLSConfig(caCrt, o.dir, subjects)
}

// keepExisting drops the subjects whose certificate and key both exist (--keep-existing), saying
// so; one file without the other is an error, since it cannot be repaired without a new pair.
func (e *env) keepExisting(o tlsInitOptions, subjects []tlsSubject) ([]tlsSubject, error) {
	var out []tlsSubject
	for _, s := range subjects {
		crt, key := s.path(o.dir, ".crt"), s.path(o.dir, ".key")
		kept, err := existingPair(crt, key)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%s: %w", s.label(), err)
		case kept:
			fmt.Fprintf(e.stdout, "%s: kept %s and %s\n", s.label(), crt, key)
		default:
			out = append(out, s)
		}
	}
	return out, nil
}

// refuseOverwrite fails on the first file of subjects that exists, unless --force.
func (o tlsInitOptions) refuseOverwrite(subjects []tlsSubject) error {
	if o.force {
		return nil
	}
	for _, s := range subjects {
		for _, p := range []string{s.path(o.dir, ".crt"), s.path(o.dir, ".key")} {
			if _, err := os.Lstat(p); err == nil {
				return usageError("%s exists; use --force to overwrite it (which also makes a new CA)", p)
			}
		}
	}
	return nil
}

// tlsIssued is a certificate and key made for a subject.
type tlsIssued struct {
	tlsSubject
	cert, key []byte
}

// issue makes the certificate and key of every subject.
func (o tlsInitOptions) issue(caCertPEM, caKeyPEM []byte, subjects []tlsSubject) ([]tlsIssued, error) {
	validity := time.Duration(o.days) * tlsDay
	var out []tlsIssued
	for _, s := range subjects {
		var c, k []byte
		var err error
		if s.operator {
			c, k, err = transport.IssueOperator(caCertPEM, caKeyPEM, s.name, validity)
		} else {
			c, k, err = transport.IssueNode(caCertPEM, caKeyPEM, s.name, s.hosts, validity)
		}
		if err != nil {
			return nil, usageError("%v", err)
		}
		out = append(out, tlsIssued{s, c, k})
	}
	return out, nil
}

// writeCA writes a new CA, or says which one is reused.
func (e *env) writeCA(crtPath, keyPath string, certPEM, keyPEM []byte, reused, force bool) error {
	ca, _, err := transport.ParseCA(certPEM, keyPEM)
	if err != nil {
		return usageError("%v", err)
	}
	if reused {
		fmt.Fprintf(e.stdout, "CA: reusing %s and %s (%q, valid until %s)\n", crtPath, keyPath, ca.Subject.CommonName, ts(ca.NotAfter))
		return nil
	}
	if err := writeKeyFile(keyPath, keyPEM, 0o600, force); err != nil {
		return usageError("%v", err)
	}
	if err := writeKeyFile(crtPath, certPEM, 0o644, force); err != nil {
		return usageError("%v", err)
	}
	fmt.Fprintf(e.stdout, "CA: new, wrote %s and %s (valid until %s; keep ca.key off the servers)\n", crtPath, keyPath, ts(ca.NotAfter))
	if force {
		fmt.Fprintln(e.stdout, "    certificates issued by an earlier CA in this directory are no longer trusted")
	}
	return nil
}

// subjects parses --node and --operator; the operator, if any, is last.
func (o tlsInitOptions) subjects() ([]tlsSubject, error) {
	switch {
	case o.dir == "":
		return nil, usageError("tls init needs --dir: sealhub tls init --dir tls --node hub-1")
	case o.daysCA <= 0 || o.days <= 0:
		return nil, usageError("--days-ca and --days must be positive")
	}
	seen := map[string]bool{"ca": true}
	check := func(what, name string) error {
		switch {
		case !tlsFileName.MatchString(name):
			return usageError("%s %q: want 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit", what, name)
		case seen[name]:
			return usageError("%s %q: name already used (ca is reserved for the CA)", what, name)
		}
		seen[name] = true
		return nil
	}
	var subjects []tlsSubject
	for _, n := range o.nodes {
		id, list, _ := strings.Cut(n, "=")
		if err := check("node", id); err != nil {
			return nil, err
		}
		var hosts []string
		for h := range strings.SplitSeq(list, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hosts = append(hosts, h)
			}
		}
		if len(hosts) == 0 {
			if tlsHostName.MatchString(id) {
				hosts = append(hosts, id)
			}
			hosts = append(hosts, "127.0.0.1")
		}
		subjects = append(subjects, tlsSubject{name: id, hosts: hosts})
	}
	if o.operator != "" {
		if err := check("operator", o.operator); err != nil {
			return nil, err
		}
		subjects = append(subjects, tlsSubject{name: o.operator, operator: true})
	}
	return subjects, nil
}

// loadCA reads the CA in dir to reuse it, unless there is none or --force
// asks for a new one.
func (o tlsInitOptions) loadCA(crtPath, keyPath string) (certPEM, keyPEM []byte, reused bool, err error) {
	_, crtErr := os.Lstat(crtPath)
	_, keyErr := os.Lstat(keyPath)
	switch {
	case o.force || errors.Is(crtErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
		return nil, nil, false, nil
	case crtErr != nil || keyErr != nil:
		return nil, nil, false, usageError("%s and %s must both exist to reuse the CA (%v); use --force to make a new CA",
			crtPath, keyPath, errors.Join(crtErr, keyErr))
	}
	if certPEM, err = os.ReadFile(crtPath); err == nil {
		keyPEM, err = os.ReadFile(keyPath)
	}
	if err != nil {
		return nil, nil, false, usageError("%v", err)
	}
	ca, _, err := transport.ParseCA(certPEM, keyPEM)
	if err != nil {
		return nil, nil, false, usageError("reuse the CA in %s: %v", filepath.Dir(crtPath), err)
	}
	if !time.Now().Before(ca.NotAfter) {
		return nil, nil, false, usageError("the CA in %s expired at %s; use --force to make a new one", crtPath, ts(ca.NotAfter))
	}
	return certPEM, keyPEM, true, nil
}

func (s tlsSubject) path(dir, ext string) string { return filepath.Join(dir, s.name+ext) }

func (s tlsSubject) label() string {
	if s.operator {
		return "operator " + s.name
	}
	return "node " + s.name
}

// tlsDescribeCert summarises a certificate just issued: its names and end of validity.
func tlsDescribeCert(certPEM []byte) string {
	c, err := tlsParseCert(certPEM)
	if err != nil {
		return err.Error()
	}
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "client only; valid until " + ts(c.NotAfter)
	}
	return "names " + strings.Join(names, ", ") + "; valid until " + ts(c.NotAfter)
}

func tlsParseCert(certPEM []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(certPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return x509.ParseCertificate(b.Bytes)
}

// printTLSConfig prints the server configuration lines of each node issued.
func (e *env) printTLSConfig(caCrt, dir string, subjects []tlsSubject) error {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			p = a
		}
		b, _ := json.Marshal(p) // a JSON string, quoted and escaped
		return string(b)
	}
	header := "\nServer configuration (JSON) of each node; copy ca.crt and the node's own pair to it:\n"
	for _, s := range subjects {
		if s.operator {
			continue
		}
		if _, err := fmt.Fprintf(e.stdout, "%s  %s: \"tls\": {\"ca\": %s, \"cert\": %s, \"key\": %s}\n", header, s.name,
			abs(caCrt), abs(s.path(dir, ".crt")), abs(s.path(dir, ".key"))); err != nil {
			return err
		}
		header = ""
	}
	return nil
}
