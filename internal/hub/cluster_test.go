package hub_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/trustlist"
)

// TestThreeNodes joins two nodes to a bootstrapped one, waits for autopilot to promote both, then
// pushes through a follower (forwarded to the leader) and reads linearizably from the other.
func TestThreeNodes(t *testing.T) {
	f := newFixture(t) // n1, bootstrapped, admin and registry 37 written
	ap := federation.AutopilotConfig{StabilizationTime: 200 * time.Millisecond, UpdateInterval: 100 * time.Millisecond, ReconcileInterval: 100 * time.Millisecond}
	hubs := []*hub.Hub{f.h}
	for i := 2; i <= 3; i++ {
		h, err := hub.Open(hub.Config{NodeID: fmt.Sprintf("n%d", i), DataDir: filepath.Join(t.TempDir(), "d"), RaftAddr: "127.0.0.1:0",
			HTTPAddr: "127.0.0.1:0", Join: []string{f.h.ClusterAddr()}, Autopilot: ap, AdminKeys: []string{pemOf(t, f.admin)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close(context.Background()) })
		hubs = append(hubs, h)
	}
	// n1 was opened by the fixture with default autopilot timings; the promotion rule still holds.
	deadline := time.Now().Add(60 * time.Second)
	for {
		servers, _, err := f.h.Node.Servers()
		if err != nil {
			t.Fatal(err)
		}
		voters := 0
		for _, s := range servers {
			if s.Voter {
				voters++
			}
		}
		if len(servers) == 3 && voters == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not promoted: %+v", servers)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx := context.Background()
	c2 := client.New(hubs[1].URL())
	res, err := c2.Push(ctx, f.signer(), []trustlist.Op{meta("37010000000001", f.now.AddDate(-1, 0, 0))})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, hubs[2].URL()+"/v1/seals/37010000000001?consistency=linearizable", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("linearizable read on a follower: %d", resp.StatusCode)
	}
	if resp.Header.Get(hub.HeaderLeader) != "n1" || resp.Header.Get(hub.HeaderConsistency) != "linearizable" {
		t.Fatalf("headers: %v", resp.Header)
	}
	var idx uint64
	fmt.Sscan(resp.Header.Get(hub.HeaderIndex), &idx)
	if idx < res.Index {
		t.Fatalf("read at index %d misses the write at %d", idx, res.Index)
	}
}
