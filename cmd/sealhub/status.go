package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/ledger"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/spf13/cobra"
)

type statusFlags struct {
	remote remoteFlags
	at     string
	json   bool
}

func (e *env) statusCommand() *cobra.Command {
	f := &statusFlags{}
	cmd := &cobra.Command{
		Use:   "status CODE",
		Short: "Show a seal's status, now or at a time, and its status history",
		Long: `Ask the hub for a seal (GET /v1/seals/{code}): its record, its status now or, with --at, at that
effective time (停用/注销/无效 as recorded, expired / not_yet_valid from the validity window), and
every status event the hub holds.

Exit codes: 0 found, 1 the hub holds no such seal, 3 usage error or hub unreachable.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return e.status(c.Context(), f, args[0])
		},
	}
	fs := cmd.Flags()
	f.remote.addServer(fs)
	fs.StringVar(&f.at, "at", "", "effective time to ask about, RFC 3339 (default: now)")
	fs.BoolVar(&f.json, "json", false, "print the hub's answer as JSON")
	return cmd
}

func (e *env) status(ctx context.Context, f *statusFlags, code string) error {
	var at time.Time
	if f.at != "" {
		t, err := time.Parse(time.RFC3339, f.at)
		if err != nil {
			return usageError("--at %q: want RFC 3339, e.g. 2024-05-01T08:00:00+08:00", f.at)
		}
		at = t
	}
	c, err := e.newClient(&f.remote)
	if err != nil {
		return err
	}
	c.Retries = 2 // a question, not a write: do not keep a person waiting on a hub that is down
	v, err := c.Seal(ctx, code, at)
	if err != nil {
		var ae *client.Error
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			fmt.Fprintf(e.stderr, "sealhub: seal %s: %s\n", code, ae.Message)
			return &exitError{code: exitRejected}
		}
		if errors.As(err, &ae) && ae.Status < 500 {
			return usageError("seal %s: %s %s", code, ae.Code, ae.Message)
		}
		return &exitError{code: exitUsage, err: fmt.Errorf("seal %s: %w", code, err)}
	}
	if f.json {
		return writeJSON(e.stdout, v)
	}
	writeSealStatus(e, v, !at.IsZero())
	return nil
}

func writeSealStatus(e *env, v *httpapi.SealResponse, atGiven bool) {
	w := e.stdout
	fmt.Fprintf(w, "seal %s  %s\n", v.Code, v.Name)
	fmt.Fprintf(w, "  registry:  %s (filed at index %d", v.Registry, v.FiledIndex)
	if v.FromDER {
		fmt.Fprint(w, ", from the SES_Seal")
	} else {
		fmt.Fprint(w, ", from ledger metadata")
	}
	fmt.Fprintln(w, ")")
	if name := ledger.TypeName(v.Type); name != "" {
		fmt.Fprintf(w, "  type:      %d %s\n", v.Type, name)
	} else {
		fmt.Fprintf(w, "  type:      %d\n", v.Type)
	}
	if v.OwnerName != "" || v.OwnerUSCC != "" {
		fmt.Fprintf(w, "  owner:     %s %s\n", v.OwnerName, v.OwnerUSCC)
	}
	fmt.Fprintf(w, "  valid:     %s – %s\n", ts(v.ValidStart), ts(v.ValidEnd))
	when := "now"
	if atGiven {
		when = "at " + ts(v.Status.At)
	}
	line := fmt.Sprintf("  status %s: %s", when, strings.ToUpper(string(v.Status.Status)))
	if v.Status.Recorded != "" && v.Status.Recorded != v.Status.Status {
		line += fmt.Sprintf(" (recorded %s)", v.Status.Recorded)
	}
	if ev := v.Status.Event; ev != nil {
		line += fmt.Sprintf(", since %s (index %d)", ts(ev.EffectiveAt), ev.Index)
	}
	fmt.Fprintln(w, line)
	fmt.Fprintf(w, "  as of index %d\n\n", v.Index)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tEFFECTIVE_AT\tRECORDED_AT\tINDEX\tPUSH\tREASON")
	for _, ev := range v.Events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s/%d\t%s\n", ev.Status, ts(ev.EffectiveAt), ts(ev.RecordedAt), ev.Index, ev.Push.Registry, ev.Push.Seq, ev.Reason)
	}
	tw.Flush()
}
