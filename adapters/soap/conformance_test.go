package soap

import (
	"testing"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/adapters/adaptertest"
	"github.com/sealhub/sealhub/test/fakeregion"
)

func TestConformance(t *testing.T) {
	want := map[string]adaptertest.Want{}
	for name, g := range goldens {
		want[name] = adaptertest.Want{Status: g.status, Effective: g.effective, Err: g.err}
	}
	adaptertest.Run(t, adaptertest.Target{
		Start: func(t *testing.T) (adaptertest.Region, adapters.Source) {
			return region(t, fakeregion.SOAPOptions{}, nil)
		},
		GoldenDir:  "testdata",
		GoldenCode: "37010000000001",
		Golden:     want,
	})
}
