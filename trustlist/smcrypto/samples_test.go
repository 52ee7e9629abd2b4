package smcrypto_test

import (
	"bytes"
	"encoding/pem"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sealhub/sealhub/trustlist/ses"
)

// samplesEnv names the environment variable that points at the shared sample folder.
const samplesEnv = "SEALHUB_SAMPLES"

// findSamples returns the sample folder: $SEALHUB_SAMPLES, or else ../shared/samples next to the
// directory holding go.mod (found by walking up from the working directory). ok is false when the
// folder does not exist; dir is then where it was looked for.
func findSamples() (dir string, ok bool) {
	if d := os.Getenv(samplesEnv); d != "" {
		return d, isDir(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir = filepath.Join(filepath.Dir(d), "shared", "samples")
			return dir, isDir(dir)
		}
		if filepath.Dir(d) == d {
			return filepath.Join(wd, "shared", "samples"), false
		}
	}
}

func isDir(d string) bool {
	fi, err := os.Stat(d)
	return err == nil && fi.IsDir()
}

// samplesDir returns the sample folder or skips the test.
func samplesDir(tb testing.TB) string {
	tb.Helper()
	dir, ok := findSamples()
	if !ok {
		tb.Skipf("samples not found at %s; set %s", dir, samplesEnv)
	}
	return dir
}

// samplePath joins the sample folder and a slash-separated relative path, skipping when absent.
func samplePath(tb testing.TB, rel string) string {
	tb.Helper()
	return filepath.Join(samplesDir(tb), filepath.FromSlash(rel))
}

// readSample reads one sample file, skipping the test when the sample folder is absent.
func readSample(tb testing.TB, rel string) []byte {
	tb.Helper()
	data, err := os.ReadFile(samplePath(tb, rel))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// Certificate folders under samples/certs, with the number of certificates each must hold.
var sampleCertDirs = []struct {
	dir   string
	count int
}{
	{"certs/national-sm2-roots", 3},
	{"certs/national-sm2-ca-operating", 86},
	{"certs/ofdrw-test-pki", 4},
}

// sampleCertFile is one certificate read from a sample file.
type sampleCertFile struct {
	name string // slash path relative to the samples folder, plus "#n" for the n-th PEM block
	der  []byte
}

// sampleCertFiles lists the certificate files of dir (relative to the samples folder): every regular
// file that is not a private key. It fails the test on a file that holds no certificate.
func sampleCertFiles(tb testing.TB, samples, dir string) []sampleCertFile {
	tb.Helper()
	entries, err := os.ReadDir(filepath.Join(samples, filepath.FromSlash(dir)))
	if err != nil {
		tb.Fatal(err)
	}
	var out []sampleCertFile
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.Contains(strings.ToLower(name), "key") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(samples, filepath.FromSlash(dir), name))
		if err != nil {
			tb.Fatal(err)
		}
		ders := certDERs(data)
		if len(ders) == 0 {
			tb.Fatalf("%s/%s: no certificate", dir, name)
		}
		for i, der := range ders {
			n := dir + "/" + name
			if len(ders) > 1 {
				n += "#" + strconv.Itoa(i+1)
			}
			out = append(out, sampleCertFile{name: n, der: der})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// sesCertificates returns the certificates carried by the sample seals and signatures (signer
// certificates, maker certificates and seal certificate lists), keyed by a descriptive name. Files that
// the ses package cannot decode are passed over: that is the ses package's business.
func sesCertificates(tb testing.TB, samples string) []sampleCertFile {
	tb.Helper()
	var out []sampleCertFile
	seen := map[string]bool{}
	add := func(name string, der []byte) {
		if len(der) == 0 || seen[string(der)] {
			return
		}
		seen[string(der)] = true
		out = append(out, sampleCertFile{name: name, der: der})
	}
	addSeal := func(name string, s *ses.Seal) {
		add(name+" maker", s.MakerCert)
		for i, c := range s.CertList {
			add(name+" certList["+strconv.Itoa(i)+"]", c)
		}
	}
	sigDirs, _ := os.ReadDir(filepath.Join(samples, "ses-signature"))
	for _, d := range sigDirs {
		base := "ses-signature/" + d.Name()
		if data, err := os.ReadFile(filepath.Join(samples, filepath.FromSlash(base), "SignedValue.dat")); err == nil {
			if sig, err := ses.ParseSignature(data); err == nil {
				add(base+" signer", sig.SignerCert)
				if sig.Seal != nil {
					addSeal(base, sig.Seal)
				}
			}
		}
	}
	seals, _ := os.ReadDir(filepath.Join(samples, "ses-seal"))
	for _, f := range seals {
		base := "ses-seal/" + f.Name()
		if data, err := os.ReadFile(filepath.Join(samples, filepath.FromSlash(base))); err == nil {
			if s, err := ses.ParseSeal(data); err == nil {
				addSeal(base, s)
			}
		}
	}
	return out
}

// certDERs returns the DER bytes of a file's CERTIFICATE PEM blocks, or the file itself when it is
// not PEM. It does not parse the certificates.
func certDERs(data []byte) [][]byte {
	if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		return [][]byte{data}
	}
	var out [][]byte
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return out
		}
		if block.Type == "CERTIFICATE" {
			out = append(out, block.Bytes)
		}
	}
}

// dms360Certs returns the signer and maker certificates of the dms360 sample signature, which the
// strict parser refuses.
func dms360Certs(tb testing.TB) (signer, maker []byte) {
	tb.Helper()
	sig, err := ses.ParseSignature(readSample(tb, "ses-signature/dms360-v1/SignedValue.dat"))
	if err != nil {
		tb.Fatalf("ses.ParseSignature(dms360-v1): %v", err)
	}
	if sig.Seal == nil || len(sig.SignerCert) == 0 || len(sig.Seal.MakerCert) == 0 {
		tb.Fatal("dms360-v1: signer or maker certificate missing")
	}
	return sig.SignerCert, sig.Seal.MakerCert
}
