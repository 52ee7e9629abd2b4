// Package verifyapi tests the online verification API end to end, over HTTP, against a real
// one-node hub started in-process with hub.Open (bootstrap, an administrator key made by the test,
// loopback ports, a temporary data directory). The trust list is filled only through signed pushes
// (internal/client), as registries and the administrator fill it; seals, signatures and OFD
// documents come from the demo PKI (internal/demo) and from the public real samples
// (test/samples).
//
// The scenarios: status history at the signing time (停用 / 恢复 / 注销 / 无效 with effective_at),
// distrusted CAs, seals the hub holds no record of or holds under another content, live-mode
// registries behind an adapters.Directory, the real samples, receipts (every served byte covered),
// seals:batchGet, OFD documents, and malformed input, API keys and rate limits.
//
// Waits poll against a deadline, never sleep-then-assert. On a one-node hub a push's index is
// applied when its answer returns.
//
// Only tests live here; the package has no API.
package verifyapi
