// Package sm2ca is the SM2 test PKI of the tests: a root, an intermediate, a seal-maker (制章者)
// certificate and signer (签章者) certificates made at test time, and from them V4/V5 seals, seal
// signatures and signed OFD documents — valid ones and deliberately broken ones.
//
// It is a thin alias of internal/demo, which holds the code so that `sealhub dev` (non-test code,
// which must not import test/...) can make the same PKI. Nothing here is for production: keys live
// in memory and serial numbers are predictable.
package sm2ca

import "github.com/sealhub/sealhub/internal/demo"

type (
	// Authority is a certificate with its private key.
	Authority = demo.Authority
	// CertSpec describes a certificate to issue.
	CertSpec = demo.CertSpec
	// PKI is root → intermediate → {maker, signer}, with its times fixed at construction.
	PKI = demo.PKI
	// Options tune New; the zero value gives certificates valid from 2024-01-01.
	Options = demo.Options
	// SealSpec describes a seal to make.
	SealSpec = demo.SealSpec
	// SignSpec describes a seal signature (电子签章) to make.
	SignSpec = demo.SignSpec
	// OFDSignature describes one seal signature of an OFD made by PKI.OFD.
	OFDSignature = demo.OFDSignature
)

// New makes a fresh PKI.
func New(o Options) (*PKI, error) { return demo.New(o) }

// Picture is a small red-ring PNG to stand for a seal image.
func Picture() []byte { return demo.Picture() }
