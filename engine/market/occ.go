package market

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Contract is an option contract identified by its OCC symbol.
type Contract struct {
	Symbol     string // "O:" + underlying + YYMMDD + C|P + strike×1000 as 8 digits
	Underlying string
	Expiry     string // YYYY-MM-DD
	Type       byte   // 'C' or 'P'
	Strike     float64
}

// OCCSymbol formats the OCC symbol (with the "O:" prefix) of a contract.
func OCCSymbol(underlying, expiry string, typ byte, strike float64) (string, error) {
	t, err := time.Parse(DateLayout, expiry)
	if err != nil {
		return "", fmt.Errorf("bad expiry %q", expiry)
	}
	if typ != 'C' && typ != 'P' {
		return "", fmt.Errorf("bad option type %q", typ)
	}
	k := math.Round(strike * 1000)
	if k <= 0 || k > 99_999_999 {
		return "", fmt.Errorf("bad strike %g", strike)
	}
	return fmt.Sprintf("O:%s%s%c%08d", underlying, t.Format("060102"), typ, int64(k)), nil
}

// NewContract builds a contract from its parts.
func NewContract(underlying, expiry string, typ byte, strike float64) (Contract, error) {
	sym, err := OCCSymbol(underlying, expiry, typ, strike)
	if err != nil {
		return Contract{}, err
	}
	return Contract{Symbol: sym, Underlying: underlying, Expiry: expiry, Type: typ, Strike: math.Round(strike*1000) / 1000}, nil
}

// ParseOCC parses an OCC symbol with or without the "O:" prefix
// (e.g. O:SPY240701C00545000 = SPY 2024-07-01 545 call).
func ParseOCC(s string) (Contract, error) {
	body := strings.TrimPrefix(s, "O:")
	// The fixed-width tail is YYMMDD + C|P + 8 digits = 15 characters.
	if len(body) < 16 {
		return Contract{}, fmt.Errorf("bad OCC symbol %q", s)
	}
	u, tail := body[:len(body)-15], body[len(body)-15:]
	exp, err := time.Parse("060102", tail[:6])
	if err != nil {
		return Contract{}, fmt.Errorf("bad OCC symbol %q: expiry", s)
	}
	typ := tail[6]
	if typ != 'C' && typ != 'P' {
		return Contract{}, fmt.Errorf("bad OCC symbol %q: type", s)
	}
	k, err := strconv.ParseInt(tail[7:], 10, 64)
	if err != nil || k <= 0 {
		return Contract{}, fmt.Errorf("bad OCC symbol %q: strike", s)
	}
	if !validTicker(u) {
		return Contract{}, fmt.Errorf("bad OCC symbol %q: underlying", s)
	}
	return Contract{Symbol: "O:" + body, Underlying: u, Expiry: exp.Format(DateLayout), Type: typ, Strike: float64(k) / 1000}, nil
}

// validTicker applies the API's ticker rule ^[A-Z][A-Z0-9.\-]{0,9}$.
func validTicker(s string) bool {
	if len(s) < 1 || len(s) > 10 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// ValidTicker reports whether s is an upper-case ticker acceptable as a storage key.
func ValidTicker(s string) bool { return validTicker(s) }
