// Package ofd opens OFD packages (GB/T 33190) and checks how their electronic seal signatures are
// bound to the document. It checks the container, the XML and the digests; it does not verify SM2
// signatures or certificate chains, which is the caller's job (see package trustlist/ses).
//
// # The binding
//
// An OFD is a zip. OFD.xml lists the documents (DocBody): each has a DocRoot (Doc_0/Document.xml)
// and, when signed, a Signatures path (Doc_0/Signs/Signatures.xml). A signature is found in three
// steps:
//
//	Signatures.xml   <Signature ID Type="Seal|Sign" BaseLoc="…/Sign_N/Signature.xml"/>
//	Signature.xml    SignedInfo{Provider, SignatureMethod, SignatureDateTime,
//	                            References CheckMethod=… {Reference FileRef {CheckValue}},
//	                            StampAnnot, Seal/BaseLoc (Seal.esl)}
//	                 SignedValue = …/Sign_N/SignedValue.dat
//	SignedValue.dat  SES_Signature (Type="Seal") or GM/T 0010 PKCS#7 SignedData (Type="Sign")
//
// Two digests tie the value to the document:
//
//   - TBS_Sign.dataHash is SM3 over the exact bytes of Signature.xml, the file TBS_Sign.propertyInfo
//     names ("/Doc_0/Signs/Sign_0/Signature.xml"). The bytes are the entry's bytes in the zip, never
//     a re-serialisation. If propertyInfo names no file in the archive, the Signature.xml that
//     Signatures.xml points at is used instead and DataHashCheck.FellBack says so.
//   - Each Reference's CheckValue is base64(SM3(file)) over the exact bytes of the file FileRef
//     names. CheckMethod is accepted as the OID 1.2.156.10197.1.401 or as "SM3" in any case; any
//     other method makes the reference "unsupported", never silently passed. The dms360 sample
//     writes 1.2.156.10197.1.401.2, whose values are not plain SM3.
//
// When Signature.xml names a Seal.esl, it must be byte-identical to the seal embedded in
// TBS_Sign.eseal.
//
// A value that is not an SES_Signature is reported with Kind "pkcs7" (a ContentInfo, as Shandong's
// Type="Sign" signature) or "unknown", with its references still checked: it is neither skipped
// nor failed as malformed. The raw Signature.xml and SignedValue.dat bytes are exposed so that the
// caller can verify the signatures itself.
//
// # Paths
//
// Paths in the XML are absolute from the package root ("/Doc_0/…"), relative to the directory of the
// XML file that holds them ("Sign_0/Signature.xml" inside Doc_0/Signs/Signatures.xml), or
// root-relative without the leading slash ("Doc_0/Document.xml"); a relative path is tried against
// the holder's directory first, then against the root. A path that climbs above the root is
// ErrBadPath. Namespaces are matched by local name: real files use http://www.ofdspec.org/2016,
// http://www.ofdspec.org, other prefixes or none.
//
// # Safety
//
// Options bounds the number of entries, the uncompressed size of each entry and of each XML file,
// the uncompressed bytes one Open or one Check may read in total, and the number of signatures and
// of References.
// Sizes are counted while streaming; the sizes in zip headers are never trusted. Entry names with
// ".." segments or NUL bytes, and two entries with the same name, make Open fail with ErrBadPath.
//
// # Result codes
//
// Each check has a Status, stable for clients:
//
//	ok              the digest or bytes match
//	mismatch        the digest or bytes differ: the file changed after signing
//	missing         the file named is not in the archive
//	unsupported     the References CheckMethod is not SM3
//	malformed       a CheckValue is not base64, or a path is unusable
//	error           the file could not be read (over a limit, corrupt)
//	absent          nothing to check (no Seal/BaseLoc)
//	not_applicable  the check needs an SES_Signature and the value is not one
//
// SignatureReport.OK is true only when the value is SES, dataHash binds the signature's own
// Signature.xml, there is at least one Reference and all are ok, and Seal.esl is ok or absent.
//
// Write produces a minimal signed OFD for tests elsewhere, with the SignedValue supplied by a
// callback that receives the exact Signature.xml bytes.
package ofd
