package parquet

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigmalab/engine/market"
	"sigmalab/storage/files"
)

// The market folders are hive-style: every folder level below the kind is
// key=value, so a whole tree reads as one table whose partition keys become
// columns, e.g. in DuckDB
//
//	SELECT ticker, timeframe, count(*) FROM read_parquet('market/bars/**/*.parquet', hive_partitioning = true) GROUP BY ALL
//
// and in pandas pd.read_parquet("market/bars"). The files themselves do not
// repeat the keys (a column in both the path and the file is ambiguous to
// those readers); their footers still carry sigmalab.ticker and
// sigmalab.timeframe for our own coverage scans.

// Hive keys of the market folders.
const (
	hiveTicker     = "ticker"
	hiveTimeframe  = "timeframe"
	hiveUnderlying = "underlying"
)

// barsTickerDir holds every timeframe of ticker's bars.
func barsTickerDir(ticker string) string { return "bars/" + hiveTicker + "=" + ticker }

// barsDir holds ticker's bars of timeframe tf, one file per month.
func barsDir(ticker, tf string) string {
	return barsTickerDir(ticker) + "/" + hiveTimeframe + "=" + tf
}

// optionsDir holds the option minute bars of underlying u, one file per session.
func optionsDir(u string) string { return "options/" + hiveUnderlying + "=" + u }

// chainsDir holds the chain snapshots of underlying u, one file per month.
func chainsDir(u string) string { return "chains/" + hiveUnderlying + "=" + u }

// migrateLayout moves partitions of the layout before hive folders
// (bars/<TICKER>/<tf>/, options/<U>/, chains/<U>/) to their hive folders,
// rewritten in the current format (see moveDir). Each new file is published
// atomically before its old one is removed, so a crash leaves every partition
// at one name or both; the next open finishes. A partition whose new name holds
// other rows stays where it is and is returned in stuck, never overwritten.
// Symlinks and hidden entries are never followed or moved.
func (s *MarketStore) migrateLayout() (moved int, stuck []string, err error) {
	type level struct {
		kind string
		key  string                   // hive key of the first level
		sub  string                   // hive key of the second level, "" for none
		ok   func(name string) bool   // valid first-level value
		subO func(name string) bool   // valid second-level value
		to   func(a, b string) string // new folder of (value, sub value)
	}
	levels := []level{
		{"bars", hiveTicker, hiveTimeframe, market.ValidTicker, market.ValidTimeframe, barsDir},
		{"options", hiveUnderlying, "", market.ValidTicker, nil, func(u, _ string) string { return optionsDir(u) }},
		{"chains", hiveUnderlying, "", market.ValidTicker, nil, func(u, _ string) string { return chainsDir(u) }},
	}
	for _, lv := range levels {
		root, err := s.dir.Path(lv.kind)
		if err != nil {
			return moved, stuck, err
		}
		for _, a := range oldLayoutDirs(root, lv.ok) {
			srcDirs := []string{a}
			subs := []string{""}
			if lv.sub != "" {
				srcDirs, subs = nil, nil
				for _, b := range oldLayoutDirs(filepath.Join(root, a), lv.subO) {
					srcDirs = append(srcDirs, a+"/"+b)
					subs = append(subs, b)
				}
			}
			for k, src := range srcDirs {
				n, left, err := s.moveDir(lv.kind, lv.kind+"/"+src, lv.to(a, subs[k]))
				moved += n
				stuck = append(stuck, left...)
				if err != nil {
					return moved, stuck, err
				}
			}
			if p, err := s.dir.Path(lv.kind, a); err == nil {
				removeEmptyDirs(p)
			}
		}
	}
	return moved, stuck, nil
}

// oldLayoutDirs lists the real (not symlinked, not hidden) subfolders of dir
// whose names are old-layout values: valid, and not key=value.
func oldLayoutDirs(dir string, valid func(string) bool) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() && !strings.HasPrefix(name, ".") && !strings.Contains(name, "=") && valid(name) {
			out = append(out, name)
		}
	}
	return out
}

// moveDir rewrites the partition files of market/<from> into market/<to> in
// the current format (columns in order, nulls for absent values; the old files
// held NaN in required columns) and removes each old file once its new one is
// durable. A target that already exists is the result of an interrupted move
// when it holds the same rows (the old file is then removed); otherwise the old
// file is left and reported in stuck.
func (s *MarketStore) moveDir(kind, from, to string) (moved int, stuck []string, err error) {
	src, err := s.dir.Path(from)
	if err != nil {
		return 0, nil, err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return 0, nil, err
	}
	for _, e := range ents {
		if !partitionFile(e) {
			continue
		}
		oldRel, newRel := from+"/"+e.Name(), to+"/"+e.Name()
		target, err := s.dir.Path(newRel)
		if err != nil {
			return moved, stuck, err
		}
		n, meta, body, err := s.reencode(kind, oldRel)
		if err != nil {
			return moved, stuck, fmt.Errorf("%s: %w", oldRel, err)
		}
		if _, err := os.Lstat(target); err == nil {
			tm, tn, err := s.readMeta(newRel)
			if err != nil || tn != int64(n) || tm[mkFirst] != meta[mkFirst] || tm[mkLast] != meta[mkLast] {
				stuck = append(stuck, oldRel)
				continue
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return moved, stuck, err
		} else if err := files.WriteFile(target, body); err != nil {
			return moved, stuck, err
		}
		if err := os.Remove(filepath.Join(src, e.Name())); err != nil {
			return moved, stuck, err
		}
		moved++
	}
	if moved > 0 {
		if err := files.SyncDir(src); err != nil {
			return moved, stuck, err
		}
	}
	return moved, stuck, nil
}

// reencode reads the old-layout partition rel of kind and returns its row
// count, footer metadata and its bytes in the current format.
func (s *MarketStore) reencode(kind, rel string) (int, map[string]string, []byte, error) {
	meta, _, err := s.readMeta(rel)
	if err != nil {
		return 0, nil, nil, err
	}
	var n int
	var cols []tableColumn
	switch kind {
	case "bars":
		b, err := s.readBars(rel, meta[mkTicker], meta[mkTF])
		if err != nil {
			return 0, nil, nil, err
		}
		rows := make([]barRow, b.Len())
		for i := range rows {
			rows[i] = barRow{b.TS[i], b.Open[i], b.High[i], b.Low[i], b.Close[i], b.Volume[i], b.VWAP[i]}
		}
		n, cols = len(rows), barColumns(rows)
	case "options":
		rows, _, err := s.readOptionRows(rel)
		if err != nil {
			return 0, nil, nil, err
		}
		n, cols = len(rows), optionColumns(rows)
	default:
		rows, _, err := s.readChainRows(rel)
		if err != nil {
			return 0, nil, nil, err
		}
		n, cols = len(rows), chainColumns(rows)
	}
	var buf bytes.Buffer
	if err := encodeTable(&buf, n, cols, meta); err != nil {
		return 0, nil, nil, err
	}
	return n, meta, buf.Bytes(), nil
}
