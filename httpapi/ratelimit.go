package httpapi

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"sigmalab/engine/admin"
)

// rateLimiter is a token bucket per key (a token's hash, else the client
// address): perMin requests a minute on average, bursts up to perMin.
type rateLimiter struct {
	perMin int
	mu     sync.Mutex
	keys   map[string]*limiterEntry
}

type limiterEntry struct {
	lim  *rate.Limiter
	last time.Time
}

// maxLimiterKeys bounds the map; idle keys are pruned beyond it, so a flood
// of client addresses cannot grow memory without end.
const maxLimiterKeys = 10000

func newRateLimiter(perMin int) *rateLimiter {
	return &rateLimiter{perMin: perMin, keys: map[string]*limiterEntry{}}
}

// allow takes one request for key at now; when refused it returns how long
// until one is allowed.
func (l *rateLimiter) allow(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	if e == nil {
		l.prune(now)
		e = &limiterEntry{lim: rate.NewLimiter(rate.Limit(float64(l.perMin)/60), l.perMin)}
		l.keys[key] = e
	}
	e.last = now
	res := e.lim.ReserveN(now, 1)
	if !res.OK() {
		return time.Minute, false
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}

// prune drops keys idle for a minute or more (their bucket is full again, so
// forgetting them changes nothing) once the map is large.
func (l *rateLimiter) prune(now time.Time) {
	if len(l.keys) < maxLimiterKeys {
		return
	}
	for k, e := range l.keys {
		if now.Sub(e.last) >= time.Minute {
			delete(l.keys, k)
		}
	}
	if len(l.keys) >= maxLimiterKeys {
		// Everyone is active: start over rather than grow without bound.
		clear(l.keys)
	}
}

// rateKey is the bucket of a request: its first token's hash, else its client address.
func rateKey(r *http.Request, c credentials) string {
	if len(c.tokens) > 0 {
		return "t:" + admin.HashToken(c.tokens[0])
	}
	return "a:" + clientAddr(r)
}

// clientAddr is the request's peer IP (no port).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// setRetryAfter sets Retry-After to d in whole seconds (at least 1).
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))))
}
