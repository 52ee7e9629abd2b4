// Package ses decodes and encodes electronic seals (SES_Seal, 电子印章) and electronic seal signatures
// (SES_Signature, 电子签章) in the three layouts found in real data:
//
//   - V1, GM/T 0031-2014: SESeal{sealInfo, signInfo{cert, alg, signData}}; the maker signs
//     SEQUENCE{sealInfo, cert, alg}; SES_Signature{TBS_Sign{…, cert, alg}, signature}.
//   - V4, GB/T 38540-2020: SESeal{sealInfo, cert, alg, signedValue}; the maker signs DER(SES_SealInfo);
//     SES_Signature{TBS_Sign, cert, alg, signature [, [0] timeStamp]}; the signer signs DER(TBS_Sign).
//   - V5, GM/T 0031-2025: the V4 layout with version 5 and an optional 5th seal element (timeStamp).
//
// The layout is chosen by the structure (element counts and tags), never by the version number alone.
// Every signed part is kept as the exact bytes received (Seal.SignedBytes, Signature.SignedBytes) and
// verification runs over those bytes: real files carry non-DER details (an explicit BOOLEAN FALSE under
// DEFAULT FALSE, raw 64-byte r‖s signatures) that any re-encoding would destroy.
//
// The decoder tolerates the quirks docs/STANDARDS.md lists and records each one it met in Quirks, so
// that a report can say what was unusual about a file. The encoder writes V4 (and V5) only; it exists
// so that tests and the test PKI can make their own seals and signatures.
package ses
