package market

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// tsParser parses bar timestamps in the many spellings vendors use. It remembers the
// layout that matched last, so a file in one format costs one parse attempt per row.
type tsParser struct {
	naive *time.Location // zone of timestamps without an offset
	last  int            // index into tsLayouts of the last match, -1 for none
}

type tsLayout struct {
	layout   string
	zoned    bool // carries its own offset
	dateOnly bool
}

var tsLayouts = []tsLayout{
	{"2006-01-02 15:04:05Z07:00", true, false},
	{time.RFC3339Nano, true, false},
	{"2006-01-02 15:04:05.999999999Z07:00", true, false},
	{"2006-01-02T15:04:05Z0700", true, false},
	{"2006-01-02 15:04:05Z0700", true, false},
	{"2006-01-02T15:04Z07:00", true, false},
	{"2006-01-02 15:04Z07:00", true, false},
	{"2006-01-02 15:04:05", false, false},
	{"2006-01-02T15:04:05", false, false},
	{"2006-01-02 15:04:05.999999999", false, false},
	{"2006-01-02T15:04:05.999999999", false, false},
	{"2006-01-02 15:04", false, false},
	{"2006-01-02T15:04", false, false},
	{"01/02/2006 15:04:05", false, false},
	{"01/02/2006 15:04", false, false},
	{"2006-01-02", false, true},
	{"01/02/2006", false, true},
	{"20060102", false, true},
}

// parse returns unix ms UTC. Date-only values are daily bars and map to ET midnight of
// that date whatever the naive zone (how Polygon stamps daily bars).
func (p *tsParser) parse(s string) (ms int64, dateOnly bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, fmt.Errorf("empty timestamp")
	}
	if c := s[0]; (c >= '0' && c <= '9') && len(s) != 8 && !strings.ContainsAny(s, "-/: T") {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			return epochMillis(v), false, nil
		}
	}
	if p.last >= 0 {
		if ms, d, ok := p.try(tsLayouts[p.last], s); ok {
			return ms, d, nil
		}
	}
	for i, l := range tsLayouts {
		if ms, d, ok := p.try(l, s); ok {
			p.last = i
			return ms, d, nil
		}
	}
	// The value is not quoted: reasons name the field, never file content.
	return 0, false, errors.New("unparseable timestamp")
}

func (p *tsParser) try(l tsLayout, s string) (int64, bool, bool) {
	var t time.Time
	var err error
	switch {
	case l.dateOnly:
		t, err = time.ParseInLocation(l.layout, s, ET())
	case l.zoned:
		t, err = time.Parse(l.layout, s)
	default:
		t, err = time.ParseInLocation(l.layout, s, p.naive)
	}
	if err != nil {
		return 0, false, false
	}
	return t.UnixMilli(), l.dateOnly, true
}

// epochMillis interprets a number as epoch seconds, ms, µs or ns by magnitude
// (seconds up to year 5138, ms from 1973 on).
func epochMillis(v float64) int64 {
	switch {
	case v >= 1e17:
		return int64(v / 1e6)
	case v >= 1e14:
		return int64(v / 1e3)
	case v >= 1e11:
		return int64(v)
	default:
		return int64(v * 1e3)
	}
}

// naiveZone resolves the zone option for naive timestamps: "" or "UTC" = UTC,
// "ET"/"America/New_York" = ET, any IANA name otherwise.
func naiveZone(name string) (*time.Location, error) {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "", "UTC", "Z":
		return time.UTC, nil
	case "ET", "EST", "EDT", "US/EASTERN", "AMERICA/NEW_YORK", "NAIVE-ET":
		return ET(), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return loc, nil
}
