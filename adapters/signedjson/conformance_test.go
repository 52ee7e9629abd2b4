package signedjson

import (
	"testing"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/adapters/adaptertest"
)

func TestConformance(t *testing.T) {
	want := make(map[string]adaptertest.Want, len(goldens))
	for name, g := range goldens {
		w := adaptertest.Want{Status: g.status, Err: g.err}
		if g.effective != "" {
			w.Effective = cst(g.effective)
		}
		want[name] = w
	}
	adaptertest.Run(t, adaptertest.Target{
		Start: func(t *testing.T) (adaptertest.Region, adapters.Source) {
			return goldenRegion(t, nil)
		},
		GoldenDir:  "testdata",
		GoldenCode: goldenCode,
		Golden:     want,
	})
}
