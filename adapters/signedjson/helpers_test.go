package signedjson

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"github.com/sealhub/sealhub/adapters/adaptertest"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"github.com/sealhub/sealhub/test/fakeregion"
)

// The golden replies in testdata are signed with the key in testdata/key under goldenKeyID, and
// answer goldenCode asked with goldenNonce.
const (
	goldenKeyFile = "testdata/key/region.pem"
	goldenKeyID   = "5ea1370100000001"
	goldenCode    = "37010000000001"
	goldenNonce   = "0123456789abcdef0123456789abcdef"
)

// loadGoldenKey reads the golden signing key.
func loadGoldenKey() (*sm2.PrivateKey, error) {
	b, err := os.ReadFile(goldenKeyFile)
	if err != nil {
		return nil, err
	}
	return parsePrivateKey(b)
}

func parsePrivateKey(pemText []byte) (*sm2.PrivateKey, error) {
	block, _ := pem.Decode(pemText)
	if block == nil {
		return nil, os.ErrInvalid
	}
	k, err := smx509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	return k.(*sm2.PrivateKey), nil
}

func goldenKey(t testing.TB) *sm2.PrivateKey {
	t.Helper()
	k, err := loadGoldenKey()
	if err != nil {
		t.Fatalf("golden key %s: %v (run the tests with -update to make one)", goldenKeyFile, err)
	}
	return k
}

// publicPEM is key's public key as PEM "PUBLIC KEY".
func publicPEM(t testing.TB, key *sm2.PrivateKey) string {
	t.Helper()
	der, err := smx509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// newKey is a fresh SM2 key.
func newKey(t testing.TB) *sm2.PrivateKey {
	t.Helper()
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signData is the deterministic SM2-with-SM3 signature (default user id) of data, in base64.
func signData(t testing.TB, key *sm2.PrivateKey, data []byte) string {
	t.Helper()
	sig, err := key.Sign(nil, data, sm2.DefaultSM2SignerOpts)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// signed is the envelope of payload signed by key under keyID.
func signed(t testing.TB, key *sm2.PrivateKey, keyID, payload string) []byte {
	t.Helper()
	return envelopeJSON(t, payload, keyID, signData(t, key, []byte(payload)))
}

// envelopeJSON is an envelope with the given fields.
func envelopeJSON(t testing.TB, data, keyID, sign string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]string{"data": data, "keyId": keyID, "sign": sign})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testSource is a Source (never called over the network) that knows the golden key, for the
// decoders; its nonce is goldenNonce.
func testSource(t testing.TB, edit func(*Config)) *Source {
	t.Helper()
	cfg := Config{
		Endpoint:   "http://127.0.0.1:1",
		PublicKeys: map[string]string{goldenKeyID: publicPEM(t, goldenKey(t))},
		Now:        func() time.Time { return checkedNow },
		Nonce:      func() string { return goldenNonce },
	}
	if edit != nil {
		edit(&cfg)
	}
	src, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// checkedNow is the Now of test sources: CheckedAt when a payload does not say.
var checkedNow = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// region starts a simulated region and a Source for it that knows the region's key; both stop
// with the test. o.Key nil is a fresh key.
func region(t *testing.T, o fakeregion.SignedJSONOptions, edit func(*Config)) (*fakeregion.SignedJSON, *Source) {
	t.Helper()
	fr := fakeregion.NewSignedJSON(o)
	srv := httptest.NewServer(fr)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		hc.CloseIdleConnections()
		srv.Close()
	})
	cfg := Config{
		Endpoint:   srv.URL,
		PublicKeys: map[string]string{fr.KeyID(): fr.PublicKeyPEM()},
		APIKey:     o.APIKey,
	}
	if edit != nil {
		edit(&cfg)
	}
	src, err := New(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	return fr, src
}

// goldenRegion is a region signing with the golden key, and a Source asking with the golden
// nonce, so golden replies set with SetRaw verify.
func goldenRegion(t *testing.T, edit func(*Config)) (*fakeregion.SignedJSON, *Source) {
	t.Helper()
	return region(t, fakeregion.SignedJSONOptions{Key: goldenKey(t), KeyID: goldenKeyID}, func(c *Config) {
		c.Nonce = func() string { return goldenNonce }
		c.Now = func() time.Time { return checkedNow }
		if edit != nil {
			edit(c)
		}
	})
}

// noLeaks is adaptertest.NoLeaks.
func noLeaks(t *testing.T) {
	t.Helper()
	adaptertest.NoLeaks(t)
}
