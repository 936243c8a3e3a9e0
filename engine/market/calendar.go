package market

import (
	"fmt"
	"time"

	"sigmalab/engine/et"
)

// DateLayout is the layout of session dates (ET calendar dates).
const DateLayout = "2006-01-02"

// ET returns the America/New_York location.
func ET() *time.Location { return et.Location() }

// TimeET converts unix ms UTC to a time in ET.
func TimeET(ts int64) time.Time { return time.UnixMilli(ts).In(ET()) }

// SessionDate returns the ET calendar date (YYYY-MM-DD) of a unix-ms timestamp.
func SessionDate(ts int64) string { return TimeET(ts).Format(DateLayout) }

// HourET returns the ET wall-clock hour (0..23) of a unix-ms timestamp.
func HourET(ts int64) int { return TimeET(ts).Hour() }

// MinuteOfDayET returns minutes since ET midnight of a unix-ms timestamp.
func MinuteOfDayET(ts int64) int { t := TimeET(ts); return t.Hour()*60 + t.Minute() }

// ParseDate parses YYYY-MM-DD as midnight ET.
func ParseDate(d string) (time.Time, error) {
	t, err := time.ParseInLocation(DateLayout, d, ET())
	if err != nil {
		return time.Time{}, fmt.Errorf("bad date %q (want YYYY-MM-DD)", d)
	}
	return t, nil
}

// ETMillis returns the unix ms of the ET wall-clock time hh:mm on date d (YYYY-MM-DD).
func ETMillis(d string, hh, mm int) (int64, error) {
	t, err := ParseDate(d)
	if err != nil {
		return 0, err
	}
	return time.Date(t.Year(), t.Month(), t.Day(), hh, mm, 0, 0, ET()).UnixMilli(), nil
}

func etMillis(t time.Time, hh, mm int) int64 {
	return time.Date(t.Year(), t.Month(), t.Day(), hh, mm, 0, 0, ET()).UnixMilli()
}

// Session is one NYSE trading session. Open/Close bound regular trading hours
// (09:30–16:00 ET, 13:00 on half days) as unix ms UTC.
type Session struct {
	Date    string
	Open    int64
	Close   int64
	HalfDay bool
}

// Holiday returns the name of the NYSE full-day closure on date d, if any.
func Holiday(d string) (string, bool) {
	t, err := ParseDate(d)
	if err != nil {
		return "", false
	}
	name := holidayName(t)
	return name, name != ""
}

// IsTradingDay reports whether NYSE holds a session on date d.
func IsTradingDay(d string) bool {
	t, err := ParseDate(d)
	if err != nil {
		return false
	}
	return isTradingDay(t)
}

// IsHalfDay reports whether date d is a 13:00 ET early close.
func IsHalfDay(d string) bool {
	t, err := ParseDate(d)
	if err != nil {
		return false
	}
	return isTradingDay(t) && isHalfDay(t)
}

// SessionOn returns the session of date d; ok is false on weekends and holidays.
func SessionOn(d string) (Session, bool) {
	t, err := ParseDate(d)
	if err != nil || !isTradingDay(t) {
		return Session{}, false
	}
	return sessionOf(t), true
}

func sessionOf(t time.Time) Session {
	half := isHalfDay(t)
	closeH := 16
	if half {
		closeH = 13
	}
	return Session{Date: t.Format(DateLayout), Open: etMillis(t, 9, 30), Close: etMillis(t, closeH, 0), HalfDay: half}
}

// PrevSession returns the trading date strictly before d.
func PrevSession(d string) (string, error) {
	t, err := ParseDate(d)
	if err != nil {
		return "", err
	}
	for i := 0; i < 30; i++ {
		t = t.AddDate(0, 0, -1)
		if isTradingDay(t) {
			return t.Format(DateLayout), nil
		}
	}
	return "", fmt.Errorf("no session within 30 days before %s", d)
}

// NextSession returns the trading date strictly after d.
func NextSession(d string) (string, error) {
	t, err := ParseDate(d)
	if err != nil {
		return "", err
	}
	for i := 0; i < 30; i++ {
		t = t.AddDate(0, 0, 1)
		if isTradingDay(t) {
			return t.Format(DateLayout), nil
		}
	}
	return "", fmt.Errorf("no session within 30 days after %s", d)
}

// Sessions lists the sessions with from <= date <= to (both YYYY-MM-DD).
func Sessions(from, to string) ([]Session, error) {
	a, err := ParseDate(from)
	if err != nil {
		return nil, err
	}
	b, err := ParseDate(to)
	if err != nil {
		return nil, err
	}
	var out []Session
	for t := a; !t.After(b); t = t.AddDate(0, 0, 1) {
		if isTradingDay(t) {
			out = append(out, sessionOf(t))
		}
	}
	return out, nil
}

// InRTH reports whether ts falls inside the regular session of its ET date.
func InRTH(ts int64) bool {
	s, ok := SessionOn(SessionDate(ts))
	return ok && ts >= s.Open && ts < s.Close
}

func isTradingDay(t time.Time) bool {
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday && holidayName(t) == ""
}

// isHalfDay: NYSE closes at 13:00 on the day after Thanksgiving, on July 3 when it is a
// Monday–Thursday (Independence Day then falls on a weekday after it), and on Christmas
// Eve when it is a Monday–Thursday.
func isHalfDay(t time.Time) bool {
	y, m, d := t.Date()
	wd := t.Weekday()
	switch {
	case m == time.November && wd == time.Friday:
		return sameDay(t.AddDate(0, 0, -1), nthWeekday(y, time.November, time.Thursday, 4))
	case m == time.July && d == 3:
		return wd >= time.Monday && wd <= time.Thursday
	case m == time.December && d == 24:
		return wd >= time.Monday && wd <= time.Thursday
	}
	return false
}

// specialClosures are unscheduled NYSE full-day closures (national mourning, weather, 9/11).
var specialClosures = map[string]string{
	"2001-09-11": "September 11", "2001-09-12": "September 11", "2001-09-13": "September 11", "2001-09-14": "September 11",
	"2004-06-11": "Reagan day of mourning", "2007-01-02": "Ford day of mourning",
	"2012-10-29": "Hurricane Sandy", "2012-10-30": "Hurricane Sandy",
	"2018-12-05": "G.H.W. Bush day of mourning", "2025-01-09": "Carter day of mourning",
}

// holidayName applies the NYSE holiday rules (observed dates: Saturday → Friday,
// Sunday → Monday, except that New Year's Day on a Saturday is not observed).
func holidayName(t time.Time) string {
	if n, ok := specialClosures[t.Format(DateLayout)]; ok {
		return n
	}
	y := t.Year()
	wd := t.Weekday()
	if wd == time.Saturday || wd == time.Sunday {
		return ""
	}
	obs := func(mm time.Month, dd int) bool { return sameDay(t, observed(y, mm, dd)) }
	switch {
	case obs(time.January, 1):
		return "New Year's Day"
	case y >= 1998 && sameDay(t, nthWeekday(y, time.January, time.Monday, 3)):
		return "Martin Luther King Jr. Day"
	case sameDay(t, nthWeekday(y, time.February, time.Monday, 3)):
		return "Washington's Birthday"
	case sameDay(t, easter(y).AddDate(0, 0, -2)):
		return "Good Friday"
	case sameDay(t, lastWeekday(y, time.May, time.Monday)):
		return "Memorial Day"
	case y >= 2022 && obs(time.June, 19):
		return "Juneteenth"
	case obs(time.July, 4):
		return "Independence Day"
	case sameDay(t, nthWeekday(y, time.September, time.Monday, 1)):
		return "Labor Day"
	case sameDay(t, nthWeekday(y, time.November, time.Thursday, 4)):
		return "Thanksgiving Day"
	case obs(time.December, 25):
		return "Christmas Day"
	}
	return ""
}

func observed(y int, m time.Month, d int) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	switch t.Weekday() {
	case time.Saturday:
		if m == time.January && d == 1 {
			return time.Time{} // NYSE does not close on the Friday before (it ends a year)
		}
		return t.AddDate(0, 0, -1)
	case time.Sunday:
		return t.AddDate(0, 0, 1)
	}
	return t
}

func nthWeekday(y int, m time.Month, wd time.Weekday, n int) time.Time {
	t := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	for t.Weekday() != wd {
		t = t.AddDate(0, 0, 1)
	}
	return t.AddDate(0, 0, 7*(n-1))
}

func lastWeekday(y int, m time.Month, wd time.Weekday) time.Time {
	t := time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	for t.Weekday() != wd {
		t = t.AddDate(0, 0, -1)
	}
	return t
}

// easter returns Western Easter Sunday (anonymous Gregorian algorithm).
func easter(y int) time.Time {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(y, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}
