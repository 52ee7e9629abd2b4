// Package tsp reads and verifies GB/T 20520 / RFC 3161 time-stamp tokens, as carried in the
// optional timeStamp field of an SES_Signature (GB/T 38540 §7.3: the token stamps the signature
// value, so messageImprint = hash of the SES_Signature signature bytes). A verified token gives the
// trusted signing time, GenTime, that the seal and certificate checks are then run at.
//
// Why a package of our own: gmsm has no TSTInfo type, and its pkcs7 package refuses what real
// SM2 tokens carry (SignerInfo signatureAlgorithm 1.2.156.10197.1.501, the GM/T 0010 signedData
// OID). The CMS envelope is therefore read here with encoding/asn1, one element at a time, and
// both OID families are accepted: PKCS#7 signedData (1.2.840.113549.1.7.2) and GM/T 0010
// signedData (1.2.156.10197.6.1.4.2.2); SM2-with-SM3 (…1.501) and sm2-1 (…1.301.1).
//
// Parse does no cryptography; Verify does all of it. What Verify does not do is build the TSA
// certificate's chain: that is the resolver's job, against its trust list at GenTime, with the
// token's Certs as intermediates.
//
// Errors, matched with errors.Is:
//
//	ErrMalformed        Parse   not a token any implementation could accept
//	ErrUnsupported      Parse   possibly valid, but an algorithm or form not implemented here, or
//	                            no TSA certificate in the token: report as undetermined
//	ErrSignatureInvalid Verify  the SM2 signature or a signed attribute does not bind this TSTInfo
//	ErrNotTSA           Verify  the signer's certificate lacks id-kp-timeStamping (or a signing
//	                            key usage)
//	ErrImprintMismatch  Verify  the token stamps other data
//
// Package tsptest beside this one makes valid and deliberately broken tokens for tests.
package tsp
