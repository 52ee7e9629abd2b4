package signedjson

import (
	"bytes"
	"crypto/rand"
	"encoding/pem"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

var update = flag.Bool("update", false, "re-sign the golden replies in testdata (making testdata/key if missing)")

// TestGoldenFiles checks every golden reply is what its recipe in goldens makes with the golden
// key (signatures are deterministic, RFC 6979 with HMAC-SM3); with -update it writes them.
func TestGoldenFiles(t *testing.T) {
	if *update {
		if _, err := os.Stat(goldenKeyFile); os.IsNotExist(err) {
			writeGoldenKey(t)
		}
	}
	key := goldenKey(t)
	names := make([]string, 0, len(goldens))
	for name := range goldens {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := goldens[name].make(t, key)
		file := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(file, append(want, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (re-sign with -update)", err)
		}
		if !bytes.Equal(bytes.TrimSuffix(got, []byte("\n")), want) {
			t.Errorf("%s is not what its recipe makes (re-sign with -update)", file)
		}
	}
}

// writeGoldenKey makes the golden signing key (PKCS #8 PEM).
func writeGoldenKey(t *testing.T) {
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := smx509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(goldenKeyFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}
