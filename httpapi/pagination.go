package httpapi

// Limits of every list endpoint (SPEC §6).
const (
	MinLimit = 1
	MaxLimit = 500
)

// Page is a validated limit/offset pair.
type Page struct {
	Limit  int
	Offset int
}

// Page reads limit (default def, clamped to 1..500) and offset (≥0; negative is
// a 422). A non-integer limit or offset is a 422.
func (q *Query) Page(def int) Page {
	p := Page{Limit: def}
	if q.Has("limit") {
		p.Limit = q.Int("limit", def, -1<<31, 1<<31)
	}
	p.Limit = min(max(p.Limit, MinLimit), MaxLimit)
	p.Offset = q.Int("offset", 0, 0, 1<<31)
	return p
}

// PageInfo is the pagination part of a list response; embed it in the response
// struct (its fields are promoted into the envelope).
type PageInfo struct {
	Limit      int  `json:"limit"`
	Offset     int  `json:"offset"`
	NextOffset *int `json:"next_offset"`
	Total      *int `json:"total,omitempty"`
}

// Info builds PageInfo for a page that returned n rows out of total (total < 0
// when unknown: then a full page is assumed to have a successor).
func (p Page) Info(n, total int) PageInfo {
	pi := PageInfo{Limit: p.Limit, Offset: p.Offset}
	next := p.Offset + n
	if total >= 0 {
		t := total
		pi.Total = &t
		if n > 0 && next < total {
			pi.NextOffset = &next
		}
	} else if n >= p.Limit {
		pi.NextOffset = &next
	}
	return pi
}

// Window returns the [lo, hi) slice bounds of this page within n items.
func (p Page) Window(n int) (lo, hi int) {
	lo = min(p.Offset, n)
	hi = min(lo+p.Limit, n)
	return lo, hi
}

// PageOf returns the page p of items (never nil, so it encodes as []) and its
// PageInfo with the total: the one way a list answered from memory (packs,
// templates, indicators, coverage, expirations) is paginated.
func PageOf[T any](items []T, p Page) ([]T, PageInfo) {
	lo, hi := p.Window(len(items))
	out := items[lo:hi:hi]
	if out == nil {
		out = []T{}
	}
	return out, p.Info(len(out), len(items))
}
