package httpapi

import (
	"bytes"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/trustlist"
)

// The cached record plus the per-answer status must be exactly SealResponse's encoding, and a
// second answer from the cache the same as the first.
func TestSealCacheEncodesLikeSealResponse(t *testing.T) {
	at := time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)
	ev := trustlist.Event{Status: trustlist.StatusSuspended, EffectiveAt: at, RecordedAt: at.Add(time.Hour), Index: 9, Reason: "印章遗失 <R&D>", Push: trustlist.PushRef{Registry: "37", Seq: 3}}
	seals := []*trustlist.Seal{
		{Code: "37010200000001", Registry: "37", Name: "测试章", Type: 1, OwnerUSCC: "91370000MA3C5Y4X1K", ValidStart: at.AddDate(-1, 0, 0), ValidEnd: at.AddDate(3, 0, 0),
			SignerCerts: []string{"ab", "cd"}, FromDER: true, FiledIndex: 5, Events: []trustlist.Event{{Status: trustlist.StatusValid, EffectiveAt: at.AddDate(-1, 0, 0), Index: 5}, ev}},
		{Code: "x", Events: []trustlist.Event{ev}},
	}
	var sc sealCache
	for i, v := range seals {
		view := v.StatusAt(at)
		for round := 0; round < 2; round++ {
			got, err := sc.response(v, view, 12)
			if err != nil {
				t.Fatal(err)
			}
			want, err := httpx.Marshal(SealResponse{Seal: v, Status: view, Index: 12})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("seal %d round %d:\n got %s\nwant %s", i, round, got, want)
			}
		}
	}
}
