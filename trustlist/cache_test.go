package trustlist_test

import (
	"testing"

	"github.com/sealhub/sealhub/trustlist"
)

// A parse cache changes speed, never results: applying through it (after a Check filled it, as on
// the node that received the push) gives the same state as applying without it, and a rejected body
// is rejected the same way.
func TestParseCacheGivesTheSameResults(t *testing.T) {
	w := newWorld(t)
	cache := trustlist.NewParseCache(2)
	good := w.envelope("37", opStatus(sealCode, "suspend", w.now, "遗失"))
	bad := w.envelope("37", opStatus(sealCode, "restore", w.now, ""))
	if _, err := w.st.Check(good, trustlist.CheckOptions{Cache: cache}); err != nil {
		t.Fatalf("check: %v", err)
	}
	if _, err := w.st.Check(bad, trustlist.CheckOptions{Cache: cache}); err == nil {
		t.Fatal("restoring a valid seal passed the check")
	}
	plain, _, err1 := w.st.Apply(good, w.st.Index()+1)
	cached, _, err2 := w.st.ApplyWith(good, w.st.Index()+1, cache)
	if err1 != nil || err2 != nil || plain.Digest() != cached.Digest() {
		t.Fatalf("with and without the cache differ: %v %v", err1, err2)
	}
	_, _, err1 = w.st.Apply(bad, w.st.Index()+1)
	_, _, err2 = w.st.ApplyWith(bad, w.st.Index()+1, cache)
	if err1 == nil || err2 == nil || err1.Error() != err2.Error() {
		t.Fatalf("rejections differ: %v / %v", err1, err2)
	}
	// More bodies than the cache holds: the oldest are parsed again, still the same.
	for i := 0; i < 5; i++ {
		env := w.envelope("37", opStatus(sealCode, "suspend", w.now, string(rune('a'+i))))
		a, _, err1 := w.st.Apply(env, w.st.Index()+1)
		b, _, err2 := w.st.ApplyWith(env, w.st.Index()+1, cache)
		if err1 != nil || err2 != nil || a.Digest() != b.Digest() {
			t.Fatalf("round %d differs: %v %v", i, err1, err2)
		}
	}
}
