package ledger_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sealhub/sealhub/internal/ledger"
)

// Reading a ledger and collecting every bad row in one pass.
func ExampleReader_Next() {
	const csv = "印章编码,印章名称,印章类型,有效期起,有效期止,状态,状态生效时间\n" +
		"37030000001721,淄博市周村区自然资源局,法定名称章,2021年03月01日,2031年02月28日,有效,\n" +
		"37030000001722,财务专用章,财务专用章,2021-03-01,2020-03-01,,\n" +
		"37030000001723,合同专用章,04,2021/03/01,2031/02/28,注销,2024-05-06 09:30:00\n"
	r, err := ledger.NewCSV(strings.NewReader(csv))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *ledger.RowError
		if errors.As(err, &re) {
			fmt.Println(err)
			continue
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(row.Line, row.Code, row.Type, row.Status, row.ValidEnd.Format("2006-01-02 15:04:05Z07:00"))
	}
	// Output:
	// 2 37030000001721 1 valid 2031-02-28 23:59:59+08:00
	// ledger: line 3, column valid_end: end of validity 2020-03-01T23:59:59+08:00 is not after its start 2021-03-01T00:00:00+08:00
	// 4 37030000001723 4 revoked 2031-02-28 23:59:59+08:00
}
