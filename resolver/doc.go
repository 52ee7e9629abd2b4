// Package resolver is the verification use case: given a seal (电子印章), a seal signature (电子签章)
// or a signed OFD document, it runs every check of GB/T 38540 §6.3/§7.3 — the signer's signature, the
// signer's certificate in the seal, the maker's signature, both certificate chains at the signing
// time, the seal's validity window, the data hash and the seal's status — and reports each check and
// one verdict: valid, invalid or indeterminate, with a stable reason code (codes.go, documented in
// docs/result-codes.md).
//
// The verdict is never "valid" on data the hub does not have: a CA it does not hold or a missing
// original gives "indeterminate". Offline (no trust list), the status check is skipped and the report
// says so. See DESIGN.md beside this file for the order of checks and the choice of times.
package resolver
