package market

import "testing"

func TestCalendarHolidaysAndHalfDays(t *testing.T) {
	for _, c := range []struct {
		date          string
		trading, half bool
	}{
		{"2024-07-03", true, true},   // day before Independence Day
		{"2024-07-04", false, false}, // Independence Day
		{"2024-07-05", true, false},
		{"2024-11-28", false, false}, // Thanksgiving
		{"2024-11-29", true, true},   // day after Thanksgiving
		{"2024-12-24", true, true},   // Christmas Eve (Tuesday)
		{"2024-12-25", false, false},
		{"2024-01-01", false, false},
		{"2024-01-15", false, false}, // MLK
		{"2024-02-19", false, false}, // Presidents' Day
		{"2024-03-29", false, false}, // Good Friday
		{"2024-05-27", false, false}, // Memorial Day
		{"2024-06-19", false, false}, // Juneteenth
		{"2024-09-02", false, false}, // Labor Day
		{"2023-01-02", false, false}, // New Year's Day observed (Jan 1 was a Sunday)
		{"2023-01-03", true, false},
		{"2023-07-03", true, true},   // Monday before a Tuesday July 4
		{"2023-06-19", false, false}, // Juneteenth 2023
		{"2023-04-07", false, false}, // Good Friday 2023
		{"2021-12-31", true, false},  // New Year 2022 on a Saturday: not observed on Friday
		{"2021-12-24", false, false}, // Christmas 2021 on Saturday: observed Friday
		{"2022-06-20", false, false}, // Juneteenth 2022 observed Monday
		{"2026-07-03", false, false}, // July 4 2026 is a Saturday: observed Friday
		{"2025-01-09", false, false}, // Carter day of mourning
		{"2024-07-06", false, false}, // Saturday
	} {
		if got := IsTradingDay(c.date); got != c.trading {
			t.Errorf("IsTradingDay(%s) = %v, want %v", c.date, got, c.trading)
		}
		if got := IsHalfDay(c.date); got != c.half {
			t.Errorf("IsHalfDay(%s) = %v, want %v", c.date, got, c.half)
		}
	}
	if n, ok := Holiday("2024-07-04"); !ok || n != "Independence Day" {
		t.Errorf("Holiday(2024-07-04) = %q %v", n, ok)
	}
}

func TestSessionsAndTimes(t *testing.T) {
	s, ok := SessionOn("2024-07-03")
	if !ok || !s.HalfDay {
		t.Fatal("2024-07-03 session")
	}
	if h := HourET(s.Close); h != 13 || MinuteOfDayET(s.Open) != 9*60+30 {
		t.Fatalf("half-day close hour %d", h)
	}
	w, _ := SessionOn("2024-01-10") // EST: 09:30 ET = 14:30 UTC
	if w.Open != 1704897000000 {
		t.Fatalf("winter open %d", w.Open)
	}
	ss, err := Sessions("2024-07-01", "2024-07-08")
	if err != nil || len(ss) != 5 || ss[2].Date != "2024-07-03" || ss[3].Date != "2024-07-05" {
		t.Fatalf("sessions %+v %v", ss, err)
	}
	if p, _ := PrevSession("2024-07-05"); p != "2024-07-03" {
		t.Fatalf("prev of 07-05 = %s", p)
	}
	if n, _ := NextSession("2024-11-27"); n != "2024-11-29" {
		t.Fatalf("next of 11-27 = %s", n)
	}
	// 2024-07-01 08:00 UTC is 04:00 EDT; 2024-01-02 09:00 UTC is 04:00 EST.
	if HourET(1719820800000) != 4 || SessionDate(1719820800000) != "2024-07-01" {
		t.Fatal("EDT hour")
	}
	if HourET(1704186000000) != 4 {
		t.Fatal("EST hour")
	}
	if !InRTH(s.Open) || InRTH(s.Close) {
		t.Fatal("InRTH bounds")
	}
	all, _ := Sessions("2024-01-01", "2024-12-31")
	if len(all) != 252 {
		t.Fatalf("2024 has 252 NYSE sessions, got %d", len(all))
	}
	all, _ = Sessions("2023-01-01", "2023-12-31")
	if len(all) != 250 {
		t.Fatalf("2023 has 250 NYSE sessions, got %d", len(all))
	}
}

func TestOCC(t *testing.T) {
	c, err := ParseOCC("O:SPY240701C00545000")
	if err != nil || c.Underlying != "SPY" || c.Expiry != "2024-07-01" || c.Type != 'C' || c.Strike != 545 {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = ParseOCC("SPY240701P00545500")
	if err != nil || c.Strike != 545.5 || c.Symbol != "O:SPY240701P00545500" {
		t.Fatalf("%+v %v", c, err)
	}
	s, _ := OCCSymbol("AAPL", "2024-12-20", 'P', 222.5)
	if s != "O:AAPL241220P00222500" {
		t.Fatal(s)
	}
	for _, bad := range []string{"", "O:", "SPY240701X00545000", "SPY241301C00545000", "spy240701C00545000", "240701C00545000"} {
		if _, err := ParseOCC(bad); err == nil {
			t.Errorf("ParseOCC(%q) accepted", bad)
		}
	}
}
