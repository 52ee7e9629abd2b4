package ses

import (
	"encoding/asn1"
	"time"
)

// Version is the layout of a seal or signature.
type Version int

// Layouts.
const (
	V1 Version = 1 // GM/T 0031-2014
	V4 Version = 4 // GB/T 38540-2020
	V5 Version = 5 // GM/T 0031-2025
)

func (v Version) String() string {
	switch v {
	case V1, V4, V5:
		return "V" + string(rune('0'+v))
	}
	return "unknown"
}

// Certificate list types of SES_ESPropertyInfo (V4/V5).
const (
	CertListCerts   = 1 // SEQUENCE OF OCTET STRING, each a DER certificate
	CertListDigests = 2 // SEQUENCE OF CertDigestObj
)

// Header is SES_Header.
type Header struct {
	ID      string // "ES"
	Version int
	Vid     string // vendor ID
}

// Picture is SES_ESPictrueInfo. Type values seen: PNG, png, GIF, ofd (an OFD zip as the image).
type Picture struct {
	Type   string
	Data   []byte
	Width  int // millimetres
	Height int
}

// ExtData is one entry of ExtensionDatas.
type ExtData struct {
	ID       asn1.ObjectIdentifier
	Critical bool
	Value    []byte
}

// CertDigest is a CertDigestObj (certListType 2).
type CertDigest struct {
	Type  string
	Value []byte
}

// Seal is a decoded SES_Seal. All byte slices alias the input.
type Seal struct {
	Version Version
	Raw     []byte // the whole SESeal element

	RawSealInfo []byte // SES_SealInfo, tag and length included
	Header      Header
	ESID        string // the seal code
	Type        int
	Name        string
	// CertListType is 1 or 2 (V4/V5); V1 has no such field and always lists certificates (1).
	CertListType int
	CertList     [][]byte // DER signer certificates (type 1)
	CertDigests  []CertDigest
	CreateDate   time.Time
	ValidStart   time.Time
	ValidEnd     time.Time
	TimeTag      string // "UTCTime" or "GeneralizedTime", as found
	Picture      Picture
	ExtDatas     []ExtData

	MakerCert   []byte // DER
	SignAlgID   asn1.ObjectIdentifier
	SignedValue []byte // the maker's signature, DER or raw r‖s
	TimeStamp   []byte // V5 SESeal.timeStamp, when present

	// SignedBytes is exactly what the maker signed: RawSealInfo for V4/V5; for V1 the SEQUENCE of the
	// raw sealInfo, cert and algorithm elements.
	SignedBytes []byte
	// Quirks lists the departures from the standard that the decoder tolerated.
	Quirks []string
}

// Signature is a decoded SES_Signature. All byte slices alias the input.
type Signature struct {
	Version Version
	Raw     []byte

	RawTBSSign   []byte // TBS_Sign, tag and length included: what the signer signed
	TBSVersion   int
	Seal         *Seal
	TimeInfo     time.Time // zero when timeInfo could not be read as a time
	TimeInfoRaw  string    // the text of timeInfo as found
	DataHash     []byte
	PropertyInfo string
	ExtDatas     []ExtData // TBS_Sign.extDatas

	SignerCert     []byte
	SignatureAlgID asn1.ObjectIdentifier
	SignatureValue []byte
	TimeStamp      []byte // [0] timeStamp (V4/V5), when present

	Quirks []string
}

// SignedBytes is exactly what the signer signed: the raw TBS_Sign in every layout.
func (s *Signature) SignedBytes() []byte { return s.RawTBSSign }
