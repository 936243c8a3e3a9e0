package market

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secret stands for the content of a file the importer should never echo: a
// rejection names the file, the line or record and the offending field, never
// a value read from the file.
const secret = "S3CR3T"

// TestRejectReasonsQuoteNoContent imports hostile files that carry the secret
// in every place a reason could quote (first line, header, each cell, JSON
// values, OCC symbols) and checks that no reason or error repeats it.
func TestRejectReasonsQuoteNoContent(t *testing.T) {
	dir := t.TempDir()
	hostile := map[string]string{
		// Not a CSV at all: the "header" is the first line of someone's file.
		"passwd.csv": "root:x:0:0:" + secret + ":/root:/bin/bash\n",
		"noopen.csv": "timestamp," + secret + ",high,low,close,volume\n2024-07-01T14:00:00Z,1,1,1,1,1\n",
		"SPY_cells.csv": "timestamp,open,high,low,close,volume,vwap,ticker\n" +
			secret + ",1,1,1,1,1,1,SPY\n" +
			"2024-07-01T14:00:00Z," + secret + ",1,1,1,1,1,SPY\n" +
			"2024-07-01T15:00:00Z,1," + secret + ",1,1,1,1,SPY\n" +
			"2024-07-01T16:00:00Z,1,1,1,1," + secret + ",1,SPY\n" +
			"2024-07-01T17:00:00Z,1,1,1,1,1," + secret + ",SPY\n" +
			"2024-07-01T18:00:00Z,1,1,1,1,1,1," + secret + "\n" +
			"2024-07-01T19:00:00Z,1,1,1,1,1,1,O:" + secret + "\n" +
			"2024-07-01T19:00:00Z,1,1,1,1,1,1,O:SPY240701C" + secret + "\n" +
			"2024-07-01T20:00:00Z,1,1,1,1,1,1,SPY,\"" + secret + "\n",
		"SPY_2024-07-01.json":                 secret + " is not JSON",
		"SPY_hour_2024-07-01_2024-07-02.json": `[{"t":"` + secret + `","o":1,"h":1,"l":1,"c":1,"v":1},{"t":1719842400000,"o":"` + secret + `"}]`,
		"QQQ_2024-07-01.json": `[{"strike_price":500,"contract_type":"` + secret + `","expiration_date":"2024-07-01"},` +
			`{"strike_price":500,"contract_type":"call","expiration_date":"` + secret + `"},` +
			`{"strike_price":500,"contract_type":"call","expiration_date":"2024-07-01","snapshot_ts":"` + secret + `"}]`,
		"IWM_x.json": `{"` + secret + `":1}`,
		"DIA_x.json": `[1, "` + secret + `"`,
	}
	var paths []string
	for name, body := range hostile {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	im := &Importer{Store: nopStore{}}
	for _, p := range paths {
		_, rejects, err := im.ParseFile(p, filepath.Base(p), ImportOptions{})
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error quotes file content: %v", filepath.Base(p), err)
		}
		for _, r := range rejects {
			if strings.Contains(r.Reason, secret) {
				t.Errorf("%s line %d: reason quotes file content: %s", filepath.Base(p), r.Line, r.Reason)
			}
		}
	}
	res, err := im.ImportPaths(context.Background(), []string{dir}, ImportOptions{Partial: true})
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("import error quotes file content: %v", err)
	}
	if len(res.Rejected) == 0 {
		t.Fatal("nothing rejected")
	}
	for _, r := range res.Rejected {
		if strings.Contains(r.Reason, secret) {
			t.Errorf("%s line %d: reason quotes file content: %s", r.File, r.Line, r.Reason)
		}
	}
}

// nopStore accepts every write and stores nothing.
type nopStore struct{ Store }

func (nopStore) WriteBars(context.Context, *Bars) (WriteStats, error) { return WriteStats{}, nil }
func (nopStore) WriteOptionBars(context.Context, *OptionBars) (WriteStats, error) {
	return WriteStats{}, nil
}
func (nopStore) WriteChain(context.Context, *Chain) (WriteStats, error)      { return WriteStats{}, nil }
func (nopStore) DeleteSource(context.Context, string, string) (int64, error) { return 0, nil }
