// Package samples finds the real sample files (../shared/samples beside the checkout, or
// $SEALHUB_SAMPLES) and reads expected-results.json, for tests only. Sample files are never copied
// into the repository.
package samples

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EnvVar names the variable that overrides the samples directory.
const EnvVar = "SEALHUB_SAMPLES"

// Locate returns the samples directory: $SEALHUB_SAMPLES, else ../shared/samples relative to the
// module root (the nearest directory upwards holding go.mod).
func Locate() (string, error) {
	if d := os.Getenv(EnvVar); d != "" {
		if _, err := os.Stat(filepath.Join(d, "expected-results.json")); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvVar, d, err)
		}
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
	d := filepath.Join(dir, "..", "shared", "samples")
	if _, err := os.Stat(filepath.Join(d, "expected-results.json")); err != nil {
		return "", fmt.Errorf("samples not found at %s (set %s): %w", d, EnvVar, err)
	}
	return filepath.Clean(d), nil
}

// Dir returns the samples directory, or skips the test with a clear message when it is absent.
func Dir(tb testing.TB) string {
	tb.Helper()
	d, err := Locate()
	if err != nil {
		tb.Skipf("real samples unavailable: %v", err)
	}
	return d
}

// Path joins the samples directory and rel, skipping the test when the samples are absent.
func Path(tb testing.TB, rel ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{Dir(tb)}, rel...)...)
}

// Read reads a sample file, failing the test if it cannot.
func Read(tb testing.TB, rel ...string) []byte {
	tb.Helper()
	b, err := os.ReadFile(Path(tb, rel...))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// CertInfo is a certificate entry of expected-results.json.
type CertInfo struct {
	Subject        string `json:"subject"`
	Issuer         string `json:"issuer"`
	NotBefore      string `json:"notBefore"`
	NotAfter       string `json:"notAfter"`
	SMX509Parse    string `json:"smx509Parse"`
	ChainAtRefTime string `json:"chainAtRefTime"`
}

// SealInfo is a seal entry of expected-results.json.
type SealInfo struct {
	Layout                    string   `json:"layout"`
	HeaderVersion             int      `json:"headerVersion"`
	Vid                       string   `json:"vid"`
	ESID                      string   `json:"esID"`
	Name                      string   `json:"name"`
	Type                      int      `json:"type"`
	CertListType              int      `json:"certListType"`
	TimeTag                   string   `json:"timeTag"`
	CreateDate                string   `json:"createDate"`
	ValidStart                string   `json:"validStart"`
	ValidEnd                  string   `json:"validEnd"`
	PictureType               string   `json:"pictureType"`
	SealSignatureVerifiesOver string   `json:"sealSignatureVerifiesOver"`
	SealSignatureEncoding     string   `json:"sealSignatureEncoding"`
	MakerCert                 CertInfo `json:"makerCert"`
}

// SignatureInfo is a signature entry of expected-results.json.
type SignatureInfo struct {
	Sample                    string   `json:"sample"`
	Kind                      string   `json:"kind"`
	TBSVersion                int      `json:"tbsVersion"`
	TimeInfo                  string   `json:"timeInfo"`
	PropertyInfo              string   `json:"propertyInfo"`
	TBSExtDatas               bool     `json:"tbsExtDatas"`
	DataHashMatches           bool     `json:"dataHashEqualsSM3(Signature.xml)"`
	SignatureVerifiesOver     string   `json:"signatureVerifiesOver"`
	SignatureEncoding         string   `json:"signatureEncoding"`
	SignerCert                CertInfo `json:"signerCert"`
	SignerCertInSealCertList  bool     `json:"signerCertInSealCertList"`
	Seal                      SealInfo `json:"seal"`
	SealEslEqualsEmbeddedSeal bool     `json:"sealEslEqualsEmbeddedSeal"`
}

// Expected is expected-results.json, split by kind: keys are the paths relative to the samples
// directory ("ses-seal/ofdrw-UserV4.esl", "ses-signature/ofdrw-v4").
type Expected struct {
	Seals      map[string]SealInfo
	Signatures map[string]SignatureInfo
}

// LoadExpected reads expected-results.json.
func LoadExpected(tb testing.TB) Expected {
	tb.Helper()
	raw := map[string]json.RawMessage{}
	if err := json.Unmarshal(Read(tb, "expected-results.json"), &raw); err != nil {
		tb.Fatalf("expected-results.json: %v", err)
	}
	e := Expected{Seals: map[string]SealInfo{}, Signatures: map[string]SignatureInfo{}}
	for k, v := range raw {
		var err error
		switch filepath.Dir(k) {
		case "ses-seal":
			var s SealInfo
			err = json.Unmarshal(v, &s)
			e.Seals[k] = s
		case "ses-signature":
			var s SignatureInfo
			err = json.Unmarshal(v, &s)
			e.Signatures[k] = s
		}
		if err != nil {
			tb.Fatalf("expected-results.json %s: %v", k, err)
		}
	}
	return e
}
