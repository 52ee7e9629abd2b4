package bench

import (
	"context"
	"fmt"
	"github.com/sealhub/sealhub/test/hubtest"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

var epoch = time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)

func key(tb testing.TB) *sm2.PrivateKey {
	k, err := smcrypto.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func pubPEM(tb testing.TB, k *sm2.PrivateKey) string {
	p, err := smcrypto.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return string(p)
}

// metaOps makes n seal.file ops from metadata, codes starting at first. Each is about the size of a
// real ledger row (names, owner, USCC, fingerprints).
func metaOps(first, n int) []trustlist.Op {
	ops := make([]trustlist.Op, n)
	for i := range ops {
		ops[i] = trustlist.Op{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{
			Code: fmt.Sprintf("370102%08d", first+i), Name: "济南市历下区某某有限公司合同专用章", Type: 4,
			OwnerName: "济南市历下区某某有限公司", OwnerUSCC: "",
			SignerCerts: []string{smcrypto.SM3Hex([]byte(fmt.Sprint("signer", first+i)))},
			ValidStart:  epoch, ValidEnd: epoch.AddDate(3, 0, 0),
			SealSM3:    smcrypto.SM3Hex([]byte(fmt.Sprint("seal", first+i))),
			PictureSM3: smcrypto.SM3Hex([]byte(fmt.Sprint("picture", first+i))),
		}}
	}
	return ops
}

// chain signs a sequence of pushes of one registry, each of perPush seal.file ops.
func chain(tb testing.TB, k *sm2.PrivateKey, registry string, pushes, perPush int, issued time.Time) []trustlist.Envelope {
	out := make([]trustlist.Envelope, 0, pushes)
	prev := ""
	for i := 0; i < pushes; i++ {
		e := signedPush(tb, k, registry, i, prev, perPush, issued)
		out = append(out, e)
		prev = trustlist.PushHash(e.Body)
	}
	return out
}

// signedPush is push number i (0-based) of a registry's chain, of perPush seal.file ops.
func signedPush(tb testing.TB, k *sm2.PrivateKey, registry string, i int, prev string, perPush int, issued time.Time) trustlist.Envelope {
	body, err := client.MarshalPush(trustlist.Push{Registry: registry, Seq: uint64(i + 1), Prev: prev, IssuedAt: issued, Ops: metaOps(i*perPush, perPush)})
	if err != nil {
		tb.Fatal(err)
	}
	sig, err := smcrypto.Sign(k, body)
	if err != nil {
		tb.Fatal(err)
	}
	return trustlist.Envelope{Body: body, KeyID: smcrypto.KeyID(&k.PublicKey), Signature: sig, RecordedAt: issued}
}

// adminState is a trust list with an administrator and registry "37" (key k).
func adminState(tb testing.TB, k *sm2.PrivateKey) *trustlist.State {
	admin := key(tb)
	st, err := trustlist.New().Init([]trustlist.KeySpec{{PublicKey: pubPEM(tb, admin)}}, epoch, 1)
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := client.MarshalPush(trustlist.Push{Registry: trustlist.AdminID, Seq: 1, IssuedAt: epoch, Ops: []trustlist.Op{{
		Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{ID: "37", Name: "山东省", Kind: trustlist.KindProvince,
			Jurisdiction: []string{"37"}, Keys: []trustlist.KeySpec{{PublicKey: pubPEM(tb, k)}}},
	}}})
	sig, _ := smcrypto.Sign(admin, body)
	st, _, err = st.Apply(trustlist.Envelope{Body: body, KeyID: smcrypto.KeyID(&admin.PublicKey), Signature: sig, RecordedAt: epoch}, 2)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// startHub opens a one-node hub (real bolt store with fsync) with registry "37" keyed by k.
func startHub(tb testing.TB, k *sm2.PrivateKey) (*hub.Hub, *client.Client) {
	admin := key(tb)
	h := hubtest.Open(tb, hub.Config{NodeID: "bench", Bootstrap: true, AdminKeys: []string{pubPEM(tb, admin)}, MaxPushAge: -1}, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := client.New(h.URL())
	if _, err := c.Push(ctx, client.Signer{Registry: trustlist.AdminID, Key: admin}, []trustlist.Op{{
		Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{ID: "37", Name: "山东省", Kind: trustlist.KindProvince,
			Jurisdiction: []string{"37"}, Keys: []trustlist.KeySpec{{PublicKey: pubPEM(tb, k)}}},
	}}); err != nil {
		tb.Fatal(err)
	}
	return h, c
}
