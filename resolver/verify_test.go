package resolver_test

import (
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func day(n int) time.Time { return epoch.AddDate(0, 0, n) }

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func verifier(p *sm2ca.PKI) *resolver.Verifier {
	return &resolver.Verifier{Roots: p.Roots(), Intermediates: p.Intermediates()}
}

// TestSignatureScenarios makes one signature per outcome with the test PKI and checks the verdict,
// the reason and the check that carries it.
func TestSignatureScenarios(t *testing.T) {
	p := must[*sm2ca.PKI](t)(sm2ca.New(sm2ca.Options{Epoch: epoch}))
	other := must[*sm2ca.PKI](t)(sm2ca.New(sm2ca.Options{Epoch: epoch}))
	auth := must[*sm2ca.Authority](t)
	seal := must[[]byte](t)
	data := []byte("<ofd:Signature>the original</ofd:Signature>")

	shortMaker := auth(p.Issue(p.Intermediate, sm2ca.CertSpec{Subject: p.Maker.Cert.SubjectName, NotBefore: epoch, NotAfter: day(365)}))
	lateMaker := auth(p.Issue(p.Intermediate, sm2ca.CertSpec{Subject: p.Maker.Cert.SubjectName, NotBefore: day(400), NotAfter: day(2000)}))
	rogueMaker := auth(p.Issue(p.Signer, sm2ca.CertSpec{Subject: p.Maker.Cert.SubjectName, NotBefore: epoch, NotAfter: day(2000)}))
	shortSigner := auth(p.Leaf("37030000000002", epoch, day(60)))
	rogueSigner := auth(p.Issue(p.Maker, sm2ca.CertSpec{Subject: p.Signer.Cert.SubjectName, NotBefore: epoch, NotAfter: day(2000)}))
	otherShortMaker := auth(other.Issue(other.Intermediate, sm2ca.CertSpec{Subject: p.Maker.Cert.SubjectName, NotBefore: epoch, NotAfter: day(365)}))
	encMaker := auth(p.Issue(p.Intermediate, sm2ca.CertSpec{Subject: p.Maker.Cert.SubjectName, NotBefore: epoch, NotAfter: day(2000), KeyUsage: smx509.KeyUsageKeyEncipherment}))
	encSigner := auth(p.Issue(p.Intermediate, sm2ca.CertSpec{Subject: p.Signer.Cert.SubjectName, NotBefore: epoch, NotAfter: day(2000), KeyUsage: smx509.KeyUsageKeyEncipherment | smx509.KeyUsageDataEncipherment}))

	type scenario struct {
		seal   sm2ca.SealSpec
		sign   sm2ca.SignSpec
		policy resolver.Policy
		noData bool
		inter  []*sm2ca.Authority // extra certificates offered as intermediates
		makers []*sm2ca.Authority // registered seal-making systems (nil: not checked)
		now    time.Time
		result resolver.Verdict
		reason resolver.Reason
		check  func(*resolver.Checks) resolver.Check
	}
	sig := func(c *resolver.Checks) resolver.Check { return c.Signature }
	in := func(c *resolver.Checks) resolver.Check { return c.SignerInSeal }
	sealSig := func(c *resolver.Checks) resolver.Check { return c.SealSignature }
	maker := func(c *resolver.Checks) resolver.Check { return c.MakerChain }
	signer := func(c *resolver.Checks) resolver.Check { return c.SignerChain }
	window := func(c *resolver.Checks) resolver.Check { return c.SealValidity }
	hash := func(c *resolver.Checks) resolver.Check { return c.DataHash }
	scenarios := map[string]scenario{
		"valid":                             {result: resolver.Valid, reason: resolver.ReasonOK},
		"valid raw r||s":                    {seal: sm2ca.SealSpec{Raw64: true}, sign: sm2ca.SignSpec{Raw64: true}, result: resolver.Valid, reason: resolver.ReasonOK},
		"valid V5":                          {seal: sm2ca.SealSpec{Version: 5}, result: resolver.Valid, reason: resolver.ReasonOK},
		"bad signature":                     {sign: sm2ca.SignSpec{BadSignature: true}, result: resolver.Invalid, reason: resolver.ReasonSignatureInvalid, check: sig},
		"signer not in seal":                {sign: sm2ca.SignSpec{Signer: shortSigner, TimeInfo: day(30)}, result: resolver.Invalid, reason: resolver.ReasonSignerNotInSeal, check: in},
		"bad maker signature":               {seal: sm2ca.SealSpec{BadMakerSignature: true}, result: resolver.Invalid, reason: resolver.ReasonSealSignatureInvalid, check: sealSig},
		"maker expired":                     {seal: sm2ca.SealSpec{Maker: shortMaker, CreateDate: day(380)}, sign: sm2ca.SignSpec{TimeInfo: day(390)}, result: resolver.Invalid, reason: resolver.ReasonMakerCertExpired, check: maker},
		"maker valid at create":             {seal: sm2ca.SealSpec{Maker: shortMaker, CreateDate: day(100)}, sign: sm2ca.SignSpec{TimeInfo: day(500)}, result: resolver.Indeterminate, reason: resolver.ReasonMakerExpiredSince, check: maker},
		"V5 maker valid at create":          {seal: sm2ca.SealSpec{Version: 5, Maker: shortMaker, CreateDate: day(100)}, sign: sm2ca.SignSpec{TimeInfo: day(500)}, result: resolver.Valid, reason: resolver.ReasonOK},
		"maker valid at create, CA unknown": {seal: sm2ca.SealSpec{Version: 5, Maker: otherShortMaker, CreateDate: day(100)}, sign: sm2ca.SignSpec{TimeInfo: day(500)}, result: resolver.Indeterminate, reason: resolver.ReasonMakerCAUnknown, check: maker},
		"maker for encryption only":         {seal: sm2ca.SealSpec{Maker: encMaker}, result: resolver.Invalid, reason: resolver.ReasonMakerChainInvalid, check: maker},
		"signer for encryption only":        {seal: sm2ca.SealSpec{Signers: []*sm2ca.Authority{encSigner}}, sign: sm2ca.SignSpec{Signer: encSigner}, result: resolver.Invalid, reason: resolver.ReasonSignerChainInvalid, check: signer},
		"signed in the future":              {sign: sm2ca.SignSpec{TimeInfo: day(900)}, now: day(800), result: resolver.Invalid, reason: resolver.ReasonSigningTimeInFuture, check: window},
		"maker registered":                  {makers: []*sm2ca.Authority{p.Maker}, result: resolver.Valid, reason: resolver.ReasonOK},
		"maker not registered":              {makers: []*sm2ca.Authority{shortMaker}, result: resolver.Invalid, reason: resolver.ReasonMakerNotRegistered, check: maker},
		"maker strict policy":               {seal: sm2ca.SealSpec{Maker: shortMaker, CreateDate: day(100)}, sign: sm2ca.SignSpec{TimeInfo: day(500)}, policy: resolver.Policy{MakerAtSigningTimeOnly: true}, result: resolver.Invalid, reason: resolver.ReasonMakerCertExpired, check: maker},
		"maker not yet valid":               {seal: sm2ca.SealSpec{Maker: lateMaker}, result: resolver.Invalid, reason: resolver.ReasonMakerCertNotYetValid, check: maker},
		"maker CA unknown":                  {seal: sm2ca.SealSpec{Maker: other.Maker}, result: resolver.Indeterminate, reason: resolver.ReasonMakerCAUnknown, check: maker},
		"maker under a non-CA":              {seal: sm2ca.SealSpec{Maker: rogueMaker}, inter: []*sm2ca.Authority{p.Signer}, result: resolver.Invalid, reason: resolver.ReasonMakerChainInvalid, check: maker},
		"signer expired":                    {seal: sm2ca.SealSpec{Signers: []*sm2ca.Authority{shortSigner}, ValidEnd: day(50)}, sign: sm2ca.SignSpec{Signer: shortSigner, TimeInfo: day(45)}, result: resolver.Valid, reason: resolver.ReasonOK},
		"signer expired at use":             {seal: sm2ca.SealSpec{Signers: []*sm2ca.Authority{shortSigner}}, sign: sm2ca.SignSpec{Signer: shortSigner, TimeInfo: day(90)}, result: resolver.Invalid, reason: resolver.ReasonSignerCertExpired, check: signer},
		"signer CA unknown":                 {seal: sm2ca.SealSpec{Signers: []*sm2ca.Authority{other.Signer}}, sign: sm2ca.SignSpec{Signer: other.Signer}, result: resolver.Indeterminate, reason: resolver.ReasonSignerCAUnknown, check: signer},
		"signer under a non-CA":             {seal: sm2ca.SealSpec{Signers: []*sm2ca.Authority{rogueSigner}}, sign: sm2ca.SignSpec{Signer: rogueSigner}, inter: []*sm2ca.Authority{p.Maker}, result: resolver.Invalid, reason: resolver.ReasonSignerChainInvalid, check: signer},
		"seal expired":                      {seal: sm2ca.SealSpec{ValidEnd: day(20)}, sign: sm2ca.SignSpec{TimeInfo: day(30)}, result: resolver.Invalid, reason: resolver.ReasonSealExpired, check: window},
		"seal not yet valid":                {seal: sm2ca.SealSpec{ValidStart: day(40)}, sign: sm2ca.SignSpec{TimeInfo: day(30)}, result: resolver.Invalid, reason: resolver.ReasonSealNotYetValid, check: window},
		"signed before creation":            {seal: sm2ca.SealSpec{CreateDate: day(31), ValidStart: day(10)}, sign: sm2ca.SignSpec{TimeInfo: day(30)}, result: resolver.Invalid, reason: resolver.ReasonSealNotYetValid, check: window},
		"old seal outlives cert":            {seal: sm2ca.SealSpec{ValidEnd: day(4000)}, result: resolver.Valid, reason: resolver.ReasonOK},
		"Art. 16":                           {seal: sm2ca.SealSpec{ValidEnd: day(4000)}, policy: resolver.Policy{Art16From: epoch}, result: resolver.Invalid, reason: resolver.ReasonSealOutlivesSigner, check: window},
		"data changed":                      {sign: sm2ca.SignSpec{DataHash: make([]byte, 32)}, result: resolver.Invalid, reason: resolver.ReasonDataHashMismatch, check: hash},
		"no data":                           {noData: true, result: resolver.Indeterminate, reason: resolver.ReasonDataMissing, check: hash},
	}
	for name, sc := range scenarios {
		t.Run(name, func(t *testing.T) {
			sc.sign.Seal = seal(p.Seal(sc.seal))
			sc.sign.Data = data
			der := seal(p.Sign(sc.sign))
			v := verifier(p)
			v.Policy = sc.policy
			for _, a := range sc.inter {
				v.Intermediates.Add(a.Cert)
			}
			if sc.makers != nil {
				v.Makers = smcrypto.NewPool()
				for _, a := range sc.makers {
					v.Makers.Add(a.Cert)
				}
			}
			if !sc.now.IsZero() {
				v.Now = func() time.Time { return sc.now }
			}
			req := resolver.SignatureRequest{DER: der, Data: data}
			if sc.noData {
				req.Data = nil
			}
			r := v.VerifySignature(req)
			if r.Result != sc.result || r.Reason != sc.reason {
				t.Fatalf("verdict %s/%s (%s), want %s/%s", r.Result, r.Reason, r.Message, sc.result, sc.reason)
			}
			if sc.check != nil {
				c := sc.check(&r.Checks)
				if c.Code != sc.reason || (c.Result != resolver.Failed && c.Result != resolver.Undetermined) {
					t.Errorf("the check that should carry %s: %+v", sc.reason, c)
				}
			}
			if info, ok := r.Reason.Info(); !ok || info.Result != r.Result {
				t.Errorf("reason %s is documented as %s, the report says %s", r.Reason, info.Result, r.Result)
			}
			if r.Checks.Status.Result != resolver.Skipped {
				t.Errorf("offline status = %s, want skipped", r.Checks.Status.Result)
			}
			if r.Kind != "signature" || r.Seal == nil || r.Seal.Code != "37030000000001" || r.SigningTime == nil {
				t.Errorf("report fields: %+v", r)
			}
		})
	}
}

// TestSignerDataBySM3: the original may be given as its SM3 instead.
func TestSignerDataBySM3(t *testing.T) {
	p := must[*sm2ca.PKI](t)(sm2ca.New(sm2ca.Options{Epoch: epoch}))
	data := []byte("original")
	der := must[[]byte](t)(p.Sign(sm2ca.SignSpec{Data: data}))
	sum := smcrypto.SM3(data)
	if r := verifier(p).VerifySignature(resolver.SignatureRequest{DER: der, DataSM3: sum[:]}); r.Result != resolver.Valid {
		t.Fatalf("%s %s", r.Result, r.Message)
	}
	sum[0] ^= 1
	if r := verifier(p).VerifySignature(resolver.SignatureRequest{DER: der, DataSM3: sum[:]}); r.Reason != resolver.ReasonDataHashMismatch {
		t.Fatalf("%s %s", r.Result, r.Reason)
	}
}

func TestAtOverridesSigningTime(t *testing.T) {
	p := must[*sm2ca.PKI](t)(sm2ca.New(sm2ca.Options{Epoch: epoch}))
	data := []byte("x")
	der := must[[]byte](t)(p.Sign(sm2ca.SignSpec{Data: data, TimeInfo: day(30)}))
	r := verifier(p).VerifySignature(resolver.SignatureRequest{DER: der, Data: data, At: day(5000)})
	if r.Result != resolver.Invalid || r.Reason != resolver.ReasonSignerCertExpired || r.CheckedAt == nil || !r.CheckedAt.Equal(day(5000)) || !r.SigningTime.Equal(day(30)) {
		t.Fatalf("%s %s checked %v signed %v", r.Result, r.Reason, r.CheckedAt, r.SigningTime)
	}
}

func TestBareSeal(t *testing.T) {
	p := must[*sm2ca.PKI](t)(sm2ca.New(sm2ca.Options{Epoch: epoch}))
	der := must[[]byte](t)(p.Seal(sm2ca.SealSpec{}))
	v := verifier(p)
	v.Now = func() time.Time { return day(100) }
	r := v.VerifySeal(resolver.SealRequest{DER: der})
	if r.Result != resolver.Valid || r.CheckedAt == nil || !r.CheckedAt.Equal(day(100)) || r.Kind != "seal" || r.Format != "V4" {
		t.Fatalf("%+v", r)
	}
	for name, c := range map[string]resolver.Check{"signature": r.Checks.Signature, "signer_in_seal": r.Checks.SignerInSeal, "data_hash": r.Checks.DataHash, "status": r.Checks.Status} {
		if c.Result != resolver.Skipped {
			t.Errorf("%s = %s, want skipped for a bare seal", name, c.Result)
		}
	}
	// Day 5000: the maker certificate has expired. It was valid when the V5 seal was made, so the
	// seal's own window decides; under the strict policy the maker certificate does. A V4 seal cannot
	// prove its createDate: indeterminate.
	if r := v.VerifySeal(resolver.SealRequest{DER: der, At: day(5000)}); r.Reason != resolver.ReasonSealExpired || r.Checks.MakerChain.Code != resolver.ReasonMakerExpiredSince {
		t.Errorf("V4 at day 5000: %s, maker %s", r.Reason, r.Checks.MakerChain.Code)
	}
	der = must[[]byte](t)(p.Seal(sm2ca.SealSpec{Version: 5}))
	if r := v.VerifySeal(resolver.SealRequest{DER: der, At: day(5000)}); r.Reason != resolver.ReasonSealExpired || r.Checks.MakerChain.Result != resolver.Passed || len(r.Warnings) == 0 {
		t.Errorf("at day 5000: %s, maker %s, warnings %q", r.Reason, r.Checks.MakerChain.Result, r.Warnings)
	}
	v.Policy.MakerAtSigningTimeOnly = true
	if r := v.VerifySeal(resolver.SealRequest{DER: der, At: day(5000)}); r.Reason != resolver.ReasonMakerCertExpired {
		t.Errorf("strict, at day 5000: %s", r.Reason)
	}
	v.Policy.MakerAtSigningTimeOnly = false
	if r := (&resolver.Verifier{}).VerifySeal(resolver.SealRequest{DER: der, At: day(100)}); r.Result != resolver.Indeterminate || r.Reason != resolver.ReasonMakerCAUnknown {
		t.Errorf("no roots: %s %s", r.Result, r.Reason)
	}
}

func TestMalformedInput(t *testing.T) {
	v := &resolver.Verifier{}
	for name, in := range map[string][]byte{"empty": nil, "junk": []byte("not DER"), "integer": {2, 1, 1}} {
		t.Run(name, func(t *testing.T) {
			for _, r := range []*resolver.Report{v.VerifySeal(resolver.SealRequest{DER: in}), v.VerifySignature(resolver.SignatureRequest{DER: in})} {
				if r.Result != resolver.Invalid || r.Reason != resolver.ReasonFormatInvalid {
					t.Errorf("%s %s", r.Result, r.Reason)
				}
			}
		})
	}
	pkcs7 := []byte{0x30, 0x0e, 0x06, 0x0a, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x06, 0x01, 0x04, 0x02, 0x02, 0xa0, 0x00}
	if r := v.VerifySignature(resolver.SignatureRequest{DER: pkcs7}); r.Result != resolver.Indeterminate || r.Reason != resolver.ReasonNotSES {
		t.Errorf("pkcs7: %s %s", r.Result, r.Reason)
	}
}

func TestMalformedSignerCertificate(t *testing.T) {
	p := must[*sm2ca.PKI](t)(sm2ca.New(sm2ca.Options{Epoch: epoch}))
	seal := must[[]byte](t)(p.Seal(sm2ca.SealSpec{}))
	der := must[[]byte](t)(ses.EncodeSignature(ses.SignatureTemplate{Seal: seal, TimeInfo: day(30), DataHash: make([]byte, 32), PropertyInfo: "x", SignerCert: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}, p.Signer.Sign))
	r := verifier(p).VerifySignature(resolver.SignatureRequest{DER: der})
	if r.Reason != resolver.ReasonCertMalformed || r.Result != resolver.Invalid {
		t.Fatalf("%s %s", r.Result, r.Reason)
	}
}
