// Package et is the America/New_York time zone that sessions, ET hours and
// option expiries are read in, loaded once from the embedded zone data. It is
// a leaf (no imports of ours), so the pure-math packages may use it too.
package et

import (
	"sync"
	"time"
	_ "time/tzdata" // the zone is embedded: no dependency on the host's zoneinfo
)

var newYork = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		// The embedded tzdata always has the zone; failing here means a broken build.
		panic("et: America/New_York missing from embedded tzdata: " + err.Error())
	}
	return loc
})

// Location returns America/New_York.
func Location() *time.Location { return newYork() }
