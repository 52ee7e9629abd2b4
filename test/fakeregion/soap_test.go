package fakeregion

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// soapEnvelope is a request envelope with a UsernameToken for user and password, created at
// created, with the nonce given.
func soapEnvelope(user, password, nonce string, created time.Time, code string) string {
	c := created.UTC().Format(time.RFC3339)
	sum := sm3.Sum([]byte(nonce + c + password))
	return `<?xml version="1.0"?><s:Envelope xmlns:s="` + soapEnvNS + `"><s:Header>` +
		`<wsse:Security xmlns:wsse="` + soapWSSENS + `" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">` +
		`<wsse:UsernameToken><wsse:Username>` + user + `</wsse:Username>` +
		`<wsse:Password Type="` + soapDigestType + `">` + base64.StdEncoding.EncodeToString(sum[:]) + `</wsse:Password>` +
		`<wsse:Nonce>` + base64.StdEncoding.EncodeToString([]byte(nonce)) + `</wsse:Nonce><wsu:Created>` + c + `</wsu:Created>` +
		`</wsse:UsernameToken></wsse:Security></s:Header><s:Body><q:QuerySealStatus xmlns:q="` + SOAPNamespace + `">` +
		`<sealCode>` + code + `</sealCode></q:QuerySealStatus></s:Body></s:Envelope>`
}

// soapReply is what the region answers, read back: the fault code or the result.
type soapReply struct {
	Fault struct {
		Code string `xml:"faultcode"`
	} `xml:"Body>Fault"`
	Return struct {
		Code   string `xml:"resultCode"`
		Status string `xml:"sealStatus"`
		Time   string `xml:"statusTime"`
	} `xml:"Body>QuerySealStatusResponse>return"`
}

func TestSOAPRequests(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	good := func(nonce string) string { return soapEnvelope("u", "p", nonce, now, "44A") }
	cases := map[string]struct {
		method, path, contentType, action, body string
		status                                  int
		fault, code, sealStatus                 string
	}{
		"answered":        {body: good("n1"), status: 200, code: SOAPCodeOK, sealStatus: "2"},
		"not found":       {body: soapEnvelope("u", "p", "n2", now, "44B"), status: 200, code: SOAPCodeNotFound},
		"unknown account": {body: soapEnvelope("x", "p", "n3", now, "44A"), status: 200, code: SOAPCodeAuth},
		"wrong password":  {body: soapEnvelope("u", "q", "n4", now, "44A"), status: 500, fault: "wsse:FailedAuthentication"},
		"replayed nonce":  {body: good("n1"), status: 500, fault: "wsse:FailedAuthentication"},
		"stale created":   {body: soapEnvelope("u", "p", "n5", now.Add(-time.Hour), "44A"), status: 500, fault: "wsse:MessageExpired"},
		"no token":        {body: `<s:Envelope xmlns:s="` + soapEnvNS + `"><s:Body><QuerySealStatus xmlns="` + SOAPNamespace + `"/></s:Body></s:Envelope>`, status: 500, fault: "wsse:InvalidSecurity"},
		"wrong action":    {action: `"urn:other"`, body: good("n6"), status: 500, fault: "soap:Client"},
		"not XML":         {body: "sealCode=44A", status: 500, fault: "soap:Client"},
		"wrong operation": {body: strings.ReplaceAll(good("n7"), "QuerySealStatus", "QueryOther"), status: 500, fault: "soap:Client"},
		"SOAP 1.2":        {body: strings.ReplaceAll(good("n8"), soapEnvNS, "http://www.w3.org/2003/05/soap-envelope"), status: 500, fault: "soap:Client"},
		"JSON":            {contentType: "application/json", body: "{}", status: http.StatusUnsupportedMediaType},
		"GET":             {method: http.MethodGet, status: http.StatusMethodNotAllowed},
		"wrong path":      {path: "/ws/Other", body: good("n9"), status: http.StatusNotFound},
	}
	r := NewSOAP(SOAPOptions{Username: "u", Password: "p", Now: func() time.Time { return now }})
	r.Set("44A", "suspended", time.Time{})
	// "answered" runs first so that "replayed nonce" replays its nonce.
	names := []string{"answered"}
	for name := range cases {
		if name != "answered" {
			names = append(names, name)
		}
	}
	for _, name := range names {
		tc := cases[name]
		t.Run(name, func(t *testing.T) {
			method, path, ct, action := tc.method, tc.path, tc.contentType, tc.action
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = SOAPPath
			}
			if ct == "" {
				ct = "text/xml; charset=utf-8"
			}
			if action == "" {
				action = `"` + SOAPAction + `"`
			}
			req := httptest.NewRequest(method, path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("SOAPAction", action)
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != tc.status {
				t.Fatalf("HTTP %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.fault == "" && tc.code == "" {
				return
			}
			var got soapReply
			if err := xml.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, w.Body)
			}
			if got.Fault.Code != tc.fault || got.Return.Code != tc.code || got.Return.Status != tc.sealStatus {
				t.Fatalf("got %+v, want fault %q, code %q, status %q", got, tc.fault, tc.code, tc.sealStatus)
			}
		})
	}
	if r.Calls() != len(cases) {
		t.Fatalf("%d calls counted, want %d", r.Calls(), len(cases))
	}
}

// TestSOAPGBK: a GBK region declares GBK and sends GBK bytes.
func TestSOAPGBK(t *testing.T) {
	now := time.Now()
	r := NewSOAP(SOAPOptions{Username: "u", Password: "p", GBK: true})
	r.Set("44A", "invalidated", time.Date(2025, 3, 1, 1, 30, 0, 0, time.UTC))
	req := httptest.NewRequest(http.MethodPost, SOAPPath, strings.NewReader(soapEnvelope("u", "p", "n", now, "44A")))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", SOAPAction)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	body := w.Body.String()
	if w.Code != 200 || !strings.HasPrefix(body, `<?xml version="1.0" encoding="GBK"?>`) || strings.Contains(body, "成功") {
		t.Fatalf("HTTP %d, not a GBK reply: %q", w.Code, body)
	}
	utf8, err := simplifiedchinese.GBK.NewDecoder().String(body)
	if err != nil || !strings.Contains(utf8, "<resultMsg>成功</resultMsg><sealStatus>4</sealStatus><statusTime>2025-03-01 09:30:00</statusTime>") {
		t.Fatalf("%v: %s", err, utf8)
	}
}

// TestSOAPGarbled: the malformed fault's reply is not well-formed XML.
func TestSOAPGarbled(t *testing.T) {
	d := xml.NewDecoder(strings.NewReader(string(garbleSOAP([]byte(`<?xml version="1.0"?><a/>`)))))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			t.Fatal("the garbled reply parses")
		}
		if err != nil {
			return
		}
	}
}
