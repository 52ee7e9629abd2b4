package soap

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// The namespaces and URIs of the wire format.
const (
	// NamespaceEnvelope is SOAP 1.1's envelope namespace.
	NamespaceEnvelope = "http://schemas.xmlsoap.org/soap/envelope/"
	// NamespaceWSSE and NamespaceWSU are WS-Security 1.0's extension and utility namespaces.
	NamespaceWSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	NamespaceWSU  = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	// PasswordDigestType is the Type of wsse:Password: the UsernameToken profile's digest, here
	// computed with SM3 (see PasswordDigest).
	PasswordDigestType = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
	// Base64BinaryType is the EncodingType of wsse:Nonce.
	Base64BinaryType = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
	// CreatedLayout is the layout of wsu:Created: RFC 3339 in UTC, to the second.
	CreatedLayout = "2006-01-02T15:04:05Z"
)

// PasswordDigest is the UsernameToken password digest as the provincial platforms compute it:
// Base64(SM3(nonce ‖ created ‖ password)), where nonce is the raw nonce (wsse:Nonce carries its
// Base64) and created is wsu:Created exactly as sent. It is the OASIS UsernameToken profile's
// PasswordDigest with SM3 in place of SHA-1 (GM/T 0004), under the same Type URI; a region that
// uses SHA-1 is not this kind.
func PasswordDigest(nonce []byte, created, password string) string {
	h := sm3.New()
	h.Write(nonce)
	h.Write([]byte(created))
	h.Write([]byte(password))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// envelope is the request for the seal code: a SOAP 1.1 envelope whose Header carries a fresh
// UsernameToken (a new random nonce, created at now) and whose Body holds the operation.
func (s *Source) envelope(code string, now time.Time) []byte {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:]) // crypto/rand.Read never fails
	created := now.UTC().Format(CreatedLayout)
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` +
		`<soap:Envelope xmlns:soap="` + NamespaceEnvelope + `"><soap:Header>` +
		`<wsse:Security xmlns:wsse="` + NamespaceWSSE + `" xmlns:wsu="` + NamespaceWSU + `" soap:mustUnderstand="1">` +
		`<wsse:UsernameToken><wsse:Username>`)
	escape(&b, s.cfg.Username)
	b.WriteString(`</wsse:Username><wsse:Password Type="` + PasswordDigestType + `">`)
	b.WriteString(PasswordDigest(nonce[:], created, s.cfg.Password))
	b.WriteString(`</wsse:Password><wsse:Nonce EncodingType="` + Base64BinaryType + `">`)
	b.WriteString(base64.StdEncoding.EncodeToString(nonce[:]))
	b.WriteString(`</wsse:Nonce><wsu:Created>` + created + `</wsu:Created>` +
		`</wsse:UsernameToken></wsse:Security></soap:Header><soap:Body><` + s.cfg.Operation + ` xmlns="`)
	escape(&b, s.cfg.Namespace)
	b.WriteString(`"><` + s.cfg.CodeElement + `>`)
	escape(&b, code)
	b.WriteString(`</` + s.cfg.CodeElement + `></` + s.cfg.Operation + `></soap:Body></soap:Envelope>`)
	return b.Bytes()
}

// escape writes s as XML character data (also safe in a double-quoted attribute).
func escape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // a bytes.Buffer never fails
}
