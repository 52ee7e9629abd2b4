package smcrypto_test

import (
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

func ExampleBuildChain() {
	// A real deployment reads its trust directories:
	//
	//	roots, err := smcrypto.LoadPool("/etc/sealhub/roots")
	//	intermediates, err := smcrypto.LoadPool("/etc/sealhub/intermediates")
	//
	// Here a three-level SM2 PKI is made on the spot.
	root, rootKey := exampleCert("Root CA", true, nil, nil, 2035)
	ca, caKey := exampleCert("Provincial Seal CA", true, root, rootKey, 2030)
	maker, _ := exampleCert("Seal Maker", false, ca, caKey, 2026)

	opts := smcrypto.ChainOptions{
		Roots:         smcrypto.NewPool(root),
		Intermediates: smcrypto.NewPool(ca),
		// The time the certificate is judged at: for a signer or maker certificate, the signing
		// time. BuildChain never reads the clock.
		At: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
	}
	chain, err := smcrypto.BuildChain(maker, opts)
	if err != nil {
		panic("failed to verify certificate: " + err.Error())
	}
	for _, c := range chain.Certs {
		fmt.Println(c.Subject)
	}

	// Judged after the maker certificate expired, the chain fails with a typed reason.
	opts.At = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err = smcrypto.BuildChain(maker, opts)
	var ce *smcrypto.ChainError
	if errors.As(err, &ce) {
		fmt.Println(ce.Reason, ce.Cert.SubjectName.CommonName)
	}
	// Output:
	// CN=Seal Maker
	// CN=Provincial Seal CA
	// CN=Root CA
	// expired Seal Maker
}

// exampleCert issues an SM2 certificate valid from 2020 to the start of notAfterYear, signed by
// parent (self-signed when parent is nil).
func exampleCert(cn string, isCA bool, parent *smcrypto.Certificate, parentKey *sm2.PrivateKey, notAfterYear int) (*smcrypto.Certificate, *sm2.PrivateKey) {
	key, err := smcrypto.GenerateKey()
	if err != nil {
		panic(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		panic(err)
	}
	tmpl := &smx509.Certificate{
		SerialNumber:          serial.Add(serial, big.NewInt(1)),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(notAfterYear, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              smx509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	if isCA {
		tmpl.KeyUsage = smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign
	}
	issuer, signer := tmpl, key
	if parent != nil {
		issuer, signer = parent.X509, parentKey
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, signer)
	if err != nil {
		panic(err)
	}
	c, err := smcrypto.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return c, key
}
