package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"time"

	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
	"github.com/spf13/cobra"
)

type verifyFlags struct {
	roots, intermediates []string
	makers               []string
	at                   string
	data                 string
	json                 bool
	strictAnchors        bool
	makerAtSigningTime   bool
	online               onlineFlags // --server and its companions (verify_server.go)
}

func (e *env) verifyCommand() *cobra.Command {
	f := &verifyFlags{}
	cmd := &cobra.Command{
		Use:   "verify seal|signature|ofd FILE",
		Short: "Verify a seal, a seal signature or a signed OFD document, offline or with a hub",
		Long: `Verify offline, against the CA certificates given with --roots (trust anchors) and
--intermediates (PEM or DER files, or directories of them). Without a trust list the seal's status
(停用/注销/无效) is not checked, and the report says so.

With --server (or $SEALHUB_SERVER, unless an offline-only flag such as --roots is given), ask the
hub's verification API instead: the hub checks against its trust list, adds the seal's status at the
checked time and now, and signs the report with a receipt (回执). A signature's original (--data)
never leaves this machine: only its SM3 is sent. --json prints the hub's answer byte for byte, so
` + "`sealhub receipt verify`" + ` can check it later. The API key, if the hub wants one, comes from
--api-key or $SEALHUB_API_KEY.

Exit codes: 0 valid, 1 invalid, 2 indeterminate, 3 usage or I/O error (the hub refused the request
or could not be reached).`,
	}
	pf := cmd.PersistentFlags()
	pf.StringSliceVar(&f.roots, "roots", nil, "trust anchors: a directory or file of PEM/DER CA certificates (repeatable)")
	pf.StringSliceVar(&f.intermediates, "intermediates", nil, "intermediate CA certificates: a directory or file (repeatable)")
	pf.StringSliceVar(&f.makers, "makers", nil, "registered seal-making systems' certificates (制章系统): a maker not among them is invalid (repeatable)")
	pf.StringVar(&f.at, "at", "", "time of the checks, RFC 3339 (default: the signing time for signatures, now for seals)")
	pf.BoolVar(&f.json, "json", false, "print the report as JSON")
	pf.BoolVar(&f.strictAnchors, "strict-anchor-key-usage", false, "refuse trust anchors whose key usage lacks keyCertSign")
	pf.BoolVar(&f.makerAtSigningTime, "maker-at-signing-time", false, "judge the maker certificate at the signing time only (no createDate allowance)")
	f.online.add(pf)

	sig := &cobra.Command{
		Use:   "signature FILE",
		Short: "Verify an SES_Signature (电子签章), with --data the signed original",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if online, err := e.verifyOnline(c, f, func(o *onlineVerify) error { return o.signature(args[0], f.data) }); online {
				return err
			}
			v, at, der, err := f.verifierAndInput(args[0])
			if err != nil {
				return err
			}
			req := resolver.SignatureRequest{DER: der, At: at}
			if f.data != "" {
				if req.Data, err = os.ReadFile(f.data); err != nil {
					return usageError("--data: %v", err)
				}
			}
			return e.printReport(f.json, v.VerifySignature(req), args[0])
		},
	}
	sig.Flags().StringVar(&f.data, "data", "", "the signed original (for OFD: the Signature.xml that propertyInfo names)")
	seal := &cobra.Command{
		Use:   "seal FILE",
		Short: "Verify an SES_Seal (电子印章)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if online, err := e.verifyOnline(c, f, func(o *onlineVerify) error { return o.seal(args[0]) }); online {
				return err
			}
			v, at, der, err := f.verifierAndInput(args[0])
			if err != nil {
				return err
			}
			return e.printReport(f.json, v.VerifySeal(resolver.SealRequest{DER: der, At: at}), args[0])
		},
	}
	ofd := &cobra.Command{
		Use:   "ofd FILE",
		Short: "Verify every signature of a signed OFD document",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if online, err := e.verifyOnline(c, f, func(o *onlineVerify) error { return o.ofd(args[0]) }); online {
				return err
			}
			v, at, err := f.verifier()
			if err != nil {
				return err
			}
			rep, err := v.VerifyOFDFile(args[0], at)
			if err != nil {
				return usageError("%s: %v", args[0], err)
			}
			return e.printOFDReport(f.json, rep, args[0])
		},
	}
	cmd.AddCommand(seal, sig, ofd)
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageError("verify what? seal, signature or ofd (sealhub verify --help)")
		}
		return usageError("unknown kind %q: want seal, signature or ofd", args[0])
	}
	return cmd
}

// verifierAndInput is verifier plus the bytes of the file to verify.
func (f *verifyFlags) verifierAndInput(path string) (*resolver.Verifier, time.Time, []byte, error) {
	v, at, err := f.verifier()
	if err != nil {
		return nil, at, nil, err
	}
	der, err := readInput(path)
	return v, at, der, err
}

func (f *verifyFlags) verifier() (*resolver.Verifier, time.Time, error) {
	at, err := f.atTime()
	if err != nil {
		return nil, at, err
	}
	roots, err := smcrypto.LoadPool(f.roots...)
	if err != nil {
		return nil, at, usageError("--roots: %v", err)
	}
	inter, err := smcrypto.LoadPool(f.intermediates...)
	if err != nil {
		return nil, at, usageError("--intermediates: %v", err)
	}
	var makers *smcrypto.Pool
	if len(f.makers) > 0 {
		if makers, err = smcrypto.LoadPool(f.makers...); err != nil {
			return nil, at, usageError("--makers: %v", err)
		}
	}
	if err := smcrypto.SelfTest(); err != nil {
		return nil, at, &exitError{code: exitUsage, err: err}
	}
	return &resolver.Verifier{
		Roots: roots, Intermediates: inter, Makers: makers,
		Policy: resolver.Policy{StrictAnchorKeyUsage: f.strictAnchors, MakerAtSigningTimeOnly: f.makerAtSigningTime},
	}, at, nil
}

// atTime is --at, or zero.
func (f *verifyFlags) atTime() (time.Time, error) {
	if f.at == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, f.at)
	if err != nil {
		return t, usageError("--at %q: want RFC 3339, e.g. 2024-05-01T08:00:00+08:00", f.at)
	}
	return t, nil
}

// maxInput bounds what verify reads of a seal or signature file.
const maxInput = 64 << 20

func readInput(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, usageError("%v", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxInput+1))
	if err != nil {
		return nil, usageError("%s: %v", path, err)
	}
	if len(b) > maxInput {
		return nil, usageError("%s: larger than %d MiB", path, maxInput>>20)
	}
	return b, nil
}

func resultExit(r resolver.Verdict) error {
	switch r {
	case resolver.Valid:
		return nil
	case resolver.Invalid:
		return &exitError{code: exitInvalid}
	}
	return &exitError{code: exitIndeterminate}
}

func (e *env) printReport(asJSON bool, r *resolver.Report, name string) error {
	if asJSON {
		if err := writeJSON(e.stdout, r); err != nil {
			return err
		}
	} else {
		writeReportText(e.stdout, r, name, "")
	}
	return resultExit(r.Result)
}

func (e *env) printOFDReport(asJSON bool, r *resolver.OFDReport, name string) error {
	if asJSON {
		if err := writeJSON(e.stdout, r); err != nil {
			return err
		}
	} else {
		writeOFDText(e.stdout, r, name)
	}
	return resultExit(r.Result)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return &exitError{code: exitUsage, err: errors.Join(errors.New("writing JSON"), err)}
	}
	return nil
}
