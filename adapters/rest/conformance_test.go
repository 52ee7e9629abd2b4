package rest

import (
	"testing"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/adapters/adaptertest"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
)

func TestConformance(t *testing.T) {
	adaptertest.Run(t, adaptertest.Target{
		Start: func(t *testing.T) (adaptertest.Region, adapters.Source) {
			return region(t, fakeregion.RESTOptions{}, nil)
		},
		GoldenDir:  "testdata",
		GoldenCode: "37010000000001",
		Golden: map[string]adaptertest.Want{
			"valid.json":          {Status: trustlist.StatusValid, Effective: cst("2025-03-01 09:30:00")},
			"suspended.json":      {Status: trustlist.StatusSuspended, Effective: cst("2026-01-15 14:00:00")},
			"revoked.json":        {Status: trustlist.StatusRevoked, Effective: cst("2026-02-01 08:00:00")},
			"invalidated.json":    {Status: trustlist.StatusInvalidated, Effective: cst("2026-02-10 17:45:30")},
			"valid_no_time.json":  {Status: trustlist.StatusValid},
			"not_found.json":      {Err: adapters.ErrNotFound},
			"error.json":          {Err: adapters.ErrUnavailable},
			"auth_refused.json":   {Err: adapters.ErrUnavailable},
			"unknown_status.json": {Err: adapters.ErrMalformed},
			"missing_status.json": {Err: adapters.ErrMalformed},
			"bad_time.json":       {Err: adapters.ErrMalformed},
		},
	})
}
