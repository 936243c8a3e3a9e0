package matrix

// Column names that several packages read or write. The key columns are the
// Matrix's own fields (TS, Date, HourET, T1) under their file and API names.
const (
	TSCol     = "ts"      // row time (bar start), unix ms UTC
	DateCol   = "date"    // ET session date YYYY-MM-DD
	HourETCol = "hour_et" // ET hour of the bar
	T1Col     = "t1"      // label end time, unix ms UTC

	// Label columns besides LabelCol and RetFwdCol (labels.go).
	SynLabelCol       = "y_syn"             // copy of the label under the predecessor's synthetic-label name
	RetNextHourCol    = "ret_next_hour"     // ret_fwd of a next_hour label
	RetCloseToOpenCol = "ret_close_to_open" // ret_fwd of a close_to_open label

	// Bar columns.
	OpenCol   = "open"
	HighCol   = "high"
	LowCol    = "low"
	CloseCol  = "close"
	VolumeCol = "volume"

	// Prefixes of the 0DTE flow columns; the strike distance follows (d-3, d0, d2).
	CallsSoldPrefix    = "calls_sold_d"
	PutsSoldPrefix     = "puts_sold_d"
	CallsPremiumPrefix = "calls_premium_d"
	PutsPremiumPrefix  = "puts_premium_d"
)

// IsKeyCol reports whether name is one of the key columns.
func IsKeyCol(name string) bool {
	return name == TSCol || name == DateCol || name == HourETCol || name == T1Col
}
