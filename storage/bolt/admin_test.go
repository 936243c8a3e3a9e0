package bolt_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"sigmalab/engine/admin"
	"sigmalab/engine/errs"
	"sigmalab/storage/bolt"
)

func openAdmin(t *testing.T) *bolt.Admin {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "lab.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db.Admin()
}

// TestAuditInSameTransaction: a committed change carries its audit row (in_tx)
// and a refused one leaves none until FinishAudit records the refusal.
func TestAuditInSameTransaction(t *testing.T) {
	a := openAdmin(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	pending := func() (*admin.PendingAudit, context.Context) {
		p := &admin.PendingAudit{Entry: admin.AuditEntry{At: at, Method: "POST", Route: "/admin/users", User: "root"}}
		return p, admin.WithAudit(context.Background(), p)
	}
	u := admin.User{ID: "ann", Role: admin.Viewer, Status: admin.Active, CreatedAt: at}
	p, ctx := pending()
	if err := a.CreateUser(ctx, u, admin.Token{ID: "tok_1", UserID: "ann"}, admin.HashToken("secret")); err != nil {
		t.Fatal(err)
	}
	rows, total, _ := a.ListAudit(context.Background(), admin.AuditFilter{AnyUser: true})
	if total != 1 || !rows[0].InTx || rows[0].Status != 200 {
		t.Fatalf("after the change: %d rows %+v", total, rows)
	}
	p.Set(func(e *admin.AuditEntry) { e.Status = 201 })
	if err := a.FinishAudit(ctx, p); err != nil {
		t.Fatal(err)
	}
	rows, total, _ = a.ListAudit(context.Background(), admin.AuditFilter{AnyUser: true})
	if total != 1 || rows[0].Status != 201 {
		t.Fatalf("finished: %d rows %+v", total, rows)
	}

	// The same id again: the transaction fails, so no row is written with it.
	p, ctx = pending()
	if err := a.CreateUser(ctx, u, admin.Token{ID: "tok_2", UserID: "ann"}, admin.HashToken("other")); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("duplicate user: %v", err)
	}
	if _, total, _ = a.ListAudit(context.Background(), admin.AuditFilter{AnyUser: true}); total != 1 {
		t.Fatalf("a failed transaction stored an audit row: %d", total)
	}
	if _, err := a.LookupToken(context.Background(), admin.HashToken("other")); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("the failed create stored its token: %v", err)
	}
	p.Set(func(e *admin.AuditEntry) { e.Status = 409 })
	if err := a.FinishAudit(ctx, p); err != nil {
		t.Fatal(err)
	}
	rows, total, _ = a.ListAudit(context.Background(), admin.AuditFilter{AnyUser: true})
	if total != 2 || rows[0].InTx || rows[0].Status != 409 {
		t.Fatalf("refusal row: %d rows %+v", total, rows)
	}
}

func TestTokensRotateAndQuotaCounts(t *testing.T) {
	a := openAdmin(t)
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	if err := a.CreateUser(ctx, admin.User{ID: "bo", Role: admin.Researcher, Status: admin.Active}, admin.Token{ID: "t1", UserID: "bo"}, "h1"); err != nil {
		t.Fatal(err)
	}
	if err := a.RotateToken(ctx, "bo", admin.Token{ID: "t2", UserID: "bo", CreatedAt: at}, "h2"); err != nil {
		t.Fatal(err)
	}
	old, _ := a.LookupToken(ctx, "h1")
	cur, _ := a.LookupToken(ctx, "h2")
	if !old.Revoked || cur.Revoked {
		t.Fatalf("after rotate: old %+v new %+v", old, cur)
	}
	for i, want := range []bool{true, true, false} {
		n, added, err := a.CountUse(ctx, "bo", "2026-01-02", admin.KindSweep, 2)
		if err != nil || added != want || n != min(i, 2) {
			t.Fatalf("use %d: n=%d added=%v err=%v", i+1, n, added, err)
		}
	}
	if err := a.ReleaseUse(ctx, "bo", "2026-01-02", admin.KindSweep); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.Uses(ctx, "bo", "2026-01-02", admin.KindSweep); n != 1 {
		t.Fatalf("after a refund: %d", n)
	}
	if n, _ := a.Uses(ctx, "bo", "2026-01-03", admin.KindSweep); n != 0 {
		t.Fatalf("a new day starts at 0: %d", n)
	}
}
