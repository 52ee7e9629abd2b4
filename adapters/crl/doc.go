// Package crl is the adapter kind for a region that publishes a signed status list of its seals,
// in the manner of a certificate revocation list (吊销列表): a full list numbered by the region's
// change sequence, and deltas from an earlier sequence number.
//
// # A complete status list, not a revocation list
//
// sealhub never answers "valid" for a seal it knows nothing of. So, unlike an X.509 CRL, which
// lists only what was revoked, the region's list is complete: every seal the region holds, with its
// status (valid, suspended 停用, revoked 注销 or invalidated 无效, in the region's own codes that
// Config.Statuses maps) and when that status took effect. A code absent from a full list is one the
// region does not know (adapters.ErrNotFound).
//
// The full list at sequence N holds one entry per seal, the seal's latest change, each with the
// sequence number of that change, in increasing order. A delta from base B to N holds the changes
// in (B, N], each with its own sequence number, in increasing order; a seal may appear more than
// once, the last entry wins, and an entry carries the seal's description the first time the seal
// appears in the region's log.
//
// # Wire format
//
//	GET {endpoint}/crl/full                full list
//	GET {endpoint}/crl/delta?base=B        delta from B; HTTP 410 Gone when the region has pruned B
//	X-Api-Key: {api key}                   when the node's credentials give one (field "api_key")
//
// The reply is a JSON document whose list is signed over its exact bytes with the region's SM2 key
// (SM2 with SM3, user ID Config.UID, default 1234567812345678):
//
//	{"list":"<base64 of the list JSON>","keyId":"<key id>","sign":"<base64 of the DER signature>"}
//
// and the list, once decoded:
//
//	{"issuer":"37","type":"full"|"delta","seq":N,"base":B (delta only),
//	 "thisUpdate":"2026-03-01T00:00:00Z","nextUpdate":"2026-03-01T01:00:00Z",
//	 "entries":[{"seq":k,"code":"…","status":"…","effectiveAt":"RFC 3339, optional","reason":"…",
//	             "seal":{"name":…,"type":1,"ownerName":…,"ownerUscc":…,"validStart":…,"validEnd":…}}]}
//
// # Checks before use
//
// A list is used only whole: one entry that cannot be read makes the whole list malformed. Before
// use, the adapter checks the signature by a configured key id (Config.PublicKeys), the issuer, the
// type asked for, that a full list is not older than the one held (a lower sequence number is a
// rollback, refused, and the held list is kept), that a delta starts at the sequence number held,
// that entry sequence numbers lie in (base, seq] and increase (and codes are unique in a full list),
// that every status code is mapped, that every time is RFC 3339, that thisUpdate is not later than
// now plus Config.Skew, and that nextUpdate is after thisUpdate.
//
// # Held list and refresh
//
// A Source keeps the verified list in memory (a map by code) and answers from it. It refreshes it
// when the last attempt is older than Config.Refresh, or when the list is past its nextUpdate: by
// delta from the sequence number held, or by the full list when it holds none or the region
// answers 410. Concurrent queries share one refresh, which runs on its own deadline
// (Config.FetchTimeout), so a download slower than one caller's deadline still completes for the
// next; each caller waits for it only as long as its own context allows. When a refresh fails, the
// held list answers while it is usable (until nextUpdate + Config.Grace), and the next attempt waits
// for another Refresh interval; past that, Status returns the error, never an answer from an expired
// list. An answer from a held list within its validity is not marked Stale: the region vouched for
// it until nextUpdate. Report.Evidence is the SM3 of the signed document (full list or delta) that
// carries the seal's entry; Report.CheckedAt is when the held list was last fetched from the region.
//
// A Source is also an adapters.Batch (over the held list) and an adapters.Feed (the full list from
// sequence 0, deltas after, the full list again when the region has pruned the base asked for).
// The feed is read under the caller's context and does not touch the held list.
//
// # Errors
//
// Every failure wraps one of the adapters sentinels:
//
//	transport failure, timeout, cancellation, HTTP 5xx, other non-200  ErrUnavailable
//	the region refusing the API key (HTTP 401/403)                     *AuthError (wraps ErrUnavailable)
//	a list past nextUpdate + grace, with no newer one to be had        ErrUnavailable
//	a signature by an unknown key, not decodable, or not verifying     *SignatureError (wraps ErrMalformed)
//	non-JSON, HTML, truncated or oversized reply, a list failing
//	a check above, a rollback                                          ErrMalformed
//	a code absent from the held list                                   ErrNotFound
package crl
