package admin

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"sigmalab/engine/errs"
)

func TestRolesAllow(t *testing.T) {
	cases := []struct {
		have, need Role
		ok         bool
	}{
		{Viewer, Viewer, true}, {Viewer, Researcher, false}, {Researcher, Viewer, true},
		{Researcher, AdminRole, false}, {AdminRole, Researcher, true}, {Role("root"), Viewer, false},
	}
	for _, c := range cases {
		if got := c.have.Allows(c.need); got != c.ok {
			t.Errorf("%s allows %s = %v, want %v", c.have, c.need, got, c.ok)
		}
	}
}

func TestNewTokenIsRandomAndHashed(t *testing.T) {
	rnd := bytes.NewReader(bytes.Repeat([]byte{7}, 100))
	clear, hash, rec, err := NewToken(rnd, "ann", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(clear, TokenPrefix) || len(clear) != len(TokenPrefix)+43 {
		t.Fatalf("token %q: want sl_ + 43 base64url characters (32 bytes)", clear)
	}
	if hash != HashToken(clear) || len(hash) != 64 || strings.Contains(hash, clear) {
		t.Fatalf("hash %q", hash)
	}
	if rec.Prefix != clear[:7] || rec.UserID != "ann" || !strings.HasPrefix(rec.ID, "tok_") {
		t.Fatalf("record %+v", rec)
	}
	if !SameHash(hash, HashToken(" "+clear+" ")) || SameHash(hash, HashToken(clear+"x")) {
		t.Fatal("SameHash")
	}
	if _, _, _, err := NewToken(bytes.NewReader(nil), "ann", time.Now()); err == nil {
		t.Fatal("a failing random source must fail")
	}
}

func TestPatchesValidate(t *testing.T) {
	n, neg := 5, -1
	l := DefaultLimits()
	if err := (QuotaPatch{UserID: "ann", SweepsPerDay: &n}).Apply(&l); err != nil || l.SweepsPerDay != 5 || l.TrainPerDay != 20 {
		t.Fatalf("quota patch: %v %+v", err, l)
	}
	var ve *errs.Validation
	if err := (QuotaPatch{UserID: "ann", TrainConcurrent: &neg}).Apply(&l); !errors.As(err, &ve) || ve.Fields[0].Loc[1] != "train_concurrent" {
		t.Fatalf("negative quota: %v", err)
	}
	on := true
	fl, err := FlagsPatch{Key: FlagDataImport, Enabled: &on}.Changes(time.Unix(0, 0), "ann")
	if err != nil || len(fl) != 1 || fl[0].UpdatedBy != "ann" {
		t.Fatalf("flag patch: %v %+v", err, fl)
	}
	if _, err := (FlagsPatch{Flags: map[string]bool{"nope": true}}).Changes(time.Now(), "ann"); !errors.As(err, &ve) {
		t.Fatalf("unknown flag: %v", err)
	}
	p, _ := FindRiskProfile(DefaultRiskProfiles(), "Balanced")
	bad := 1.5
	if err := (RiskPatch{Name: "balanced", StopLoss: &bad}).Apply(&p); !errors.As(err, &ve) || p.StopLoss != 0.05 {
		t.Fatalf("risk patch: %v %+v", err, p)
	}
	if day, reset := Day(time.Date(2026, 3, 4, 23, 59, 0, 0, time.FixedZone("x", -5*3600))); day != "2026-03-05" || reset.Format(time.RFC3339) != "2026-03-06T00:00:00Z" {
		t.Fatalf("UTC day: %s %s", day, reset)
	}
}
