package parquet

import (
	"bufio"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"sigmalab/engine/market"
)

// The market benchmarks run on 1M regular-hours minute bars (~10 years of one ticker)
// and report rows/s plus the Parquet/CSV size ratio:
//
//	go test -run XXX -bench 'Market' -benchtime 3x ./storage/parquet/
const benchRows = 1_000_000

var benchData struct {
	once    sync.Once
	bars    *market.Bars
	csvPath string
	csvSize int64
}

func benchFixture(b *testing.B) (*market.Bars, string, int64) {
	benchData.once.Do(func() {
		bars := minuteBars(b, "BENCH", "2015-01-02", benchRows)
		dir, err := os.MkdirTemp("", "sigmalab-bench-*")
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(dir, "BENCH_1m.csv")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(f)
		w.WriteString("timestamp,open,high,low,close,volume\n")
		buf := make([]byte, 0, 128)
		for i := 0; i < bars.Len(); i++ {
			buf = buf[:0]
			buf = time.UnixMilli(bars.TS[i]).UTC().AppendFormat(buf, time.RFC3339)
			for _, v := range [...]float64{bars.Open[i], bars.High[i], bars.Low[i], bars.Close[i], bars.Volume[i]} {
				buf = append(buf, ',')
				buf = strconv.AppendFloat(buf, v, 'f', -1, 64)
			}
			buf = append(buf, '\n')
			w.Write(buf)
		}
		w.Flush()
		f.Close()
		st, _ := os.Stat(path)
		benchData.bars, benchData.csvPath, benchData.csvSize = bars, path, st.Size()
	})
	return benchData.bars, benchData.csvPath, benchData.csvSize
}

func dirSize(root string) int64 {
	var n int64
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if st, err := d.Info(); err == nil {
				n += st.Size()
			}
		}
		return nil
	})
	return n
}

// BenchmarkMarketImportCSV parses, validates and stores the 1M-row CSV.
func BenchmarkMarketImportCSV(b *testing.B) {
	_, csvPath, csvSize := benchFixture(b)
	b.ResetTimer()
	var pqSize int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		root := b.TempDir()
		im := &market.Importer{Store: NewMarketStore(root)}
		b.StartTimer()
		res, err := im.ImportPaths(context.Background(), []string{csvPath}, market.ImportOptions{})
		if err != nil || res.Added != benchRows {
			b.Fatalf("%v %d %v", err, res.Added, res.Rejected)
		}
		b.StopTimer()
		pqSize = dirSize(root)
		b.StartTimer()
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(pqSize)/float64(csvSize), "parquet/csv")
	b.ReportMetric(float64(csvSize)/1e6, "csv_MB")
	b.ReportMetric(float64(pqSize)/1e6, "parquet_MB")
}

// BenchmarkMarketWriteBars stores 1M bars already in memory (no parsing).
func BenchmarkMarketWriteBars(b *testing.B) {
	bars, _, _ := benchFixture(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := NewMarketStore(b.TempDir())
		b.StartTimer()
		if _, err := st.WriteBars(context.Background(), bars); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

var benchStore struct {
	once sync.Once
	st   *MarketStore
}

func benchStored(b *testing.B) (*MarketStore, *market.Bars) {
	bars, _, _ := benchFixture(b)
	benchStore.once.Do(func() {
		dir, _ := os.MkdirTemp("", "sigmalab-bench-store-*")
		benchStore.st = NewMarketStore(dir)
		if _, err := benchStore.st.WriteBars(context.Background(), bars); err != nil {
			b.Fatal(err)
		}
	})
	return benchStore.st, bars
}

// BenchmarkMarketReadAll reads the full 1M-bar history.
func BenchmarkMarketReadAll(b *testing.B) {
	st, _ := benchStored(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := st.ReadBars(context.Background(), "BENCH", market.TF1m, 0, 0)
		if err != nil || r.Len() != benchRows {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkMarketScanAll streams the history partition by partition (bounded memory).
func BenchmarkMarketScanAll(b *testing.B) {
	st, _ := benchStored(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		err := st.ScanBars(context.Background(), "BENCH", market.TF1m, 0, 0, func(c *market.Bars) error { n += c.Len(); return nil })
		if err != nil || n != benchRows {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkMarketReadMonth reads one month out of ten years: only its partition is opened.
func BenchmarkMarketReadMonth(b *testing.B) {
	st, bars := benchStored(b)
	from, to := bars.TS[benchRows/2], bars.TS[benchRows/2]+30*86_400_000
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		r, err := st.ReadBars(context.Background(), "BENCH", market.TF1m, from, to)
		if err != nil || r.Len() == 0 {
			b.Fatal(err)
		}
		n = r.Len()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
