package ofd_test

import (
	"bytes"
	"fmt"

	"github.com/sealhub/sealhub/resolver/ofd"
)

// Open an OFD, then check how each signature is bound to it. The SM2 signatures themselves are the
// caller's to verify, over r.SES.RawTBSSign (or the PKCS#7 in r.SignedValue).
func Example() {
	// A document with one plain-signature (Type="Sign") whose value is a PKCS#7 ContentInfo.
	pkcs7 := []byte{0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x00}
	var buf bytes.Buffer
	err := ofd.Write(&buf, ofd.WriteSpec{Signatures: []ofd.SignSpec{{
		Type: "Sign",
		Sign: func([]byte) ([]byte, error) { return pkcs7, nil },
	}}})
	if err != nil {
		panic(err)
	}

	doc, err := ofd.Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		panic(err)
	}
	for _, r := range doc.Check() {
		fmt.Printf("%s %s kind=%s dataHash=%s references-ok=%v binding-ok=%v\n",
			r.Signature.Type, r.Signature.Path, r.Kind, r.DataHash.Status, r.ReferencesOK(), r.OK())
		for _, ref := range r.References {
			fmt.Println(" ", ref.Path, ref.Status)
		}
	}
	// Output:
	// Sign Doc_0/Signs/Sign_0/Signature.xml kind=pkcs7 dataHash=not_applicable references-ok=true binding-ok=false
	//   OFD.xml ok
	//   Doc_0/Document.xml ok
	//   Doc_0/Pages/Page_0/Content.xml ok
}
