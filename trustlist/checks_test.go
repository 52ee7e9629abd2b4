package trustlist_test

import (
	"bytes"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// rejectCase is one way a push is refused. setup moves the world to the case's starting point
// (with pushes that must succeed); env builds the push to refuse.
type rejectCase struct {
	setup  func(w *world)
	env    func(w *world) trustlist.Envelope
	opts   func(w *world) trustlist.CheckOptions // Check's options; zero when nil
	want   trustlist.Code
	status int
	// checkOnly marks the checks only the receiving node makes (they read the clock, or cost too
	// much to repeat on every node): Apply accepts the same push, by design.
	checkOnly bool
}

// by is the registry's next push of ops, signed with its key.
func by(reg string, ops ...trustlist.Op) func(*world) trustlist.Envelope {
	return func(w *world) trustlist.Envelope { return w.envelope(reg, ops...) }
}

// byWith is by with a world-dependent list of ops.
func byWith(reg string, ops func(w *world) []trustlist.Op) func(*world) trustlist.Envelope {
	return func(w *world) trustlist.Envelope { return w.envelope(reg, ops(w)...) }
}

// edited is a push of 37 changed before it is signed.
func edited(edit func(w *world, p *trustlist.Push), ops ...trustlist.Op) func(*world) trustlist.Envelope {
	return func(w *world) trustlist.Envelope {
		return w.envelopeWith("37", nil, func(p *trustlist.Push) { edit(w, p) }, ops...)
	}
}

// raw is a body of 37's made by hand from its valid next push (ops: one suspend), signed with 37's key.
func raw(change func(w *world, body []byte) []byte) func(*world) trustlist.Envelope {
	return func(w *world) trustlist.Envelope {
		body := marshal(w.tb, w.push("37", probe()))
		return w.sign(w.keys["37"], change(w, body))
	}
}

// replace replaces the first old in body by new, failing when old is absent.
func replace(w *world, body []byte, old, new string) []byte {
	w.tb.Helper()
	if !bytes.Contains(body, []byte(old)) {
		w.tb.Fatalf("%q not in %s", old, body)
	}
	return bytes.Replace(body, []byte(old), []byte(new), 1)
}

// probe is a harmless op whose reason can be flipped after signing.
func probe() trustlist.Op { return opStatus(sealCode, "suspend", time.Time{}, "probe-a") }

func withSetup(steps ...func(w *world)) func(w *world) {
	return func(w *world) {
		for _, s := range steps {
			s(w)
		}
	}
}

func step(reg string, ops ...trustlist.Op) func(w *world) {
	return func(w *world) { w.do(reg, ops...) }
}

func stepWith(reg string, ops func(w *world) []trustlist.Op) func(w *world) {
	return func(w *world) { w.do(reg, ops(w)...) }
}

func sealWith(spec sm2ca.SealSpec) func(w *world) []trustlist.Op {
	return func(w *world) []trustlist.Op { return []trustlist.Op{opFileDER(w.mustSeal(spec))} }
}

func fp(der []byte) string { return smcrypto.SM3Hex(der) }

// madeAfterDistrust is a seal made ten days before t0 (so after a distrust at t0-30d), valid a year.
var madeAfterDistrust = sm2ca.SealSpec{ESID: "37010000000005", CreateDate: t0.AddDate(0, 0, -10), ValidEnd: t0.AddDate(1, 0, 0)}

func regSpec(w *world, id string) trustlist.RegistrySpec {
	return trustlist.RegistrySpec{ID: id, Name: "测试 " + id, Kind: trustlist.KindProvince,
		Jurisdiction: []string{"32"}, Keys: []trustlist.KeySpec{keySpec(w.tb, w.spare[0])}}
}

func rejectCases() map[string]rejectCase {
	distrustRoot := stepWith(trustlist.AdminID, func(w *world) []trustlist.Op {
		return []trustlist.Op{opDistrust(fp(w.pki.Root.DER), t0.AddDate(0, 0, -30), "compromised")}
	})
	distrustInter := stepWith("37", func(w *world) []trustlist.Op {
		return []trustlist.Op{opDistrust(fp(w.pki.Intermediate.DER), t0.AddDate(0, 0, -30), "compromised")}
	})
	taxFiles77 := step("tax", opFileMeta(meta("37010000000077")))
	status := func(action string, at time.Time) func(w *world) {
		return step("37", opStatus(sealCode, action, at, ""))
	}
	admin := trustlist.AdminID

	return map[string]rejectCase{
		// 400: the body is not a push.
		"malformed JSON": {env: raw(func(_ *world, b []byte) []byte { return b[:len(b)/2] }), want: trustlist.CodeMalformed, status: 400},
		"empty body": {env: func(w *world) trustlist.Envelope {
			env := w.envelope("37", probe()) // SM2 signs no empty message: keep a signature of another body
			env.Body = nil
			return env
		}, want: trustlist.CodeMalformed, status: 400},
		"not an object": {env: raw(func(*world, []byte) []byte { return []byte(`[1,2,3]`) }), want: trustlist.CodeMalformed, status: 400},
		"unknown field": {env: raw(func(w *world, b []byte) []byte { return replace(w, b, `{"registry"`, `{"extra":1,"registry"`) }),
			want: trustlist.CodeMalformed, status: 400},
		"unknown field in an op": {env: raw(func(w *world, b []byte) []byte {
			return replace(w, b, `"op":"seal.status"`, `"op":"seal.status","colour":"red"`)
		}), want: trustlist.CodeMalformed, status: 400},
		"trailing object":  {env: raw(func(_ *world, b []byte) []byte { return append(b, " {}"...) }), want: trustlist.CodeMalformed, status: 400},
		"trailing garbage": {env: raw(func(_ *world, b []byte) []byte { return append(b, 'x') }), want: trustlist.CodeMalformed, status: 400},
		"wrong type": {env: raw(func(w *world, b []byte) []byte { return replace(w, b, `"seq":3`, `"seq":"3"`) }),
			want: trustlist.CodeMalformed, status: 400},
		"empty ops": {env: edited(func(_ *world, p *trustlist.Push) { p.Ops = nil }), want: trustlist.CodeMalformed, status: 400},
		"seq 0":     {env: edited(func(_ *world, p *trustlist.Push) { p.Seq = 0 }, probe()), want: trustlist.CodeMalformed, status: 400},
		"prev with seq 1": {env: edited(func(_ *world, p *trustlist.Push) { p.Seq, p.Prev = 1, smcrypto.SM3Hex([]byte("x")) }, probe()),
			want: trustlist.CodeMalformed, status: 400},
		"prev not SM3 hex": {env: edited(func(_ *world, p *trustlist.Push) { p.Prev = strings.ToUpper(p.Prev) }, probe()),
			want: trustlist.CodeMalformed, status: 400},
		"bad registry id": {env: edited(func(_ *world, p *trustlist.Push) { p.Registry = "Shandong" }, probe()),
			want: trustlist.CodeMalformed, status: 400},
		"no issued_at": {env: edited(func(_ *world, p *trustlist.Push) { p.IssuedAt = time.Time{} }, probe()),
			want: trustlist.CodeMalformed, status: 400},
		"unknown op": {env: by("37", trustlist.Op{Op: "seal.delete", Code: sealCode}), want: trustlist.CodeMalformed, status: 400},
		"op with a field it must not carry": {env: by("37", trustlist.Op{Op: trustlist.OpSealStatus, Code: sealCode, Action: "suspend", Cert: []byte{1}}),
			want: trustlist.CodeMalformed, status: 400},
		"op without a field it needs": {env: by("37", trustlist.Op{Op: trustlist.OpSealStatus, Code: sealCode}),
			want: trustlist.CodeMalformed, status: 400},
		"seal.file with seal and meta": {env: by("37", trustlist.Op{Op: trustlist.OpSealFile, Seal: []byte{0x30}, Meta: ptr(meta("37010000000002"))}),
			want: trustlist.CodeMalformed, status: 400},
		"seal.file with neither":   {env: by("37", trustlist.Op{Op: trustlist.OpSealFile}), want: trustlist.CodeMalformed, status: 400},
		"unknown action":           {env: by("37", opStatus(sealCode, "destroy", time.Time{}, "")), want: trustlist.CodeMalformed, status: 400},
		"fingerprint not SM3 hex":  {env: by("37", opDistrust("ABCD", time.Time{}, "")), want: trustlist.CodeMalformed, status: 400},
		"key.rotate with nothing":  {env: by("37", trustlist.Op{Op: trustlist.OpKeyRotate}), want: trustlist.CodeMalformed, status: 400},
		"retire_key not a key id":  {env: by("37", opRotate(nil, "not-a-key", time.Time{})), want: trustlist.CodeMalformed, status: 400},
		"reason with control char": {env: by("37", opStatus(sealCode, "suspend", time.Time{}, "a\x01b")), want: trustlist.CodeMalformed, status: 400},
		"reason too long": {env: by("37", opStatus(sealCode, "suspend", time.Time{}, strings.Repeat("长", 400))),
			want: trustlist.CodeMalformed, status: 400},
		"retire_at without retire_key": {env: func(w *world) trustlist.Envelope {
			return w.envelope("37", trustlist.Op{Op: trustlist.OpKeyRotate, Key: ptr(keySpec(w.tb, w.spare[0])), RetireAt: ptr(w.now)})
		}, want: trustlist.CodeMalformed, status: 400},
		"registry spec with a bad id": {env: func(w *world) trustlist.Envelope {
			return w.envelope(admin, opCreate(regSpec(w, "Bad ID")))
		}, want: trustlist.CodeMalformed, status: 400},

		// 413: over a size limit.
		"body over MaxPushBytes": {env: raw(func(_ *world, b []byte) []byte {
			pad := bytes.Repeat([]byte{' '}, trustlist.MaxPushBytes)
			return append(append(bytes.Clone(b[:len(b)-1]), pad...), '}')
		}), want: trustlist.CodeTooLarge, status: 413},
		"more than MaxOps": {env: func(w *world) trustlist.Envelope {
			ops := make([]trustlist.Op, trustlist.MaxOps+1)
			for i := range ops {
				ops[i] = trustlist.Op{Op: trustlist.OpKeyRotate}
			}
			return w.envelope("37", ops...)
		}, want: trustlist.CodeTooManyOps, status: 413},

		// 401: signature, key or registry not recognised.
		"no signature": {env: func(w *world) trustlist.Envelope {
			env := w.envelope("37", probe())
			env.Signature = nil
			return env
		}, want: trustlist.CodeSignatureMissing, status: 401},
		"no key id": {env: func(w *world) trustlist.Envelope {
			env := w.envelope("37", probe())
			env.KeyID = ""
			return env
		}, want: trustlist.CodeSignatureMissing, status: 401},
		"key id not 16 hex digits": {env: func(w *world) trustlist.Envelope {
			env := w.envelope("37", probe())
			env.KeyID = strings.ToUpper(env.KeyID)
			return env
		}, want: trustlist.CodeSignatureMissing, status: 401},
		"body changed after signing": {env: func(w *world) trustlist.Envelope {
			env := w.envelope("37", probe())
			env.Body = flipIn(w.tb, env.Body, "probe-a")
			return env
		}, want: trustlist.CodeSignatureInvalid, status: 401},
		"signature by another key": {env: func(w *world) trustlist.Envelope {
			env := w.envelopeWith("37", w.spare[1], nil, probe())
			env.KeyID = keyID(w.keys["37"])
			return env
		}, want: trustlist.CodeSignatureInvalid, status: 401},
		"unknown registry": {env: func(w *world) trustlist.Envelope {
			return w.envelopeWith("sx", w.spare[1], nil, probe())
		}, want: trustlist.CodeRegistryUnknown, status: 401},
		"registry push to an uninitialised hub": {setup: func(w *world) { w.st = trustlist.New() }, env: by("37", probe()),
			want: trustlist.CodeRegistryUnknown, status: 401},
		"unknown key": {env: func(w *world) trustlist.Envelope {
			return w.envelopeWith("37", w.spare[1], nil, probe())
		}, want: trustlist.CodeKeyUnknown, status: 401},
		"key not valid yet at issued_at": {setup: rotateTo(0, false),
			env:  edited(func(_ *world, p *trustlist.Push) { p.IssuedAt = t0.Add(-time.Hour) }, probe()),
			want: trustlist.CodeKeyNotValid, status: 401},
		"key retired at issued_at": {setup: rotateTo(0, true),
			env: func(w *world) trustlist.Envelope {
				return w.envelopeWith("37", baseWorld().keys["37"], nil, probe())
			}, want: trustlist.CodeKeyNotValid, status: 401},
		"issued_at ahead of the clock": {env: by("37", probe()), checkOnly: true,
			opts: func(w *world) trustlist.CheckOptions {
				return trustlist.CheckOptions{Now: w.now.Add(-10 * time.Minute)}
			},
			want: trustlist.CodeIssuedAtSkew, status: 401},
		"issued_at older than MaxAge": {env: by("37", probe()), checkOnly: true,
			opts: func(w *world) trustlist.CheckOptions {
				return trustlist.CheckOptions{Now: w.now.Add(2 * time.Hour), MaxAge: time.Hour}
			},
			want: trustlist.CodeIssuedAtSkew, status: 401},
		"administrator push to an uninitialised hub": {setup: func(w *world) { w.st = trustlist.New() },
			env:  func(w *world) trustlist.Envelope { return w.envelope(admin, opCreate(regSpec(w, "32"))) },
			want: trustlist.CodeNotInitialized, status: 401},

		// 403: an op the signer may not perform.
		"seal outside jurisdiction (38)": {env: by("37", opFileMeta(meta("38010000000001"))), want: trustlist.CodeOutsideJuris, status: 403},
		"seal outside jurisdiction (11)": {env: by("37", opFileMeta(meta("11010000000001"))), want: trustlist.CodeOutsideJuris, status: 403},
		"non-numeric code for a province": {env: by("37", opFileMeta(meta("ZhelibanTaxSeal"))),
			want: trustlist.CodeOutsideJuris, status: 403},
		"DER seal outside jurisdiction": {env: byWith("37", sealWith(sm2ca.SealSpec{ESID: "11010000000002"})),
			want: trustlist.CodeOutsideJuris, status: 403},
		"status change outside jurisdiction": {env: by("37", opStatus("11010000000009", "suspend", time.Time{}, "")),
			want: trustlist.CodeOutsideJuris, status: 403},
		"registry changes another's seal": {setup: taxFiles77, env: by("37", opStatus("37010000000077", "suspend", time.Time{}, "")),
			want: trustlist.CodeNotPermitted, status: 403},
		"registry re-files another's seal": {setup: taxFiles77, env: by("37", opFileMeta(meta("37010000000077"))),
			want: trustlist.CodeNotPermitted, status: 403},
		"department changes a province's seal": {env: by("tax", opStatus(sealCode, "revoke", time.Time{}, "")),
			want: trustlist.CodeNotPermitted, status: 403},
		"registry creates a registry": {env: func(w *world) trustlist.Envelope { return w.envelope("37", opCreate(regSpec(w, "32"))) },
			want: trustlist.CodeNotPermitted, status: 403},
		"registry updates a registry": {env: by("37", opUpdate(trustlist.RegistrySpec{ID: "37", Jurisdiction: []string{"*"}})),
			want: trustlist.CodeNotPermitted, status: 403},
		"registry adds a root": {env: func(w *world) trustlist.Envelope { return w.envelope("37", opAnchorAdd(w.foreign.Root.DER)) },
			want: trustlist.CodeNotPermitted, status: 403},
		"registry distrusts the administrator's root": {env: func(w *world) trustlist.Envelope {
			return w.envelope("37", opDistrust(fp(w.pki.Root.DER), time.Time{}, ""))
		}, want: trustlist.CodeNotPermitted, status: 403},
		"registry distrusts another's intermediate": {env: func(w *world) trustlist.Envelope {
			return w.envelope("tax", opDistrust(fp(w.pki.Intermediate.DER), time.Time{}, ""))
		}, want: trustlist.CodeNotPermitted, status: 403},
		"registry re-trusts another's intermediate": {setup: distrustInter, env: func(w *world) trustlist.Envelope {
			return w.envelope("tax", opAnchorAdd(w.pki.Intermediate.DER))
		}, want: trustlist.CodeNotPermitted, status: 403},
		"administrator files a seal": {env: by(admin, opFileMeta(meta("37010000000002"))), want: trustlist.CodeNotPermitted, status: 403},
		"administrator changes a status": {env: by(admin, opStatus(sealCode, "revoke", time.Time{}, "")),
			want: trustlist.CodeNotPermitted, status: 403},
		"administrator adds a maker": {env: func(w *world) trustlist.Envelope { return w.envelope(admin, opMakerAdd(w.maker2.DER)) },
			want: trustlist.CodeNotPermitted, status: 403},

		// 409: sequence or chain conflict.
		"seq gap":       {env: edited(func(_ *world, p *trustlist.Push) { p.Seq++ }, probe()), want: trustlist.CodeSeqGap, status: 409},
		"prev mismatch": {env: edited(func(_ *world, p *trustlist.Push) { p.Prev = smcrypto.SM3Hex([]byte("not the head")) }, probe()), want: trustlist.CodePrevMismatch, status: 409},
		"same seq, other bytes": {env: edited(func(_ *world, p *trustlist.Push) { p.Seq-- }, probe()),
			want: trustlist.CodeReplayConflict, status: 409},
		"issued_at before the last push's": {env: edited(func(w *world, p *trustlist.Push) { p.IssuedAt = w.now.Add(-2 * time.Minute) }, probe()),
			want: trustlist.CodeIssuedBeforeHead, status: 409},
		"seq 1 again": {env: edited(func(_ *world, p *trustlist.Push) { p.Seq, p.Prev = 1, "" }, probe()),
			want: trustlist.CodeReplayConflict, status: 409},

		// 422: content.
		"seal DER garbage":    {env: by("37", opFileDER([]byte("not an SES_Seal"))), want: trustlist.CodeSealInvalid, status: 422},
		"meta without a name": {env: by("37", opFileMeta(func() trustlist.SealMeta { m := meta("37010000000002"); m.Name = ""; return m }())), want: trustlist.CodeSealInvalid, status: 422},
		"meta ending before start": {env: by("37", opFileMeta(func() trustlist.SealMeta {
			m := meta("37010000000002")
			m.ValidEnd = m.ValidStart.Add(-time.Hour)
			return m
		}())), want: trustlist.CodeSealInvalid, status: 422},
		"meta with a bad USCC":    {env: by("37", opFileMeta(func() trustlist.SealMeta { m := meta("37010000000002"); m.OwnerUSCC = "11370306MB2867521X"; return m }())), want: trustlist.CodeSealInvalid, status: 422},
		"meta with a spaced code": {env: by("37", opFileMeta(meta("3701 0000000002"))), want: trustlist.CodeSealInvalid, status: 422},
		"meta with a bad type":    {env: by("37", opFileMeta(func() trustlist.SealMeta { m := meta("37010000000002"); m.Type = 100; return m }())), want: trustlist.CodeSealInvalid, status: 422},
		"meta with a bad maker fingerprint": {env: by("37", opFileMeta(func() trustlist.SealMeta { m := meta("37010000000002"); m.MakerCert = "xyz"; return m }())),
			want: trustlist.CodeSealInvalid, status: 422},
		"bad maker signature": {env: byWith("37", sealWith(sm2ca.SealSpec{ESID: "37010000000002", BadMakerSignature: true})),
			checkOnly: true, want: trustlist.CodeSealSignature, status: 422},
		"meta naming an unknown maker": {env: by("37", opFileMeta(func() trustlist.SealMeta {
			m := meta("37010000000002")
			m.MakerCert = smcrypto.SM3Hex([]byte("no such maker"))
			return m
		}())), want: trustlist.CodeMakerUnknown, status: 422},
		"DER seal from an unregistered maker": {env: func(w *world) trustlist.Envelope {
			return w.envelope("37", opFileDER(w.mustSeal(sm2ca.SealSpec{ESID: "37010000000002", Maker: w.maker2})))
		}, want: trustlist.CodeMakerUnknown, status: 422},
		"DER seal from a removed maker": {
			setup: stepWith("37", func(w *world) []trustlist.Op { return []trustlist.Op{opMakerRemove(fp(w.pki.Maker.DER), "retired")} }),
			env:   byWith("37", sealWith(sm2ca.SealSpec{ESID: "37010000000002"})),
			want:  trustlist.CodeMakerUnknown, status: 422},
		"removing a maker that is not registered": {env: func(w *world) trustlist.Envelope {
			return w.envelope("37", opMakerRemove(fp(w.maker2.DER), ""))
		}, want: trustlist.CodeMakerUnknown, status: 422},
		"DER seal whose maker's CA is not an anchor": {env: func(w *world) trustlist.Envelope {
			der, err := w.foreign.Seal(sm2ca.SealSpec{ESID: "37010000000002"})
			if err != nil {
				w.tb.Fatalf("seal: %v", err)
			}
			return w.envelope("37", opFileDER(der))
		}, want: trustlist.CodeChainInvalid, status: 422},
		"DER seal made after its root was distrusted": {setup: distrustRoot, env: byWith("37", sealWith(madeAfterDistrust)),
			want: trustlist.CodeChainInvalid, status: 422},
		"DER seal made after its intermediate was distrusted": {setup: distrustInter, env: byWith("37", sealWith(madeAfterDistrust)),
			want: trustlist.CodeChainInvalid, status: 422},
		"maker whose CA is not an anchor": {env: func(w *world) trustlist.Envelope { return w.envelope("37", opMakerAdd(w.foreign.Maker.DER)) },
			want: trustlist.CodeChainInvalid, status: 422},
		"maker under a distrusted intermediate": {setup: distrustInter, env: func(w *world) trustlist.Envelope {
			return w.envelope("37", opMakerAdd(w.maker2.DER))
		}, want: trustlist.CodeChainInvalid, status: 422},
		"intermediate without a trusted root": {env: func(w *world) trustlist.Envelope {
			return w.envelope("37", opAnchorAdd(w.foreign.Intermediate.DER))
		}, want: trustlist.CodeChainInvalid, status: 422},
		"seal outlives its signer (Art. 16)": {env: byWith("37", sealWith(sm2ca.SealSpec{ESID: "37010000000003",
			ValidEnd: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})), want: trustlist.CodeSealOutlives, status: 422},
		"re-filing from the DER":   {env: func(w *world) trustlist.Envelope { return w.envelope("37", opFileDER(w.sealDER)) }, want: trustlist.CodeSealExists, status: 422},
		"re-filing from metadata":  {env: by("37", opFileMeta(meta(sealCode))), want: trustlist.CodeSealExists, status: 422},
		"filing twice in one push": {env: by("37", opFileMeta(meta("37010000000002")), opFileMeta(meta("37010000000002"))), want: trustlist.CodeSealExists, status: 422},
		"status of an unknown seal": {env: by("37", opStatus("37010000009999", "suspend", time.Time{}, "")),
			want: trustlist.CodeSealUnknown, status: 422},
		"restore a valid seal": {env: by("37", opStatus(sealCode, "restore", time.Time{}, "")), want: trustlist.CodeTransition, status: 422},
		"suspend a suspended seal": {setup: status("suspend", time.Time{}), env: by("37", opStatus(sealCode, "suspend", time.Time{}, "")),
			want: trustlist.CodeTransition, status: 422},
		"restore a revoked seal": {setup: status("revoke", time.Time{}), env: by("37", opStatus(sealCode, "restore", time.Time{}, "")),
			want: trustlist.CodeTransition, status: 422},
		"revoke an invalidated seal": {setup: status("invalidate", time.Time{}), env: by("37", opStatus(sealCode, "revoke", time.Time{}, "")),
			want: trustlist.CodeTransition, status: 422},
		"status before the filing": {env: by("37", opStatus(sealCode, "suspend", time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC), "")),
			want: trustlist.CodeEffectiveOrder, status: 422},
		"status before the latest event": {setup: status("suspend", t0.AddDate(0, 0, -10)),
			env: by("37", opStatus(sealCode, "restore", t0.AddDate(0, 0, -20), "")), want: trustlist.CodeEffectiveOrder, status: 422},
		"re-trust dated before the distrust": {setup: distrustInter, env: func(w *world) trustlist.Envelope {
			op := opAnchorAdd(w.pki.Intermediate.DER)
			op.EffectiveAt = ptr(w.pki.Intermediate.Cert.NotBefore) // before the distrust
			return w.envelope("37", op)
		}, want: trustlist.CodeEffectiveOrder, status: 422},
		"distrust before the trust began": {env: func(w *world) trustlist.Envelope {
			return w.envelope("37", opDistrust(fp(w.pki.Intermediate.DER), time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), ""))
		}, want: trustlist.CodeEffectiveOrder, status: 422},
		"status in the future": {env: func(w *world) trustlist.Envelope {
			return w.envelope("37", opStatus(sealCode, "suspend", w.now.Add(recordDelay+trustlist.MaxClockSkew+time.Second), ""))
		}, want: trustlist.CodeEffectiveFuture, status: 422},
		"anchor that is not a certificate": {env: by(admin, opAnchorAdd([]byte("not a certificate"))), want: trustlist.CodeCertInvalid, status: 422},
		"anchor that is not a CA": {env: func(w *world) trustlist.Envelope { return w.envelope(admin, opAnchorAdd(w.pki.Signer.DER)) },
			want: trustlist.CodeCertInvalid, status: 422},
		"maker that is a CA": {env: func(w *world) trustlist.Envelope { return w.envelope("37", opMakerAdd(w.pki.Intermediate.DER)) },
			want: trustlist.CodeCertInvalid, status: 422},
		"maker that is not a certificate": {env: by("37", opMakerAdd([]byte{0x30, 0x03, 0x02, 0x01, 0x01})), want: trustlist.CodeCertInvalid, status: 422},
		"root added again": {env: func(w *world) trustlist.Envelope { return w.envelope(admin, opAnchorAdd(w.pki.Root.DER)) },
			want: trustlist.CodeAnchorExists, status: 422},
		"intermediate added again": {env: func(w *world) trustlist.Envelope { return w.envelope("37", opAnchorAdd(w.pki.Intermediate.DER)) },
			want: trustlist.CodeAnchorExists, status: 422},
		"distrust of an unknown anchor": {env: by(admin, opDistrust(smcrypto.SM3Hex([]byte("no such CA")), time.Time{}, "")),
			want: trustlist.CodeAnchorUnknown, status: 422},
		"distrust twice": {setup: distrustInter, env: func(w *world) trustlist.Envelope {
			return w.envelope("37", opDistrust(fp(w.pki.Intermediate.DER), time.Time{}, ""))
		}, want: trustlist.CodeAnchorDistrusted, status: 422},
		"maker added again": {env: func(w *world) trustlist.Envelope { return w.envelope("37", opMakerAdd(w.pki.Maker.DER)) },
			want: trustlist.CodeMakerExists, status: 422},
		"another registry's maker": {env: func(w *world) trustlist.Envelope { return w.envelope("tax", opMakerAdd(w.pki.Maker.DER)) },
			want: trustlist.CodeMakerExists, status: 422},
		"retiring the last key": {env: func(w *world) trustlist.Envelope {
			return w.envelope("37", opRotate(nil, keyID(w.keys["37"]), time.Time{}))
		}, want: trustlist.CodeKeyInvalid, status: 422},
		"retire_at before issued_at": {env: func(w *world) trustlist.Envelope {
			return w.envelope("37", opRotate(ptr(keySpec(w.tb, w.spare[0])), keyID(w.keys["37"]), w.now.Add(-time.Hour)))
		}, want: trustlist.CodeKeyInvalid, status: 422},
		"unreadable key": {env: by("37", opRotate(&trustlist.KeySpec{PublicKey: "not a key"}, "", time.Time{})),
			want: trustlist.CodeKeyInvalid, status: 422},
		"key already held": {env: func(w *world) trustlist.Envelope {
			return w.envelope("37", opRotate(ptr(keySpec(w.tb, w.keys["37"])), "", time.Time{}))
		}, want: trustlist.CodeKeyInvalid, status: 422},
		"retiring a key not held": {env: func(w *world) trustlist.Envelope {
			return w.envelope("37", opRotate(ptr(keySpec(w.tb, w.spare[0])), keyID(w.spare[1]), time.Time{}))
		}, want: trustlist.CodeKeyInvalid, status: 422},
		"key ending before it starts": {env: func(w *world) trustlist.Envelope {
			ks := keySpec(w.tb, w.spare[0])
			ks.NotBefore, ks.NotAfter = ptr(w.now), ptr(w.now.Add(-time.Hour))
			return w.envelope("37", opRotate(&ks, "", time.Time{}))
		}, want: trustlist.CodeKeyInvalid, status: 422},
		"retiring a retired key": {
			setup: rotateTo(0, true),
			env: func(w *world) trustlist.Envelope {
				return w.envelope("37", opRotate(nil, keyID(baseWorld().keys["37"]), time.Time{}))
			}, want: trustlist.CodeKeyInvalid, status: 422},
		"registry with an unreadable key": {env: func(w *world) trustlist.Envelope {
			s := regSpec(w, "32")
			s.Keys = []trustlist.KeySpec{{PublicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}}
			return w.envelope(admin, opCreate(s))
		}, want: trustlist.CodeKeyInvalid, status: 422},
		"registry created again": {env: func(w *world) trustlist.Envelope { return w.envelope(admin, opCreate(regSpec(w, "37"))) },
			want: trustlist.CodeRegistryExists, status: 422},
		"registry created twice in one push": {env: func(w *world) trustlist.Envelope {
			a, b := regSpec(w, "32"), regSpec(w, "32")
			b.Keys = []trustlist.KeySpec{keySpec(w.tb, w.spare[1])}
			return w.envelope(admin, opCreate(a), opCreate(b))
		}, want: trustlist.CodeRegistryExists, status: 422},
		"registry named admin": {env: func(w *world) trustlist.Envelope { return w.envelope(admin, opCreate(regSpec(w, admin))) },
			want: trustlist.CodeRegistryInvalid, status: 422},
		"registry of an unknown kind": {env: regEdit(func(s *trustlist.RegistrySpec) { s.Kind = "bureau" }), want: trustlist.CodeRegistryInvalid, status: 422},
		"registry without a name":     {env: regEdit(func(s *trustlist.RegistrySpec) { s.Name = "" }), want: trustlist.CodeRegistryInvalid, status: 422},
		"registry of an unknown mode": {env: regEdit(func(s *trustlist.RegistrySpec) { s.Mode = "poll" }), want: trustlist.CodeRegistryInvalid, status: 422},
		"registry without jurisdiction": {env: regEdit(func(s *trustlist.RegistrySpec) { s.Jurisdiction = nil }),
			want: trustlist.CodeRegistryInvalid, status: 422},
		"jurisdiction of no province": {env: regEdit(func(s *trustlist.RegistrySpec) { s.Jurisdiction = []string{"99"} }),
			want: trustlist.CodeRegistryInvalid, status: 422},
		"jurisdiction not digits": {env: regEdit(func(s *trustlist.RegistrySpec) { s.Jurisdiction = []string{"3x7"} }),
			want: trustlist.CodeRegistryInvalid, status: 422},
		"push registry without keys": {env: regEdit(func(s *trustlist.RegistrySpec) { s.Keys = nil }), want: trustlist.CodeRegistryInvalid, status: 422},
		"province id of no province": {env: regEdit(func(s *trustlist.RegistrySpec) { s.ID = "99" }), want: trustlist.CodeRegistryInvalid, status: 422},
		"adapter over 16 KiB": {env: regEdit(func(s *trustlist.RegistrySpec) {
			s.Mode, s.Adapter = trustlist.ModeLive, []byte(`"`+strings.Repeat("a", 17<<10)+`"`)
		}), want: trustlist.CodeRegistryInvalid, status: 422},
		"retire_keys on create": {env: regEdit(func(s *trustlist.RegistrySpec) { s.RetireKeys = []string{"0123456789abcdef"} }),
			want: trustlist.CodeRegistryInvalid, status: 422},
		"update of an unknown registry": {env: by(admin, opUpdate(trustlist.RegistrySpec{ID: "nosuch", Name: "x"})),
			want: trustlist.CodeRegistryInvalid, status: 422},
		"update of the administrator": {env: by(admin, opUpdate(trustlist.RegistrySpec{ID: admin, Name: "x"})),
			want: trustlist.CodeRegistryInvalid, status: 422},
		"sync push reading the feed backwards": {
			setup: func(w *world) { toSync(w); w.mustApply(syncEnv(w, 10)) },
			env:   func(w *world) trustlist.Envelope { return syncEnv(w, 9) },
			want:  trustlist.CodeSyncRollback, status: 409},
		"update changing the kind": {env: by(admin, opUpdate(trustlist.RegistrySpec{ID: "37", Kind: trustlist.KindDepartment})),
			want: trustlist.CodeRegistryInvalid, status: 422},
	}
}

// rotateTo adds spare key i to 37 (valid from the push's issued_at), optionally retiring 37's key
// at that time, and makes it 37's signing key.
func rotateTo(i int, retire bool) func(w *world) {
	return func(w *world) {
		var old string
		if retire {
			old = keyID(w.keys["37"])
		}
		w.do("37", opRotate(ptr(keySpec(w.tb, w.spare[i])), old, time.Time{}))
		w.keys["37"] = w.spare[i]
	}
}

// regEdit is an administrator push creating registry "32" (Jiangsu) from a spec changed by edit.
func regEdit(edit func(*trustlist.RegistrySpec)) func(*world) trustlist.Envelope {
	return func(w *world) trustlist.Envelope {
		s := regSpec(w, "32")
		edit(&s)
		return w.envelope(trustlist.AdminID, opCreate(s))
	}
}

// runReject sets the case up on a fresh world and runs Check, then Apply. It returns the code Check
// gave ("" when it accepted).
func runReject(t *testing.T, c rejectCase) trustlist.Code {
	t.Helper()
	w := newWorld(t)
	if c.setup != nil {
		c.setup(w)
	}
	env := c.env(w)
	var opts trustlist.CheckOptions
	if c.opts != nil {
		opts = c.opts(w)
	}
	before, index := w.st.Digest(), w.st.Index()

	res, cerr := w.st.Check(env, opts)
	if res != nil {
		t.Errorf("Check returned a result with its error: %+v", res)
	}
	var r *trustlist.Rejection
	if !errors.As(cerr, &r) {
		t.Fatalf("Check: got %v, want rejection %s", cerr, c.want)
	}
	if !errors.Is(cerr, trustlist.ErrRejected) {
		t.Errorf("%v does not wrap ErrRejected", cerr)
	}
	if r.Code != c.want {
		t.Errorf("Check: got %v, want %s", cerr, c.want)
	}
	if got := r.Kind().HTTPStatus(); got != c.status {
		t.Errorf("%s: HTTP status %d, want %d", r.Code, got, c.status)
	}
	if info, ok := r.Code.Info(); !ok || info.Kind != r.Kind() {
		t.Errorf("%s is not in the code table", r.Code)
	}
	if r.Message == "" || !strings.Contains(r.Error(), string(r.Code)) {
		t.Errorf("rejection text %q", r.Error())
	}

	next, ares, aerr := w.st.Apply(env, index+1)
	switch {
	case c.checkOnly:
		// Apply does not repeat this check: it accepts the push.
		if aerr != nil {
			t.Errorf("Apply of a push only Check refuses: %v", aerr)
		} else if next == nil || ares == nil || ares.Replay {
			t.Errorf("Apply accepted without a new state: %v %+v", next, ares)
		}
	default:
		if next != nil || ares != nil {
			t.Errorf("Apply returned a state or result with its rejection")
		}
		var ar *trustlist.Rejection
		if !errors.As(aerr, &ar) {
			t.Fatalf("Apply: got %v, Check said %v", aerr, cerr)
		}
		if ar.Code != r.Code || ar.Op != r.Op {
			t.Errorf("Check and Apply disagree: Check %v, Apply %v", cerr, aerr)
		}
	}
	if got := w.st.Digest(); got != before || w.st.Index() != index {
		t.Errorf("the rejected push changed the state")
	}
	return r.Code
}

func TestRejections(t *testing.T) {
	cases := rejectCases()
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) { runReject(t, cases[name]) })
	}
}

// notProduced lists the codes of the table no push can produce, with the reason.
var notProduced = map[trustlist.Code]string{
	trustlist.CodeOpInvalid: "never returned: an op missing a field it needs or carrying one it must not is " +
		"PUSH_MALFORMED (400) from ParsePush; OP_INVALID's meaning duplicates it",
}

func TestEveryCodeIsProduced(t *testing.T) {
	cases := rejectCases()
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	seen := map[trustlist.Code][]string{}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			code := runReject(t, cases[name])
			seen[code] = append(seen[code], name)
		})
	}
	for _, info := range trustlist.Codes {
		_, skipped := notProduced[info.Code]
		switch names := seen[info.Code]; {
		case len(names) == 0 && !skipped:
			t.Errorf("no case produces %s", info.Code)
		case len(names) > 0 && skipped:
			t.Errorf("%s is listed as never produced, but cases %v produce it", info.Code, names)
		}
	}
	for code := range notProduced {
		if _, ok := code.Info(); !ok {
			t.Errorf("notProduced lists %s, which is not in the code table", code)
		}
	}
}

// TestRejectionOpIndex checks that an op-level rejection names the op at fault, and a push-level one
// none.
func TestRejectionOpIndex(t *testing.T) {
	w := newWorld(t)
	env := w.envelope("37", opFileMeta(meta("37010000000002")), opStatus("37010000009999", "suspend", time.Time{}, ""))
	r := w.mustReject(t, env, trustlist.CodeSealUnknown)
	if r.Op != 1 {
		t.Errorf("Op = %d, want 1", r.Op)
	}
	if !strings.Contains(r.Error(), "op 1") {
		t.Errorf("Error() = %q does not name the op", r.Error())
	}
	env = w.envelopeWith("37", nil, func(p *trustlist.Push) { p.Seq += 5 }, probe())
	if r := w.mustReject(t, env, trustlist.CodeSeqGap); r.Op != -1 {
		t.Errorf("Op = %d, want -1 for a push-level rejection", r.Op)
	}
}

func TestKindHTTPStatus(t *testing.T) {
	want := map[trustlist.Kind]int{
		trustlist.KindMalformed: 400, trustlist.KindUnauthenticated: 401, trustlist.KindForbidden: 403,
		trustlist.KindConflict: 409, trustlist.KindTooLarge: 413, trustlist.KindInvalid: 422, trustlist.Kind(0): 500,
	}
	for k, s := range want {
		if got := k.HTTPStatus(); got != s {
			t.Errorf("Kind(%d).HTTPStatus() = %d, want %d", k, got, s)
		}
	}
	if got := (&trustlist.Rejection{Code: "NO_SUCH_CODE"}).Kind(); got != trustlist.KindInvalid {
		t.Errorf("unknown code kind %d, want KindInvalid", got)
	}
}
