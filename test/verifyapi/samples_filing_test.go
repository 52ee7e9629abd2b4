package verifyapi

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// fileOFDRWSamples tries to file the ofdrw seals through a department registry whose jurisdiction is
// every code, as a registry would file them from DER. The hub refuses, each time for a reason the
// samples give it:
//
//   - maker.add of sealbuilder_cert.pem: CHAIN_INVALID. A maker certificate is registered only if it
//     chains at the time of the push, and this one expired in 2022.
//   - seal.file of UserV1 and UserV4 (and ofdrw-v4's Seal.esl, the same bytes as UserV4):
//     SEAL_OUTLIVES_SIGNER. Each seal's validEnd is about 11.5 hours after its signer certificate's
//     notAfter, and the trust list enforces Art. 16 on every filing. It does so even for these seals,
//     made in 2020, although the resolver only warns for seals made before resolver.Art16From.
//   - seal.file of UserV5: CHAIN_INVALID. It was made in 2026 by the maker certificate that expired
//     in 2022.
//
// The test then files UserV4 from its metadata instead. A metadata filing carries no maker
// certificate, because none can be registered. With the record in place, the verdicts are the ones
// the samples' facts give: the seal is valid within its validity, expired after it, and the ofdrw-v4
// signature stays invalid (its signer certificate had expired when it signed in 2026).
func fileOFDRWSamples(t *testing.T, f *fixture, dir string) {
	reg := f.createRegistry("ofdrw", trustlist.KindDepartment, "*")
	maker, err := smcrypto.LoadFile(filepath.Join(dir, "certs", "ofdrw-test-pki", "sealbuilder_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	f.pushRefused(reg.signer(), trustlist.CodeChainInvalid, trustlist.Op{Op: trustlist.OpMakerAdd, Cert: maker[0].Raw})
	for name, code := range map[string]trustlist.Code{
		"ses-seal/ofdrw-UserV1.esl":          trustlist.CodeSealOutlives,
		"ses-seal/ofdrw-UserV4.esl":          trustlist.CodeSealOutlives,
		"ses-seal/ofdrw-UserV5.esl":          trustlist.CodeChainInvalid,
		"ses-signature/ofdrw-v4/Seal.esl":    trustlist.CodeSealOutlives,
		"ses-seal/hebei-gede-SESealData.der": trustlist.CodeSealSignature,
	} {
		if e := f.pushRefused(reg.signer(), code, fileOp(readSample(t, dir, name))); !strings.Contains(e.Message, "op 0") {
			t.Errorf("%s: the refusal does not name the op: %s", name, e.Message)
		}
	}
	if _, ok := f.h.State().Registry("ofdrw"); !ok {
		t.Fatal("registry ofdrw is gone")
	}

	der := readSample(t, dir, "ses-seal", "ofdrw-UserV4.esl")
	s, err := ses.ParseSeal(der)
	if err != nil {
		t.Fatal(err)
	}
	f.push(reg.signer(), trustlist.Op{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{
		Code: s.ESID, Name: s.Name, Type: s.Type, ValidStart: s.ValidStart, ValidEnd: s.ValidEnd, SealSM3: smcrypto.SM3Hex(der),
	}})

	filedValid := valid(trustlist.StatusExpired)
	filedValid.check(t, "UserV4 in its validity, filed", f.verifySeal(der, utc(2021, 6, 1, 0)).Report)
	expired := invalid(resolver.ReasonSealExpired, trustlist.StatusExpired, trustlist.StatusExpired)
	expired.check(t, "UserV4 at the reference time, filed", f.verifySeal(der, sampleRefTime).Report)

	r := f.verifySignature(readSample(t, dir, "ses-signature", "ofdrw-v4", "SignedValue.dat"),
		readSample(t, dir, "ses-signature", "ofdrw-v4", "Signature.xml"), time.Time{})
	w := invalid(resolver.ReasonSignerCertExpired, trustlist.StatusExpired, trustlist.StatusExpired)
	w.statusCode = resolver.ReasonSealExpired
	w.check(t, "ofdrw-v4 signature, its seal filed", r.Report)

	doc, _ := f.verifyOFD(readSample(t, dir, "ofd", "ofdrw-v4.ofd"), false, time.Time{})
	if doc.Result != resolver.Invalid || doc.Reason != resolver.ReasonSignerCertExpired || len(doc.Signatures) != 1 {
		t.Fatalf("ofdrw-v4.ofd, its seal filed: %s/%s (%s)", doc.Result, doc.Reason, doc.Message)
	}
	w.check(t, "ofdrw-v4.ofd signature, its seal filed", doc.Signatures[0].Report)
}
