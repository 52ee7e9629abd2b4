package demo

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"time"

	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// SealSpec describes a seal to make. Zero fields take defaults from the PKI.
type SealSpec struct {
	Version    int // 4 (default) or 5
	ESID       string
	Name       string
	Type       int
	Vid        string
	CreateDate time.Time // default Epoch + 1 day
	ValidStart time.Time // default CreateDate
	ValidEnd   time.Time // default ValidStart + 3 years
	Maker      *Authority
	Signers    []*Authority // certificates listed in the seal; default the PKI's Signer
	// BadMakerSignature makes the maker sign other bytes: a well-formed signature that does not verify.
	BadMakerSignature bool
	// Raw64 writes the maker signature as raw r‖s instead of DER.
	Raw64 bool
}

// Seal makes a V4 (or V5) SES_Seal.
func (p *PKI) Seal(s SealSpec) ([]byte, error) {
	if s.ESID == "" {
		s.ESID = p.Signer.Cert.SubjectName.CommonName
	}
	if s.Name == "" {
		s.Name = "测试市自然资源局(不动产登记专用章)"
	}
	if s.Type == 0 {
		s.Type = 1
	}
	if s.Vid == "" {
		s.Vid = "SEALHUB.TEST"
	}
	if s.CreateDate.IsZero() {
		s.CreateDate = p.Epoch.Add(24 * time.Hour)
	}
	if s.ValidStart.IsZero() {
		s.ValidStart = s.CreateDate
	}
	if s.ValidEnd.IsZero() {
		s.ValidEnd = s.ValidStart.AddDate(3, 0, 0)
	}
	if s.Maker == nil {
		s.Maker = p.Maker
	}
	if len(s.Signers) == 0 {
		s.Signers = []*Authority{p.Signer}
	}
	certs := make([][]byte, len(s.Signers))
	for i, a := range s.Signers {
		certs[i] = a.DER
	}
	return ses.EncodeSeal(ses.SealTemplate{
		Version: s.Version, Vid: s.Vid, ESID: s.ESID, Type: s.Type, Name: s.Name,
		CertList: certs, CreateDate: s.CreateDate, ValidStart: s.ValidStart, ValidEnd: s.ValidEnd,
		Picture:   ses.Picture{Type: "PNG", Data: Picture(), Width: 40, Height: 40},
		MakerCert: s.Maker.DER,
	}, signer(s.Maker, s.BadMakerSignature, s.Raw64))
}

// SignSpec describes a seal signature (电子签章) to make.
type SignSpec struct {
	Seal         []byte     // DER SES_Seal; default: p.Seal(SealSpec{})
	Signer       *Authority // default the PKI's Signer
	Data         []byte     // the signed original; dataHash = SM3(Data)
	DataHash     []byte     // overrides the hash of Data when set
	TimeInfo     time.Time  // default Epoch + 30 days
	PropertyInfo string     // default "/Doc_0/Signs/Sign_0/Signature.xml"
	// BadSignature makes the signer sign other bytes.
	BadSignature bool
	Raw64        bool
	// TimeStamp, when set, stamps the signature value; the token becomes the timeStamp field
	// (resolver/tsp/tsptest makes such functions).
	TimeStamp ses.TimeStampFunc
}

// Sign makes a V4/V5 SES_Signature (the version follows the seal).
func (p *PKI) Sign(s SignSpec) ([]byte, error) {
	if s.Seal == nil {
		var err error
		if s.Seal, err = p.Seal(SealSpec{}); err != nil {
			return nil, err
		}
	}
	if s.Signer == nil {
		s.Signer = p.Signer
	}
	if s.TimeInfo.IsZero() {
		s.TimeInfo = p.Epoch.AddDate(0, 0, 30)
	}
	if s.PropertyInfo == "" {
		s.PropertyInfo = "/Doc_0/Signs/Sign_0/Signature.xml"
	}
	hash := s.DataHash
	if hash == nil {
		d := smcrypto.SM3(s.Data)
		hash = d[:]
	}
	return ses.EncodeSignature(ses.SignatureTemplate{
		Seal: s.Seal, TimeInfo: s.TimeInfo, DataHash: hash, PropertyInfo: s.PropertyInfo, SignerCert: s.Signer.DER,
		TimeStamp: s.TimeStamp,
	}, signer(s.Signer, s.BadSignature, s.Raw64))
}

func signer(a *Authority, bad, raw64 bool) ses.SignFunc {
	return func(msg []byte) ([]byte, error) {
		if bad {
			msg = append(bytes.Clone(msg), 0)
		}
		if raw64 {
			return a.SignRaw64(msg)
		}
		return a.Sign(msg)
	}
}

// Picture is a small red-ring PNG to stand for a seal image.
func Picture() []byte {
	const n = 32
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	red := color.NRGBA{R: 0xd0, A: 0xff}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dx, dy := x-n/2, y-n/2
			if r2 := dx*dx + dy*dy; r2 <= (n/2-1)*(n/2-1) && r2 >= (n/2-4)*(n/2-4) {
				img.Set(x, y, red)
			}
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}
