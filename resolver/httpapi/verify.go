package httpapi

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/gin-gonic/gin"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/resolver"
)

//go:embed openapi.json
var openAPI []byte

// OpenAPI is the OpenAPI 3 document of every public route, as served at /v1/openapi.json.
func OpenAPI() []byte { return bytes.Clone(openAPI) }

// ServeOpenAPI answers GET /v1/openapi.json. It is open to anyone and needs no trust-list state, so
// the node mounts it outside the API-key guard and the consistency rules.
func ServeOpenAPI(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json; charset=utf-8", openAPI)
}

// HeaderResult carries a verification's verdict, so clients can route on it without parsing.
const HeaderResult = "X-Sealhub-Result"

// Request-shape errors.
const (
	codeBodyInvalid      = "BODY_INVALID"
	codeMediaUnsupported = "MEDIA_TYPE_UNSUPPORTED"
	codeTimeInvalid      = "TIME_INVALID"
	codeTimeout          = "TIMEOUT"
	codeBusy             = "BUSY"
)

// maxDERBytes bounds a seal or signature: real ones are a few KiB (a seal's picture rarely exceeds
// 200 KiB).
const maxDERBytes = 4 << 20

// atParam reads ?at= (RFC 3339); zero when absent.
func atParam(c *gin.Context) (time.Time, bool) {
	q := c.Query("at")
	if q == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339Nano, q)
	if err != nil || !timeInRange(t) {
		httpx.Fail(c, httpx.Errorf(400, codeTimeInvalid, "at=%q is not an RFC 3339 time from year 1 to 9999 (UTC) such as 2025-03-01T09:30:00+08:00", q))
		return time.Time{}, false
	}
	return t.UTC(), true
}

// timeInRange: RFC 3339 has four-digit years, so a time whose UTC year leaves 1-9999 cannot be
// answered.
func timeInRange(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// postParams reads what every POST route starts with: ?at= and the body's media type. It answers
// the request itself when either is malformed (ok false).
func postParams(c *gin.Context) (at time.Time, mt string, params map[string]string, ok bool) {
	if at, ok = atParam(c); !ok {
		return
	}
	mt, params, err := mediaType(c)
	if err != nil {
		httpx.Fail(c, err)
		return at, "", nil, false
	}
	return at, mt, params, true
}

// mediaType is the request's media type, lower-cased, without parameters ("" when absent).
func mediaType(c *gin.Context) (string, map[string]string, error) {
	ct := c.GetHeader("Content-Type")
	if ct == "" {
		return "", nil, nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", nil, httpx.Errorf(400, codeBodyInvalid, "Content-Type %q: %v", ct, err)
	}
	return mt, params, nil
}

func unsupported(mt string, want string) error {
	return httpx.Errorf(http.StatusUnsupportedMediaType, codeMediaUnsupported, "Content-Type %q: send %s", mt, want)
}

// decodeJSON decodes a JSON request body strictly: exact member names, no unknown or duplicate
// members, valid UTF-8, base64 for bytes.
func decodeJSON(body []byte, v any) error {
	if err := jsonv2.Unmarshal(body, v, jsonv2.RejectUnknownMembers(true)); err != nil {
		return httpx.Errorf(400, codeBodyInvalid, "JSON body: %v", err)
	}
	return nil
}

type sealBody struct {
	Seal []byte `json:"seal"`
}

type signatureBody struct {
	Signature []byte `json:"signature"`
	Data      []byte `json:"data,omitzero"`
	DataSM3   string `json:"data_sm3,omitzero"`
}

func (a *API) verifySeal(c *gin.Context) {
	at, mt, _, ok := postParams(c)
	if !ok {
		return
	}
	body, err := httpx.ReadBody(c)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	var der []byte
	switch mt {
	case "application/json":
		var b sealBody
		if err := decodeJSON(body, &b); err != nil {
			httpx.Fail(c, err)
			return
		}
		der = b.Seal
	case "application/octet-stream", "application/x-ses-seal", "":
		der = body
	default:
		httpx.Fail(c, unsupported(mt, `application/json {"seal": base64} or application/octet-stream (the DER)`))
		return
	}
	if len(der) == 0 {
		httpx.Fail(c, httpx.Errorf(400, codeBodyInvalid, "no seal: send the SES_Seal DER"))
		return
	}
	a.run(c, resolver.Request{Kind: resolver.KindSeal, DER: der, At: at})
}

func (a *API) verifySignature(c *gin.Context) {
	at, mt, params, ok := postParams(c)
	if !ok {
		return
	}
	req := resolver.Request{Kind: resolver.KindSignature, At: at}
	switch mt {
	case "application/json":
		if c.Request.ContentLength > a.limits.MaxRequestBytes {
			httpx.Fail(c, httpx.Errorf(http.StatusRequestEntityTooLarge, httpx.CodeBodyTooLarge,
				"a JSON body is limited to %d bytes; send a large original as multipart/form-data, or its SM3 as data_sm3", a.limits.MaxRequestBytes))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, a.limits.MaxRequestBytes)
		body, err := httpx.ReadBody(c)
		if err != nil {
			httpx.Fail(c, err)
			return
		}
		var b signatureBody
		if err := decodeJSON(body, &b); err != nil {
			httpx.Fail(c, err)
			return
		}
		req.DER, req.Data = b.Signature, b.Data
		if b.DataSM3 != "" {
			if req.DataSM3, err = parseSM3(b.DataSM3); err != nil {
				httpx.Fail(c, err)
				return
			}
		}
	case "multipart/form-data":
		if err := a.readSignatureParts(c, params["boundary"], &req); err != nil {
			httpx.Fail(c, err)
			return
		}
	default:
		httpx.Fail(c, unsupported(mt, "application/json or multipart/form-data"))
		return
	}
	switch {
	case len(req.DER) == 0:
		httpx.Fail(c, httpx.Errorf(400, codeBodyInvalid, "no signature: send the SES_Signature DER as \"signature\""))
		return
	case req.Data != nil && req.DataSM3 != nil:
		httpx.Fail(c, httpx.Errorf(400, codeBodyInvalid, "send the signed data or its SM3 (data_sm3), not both"))
		return
	}
	a.run(c, req)
}

func parseSM3(s string) ([]byte, error) {
	d, err := hex.DecodeString(s)
	if err != nil || len(d) != sm3.Size {
		return nil, httpx.Errorf(400, codeBodyInvalid, "data_sm3 must be 64 hex digits (an SM3 digest)")
	}
	return d, nil
}

// readSignatureParts reads a multipart signature request: the part "signature" (the DER), and
// either "data" (the original, hashed as it streams in, never held) or "data_sm3".
func (a *API) readSignatureParts(c *gin.Context, boundary string, req *resolver.Request) error {
	if boundary == "" {
		return httpx.Errorf(400, codeBodyInvalid, "multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(c.Request.Body, boundary)
	seen := map[string]bool{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return readErr(err)
		}
		name := p.FormName()
		if seen[name] {
			return httpx.Errorf(400, codeBodyInvalid, "part %q given twice", name)
		}
		seen[name] = true
		switch name {
		case "signature":
			if req.DER, err = readPart(p, maxDERBytes); err != nil {
				return err
			}
		case "data":
			if req.DataSM3 != nil {
				return httpx.Errorf(400, codeBodyInvalid, "send the part data or data_sm3, not both")
			}
			h := sm3.New()
			if _, err := io.Copy(h, p); err != nil {
				return readErr(err)
			}
			req.DataSM3 = h.Sum(nil)
		case "data_sm3":
			b, err := readPart(p, 256)
			if err != nil {
				return err
			}
			if req.DataSM3 != nil {
				return httpx.Errorf(400, codeBodyInvalid, "send the part data or data_sm3, not both")
			}
			if req.DataSM3, err = parseSM3(string(bytes.TrimSpace(b))); err != nil {
				return err
			}
		default:
			return httpx.Errorf(400, codeBodyInvalid, "unknown part %q: want signature, data or data_sm3", name)
		}
	}
}

func readPart(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, readErr(err)
	}
	if int64(len(b)) > limit {
		return nil, httpx.Errorf(http.StatusRequestEntityTooLarge, httpx.CodeBodyTooLarge, "a part is limited to %d bytes", limit)
	}
	return b, nil
}

// readErr turns a failed read of the request body into the answer: 413 past the body limit, else
// 400.
func readErr(err error) error {
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return httpx.Errorf(http.StatusRequestEntityTooLarge, httpx.CodeBodyTooLarge, "request body exceeds %d bytes", mbe.Limit)
	}
	return httpx.Errorf(400, codeBodyInvalid, "reading the request body: %v", err)
}

func (a *API) verifyOFD(c *gin.Context) {
	at, mt, params, ok := postParams(c)
	if !ok {
		return
	}
	// Read the upload first (large ones spool to disk), then wait for a verification slot: a slow
	// uploader holds no slot, and the slots bound the verifications running, not the uploads.
	var doc *spooled
	var err error
	switch mt {
	case "application/ofd", "application/zip", "application/octet-stream", "":
		doc, err = spool(c.Request.Body, a.limits.MaxDocumentBytes, a.cfg.TempDir)
	case "multipart/form-data":
		doc, err = a.readDocumentPart(c, params["boundary"])
	default:
		err = unsupported(mt, "application/ofd (the document as the body) or multipart/form-data with a part \"file\"")
	}
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	defer doc.Close()
	if doc.size == 0 {
		httpx.Fail(c, httpx.Errorf(400, codeBodyInvalid, "no document: send the OFD file as the body"))
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), a.limits.RequestTimeout)
	defer cancel()
	select {
	case a.docs <- struct{}{}:
		defer func() { <-a.docs }()
	case <-ctx.Done():
		e := httpx.Errorf(http.StatusServiceUnavailable, codeBusy, "%d documents are being verified; try again", cap(a.docs))
		e.RetryAfter = time.Second
		httpx.Fail(c, e)
		return
	}
	a.runCtx(c, ctx, resolver.Request{Kind: resolver.KindOFD, OFDReader: doc.readerAt(), OFDSize: doc.size, At: at})
}

func (a *API) readDocumentPart(c *gin.Context, boundary string) (*spooled, error) {
	if boundary == "" {
		return nil, httpx.Errorf(400, codeBodyInvalid, "multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(c.Request.Body, boundary)
	var doc *spooled
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil && (p.FormName() != "file" || doc != nil) {
			err = httpx.Errorf(400, codeBodyInvalid, "want exactly one part, \"file\", got %q", p.FormName())
		} else if err != nil {
			err = readErr(err)
		} else {
			doc, err = spool(p, a.limits.MaxDocumentBytes, a.cfg.TempDir)
		}
		if err != nil {
			if doc != nil {
				doc.Close()
			}
			return nil, err
		}
	}
	if doc == nil {
		return nil, httpx.Errorf(400, codeBodyInvalid, "no part \"file\"")
	}
	return doc, nil
}

func (a *API) run(c *gin.Context, req resolver.Request) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), a.limits.RequestTimeout)
	defer cancel()
	a.runCtx(c, ctx, req)
}

func (a *API) runCtx(c *gin.Context, ctx context.Context, req resolver.Request) {
	res, err := a.cfg.Resolver.Verify(ctx, req)
	switch {
	case errors.Is(err, resolver.ErrBadRequest):
		httpx.Fail(c, httpx.Errorf(400, codeBodyInvalid, "%v", err))
		return
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this answer, and it is no server error.
		httpx.Fail(c, httpx.Errorf(499, "CANCELLED", "the client closed the request"))
		return
	case errors.Is(err, context.DeadlineExceeded):
		httpx.Fail(c, httpx.Errorf(http.StatusGatewayTimeout, codeTimeout, "the verification did not finish within %s", a.limits.RequestTimeout))
		return
	case err != nil:
		httpx.Fail(c, fmt.Errorf("verify %s: %w", req.Kind, err))
		return
	}
	reason := res.Report
	kind, verdict, why := string(req.Kind), res.Verdict(), resolver.ReasonOK
	if res.Document != nil {
		why = res.Document.Reason
	} else if reason != nil {
		why = reason.Reason
	}
	a.verifs.WithLabelValues(kind, string(verdict), string(why)).Inc()
	b, err := res.JSON()
	if err != nil {
		httpx.Fail(c, fmt.Errorf("verify %s: encode: %w", req.Kind, err))
		return
	}
	c.Header(HeaderResult, string(verdict))
	c.Data(http.StatusOK, "application/json; charset=utf-8", append(b, '\n'))
}
