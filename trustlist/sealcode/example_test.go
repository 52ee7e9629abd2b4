package sealcode_test

import (
	"errors"
	"fmt"

	"github.com/sealhub/sealhub/trustlist/sealcode"
)

func ExampleParse() {
	for _, esID := range []string{"37030000001721", "ZhelibanTaxSeal", "99010600000001"} {
		c, err := sealcode.Parse(esID)
		switch {
		case errors.Is(err, sealcode.ErrUnknownProvince):
			fmt.Printf("%s: unknown province\n", esID)
		case err != nil:
			fmt.Printf("%s: %v\n", esID, err)
		case c.IsNumeric():
			fmt.Printf("%s: division %s, sequence %s, %s (%s)\n",
				esID, c.Division, c.Sequence, c.Province.Name, c.Province.English)
		default:
			fmt.Printf("%s: %s code, route by certificate\n", esID, c.Kind)
		}
	}
	fmt.Println(sealcode.JurisdictionContains([]string{"3703"}, mustParse("37030000001721")))
	// Output:
	// 37030000001721: division 370300, sequence 00001721, 山东省 (Shandong)
	// ZhelibanTaxSeal: other code, route by certificate
	// 99010600000001: unknown province
	// true
}

func ExampleParseUSCC() {
	u, err := sealcode.ParseUSCC("11370306MB2867521U")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.AuthorityName, u.CategoryName, u.Division, u.OrgCode)

	_, err = sealcode.ParseUSCC("11370306MB2867521A")
	fmt.Println(errors.Is(err, sealcode.ErrUSCCCheck))
	fmt.Println(err)
	// Output:
	// 机构编制 机关 370306 MB2867521
	// true
	// sealcode: USCC "11370306MB2867521A": check character 'A' at position 18, want 'U'
}

func ExampleSplitOrganization() {
	u, name, ok := sealcode.SplitOrganization("11370306MB2867521U淄博市周村区自然资源局")
	fmt.Println(u, name, ok)
	// Output:
	// 11370306MB2867521U 淄博市周村区自然资源局 true
}

func ExampleComputeUSCCCheck() {
	// Build a valid code for a test certificate: organisation code body,
	// its GB 11714 check, then the GB 32100 check.
	body := "MA3C1234"
	org, _ := sealcode.ComputeOrgCodeCheck(body)
	first17 := "91370100" + body + string(org)
	c, _ := sealcode.ComputeUSCCCheck(first17)
	_, err := sealcode.ParseUSCC(first17 + string(c))
	fmt.Println(err == nil)
	// Output:
	// true
}

func mustParse(s string) sealcode.Code {
	c, err := sealcode.Parse(s)
	if err != nil {
		panic(err)
	}
	return c
}
