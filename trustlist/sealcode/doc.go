// Package sealcode parses the identifiers that tie an electronic seal to
// the province and organisation behind it.
//
// Three kinds of identifier are handled, all of them outside input read from
// seals and certificates:
//
//   - Seal codes (esID). Every real numeric seal code observed so far is 14
//     digits: a 6-digit GB/T 2260 administrative-division code followed by an
//     8-digit sequence, with no check digit. The first two digits name the
//     province. Other shapes (UUIDs, "ZhelibanTaxSeal", "esID130600") exist in
//     the wild; [Parse] accepts them as [Other] codes, which carry no province
//     and must be routed by some other means (maker certificate, Vid, trust
//     list entry). See [Parse], [Code], [ValidDivision] and
//     [JurisdictionContains].
//
//   - The GB/T 2260 province table: [LookupProvince] and [Provinces].
//
//   - 统一社会信用代码 (unified social credit code, USCC, GB 32100-2015), the
//     18-character organisation identifier. [ParseUSCC] checks the length,
//     the 31-symbol alphabet, the GB 32100 check character (position 18) and
//     the embedded GB 11714 organisation-code check character (position 17).
//     [ComputeUSCCCheck] and [ComputeOrgCodeCheck] build valid codes for test
//     PKIs. Provincial signer certificates carry O = USCC + organisation name
//     concatenated; [SplitOrganization] takes such a value apart.
//
// # Errors
//
// Every failure wraps one of the sentinels declared in errors.go, so callers
// can branch with [errors.Is]. The concrete types [*CodeError] and
// [*USCCError] carry a reason enum and the offending position for callers
// that need detail (use [errors.As]).
//
// # Concurrency
//
// All functions are pure and safe for concurrent use. The province table is
// immutable; [Provinces] returns a fresh copy on each call.
package sealcode
