package chaos

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/sealhub/sealhub/federation/ingest"
)

// read reads registry heads and seal statuses with consistency=linearizable from random nodes until
// ctx ends. A refusal (503), a transport failure or a timeout is counted and dropped: a read that
// got no answer observed nothing. A 200 (or a 404 for a seal) goes into the history, which the
// checker then holds to linearizability.
func (w *Workload) read(ctx context.Context, client int, r *rand.Rand) {
	for ctx.Err() == nil {
		wr := w.Writers[r.IntN(len(w.Writers))]
		n := w.Nodes.Pick(r, nil)
		op := ReadOp{Client: client, Kind: OpReadHead, Registry: wr.Registry, Node: n.Name}
		path := "/v1/registries/" + url.PathEscape(wr.Registry)
		if code := wr.randomCode(r); code != "" && r.IntN(10) < 6 {
			op.Kind, op.Code = OpReadSeal, code
			path = "/v1/seals/" + url.PathEscape(code)
		}
		cut := n.Partitioned()
		op.Call = w.History.Now()
		level := w.Consistency
		if level == "" {
			level = "linearizable"
		}
		a := w.do(ctx, ReadTimeout, http.MethodGet, n.URL()+path+"?consistency="+level, nil, nil)
		op.Return = w.History.Now()
		cut = cut && n.Partitioned() // off the cluster network for the whole read
		if ok := w.readAnswer(&op, n, a); ok && cut {
			w.Counters.Inc("read.partitioned.answered")
		} else if cut {
			w.Counters.Inc("read.partitioned.refused")
		}
		sleepCtx(ctx, 10*time.Millisecond)
	}
}

// readAnswer records a's outcome and, for an answer, the read; it reports whether it was one.
func (w *Workload) readAnswer(op *ReadOp, n *Node, a answer) bool {
	kind := "head"
	if op.Kind == OpReadSeal {
		kind = "seal"
	}
	switch {
	case a.status == http.StatusOK && op.Kind == OpReadHead:
		var v ingest.RegistryView
		if err := json.Unmarshal(a.body, &v); err != nil {
			w.Violate("%s: head of %s: unreadable answer: %v", n.Name, op.Registry, err)
			return false
		}
		op.Seq = v.Head.Seq
	case a.status == http.StatusOK:
		var v struct {
			Registry string `json:"registry"`
			Status   struct {
				Status string `json:"status"`
			} `json:"status"`
		}
		if err := json.Unmarshal(a.body, &v); err != nil || v.Status.Status == "" {
			w.Violate("%s: seal %s: unreadable answer %s", n.Name, op.Code, clip(a.body))
			return false
		}
		if v.Registry != op.Registry {
			w.Violate("%s: seal %s answered as filed by %q, not %s", n.Name, op.Code, v.Registry, op.Registry)
		}
		op.Status = v.Status.Status
	case a.status == http.StatusNotFound && a.code == "SEAL_NOT_FOUND" && op.Kind == OpReadSeal:
		op.Status = Absent
	case a.status == http.StatusServiceUnavailable || a.code == "TRANSPORT":
		w.Counters.Inc("read.refused." + a.code)
		return false
	default:
		w.Counters.Inc("read.unexpected." + a.code)
		w.Violate("%s: %s read of %s %s: unexpected answer %d %s", n.Name, kind, op.Registry, op.Code, a.status, clip(a.body))
		return false
	}
	w.Counters.Inc("read.ok." + kind)
	w.History.AddRead(*op)
	return true
}
