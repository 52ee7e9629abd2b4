package smcrypto

import (
	"bytes"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Pool is a set of certificates indexed by subject. The zero value and nil are empty pools. A Pool is
// not safe for concurrent mutation; build it, then share it read-only.
type Pool struct {
	bySubject map[string][]*Certificate
	byFP      map[string]*Certificate
	order     []*Certificate
}

// NewPool returns a pool holding certs (duplicates by DER are dropped).
func NewPool(certs ...*Certificate) *Pool {
	p := &Pool{bySubject: map[string][]*Certificate{}, byFP: map[string]*Certificate{}}
	for _, c := range certs {
		p.Add(c)
	}
	return p
}

// Add puts c into the pool; it reports false if the same DER was already there.
func (p *Pool) Add(c *Certificate) bool {
	if p.bySubject == nil {
		p.bySubject, p.byFP = map[string][]*Certificate{}, map[string]*Certificate{}
	}
	fp := string(c.Raw)
	if _, ok := p.byFP[fp]; ok {
		return false
	}
	p.byFP[fp] = c
	p.bySubject[string(c.RawSubject)] = append(p.bySubject[string(c.RawSubject)], c)
	p.order = append(p.order, c)
	return true
}

// Len is the number of certificates.
func (p *Pool) Len() int {
	if p == nil {
		return 0
	}
	return len(p.order)
}

// Certs returns the certificates in insertion order.
func (p *Pool) Certs() []*Certificate {
	if p == nil {
		return nil
	}
	return append([]*Certificate(nil), p.order...)
}

// Contains reports whether the pool holds exactly c's DER.
func (p *Pool) Contains(c *Certificate) bool {
	if p == nil {
		return false
	}
	_, ok := p.byFP[string(c.Raw)]
	return ok
}

// issuersOf returns the pool's certificates whose subject is c's issuer, skipping those whose subject
// key identifier contradicts c's authority key identifier.
func (p *Pool) issuersOf(c *Certificate) []*Certificate {
	if p == nil {
		return nil
	}
	var out []*Certificate
	for _, cand := range p.bySubject[string(c.RawIssuer)] {
		if len(c.AuthorityKeyID) > 0 && len(cand.SubjectKeyID) > 0 && !bytes.Equal(c.AuthorityKeyID, cand.SubjectKeyID) {
			continue
		}
		out = append(out, cand)
	}
	return out
}

// ParseCertificates reads one or more certificates from data: PEM ("CERTIFICATE" blocks) or a single
// DER certificate.
func ParseCertificates(data []byte) ([]*Certificate, error) {
	trimmed := bytes.TrimSpace(data)
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		// DER: a final 0x0a, 0x20 … is part of the signature, so the bytes are parsed as they are
		// first, and without surrounding white space only if that fails.
		c, err := ParseCertificate(data)
		if err != nil && len(trimmed) != len(data) {
			if c2, err2 := ParseCertificate(trimmed); err2 == nil {
				c, err = c2, nil
			}
		}
		if err != nil {
			return nil, err
		}
		return []*Certificate{c}, nil
	}
	var out []*Certificate
	rest := trimmed
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no CERTIFICATE PEM block", ErrMalformedCertificate)
	}
	return out, nil
}

// LoadFile reads the certificates of one PEM or DER file.
func LoadFile(path string) ([]*Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	certs, err := ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return certs, nil
}

// LoadDir reads every regular file of dir (not recursively; names starting with "." and files whose
// name contains "key" are skipped) as PEM or DER certificates. A file that is not a certificate is an
// error naming the file: a trust directory with junk in it is a configuration mistake.
func LoadDir(dir string) ([]*Certificate, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var out []*Certificate
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || name[0] == '.' || bytes.Contains(bytes.ToLower([]byte(name)), []byte("key")) ||
			filepath.Ext(name) == ".tsv" || filepath.Ext(name) == ".md" {
			continue
		}
		certs, err := LoadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, certs...)
	}
	return out, nil
}

// LoadPool reads certificates from each path, a directory (see LoadDir) or a file (see LoadFile),
// into one pool. Empty paths are skipped.
func LoadPool(paths ...string) (*Pool, error) {
	p := NewPool()
	for _, path := range paths {
		if path == "" {
			continue
		}
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		var certs []*Certificate
		if st.IsDir() {
			certs, err = LoadDir(path)
		} else {
			certs, err = LoadFile(path)
		}
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			p.Add(c)
		}
	}
	return p, nil
}

func isUnsupported(err error) bool { return errors.Is(err, ErrUnsupportedAlgorithm) }
