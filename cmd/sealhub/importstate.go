package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// importStateVersion is the version of the progress file's format.
const importStateVersion = 1

// importState is the progress file of an import (LEDGER.import-state.json), rewritten atomically
// before each push is sent (naming it as Pending) and after each push is acknowledged. Rows are
// pushed in ledger order, so one line number says what is done.
type importState struct {
	Version       int    `json:"version"`
	Registry      string `json:"registry"`
	Ledger        string `json:"ledger"`     // the file name, for people
	LedgerSM3     string `json:"ledger_sm3"` // what the progress is valid for
	RowsDone      int    `json:"rows_done"`  // rows filed on the hub (one seal each)
	StatusChanges int    `json:"status_changes"`
	// LastLine: every row up to this ledger line is handled (filed, or skipped or rejected when the
	// import completed); a later run starts after it.
	LastLine  int          `json:"last_line"`
	Pushes    int          `json:"pushes"`
	LastSeq   uint64       `json:"last_seq"`
	LastHash  string       `json:"last_hash"`
	Complete  bool         `json:"complete"`
	UpdatedAt time.Time    `json:"updated_at"`
	Pending   *pendingPush `json:"pending,omitempty"`
}

// pendingPush is a push sent (or about to be) without an answer yet. Its exact body is kept in
// LEDGER.import-pending.json, written before the state names it; a later run sends those bytes
// again, and the hub answers "replay" if it took them, or takes them now. (The file is a push
// body: `sealhub push --raw` can send it too.)
type pendingPush struct {
	Hash     string `json:"hash"`     // SM3 of the body
	OpLines  []int  `json:"op_lines"` // the ledger line of each op
	Rows     int    `json:"rows"`
	Status   int    `json:"status_changes"`
	LastLine int    `json:"last_line"`
	body     []byte
}

// progressFiles are the files an import keeps beside its ledger.
type progressFiles struct {
	state, pending string
}

func progressFilesOf(ledgerPath string) progressFiles {
	return progressFiles{state: ledgerPath + ".import-state.json", pending: ledgerPath + ".import-pending.json"}
}

// load reads the progress file (and the pending push); a missing file is a fresh start.
func (pf progressFiles) load() (*importState, bool, error) {
	data, err := os.ReadFile(pf.state)
	if errors.Is(err, fs.ErrNotExist) {
		return &importState{Version: importStateVersion}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var st importState
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, false, fmt.Errorf("%s: %s", pf.state, configJSONError(data, err))
	}
	if st.Version != importStateVersion {
		return nil, false, fmt.Errorf("%s: version %d, this sealhub writes %d", pf.state, st.Version, importStateVersion)
	}
	if p := st.Pending; p != nil {
		if p.body, err = os.ReadFile(pf.pending); err != nil || smcrypto.SM3Hex(p.body) != p.Hash {
			return nil, false, fmt.Errorf("the push sent last (SM3 %.16s…) is not in %s, so whether the hub took it is unknown", p.Hash, pf.pending)
		}
	}
	return &st, true, nil
}

// setPending records body as sent: the body first, then the state naming it.
func (pf progressFiles) setPending(st *importState, p *pendingPush, body []byte, now time.Time) error {
	if err := writeFileAtomic(pf.pending, body, 0o600); err != nil {
		return err
	}
	p.body, p.Hash = body, smcrypto.SM3Hex(body)
	st.Pending = p
	return pf.save(st, now)
}

// clearPending records that the pending push is settled (taken, or refused).
func (pf progressFiles) clearPending(st *importState, now time.Time) error {
	st.Pending = nil
	if err := pf.save(st, now); err != nil {
		return err
	}
	if err := os.Remove(pf.pending); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (pf progressFiles) save(st *importState, now time.Time) error {
	st.UpdatedAt = now.UTC().Truncate(time.Second)
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(pf.state, append(data, '\n'), 0o600)
}

// hashFile is the SM3 of a file, hex.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum, _, err := smcrypto.SM3Reader(io.Reader(f))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", sum), nil
}
