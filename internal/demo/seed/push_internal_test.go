package seed

import (
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/trustlist"
)

func TestBatches(t *testing.T) {
	op := trustlist.Op{Op: trustlist.OpSealStatus, Code: "37010200000001", Action: "suspend"}
	ops := make([]trustlist.Op, 2500)
	for i := range ops {
		ops[i] = op
	}
	size := opSize(&op)
	cases := map[string]struct {
		ops            []trustlist.Op
		maxOps, nBytes int
		want           []int
	}{
		"none":             {nil, 1000, 1 << 20, nil},
		"by count":         {ops, 1000, 1 << 30, []int{1000, 1000, 500}},
		"by size":          {ops[:10], 1000, 3 * size, []int{3, 3, 3, 1}},
		"one op too large": {ops[:2], 1000, size - 1, []int{1, 1}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []int
			for _, b := range batches(tc.ops, tc.maxOps, tc.nBytes) {
				got = append(got, len(b))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("batches of %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("batches of %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// TestPushesFitTheLimit builds every push a large seeding sends and checks each stays under the
// hub's size and op limits.
func TestPushesFitTheLimit(t *testing.T) {
	s, err := Plan(Options{Seals: 5000})
	if err != nil {
		t.Fatal(err)
	}
	steps, err := s.steps()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, st := range steps {
		for _, b := range batches(st.ops, maxBatchOps, maxBatchBytes) {
			body, err := client.MarshalPush(trustlist.Push{Registry: st.signer.Registry, Seq: 99, Prev: "", IssuedAt: time.Now(), Ops: b})
			if err != nil {
				t.Fatal(err)
			}
			if len(body) > trustlist.MaxPushBytes || len(b) > maxBatchOps {
				t.Errorf("%s: a push of %d ops is %d bytes", st.what, len(b), len(body))
			}
			n += len(b)
		}
	}
	if n < 5000 {
		t.Errorf("%d ops for 5000 seals", n)
	}
}
