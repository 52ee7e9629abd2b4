package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/spf13/cobra"
)

type pushFlags struct {
	remote   remoteFlags
	registry string
	raw      bool
	json     bool
	saveBody string
}

func (e *env) pushCommand() *cobra.Command {
	f := &pushFlags{}
	cmd := &cobra.Command{
		Use:   "push --key KEYFILE --registry ID FILE.json",
		Short: "Sign and send a registry's next push",
		Long: `Sign and send ops as the registry's next push. FILE holds a JSON array of ops, or an object
{"ops": [...]} (the op fields are those of docs/push-protocol.md). The push takes its seq and prev
from the registry's head on the hub; if another push takes that seq first, it is built again on the
new head. A push that got no answer is sent again with the same bytes, which the hub accepts once.

With --raw, FILE is a whole push body ({registry, seq, prev, issued_at, ops}) and is signed and sent
exactly as it is: use it to send again a body kept with --save-body (the hub answers "replay").

Exit codes: 0 accepted, 1 rejected by the hub (4xx), 3 usage, I/O error or hub unreachable.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return e.push(c.Context(), f, args[0])
		},
	}
	fs := cmd.Flags()
	f.remote.addServer(fs)
	f.remote.addKey(fs, "the registry's signing key")
	fs.StringVar(&f.registry, "registry", "", "registry id (with --raw: taken from the body)")
	fs.BoolVar(&f.raw, "raw", false, "FILE is a complete push body: sign and send it byte for byte")
	fs.BoolVar(&f.json, "json", false, "print the hub's answer as JSON")
	fs.StringVar(&f.saveBody, "save-body", "", "write the exact body sent to this file (before sending), for the record or for --raw")
	return cmd
}

func (e *env) push(ctx context.Context, f *pushFlags, path string) error {
	data, err := readInput(path)
	if err != nil {
		return err
	}
	key, err := f.remote.signingKey()
	if err != nil {
		return err
	}
	c, err := e.newClient(&f.remote)
	if err != nil {
		return err
	}
	signer := client.Signer{Registry: f.registry, Key: key}
	var res *ingest.PushResponse
	if f.raw {
		p, err := trustlist.ParsePush(data)
		if err != nil {
			return usageError("%s is not a push body: %v", path, err)
		}
		if f.registry != "" && f.registry != p.Registry {
			return usageError("--registry %s, but the body is registry %s's", f.registry, p.Registry)
		}
		if f.saveBody != "" {
			if err := writeFileAtomic(f.saveBody, data, 0o644); err != nil {
				return usageError("--save-body: %v", err)
			}
		}
		signer.Registry = p.Registry
		res, err = c.Send(ctx, signer, data)
		if err != nil {
			return apiFailure(e.stderr, "push", err, nil)
		}
	} else {
		if f.registry == "" {
			return usageError("--registry is required")
		}
		ops, err := decodeOps(data)
		if err != nil {
			return usageError("%s: %v", path, err)
		}
		opsJSON, err := client.MarshalOps(ops)
		if err != nil {
			return usageError("%s: %v", path, err)
		}
		if err := checkPushSize(f.registry, len(ops), opsJSON); err != nil {
			return usageError("%s: %v", path, err)
		}
		var save func([]byte) error
		if f.saveBody != "" {
			save = func(body []byte) error { return writeFileAtomic(f.saveBody, body, 0o644) }
		}
		res, _, err = c.PushOps(ctx, signer, opsJSON, save)
		if err != nil {
			return apiFailure(e.stderr, "push", err, nil)
		}
	}
	return e.printPush(res, f.json)
}

// decodeOps reads a JSON array of ops, or an object {"ops": [...]}, strictly: unknown fields and
// trailing data are errors.
func decodeOps(data []byte) ([]trustlist.Op, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	var ops []trustlist.Op
	var target any = &ops
	var wrapped struct {
		Ops []trustlist.Op `json:"ops"`
	}
	if len(trimmed) > 0 && trimmed[0] == '{' {
		target = &wrapped
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(target); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file: want a JSON array of ops or {\"ops\": [...]}")
		}
		return nil, fmt.Errorf("want a JSON array of ops or {\"ops\": [...]}: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON value")
	}
	if target == &wrapped {
		ops = wrapped.Ops
	}
	if len(ops) == 0 {
		return nil, errors.New("no ops")
	}
	return ops, nil
}

// pushOverhead is the size of a push body without its ops, at its largest (a seq of 20 digits, a
// prev, issued_at in whole seconds).
func pushOverhead(registry string) int {
	b, err := client.MarshalPushOps(trustlist.Push{
		Registry: registry, Seq: ^uint64(0), Prev: strings.Repeat("0", 64),
		IssuedAt: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	}, nil)
	if err != nil {
		panic(err) // a fixed value always encodes
	}
	return len(b)
}

// checkPushSize refuses ops that cannot go in one push.
func checkPushSize(registry string, nops int, ops []byte) error {
	if nops > trustlist.MaxOps {
		return fmt.Errorf("%d ops; one push carries at most %d (sealhub import splits ledgers)", nops, trustlist.MaxOps)
	}
	if n := pushOverhead(registry) + len(ops); n > trustlist.MaxPushBytes {
		return fmt.Errorf("the push would be %d bytes; one push is at most %d: split the ops", n, trustlist.MaxPushBytes)
	}
	return nil
}
