package signedjson

import (
	"context"
	"encoding/base64"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// wantSignature fails t unless err is a *SignatureError of reason, wrapping ErrMalformed, with no
// report.
func wantSignature(t *testing.T, r adapters.Report, err error, reason SignatureReason) {
	t.Helper()
	var se *SignatureError
	if !errors.As(err, &se) || se.Reason != reason || !errors.Is(err, adapters.ErrMalformed) || r != (adapters.Report{}) {
		t.Fatalf("got %+v, %v; want no report and a SignatureError (%s)", r, err, reason)
	}
}

// The region's own replies, built from Set, map back to the status set, for codes that need
// escaping too.
func TestSetSeals(t *testing.T) {
	noLeaks(t)
	fr, src := region(t, fakeregion.SignedJSONOptions{}, nil)
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	for _, st := range []trustlist.Status{trustlist.StatusValid, trustlist.StatusSuspended, trustlist.StatusRevoked, trustlist.StatusInvalidated} {
		code := "37/" + string(st) + " 印?#" // needs escaping in the path
		fr.Set(code, st, at)
		r, err := src.Status(context.Background(), code)
		if err != nil || r.Status != st || !r.EffectiveAt.Equal(at) || r.CheckedAt.IsZero() {
			t.Fatalf("%s: got %+v, %v", st, r, err)
		}
	}
	if _, err := src.Status(context.Background(), "nobody"); !errors.Is(err, adapters.ErrNotFound) {
		t.Fatalf("unknown seal: %v", err)
	}
	fr.Set("regional", "99", at) // a status the configuration does not map
	if _, err := src.Status(context.Background(), "regional"); !errors.Is(err, adapters.ErrMalformed) {
		t.Fatalf("unmapped status: %v", err)
	}
}

// Any change to a signed reply, wherever it is made, is refused before anything in it is used.
func TestSignatureTampering(t *testing.T) {
	key, other := goldenKey(t), newKey(t)
	p := payload(`"status":"valid","checkedAt":"` + goldenChecked + `"`)
	sig := signData(t, key, []byte(p))
	der, _ := base64.StdEncoding.DecodeString(sig)
	flip := func(b []byte, i int) string {
		b = append([]byte(nil), b...)
		b[i] ^= 0x01
		return base64.StdEncoding.EncodeToString(b)
	}
	uidSig, err := key.Sign(nil, []byte(p), sm2.NewSM2SignerOption(true, []byte("another-user-id")))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		body   []byte
		reason SignatureReason
	}{
		"status changed":        {envelopeJSON(t, strings.Replace(p, `"valid"`, `"revoked"`, 1), goldenKeyID, sig), SignatureInvalid},
		"white space added":     {envelopeJSON(t, p+" ", goldenKeyID, sig), SignatureInvalid},
		"effective time added":  {envelopeJSON(t, strings.Replace(p, `"status"`, `"effectiveAt":"2020-01-01T00:00:00Z","status"`, 1), goldenKeyID, sig), SignatureInvalid},
		"r flipped":             {envelopeJSON(t, p, goldenKeyID, flip(der, 6)), SignatureInvalid},
		"s flipped":             {envelopeJSON(t, p, goldenKeyID, flip(der, len(der)-1)), SignatureInvalid},
		"DER header flipped":    {envelopeJSON(t, p, goldenKeyID, flip(der, 0)), SignatureInvalid},
		"signature cut":         {envelopeJSON(t, p, goldenKeyID, base64.StdEncoding.EncodeToString(der[:len(der)-4])), SignatureInvalid},
		"raw r||s, not DER":     {envelopeJSON(t, p, goldenKeyID, base64.StdEncoding.EncodeToString(rawRS(t, der))), SignatureInvalid},
		"another user id":       {envelopeJSON(t, p, goldenKeyID, base64.StdEncoding.EncodeToString(uidSig)), SignatureInvalid},
		"another key, same id":  {signed(t, other, goldenKeyID, p), SignatureInvalid},
		"signature not base64":  {envelopeJSON(t, p, goldenKeyID, "MEUC!!"+sig[6:]), SignatureEncoding},
		"signature removed":     {envelopeJSON(t, p, goldenKeyID, ""), SignatureMissing},
		"key id removed":        {envelopeJSON(t, p, "", sig), SignatureMissing},
		"key id of another key": {envelopeJSON(t, p, "0000000000000002", sig), SignatureInvalid},
		"key id unknown":        {envelopeJSON(t, p, "ffffffffffffffff", sig), SignatureUnknownKey},
	}
	fr, src := goldenRegion(t, func(c *Config) { c.PublicKeys["0000000000000002"] = publicPEM(t, other) })
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fr.SetRaw(goldenCode, tc.body)
			r, err := src.Status(context.Background(), goldenCode)
			wantSignature(t, r, err, tc.reason)
		})
	}
	t.Run("untouched", func(t *testing.T) {
		fr.SetRaw(goldenCode, envelopeJSON(t, p, goldenKeyID, sig))
		if r, err := src.Status(context.Background(), goldenCode); err != nil || r.Status != trustlist.StatusValid {
			t.Fatalf("got %+v, %v", r, err)
		}
	})
}

// rawRS is a DER SM2 signature as 64 bytes r||s.
func rawRS(t *testing.T, der []byte) []byte {
	t.Helper()
	var r, s big.Int
	in, seq := cryptobyte.String(der), cryptobyte.String(nil)
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Integer(&r) || !seq.ReadASN1Integer(&s) {
		t.Fatal("not a DER signature")
	}
	return append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
}

// A region signing with a key sealhub was not given is refused, however well it signs.
func TestUnknownKeyID(t *testing.T) {
	fr, src := region(t, fakeregion.SignedJSONOptions{}, func(c *Config) {
		c.PublicKeys = map[string]string{goldenKeyID: publicPEM(t, goldenKey(t))}
	})
	fr.Set("A", trustlist.StatusValid, time.Time{})
	r, err := src.Status(context.Background(), "A")
	wantSignature(t, r, err, SignatureUnknownKey)
	if !strings.Contains(err.Error(), fr.KeyID()) {
		t.Fatalf("%q does not name the key id", err)
	}
}

// A genuine signed reply, recorded and played back to a later query, is refused.
func TestReplayedReplyRefused(t *testing.T) {
	fr, src := region(t, fakeregion.SignedJSONOptions{}, nil)
	fr.Set("A", trustlist.StatusValid, time.Time{})
	rec := httptest.NewRecorder()
	fr.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v2/seals/A/status?nonce=00ff00ff", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("recording: HTTP %d", rec.Code)
	}
	fr.Set("A", trustlist.StatusRevoked, time.Now()) // what the attacker hides
	fr.SetRaw("A", rec.Body.Bytes())
	r, err := src.Status(context.Background(), "A")
	wantSignature(t, r, err, SignatureReplayed)
}

// A genuine signed answer about another seal, served for the seal asked, is refused.
func TestAnswerAboutAnotherSealRefused(t *testing.T) {
	fr, src := region(t, fakeregion.SignedJSONOptions{}, func(c *Config) {
		c.Nonce = func() string { return "feedface" }
	})
	fr.Set("A", trustlist.StatusRevoked, time.Time{})
	fr.Set("B", trustlist.StatusValid, time.Time{})
	rec := httptest.NewRecorder()
	fr.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v2/seals/B/status?nonce=feedface", nil))
	fr.SetRaw("A", rec.Body.Bytes())
	r, err := src.Status(context.Background(), "A")
	wantSignature(t, r, err, SignatureOtherSeal)
}

// With two keys configured, replies signed with either verify, so the region can rotate its key
// before or after sealhub's configuration is updated; a key dropped from it is refused.
func TestKeyRotation(t *testing.T) {
	oldKey, newK, dropped := newKey(t), newKey(t), newKey(t)
	fr, src := region(t, fakeregion.SignedJSONOptions{Key: oldKey, KeyID: "00000000000000a1"}, func(c *Config) {
		c.PublicKeys = map[string]string{"00000000000000a1": publicPEM(t, oldKey), "00000000000000A2": publicPEM(t, newK)}
	})
	fr.Set("A", trustlist.StatusSuspended, time.Time{})
	steps := []struct {
		key   *sm2.PrivateKey
		id    string
		wantE bool
	}{
		{oldKey, "00000000000000a1", false},
		{newK, "00000000000000a2", false}, // key ids compare without case
		{dropped, "00000000000000a3", true},
		{oldKey, "00000000000000a2", true}, // the old key under the new key's id
	}
	for _, st := range steps {
		fr.Rotate(st.key, st.id)
		r, err := src.Status(context.Background(), "A")
		if st.wantE != (err != nil) || (err == nil && r.Status != trustlist.StatusSuspended) {
			t.Fatalf("signed with key id %s: %+v, %v", st.id, r, err)
		}
		if err != nil && !errors.Is(err, adapters.ErrMalformed) {
			t.Fatalf("key id %s: %v", st.id, err)
		}
	}
}

// A 404 must be the region's signed word: a gateway's unsigned 404 is not "no such seal".
func TestUnsignedNotFoundRefused(t *testing.T) {
	noLeaks(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"not_found"}`))
	}))
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() { hc.CloseIdleConnections(); srv.Close() })
	src := testSource(t, func(c *Config) { c.Endpoint = srv.URL })
	src.hc = hc
	r, err := src.Status(context.Background(), "A")
	if !errors.Is(err, adapters.ErrMalformed) || errors.Is(err, adapters.ErrNotFound) || r != (adapters.Report{}) {
		t.Fatalf("got %+v, %v", r, err)
	}
}

func TestHTTPStatuses(t *testing.T) {
	src := testSource(t, nil)
	ok := signed(t, goldenKey(t), goldenKeyID, payload(`"status":"valid"`))
	cases := map[string]struct {
		status int
		body   []byte
		want   error
		auth   bool
	}{
		"401":                    {401, []byte(`{"error":"UNAUTHORIZED"}`), adapters.ErrUnavailable, true},
		"403":                    {403, nil, adapters.ErrUnavailable, true},
		"429":                    {429, nil, adapters.ErrUnavailable, false},
		"502 with a signed body": {502, ok, adapters.ErrUnavailable, false},
		"404 with a status":      {404, ok, adapters.ErrMalformed, false},
		"302":                    {302, nil, adapters.ErrUnavailable, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := src.decodeStatus(tc.status, tc.body, goldenCode, goldenNonce)
			if !errors.Is(err, tc.want) || r != (adapters.Report{}) {
				t.Fatalf("got %+v, %v; want %v", r, err, tc.want)
			}
			var auth *AuthError
			if errors.As(err, &auth) != tc.auth {
				t.Fatalf("AuthError mismatch: %v", err)
			}
		})
	}
}

// The region's API key goes in X-Api-Key; a missing or wrong one is an AuthError that never
// shows the key.
func TestAPIKey(t *testing.T) {
	const key = "k3y-of-region-33"
	cases := map[string]struct {
		sent    string
		wantErr bool
		keySent bool
	}{
		"right key": {key, false, true},
		"wrong key": {"not-the-key", true, true},
		"no key":    {"", true, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			fr, src := region(t, fakeregion.SignedJSONOptions{APIKey: key}, func(c *Config) { c.APIKey = tc.sent })
			fr.Set("A", trustlist.StatusValid, time.Time{})
			r, err := src.Status(context.Background(), "A")
			if !tc.wantErr {
				if err != nil || r.Status != trustlist.StatusValid {
					t.Fatalf("got %+v, %v", r, err)
				}
				return
			}
			var auth *AuthError
			if !errors.As(err, &auth) || !errors.Is(err, adapters.ErrUnavailable) || auth.KeySent != tc.keySent {
				t.Fatalf("got %v; want an AuthError (key sent %v)", err, tc.keySent)
			}
			if tc.sent != "" && strings.Contains(err.Error(), tc.sent) {
				t.Fatalf("%q shows the key", err)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	cases := map[string]struct {
		faults fakeregion.Faults
		want   error
	}{
		"server error": {fakeregion.Faults{ErrorRate: 1}, adapters.ErrUnavailable},
		"auth failure": {fakeregion.Faults{AuthRate: 1}, adapters.ErrUnavailable},
		"malformed":    {fakeregion.Faults{MalformedRate: 1}, adapters.ErrMalformed},
		"truncated":    {fakeregion.Faults{TruncatedRate: 1}, adapters.ErrMalformed},
		"html page":    {fakeregion.Faults{HTMLRate: 1}, adapters.ErrMalformed},
		"slow drip":    {fakeregion.Faults{DripRate: 1, DripEvery: 20 * time.Millisecond}, adapters.ErrUnavailable},
		"latency":      {fakeregion.Faults{Latency: 5 * time.Second}, adapters.ErrUnavailable},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			fr, src := region(t, fakeregion.SignedJSONOptions{Faults: tc.faults}, nil)
			fr.Set("A", trustlist.StatusValid, time.Now())
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			r, err := src.Status(ctx, "A")
			if took := time.Since(start); took > time.Second {
				t.Fatalf("took %s past a 300ms deadline", took)
			}
			if !errors.Is(err, tc.want) || r != (adapters.Report{}) {
				t.Fatalf("got %+v, %v; want no report and %v", r, err, tc.want)
			}
			var auth *AuthError
			if errors.As(err, &auth) != (name == "auth failure") {
				t.Fatalf("AuthError mismatch: %v", err)
			}
		})
	}
}

func TestOversizedReply(t *testing.T) {
	fr, src := goldenRegion(t, func(c *Config) { c.MaxBody = 256 })
	fr.SetRaw(goldenCode, signed(t, goldenKey(t), goldenKeyID, payload(`"status":"valid","pad":"`+strings.Repeat("x", 300)+`"`)))
	if _, err := src.Status(context.Background(), goldenCode); !errors.Is(err, adapters.ErrMalformed) {
		t.Fatalf("got %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	pub := publicPEM(t, goldenKey(t))
	good := func() Config {
		return Config{Endpoint: "https://seal.example.gov.cn/gw", PublicKeys: map[string]string{goldenKeyID: pub}}
	}
	cases := map[string]struct {
		edit func(*Config)
		want string
	}{
		"no endpoint":      {func(c *Config) { c.Endpoint = "" }, "endpoint"},
		"ftp endpoint":     {func(c *Config) { c.Endpoint = "ftp://x" }, "endpoint"},
		"endpoint query":   {func(c *Config) { c.Endpoint = "https://x/?a=1" }, "query"},
		"no placeholder":   {func(c *Config) { c.Path = "/api/status" }, "{code}"},
		"no keys":          {func(c *Config) { c.PublicKeys = nil }, "no public key"},
		"short key id":     {func(c *Config) { c.PublicKeys = map[string]string{"abc": pub} }, `"abc"`},
		"not PEM":          {func(c *Config) { c.PublicKeys[goldenKeyID] = "MFkwEwYHKoZIzj0CAQ" }, "PEM"},
		"private key PEM":  {func(c *Config) { c.PublicKeys[goldenKeyID] = strings.ReplaceAll(pub, "PUBLIC", "PRIVATE") }, "PEM"},
		"trailing data":    {func(c *Config) { c.PublicKeys[goldenKeyID] = pub + "junk" }, "after"},
		"bad status":       {func(c *Config) { c.Statuses = map[string]trustlist.Status{"05": trustlist.StatusExpired} }, `"05"`},
		"negative limit":   {func(c *Config) { c.FeedLimit = -1 }, "feed limit"},
		"API key newline":  {func(c *Config) { c.APIKey = "a\nb" }, "line break"},
		"negative maxbody": {func(c *Config) { c.MaxBody = -1 }, "max body"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := good()
			tc.edit(&c)
			_, err := New(c, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %s", err, tc.want)
			}
		})
	}
	if _, err := New(good(), nil); err != nil {
		t.Fatal(err)
	}
}

func TestUnreachableRegion(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	src := testSource(t, func(c *Config) { c.Endpoint = url })
	if _, err := src.Status(context.Background(), "A"); !errors.Is(err, adapters.ErrUnavailable) {
		t.Fatalf("got %v", err)
	}
}
