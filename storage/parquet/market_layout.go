package parquet

import (
	"errors"
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
// (bars/<TICKER>/<tf>/, options/<U>/, chains/<U>/) to their hive folders. Each
// move is one rename within market/, so a crash leaves every partition at one
// of its two names; the next open moves what is left. A partition whose new
// name is already taken stays where it is and is returned in stuck, never
// overwritten. Symlinks and hidden entries are never followed or moved.
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
				n, left, err := s.moveDir(lv.kind+"/"+src, lv.to(a, subs[k]))
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

// moveDir renames the partition files of market/<from> into market/<to>.
func (s *MarketStore) moveDir(from, to string) (moved int, stuck []string, err error) {
	src, err := s.dir.Path(from)
	if err != nil {
		return 0, nil, err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return 0, nil, err
	}
	dst, err := s.dir.Path(to)
	if err != nil {
		return 0, nil, err
	}
	for _, e := range ents {
		if !partitionFile(e) {
			continue
		}
		target := filepath.Join(dst, e.Name())
		if _, err := os.Lstat(target); err == nil {
			stuck = append(stuck, from+"/"+e.Name())
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return moved, stuck, err
		}
		if moved == 0 {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return moved, stuck, err
			}
		}
		if err := os.Rename(filepath.Join(src, e.Name()), target); err != nil {
			return moved, stuck, err
		}
		moved++
	}
	if moved > 0 {
		if err := files.SyncDir(dst); err != nil {
			return moved, stuck, err
		}
		if err := files.SyncDir(src); err != nil {
			return moved, stuck, err
		}
	}
	return moved, stuck, nil
}
