// Package httpx is the HTTP plumbing shared by sealhub's API packages: one
// gin engine, one error envelope, one place that renders it.
//
// # The envelope
//
// Every failed request, whatever produced it (a handler, a body limit, an
// unknown route, a wrong method or a panic), gets the same JSON body:
//
//	{"code": "PUSH_SIGNATURE_INVALID", "message": "...", "request_id": "...", "details": {...}}
//
// code is a stable UPPER_SNAKE machine code that clients may switch on;
// message is English and safe to show a user; request_id matches the
// X-Request-Id response header and every log line of the request; details is
// optional and endpoint specific. The internal cause of an error is logged,
// never rendered.
//
// # Why one place renders errors
//
// Handlers do not write error responses. They call [Fail] with an error, which
// records it on the gin context and aborts the chain; the [Errors] middleware
// then renders the last recorded error after the handler returns. An [*Error]
// (found with errors.As, so it may be wrapped with %w) supplies the status,
// code and message; any other error becomes 500 INTERNAL with a generic
// message, and its cause is logged at Error with the request ID. Keeping this
// in one function means the body shape, the Retry-After header, the status
// clamping and the "never leak the cause" rule cannot drift between
// endpoints, and the access log and metrics see the final status.
//
// # Engine and middleware order
//
// [New] builds a gin engine (never gin.Default) with, outermost first:
//
//	Recovery → RequestID → AccessLog → Metrics → Errors → handler
//
// Recovery is outermost so a panic anywhere is turned into a 500 INTERNAL
// envelope; AccessLog and Metrics sit outside Errors so they observe the
// rendered status and error code. NoRoute and NoMethod answer 404 NOT_FOUND
// and 405 METHOD_NOT_ALLOWED in the same envelope. API packages expose
// Register(g gin.IRouter) and are mounted on engine.Group("/v1").
//
// # Logging and metrics
//
// Access log lines follow the house level policy: Debug for successful
// requests, Info for 4xx (bad input), Error for 5xx (faults an operator can
// fix). Metrics are registered on the registry passed in, never the global
// one, and are labelled by route template (c.FullPath(), e.g.
// /v1/seals/:code) or "unmatched" — never by raw path, which would put seal
// codes in label values.
package httpx
