package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
)

// TokenPrefix starts every issued token, so a leaked one is recognisable in
// secret scanners.
const TokenPrefix = "sl_"

// NewToken draws 32 random bytes from rnd and returns the clear token (shown
// once), its SHA-256 hex (the only form stored) and its record for userID.
func NewToken(rnd io.Reader, userID string, now time.Time) (clear, hash string, rec Token, err error) {
	var b [32]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", "", Token{}, fmt.Errorf("token: %w", err)
	}
	clear = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	hash = HashToken(clear)
	var id [6]byte
	if _, err := io.ReadFull(rnd, id[:]); err != nil {
		return "", "", Token{}, fmt.Errorf("token id: %w", err)
	}
	rec = Token{ID: "tok_" + hex.EncodeToString(id[:]), UserID: userID, Prefix: clear[:len(TokenPrefix)+4], CreatedAt: now.UTC()}
	return clear, hash, rec, nil
}

// HashToken is the stored form of a token: SHA-256, lower-case hex.
func HashToken(tok string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return hex.EncodeToString(sum[:])
}

// SameHash compares two token hashes in constant time.
func SameHash(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
