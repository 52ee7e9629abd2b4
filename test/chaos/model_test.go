package chaos

import (
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// Hand-made histories for the model, so the checker is known to bite. Times are in milliseconds.

func push(reg string, seq uint64, call, ret int, out Outcome, changes ...Change) *PushOp {
	return &PushOp{Registry: reg, Seq: seq, Call: ms(call), Return: ms(ret), Outcome: out, Changes: changes}
}

func head(reg string, seq uint64, call, ret int) ReadOp {
	return ReadOp{Client: 1, Kind: OpReadHead, Registry: reg, Seq: seq, Call: ms(call), Return: ms(ret)}
}

func seal(reg, code, status string, call, ret int) ReadOp {
	return ReadOp{Client: 2, Kind: OpReadSeal, Registry: reg, Code: code, Status: status, Call: ms(call), Return: ms(ret)}
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func filed(code string) Change     { return Change{Code: code, Status: "valid"} }
func suspended(code string) Change { return Change{Code: code, Status: "suspended"} }

func TestModel(t *testing.T) {
	cases := map[string]struct {
		pushes []*PushOp
		reads  []ReadOp
		want   porcupine.CheckResult
	}{
		"legal: reads see acknowledged pushes, concurrent reads either side": {
			pushes: []*PushOp{push("r1", 1, 0, 10, Acked, filed("A")), push("r1", 2, 20, 30, Acked, suspended("A"), filed("B"))},
			reads: []ReadOp{
				head("r1", 0, 5, 8), head("r1", 1, 5, 15), seal("r1", "A", Absent, 1, 9),
				head("r1", 1, 12, 18), seal("r1", "A", "valid", 12, 18), seal("r1", "B", Absent, 12, 18),
				seal("r1", "A", "valid", 19, 25), seal("r1", "A", "suspended", 22, 26),
				head("r1", 2, 31, 40), seal("r1", "B", "valid", 31, 40),
			},
			want: porcupine.Ok,
		},
		"stale read after an acknowledgement": {
			pushes: []*PushOp{push("r1", 1, 0, 10, Acked, filed("A"))},
			reads:  []ReadOp{head("r1", 0, 20, 30)},
			want:   porcupine.Illegal,
		},
		"stale seal status after an acknowledgement": {
			pushes: []*PushOp{push("r1", 1, 0, 10, Acked, filed("A")), push("r1", 2, 20, 30, Acked, suspended("A"))},
			reads:  []ReadOp{seal("r1", "A", "valid", 35, 40)},
			want:   porcupine.Illegal,
		},
		"lost write: an acknowledged push later missing": {
			pushes: []*PushOp{push("r1", 1, 0, 10, Acked, filed("A")), push("r1", 2, 20, 30, Acked, filed("B"))},
			reads:  []ReadOp{head("r1", 2, 31, 35), seal("r1", "B", Absent, 40, 45)},
			want:   porcupine.Illegal,
		},
		"a read goes back in time": {
			pushes: []*PushOp{push("r1", 1, 0, 100, Acked, filed("A"))},
			reads:  []ReadOp{head("r1", 1, 10, 20), head("r1", 0, 30, 40)},
			want:   porcupine.Illegal,
		},
		"a head nobody pushed": {
			pushes: []*PushOp{push("r1", 1, 0, 10, Acked, filed("A"))},
			reads:  []ReadOp{head("r1", 2, 20, 30)},
			want:   porcupine.Illegal,
		},
		"unknown push seen applied": {
			pushes: []*PushOp{push("r1", 1, 0, 10, Acked, filed("A")), push("r1", 2, 20, 0, Unknown, filed("B"))},
			reads:  []ReadOp{head("r1", 2, 40, 50), seal("r1", "B", "valid", 60, 70)},
			want:   porcupine.Ok,
		},
		"unknown push never applied": {
			pushes: []*PushOp{push("r1", 1, 0, 10, Acked, filed("A")), push("r1", 2, 20, 0, Unknown, filed("B"))},
			reads:  []ReadOp{head("r1", 1, 40, 50), seal("r1", "B", Absent, 60, 70)},
			want:   porcupine.Ok,
		},
		"unknown push seen applied, then gone": {
			pushes: []*PushOp{push("r1", 1, 0, 10, Acked, filed("A")), push("r1", 2, 20, 0, Unknown, filed("B"))},
			reads:  []ReadOp{head("r1", 2, 40, 50), head("r1", 1, 60, 70)},
			want:   porcupine.Illegal,
		},
		"a failed push is not in the history": {
			pushes: []*PushOp{push("r1", 1, 0, 10, Failed, filed("A")), push("r1", 1, 20, 30, Acked, filed("B"))},
			reads:  []ReadOp{seal("r1", "A", Absent, 40, 50), seal("r1", "B", "valid", 40, 50)},
			want:   porcupine.Ok,
		},
		"registries are independent": {
			pushes: []*PushOp{push("r1", 1, 0, 10, Acked, filed("A")), push("r2", 1, 0, 10, Acked, filed("X"))},
			reads:  []ReadOp{head("r1", 1, 20, 30), head("r2", 0, 20, 30)},
			want:   porcupine.Illegal,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res, info := porcupine.CheckOperationsVerbose(Model(), Operations(c.pushes, c.reads), 10*time.Second)
			if res != c.want {
				t.Fatalf("checker: %s, want %s", res, c.want)
			}
			if res == porcupine.Illegal {
				// The visualization must render: it is what a failed run leaves next to its report.
				if err := porcupine.VisualizePath(Model(), info, t.TempDir()+"/viz.html"); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestLedger(t *testing.T) {
	l := NewLedger()
	l.Add(3, []Change{{"A", "revoked"}})
	l.Add(1, []Change{filed("A"), filed("B")})
	l.Add(2, []Change{suspended("A")})
	for _, c := range []struct {
		code string
		seq  uint64
		want string
	}{{"A", 0, Absent}, {"A", 1, "valid"}, {"A", 2, "suspended"}, {"A", 3, "revoked"}, {"A", 99, "revoked"}, {"B", 2, "valid"}, {"C", 5, Absent}} {
		if got := l.StatusAt(c.code, c.seq); got != c.want {
			t.Errorf("StatusAt(%s, %d) = %s, want %s", c.code, c.seq, got, c.want)
		}
	}
	if got := l.Codes(); len(got) != 2 || got[0] != "A" || got[1] != "B" {
		t.Errorf("Codes() = %v", got)
	}
}
