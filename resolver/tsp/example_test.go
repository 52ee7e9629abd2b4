package tsp_test

import (
	"fmt"
	"time"

	"github.com/sealhub/sealhub/internal/demo"
	"github.com/sealhub/sealhub/resolver/tsp"
	"github.com/sealhub/sealhub/resolver/tsp/tsptest"
)

// A timestamp in a seal signature stamps the signature value; once the token verifies against it,
// GenTime is the signing time to check the seal and the certificates at.
func ExampleToken_Verify() {
	p, err := demo.New(demo.Options{})
	if err != nil {
		panic(err)
	}
	tsa, err := tsptest.New(p)
	if err != nil {
		panic(err)
	}
	signatureValue := []byte("an SM2 signature over TBS_Sign")
	der, err := tsa.Stamp(signatureValue, tsptest.Spec{})
	if err != nil {
		panic(err)
	}

	tok, err := tsp.Parse(der)
	if err != nil {
		fmt.Println("unreadable:", err)
		return
	}
	if err := tok.Verify(signatureValue); err != nil {
		fmt.Println("invalid:", err)
		return
	}
	fmt.Println("stamped at", tok.GenTime.Format(time.RFC3339), "by", tok.Signer.SubjectName.CommonName)
	// Output: stamped at 2024-01-31T00:00:00Z by sealhub Test TSA
}
