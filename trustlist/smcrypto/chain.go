package smcrypto

import (
	"bytes"
	"fmt"
	"time"
)

// DefaultMaxChainDepth bounds path building (leaf + intermediates + root).
const DefaultMaxChainDepth = 8

// maxSignatureChecks bounds the signature checks of one BuildChain call, as crypto/x509 does: without
// it, a few CAs that cross-certify each other under several certificates make the search exponential
// (ten such certificates already cost about a second).
const maxSignatureChecks = 100

// ChainOptions are the inputs of BuildChain. Roots are trust anchors; Intermediates only help build a
// path. At is the time every certificate on the path must be valid at: callers pass the signing time,
// the seal's creation time or "now" according to their policy; BuildChain never reads the clock.
type ChainOptions struct {
	Roots         *Pool
	Intermediates *Pool
	At            time.Time
	// StrictAnchorKeyUsage refuses a root whose KeyUsage extension lacks keyCertSign. By default such a
	// root is accepted (it is trusted by configuration) and Chain.Warnings says so.
	StrictAnchorKeyUsage bool
	// RequireLeafSigning requires the leaf, when it has a KeyUsage extension, to allow digitalSignature
	// or contentCommitment (nonRepudiation).
	RequireLeafSigning bool
	MaxDepth           int
}

// Chain is a verified path, leaf first and trust anchor last.
type Chain struct {
	Certs    []*Certificate
	Warnings []string
}

// Anchor is the trust anchor that ends the chain.
func (c *Chain) Anchor() *Certificate { return c.Certs[len(c.Certs)-1] }

// BuildChain finds a path from leaf to one of opts.Roots, checking every issuer signature, that every
// issuer may sign certificates, and that every certificate is valid at opts.At. It returns *ChainError.
// When several paths fail, the error from the path that went furthest is returned, and a definite
// failure (expired, bad signature …) is preferred to "unknown authority".
func BuildChain(leaf *Certificate, opts ChainOptions) (*Chain, error) {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxChainDepth
	}
	if err := checkValidity(leaf, opts.At); err != nil {
		return nil, err
	}
	if opts.RequireLeafSigning && leaf.KeyUsagePresent && leaf.KeyUsage&(KeyUsageDigitalSignature|KeyUsageContentCommit) == 0 {
		return nil, &ChainError{Reason: ReasonLeafKeyUsage, Cert: leaf, At: opts.At, Detail: "key usage allows neither digitalSignature nor nonRepudiation"}
	}
	b := &builder{opts: opts}
	if opts.Roots != nil && opts.Roots.Contains(leaf) {
		return &Chain{Certs: []*Certificate{leaf}}, nil
	}
	if chain := b.extend([]*Certificate{leaf}); chain != nil {
		return chain, nil
	}
	return nil, b.best.err
}

type builder struct {
	opts   ChainOptions
	checks int // signature checks so far
	best   struct {
		err   *ChainError
		depth int
	}
}

func (b *builder) fail(err *ChainError, depth int) {
	cur := b.best.err
	definite := err.Reason != ReasonUnknownAuthority
	curDefinite := cur != nil && cur.Reason != ReasonUnknownAuthority
	if cur == nil || (definite && !curDefinite) || (definite == curDefinite && depth > b.best.depth) {
		b.best.err, b.best.depth = err, depth
	}
}

// extend tries every candidate issuer of the last certificate of path.
func (b *builder) extend(path []*Certificate) *Chain {
	cur := path[len(path)-1]
	depth := len(path)
	if depth >= b.opts.MaxDepth {
		b.fail(&ChainError{Reason: ReasonTooLong, Cert: cur, At: b.opts.At, Detail: fmt.Sprintf("more than %d certificates", b.opts.MaxDepth)}, depth)
		return nil
	}
	roots := b.opts.Roots.issuersOf(cur)
	inters := b.opts.Intermediates.issuersOf(cur)
	if len(roots)+len(inters) == 0 {
		b.fail(&ChainError{Reason: ReasonUnknownAuthority, Cert: cur, At: b.opts.At, Detail: fmt.Sprintf("%q", cur.Issuer)}, depth)
		return nil
	}
	for _, root := range roots {
		if err := b.link(cur, root); err != nil {
			b.fail(err, depth+1)
			continue
		}
		var warnings []string
		if root.KeyUsagePresent && root.KeyUsage&KeyUsageCertSign == 0 {
			if b.opts.StrictAnchorKeyUsage {
				b.fail(&ChainError{Reason: ReasonNotAuthorizedToSign, Cert: root, At: b.opts.At, Detail: "trust anchor's key usage lacks keyCertSign (strict anchor policy)"}, depth+1)
				continue
			}
			warnings = append(warnings, fmt.Sprintf("trust anchor %q lacks keyCertSign in its key usage; accepted as configured", root.Subject))
		}
		return &Chain{Certs: append(append([]*Certificate(nil), path...), root), Warnings: warnings}
	}
	for _, ic := range inters {
		if inPath(path, ic) {
			// A cross-certification loop: record it, so that a search that meets nothing else still
			// ends with an error (and never with a nil *ChainError).
			b.fail(&ChainError{Reason: ReasonUnknownAuthority, Cert: cur, At: b.opts.At, Detail: fmt.Sprintf("%q (only a certificate already on the path: a cross-certification loop)", cur.Issuer)}, depth)
			continue
		}
		if err := b.link(cur, ic); err != nil {
			b.fail(err, depth+1)
			continue
		}
		if !ic.IsCA || (ic.KeyUsagePresent && ic.KeyUsage&KeyUsageCertSign == 0) {
			b.fail(&ChainError{Reason: ReasonNotAuthorizedToSign, Cert: ic, At: b.opts.At, Detail: "intermediate is not a CA or lacks keyCertSign"}, depth+1)
			continue
		}
		if ic.Lenient {
			// Only leaves are seen malformed in real data; a CA must parse strictly.
			b.fail(&ChainError{Reason: ReasonNotAuthorizedToSign, Cert: ic, At: b.opts.At, Detail: "a certificate that only the lenient parser reads cannot be a CA: " + fmt.Sprint(ic.StrictError)}, depth+1)
			continue
		}
		if below := len(path) - 1; ic.MaxPathLen >= 0 && below > ic.MaxPathLen {
			b.fail(&ChainError{Reason: ReasonNotAuthorizedToSign, Cert: ic, At: b.opts.At, Detail: fmt.Sprintf("pathLenConstraint %d, but %d intermediates follow it", ic.MaxPathLen, below)}, depth+1)
			continue
		}
		if chain := b.extend(append(path[:len(path):len(path)], ic)); chain != nil {
			return chain
		}
	}
	return nil
}

// link checks that issuer signed cur and that issuer is valid at the time of the check.
func (b *builder) link(cur, issuer *Certificate) *ChainError {
	if b.checks++; b.checks > maxSignatureChecks {
		return &ChainError{Reason: ReasonTooLong, Cert: cur, At: b.opts.At, Detail: fmt.Sprintf("gave up after %d signature checks", maxSignatureChecks)}
	}
	if err := cur.checkSignatureFromCached(issuer); err != nil {
		reason := ReasonBadSignature
		if isUnsupported(err) {
			reason = ReasonUnsupportedAlgorithm
		}
		return &ChainError{Reason: reason, Cert: cur, At: b.opts.At, Detail: fmt.Sprintf("issuer %q: %v", issuer.Subject, err)}
	}
	return checkValidity(issuer, b.opts.At)
}

func checkValidity(c *Certificate, at time.Time) *ChainError {
	switch {
	case at.After(c.NotAfter):
		return &ChainError{Reason: ReasonExpired, Cert: c, At: at}
	case at.Before(c.NotBefore):
		return &ChainError{Reason: ReasonNotYetValid, Cert: c, At: at}
	}
	return nil
}

func inPath(path []*Certificate, c *Certificate) bool {
	for _, p := range path {
		if bytes.Equal(p.Raw, c.Raw) {
			return true
		}
	}
	return false
}
