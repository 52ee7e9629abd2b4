package crl

import (
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/adapters/adaptertest"
	"github.com/sealhub/sealhub/test/fakeregion"
)

// suiteRegion is the simulated region as the conformance suite drives it. A forced fault also
// moves the shared clock past the held list's nextUpdate: a list source answers from a list it
// verified until that list expires, whatever the region does meanwhile, so a fault only reaches a
// caller once the held list can no longer answer. That is when the suite's checks apply: a
// malformed list never replaces the held one, and no answer comes from an expired list.
type suiteRegion struct {
	*fakeregion.CRL
	clock *clock
}

func (r suiteRegion) Force(f adaptertest.Fault) {
	r.clock.Advance(2 * suiteNextUpdate)
	r.CRL.Force(f)
}

// suiteNextUpdate is how long the region's lists are good for in the suite.
const suiteNextUpdate = time.Hour

func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.Target{
		Start: func(t *testing.T) (adaptertest.Region, adapters.Source) {
			fx := start(t, fakeregion.CRLOptions{NextUpdate: suiteNextUpdate}, nil)
			return suiteRegion{fx.fr, fx.clock}, fx.src
		},
		GoldenDir:  "testdata",
		GoldenCode: goldenCode,
		Golden:     goldenWants(),
	})
}
