package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sealhub/sealhub/resolver"
)

var formatNames = map[string]string{"V1": "V1 (GM/T 0031-2014)", "V4": "V4 (GB/T 38540-2020)", "V5": "V5 (GM/T 0031-2025)"}

func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// writeReportText prints a report as a readable table of checks.
func writeReportText(w io.Writer, r *resolver.Report, name, indent string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, indent+format+"\n", args...) }
	p("%s %s: %s", r.Kind, name, strings.ToUpper(string(r.Result)))
	if r.Reason != resolver.ReasonOK {
		p("  reason:   %s — %s", r.Reason, r.Message)
	}
	if r.Format != "" {
		p("  format:   %s", formatNames[r.Format])
	}
	if s := r.Seal; s != nil {
		p("  seal:     %s  %s", s.Code, s.Name)
		prov := ""
		if s.Province != "" {
			prov = ", province " + s.Province
		}
		p("            vid %s, type %d%s; made %s; valid %s – %s", s.Vid, s.Type, prov, ts(s.CreateDate), ts(s.ValidStart), ts(s.ValidEnd))
	}
	if r.Maker != nil {
		p("  maker:    %s (issuer %s)", r.Maker.Subject, r.Maker.Issuer)
	}
	if r.Signer != nil {
		p("  signer:   %s (issuer %s)", r.Signer.Subject, r.Signer.Issuer)
	}
	if r.SigningTime != nil {
		p("  signed:   %s (%s, from timeInfo)", ts(*r.SigningTime), r.SigningTimeSource)
	}
	if r.CheckedAt != nil {
		p("  checked at %s", ts(*r.CheckedAt))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s  CHECK\tRESULT\tDETAIL\n", indent)
	rows := []struct {
		name string
		c    resolver.Check
	}{
		{"signature", r.Checks.Signature}, {"timestamp", r.Checks.Timestamp}, {"signer_in_seal", r.Checks.SignerInSeal}, {"seal_signature", r.Checks.SealSignature},
		{"maker_chain", r.Checks.MakerChain}, {"signer_chain", r.Checks.SignerChain}, {"seal_validity", r.Checks.SealValidity},
		{"data_hash", r.Checks.DataHash}, {"status", r.Checks.Status},
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s  %s\t%s\t%s\n", indent, row.name, row.c.Result, row.c.Detail)
	}
	tw.Flush()
	for _, warn := range r.Warnings {
		p("  warning: %s", warn)
	}
	for _, q := range r.Quirks {
		p("  quirk:   %s", q)
	}
}

func writeOFDText(w io.Writer, r *resolver.OFDReport, name string) {
	fmt.Fprintf(w, "OFD %s: %s", name, strings.ToUpper(string(r.Result)))
	if r.Reason != resolver.ReasonOK {
		fmt.Fprintf(w, " (%s — %s)", r.Reason, r.Message)
	}
	fmt.Fprintf(w, "\n%d signature(s)\n", len(r.Signatures))
	for i, s := range r.Signatures {
		fmt.Fprintf(w, "\n[%d] %s  type %s, %s\n", i+1, s.SignaturePath, s.Type, s.Kind)
		if s.Report != nil {
			writeReportText(w, s.Report, s.SignaturePath, "    ")
		}
		for _, ref := range s.References {
			fmt.Fprintf(w, "      reference %-40s %s %s\n", ref.File, ref.Result, ref.Detail)
		}
	}
}
