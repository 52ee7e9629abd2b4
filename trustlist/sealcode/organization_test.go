package sealcode

import "testing"

func TestSplitOrganization(t *testing.T) {
	tests := map[string]struct {
		o        string
		wantOK   bool
		wantCode string
		wantName string
	}{
		"zibo certificate":  {"11370306MB2867521U淄博市周村区自然资源局", true, "11370306MB2867521U", "淄博市周村区自然资源局"},
		"yunnan":            {"115300000151003540云南省住房和城乡建设厅", true, "115300000151003540", "云南省住房和城乡建设厅"},
		"space separator":   {"91350100M000100Y43 某某有限公司 ", true, "91350100M000100Y43", "某某有限公司"},
		"ideographic space": {"12100000000018032A\u3000某事业单位", true, "12100000000018032A", "某事业单位"},
		"uscc only":         {"12100000000018032A", true, "12100000000018032A", ""},
		"ascii name":        {"91350100M000100Y43Example Co., Ltd.", true, "91350100M000100Y43", "Example Co., Ltd."},
		"name only":         {"淄博市周村区自然资源局", false, "", ""},
		"empty":             {"", false, "", ""},
		"short":             {"11370306MB2867521", false, "", ""},
		"bad check":         {"11370306MB2867521A淄博市周村区自然资源局", false, "", ""},
		"lower case":        {"11370306mb2867521u淄博市周村区自然资源局", false, "", ""},
		"leading space":     {" 11370306MB2867521U淄博市周村区自然资源局", false, "", ""},
		"name first":        {"淄博市周村区自然资源局11370306MB2867521U", false, "", ""},
		"multibyte cut":     {"11370306MB2867521淄博", false, "", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u, gotName, ok := SplitOrganization(tc.o)
			if ok != tc.wantOK || u.Code != tc.wantCode || gotName != tc.wantName {
				t.Errorf("SplitOrganization(%q) = %q, %q, %v; want %q, %q, %v",
					tc.o, u.Code, gotName, ok, tc.wantCode, tc.wantName, tc.wantOK)
			}
			if !ok && u != (USCC{}) {
				t.Errorf("non-zero USCC %+v with ok=false", u)
			}
		})
	}
}
