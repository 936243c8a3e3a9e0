package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/gowebpki/jcs"
)

// Lineage hashes of documents (model config, policy, indicator set,
// hyperparameters) are sha256 over the document's RFC 8785 canonical JSON
// (JCS): object keys sorted by UTF-16 code units, no whitespace, strings with
// only the mandatory escapes (so "<" stays "<", not Go's "\u003c"), and numbers
// in the shortest ECMAScript form (1.0 is "1", 1e21 is "1e+21"). Anyone can
// recompute one from the document the API returns, e.g. in Python:
//
//	import hashlib, rfc8785  # pip install rfc8785
//	hashlib.sha256(rfc8785.dumps(doc)).hexdigest()
//
// (json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
// gives the same bytes for documents without non-integral or huge numbers, but
// writes 1.0 where JCS writes 1.)

// CanonicalJSON returns v as RFC 8785 canonical JSON.
func CanonicalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jcs.Transform(b)
}

// CanonicalSHA is the lowercase hex sha256 of v's canonical JSON, "" when v
// cannot be encoded (a NaN or a channel, never a stored document).
func CanonicalSHA(v any) string {
	b, err := CanonicalJSON(v)
	if err != nil {
		return ""
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// canonicalSHA is CanonicalSHA, under the name the build and train code use.
func canonicalSHA(v any) string { return CanonicalSHA(v) }
