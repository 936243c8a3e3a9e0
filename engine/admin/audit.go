package admin

import (
	"context"
	"sync"
	"time"
)

// AuditEntry is one mutating request: who, what, on which target, when, the
// outcome and the digest of the body (never the body: it may hold secrets).
type AuditEntry struct {
	ID         uint64    `json:"id"`
	At         time.Time `json:"at"`
	User       string    `json:"user"` // "" for anonymous loopback requests
	Method     string    `json:"method"`
	Route      string    `json:"route"`  // the route pattern, e.g. /admin/users/:user_id
	Path       string    `json:"path"`   // the path asked for
	Action     string    `json:"action"` // METHOD route
	TargetID   string    `json:"target_id,omitempty"`
	Status     int       `json:"status"`
	BodySHA256 string    `json:"body_sha256,omitempty"`
	Client     string    `json:"client"`
	// InTx says the row was written in the same transaction as the change it records.
	InTx bool `json:"in_tx"`
}

// AuditFilter selects audit rows, newest first.
type AuditFilter struct {
	User     string // exact; "" = all (see AnyUser)
	AnyUser  bool   // when false, User "" selects anonymous rows only
	Action   string // substring of Action
	From, To time.Time
	Limit    int
	Offset   int
}

// Match reports whether e passes the field conditions.
func (f AuditFilter) Match(e *AuditEntry) bool {
	if !f.AnyUser && e.User != f.User {
		return false
	}
	if f.Action != "" && !containsFold(e.Action, f.Action) {
		return false
	}
	if !f.From.IsZero() && e.At.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && e.At.After(f.To) {
		return false
	}
	return true
}

func containsFold(s, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if equalFold(s[i:i+n], sub) {
			return true
		}
	}
	return false
}

func equalFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// PendingAudit is the audit entry of the request in flight. The HTTP layer puts
// it in the request context; a store write appends it inside its transaction
// (MarkStored), and the HTTP layer finishes it after the response (status).
type PendingAudit struct {
	mu     sync.Mutex
	Entry  AuditEntry
	stored bool
}

type pendingKey struct{}

// WithAudit returns ctx carrying p.
func WithAudit(ctx context.Context, p *PendingAudit) context.Context {
	return context.WithValue(ctx, pendingKey{}, p)
}

// AuditFrom returns the pending entry of ctx, or nil.
func AuditFrom(ctx context.Context) *PendingAudit {
	p, _ := ctx.Value(pendingKey{}).(*PendingAudit)
	return p
}

// Claim returns the entry to write in a transaction, if it is not stored yet;
// commit (called with the new id after the transaction committed) marks it
// stored. One request stores one row.
func (p *PendingAudit) Claim() (AuditEntry, bool) {
	if p == nil {
		return AuditEntry{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stored {
		return AuditEntry{}, false
	}
	e := p.Entry
	e.InTx = true
	// Written before the response: the change committed, so the tentative
	// outcome is success; FinishAudit records the real status.
	if e.Status == 0 {
		e.Status = 200
	}
	return e, true
}

// Stored records that the entry was written with id.
func (p *PendingAudit) Stored(id uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stored, p.Entry.ID, p.Entry.InTx = true, id, true
}

// Snapshot returns the entry and whether it is stored.
func (p *PendingAudit) Snapshot() (AuditEntry, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Entry, p.stored
}

// Set changes the entry under the lock (user, target, status, digest).
func (p *PendingAudit) Set(fn func(e *AuditEntry)) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(&p.Entry)
}
