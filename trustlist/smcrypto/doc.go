// Package smcrypto holds the SM2/SM3 primitives and the certificate handling that sealhub builds on:
// SM2-with-SM3 signatures with the default user ID (DER or raw 64-byte r‖s), SM3 digests, certificate
// parsing that is strict first and lenient second, and chain building at a given time.
//
// Real seal and signer certificates are not always well-formed X.509: some carry UTF-8 inside an
// IA5String emailAddress, some a malformed SubjectAltName. Go's parser (and gmsm's smx509, its copy)
// refuses those. ParseCertificate therefore falls back to a minimal parse of the TBSCertificate
// (serial, issuer, subject, validity, public key, basic constraints, key usage, key identifiers) and
// every issuer signature is checked here, over the raw TBSCertificate bytes, never over a re-encoding.
//
// Chain building is ours too (BuildChain), so that strict and lenient certificates follow one policy,
// and so that every failure carries a typed reason (*ChainError) that callers can map to stable codes.
//
// Trust-anchor policy for key usage (documented in docs/trust-policy.md): a certificate configured as a
// root is trusted by that act of configuration (RFC 5280 §6.1.1 treats trust-anchor data as out of band).
// By default a root whose KeyUsage extension lacks keyCertSign is still accepted as an anchor, and the
// chain reports a warning; set ChainOptions.StrictAnchorKeyUsage to refuse such roots instead.
// Intermediates are always held to the rule: basicConstraints CA=TRUE, and keyCertSign when KeyUsage
// is present.
//
// Nothing here reads the clock: every time-dependent check takes the time as an argument.
package smcrypto
