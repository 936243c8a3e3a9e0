package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine/admin"
	"sigmalab/engine/errs"
)

// Templates: pack_id|template_id|be(version) → admin.Template. Versions are
// never overwritten except to set the published mark on the latest.

// ListTemplates implements admin.Store: the latest version of each template
// (or, with PublishedOnly, the latest published version).
func (a *Admin) ListTemplates(_ context.Context, f admin.TemplateFilter) ([]admin.Template, error) {
	var out []admin.Template
	err := a.db.b.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket([]byte(BucketTemplates)).Cursor()
		var prefix []byte
		if f.PackID != "" {
			prefix = Prefix(f.PackID)
		}
		var cur *admin.Template
		flush := func() {
			if cur != nil {
				out = append(out, *cur)
				cur = nil
			}
		}
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var t admin.Template
			if err := json.Unmarshal(v, &t); err != nil {
				return err
			}
			if cur != nil && (cur.PackID != t.PackID || cur.TemplateID != t.TemplateID) {
				flush()
			}
			if f.PublishedOnly && !t.Published {
				continue
			}
			cur = &t
		}
		flush()
		return nil
	})
	return out, err
}

// TemplateVersions implements admin.Store.
func (a *Admin) TemplateVersions(_ context.Context, packID, id string) ([]admin.Template, error) {
	var out []admin.Template
	err := a.db.b.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket([]byte(BucketTemplates)).Cursor()
		p := Prefix(packID, id)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			var t admin.Template
			if err := json.Unmarshal(v, &t); err != nil {
				return err
			}
			out = append(out, t)
		}
		if len(out) == 0 {
			return errs.Msgf(errs.ErrNotFound, "template %q not found in pack %q", id, packID)
		}
		return nil
	})
	return out, err
}

// PutTemplate implements admin.Store.
func (a *Admin) PutTemplate(ctx context.Context, t *admin.Template, create bool) error {
	return a.db.UpdateAudited(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketTemplates))
		k, _ := LastWithPrefix(b, Prefix(t.PackID, t.TemplateID))
		switch {
		case k != nil && create:
			return errs.Msgf(errs.ErrConflict, "template %q already exists in pack %q", t.TemplateID, t.PackID)
		case k == nil && !create:
			return errs.Msgf(errs.ErrNotFound, "template %q not found in pack %q", t.TemplateID, t.PackID)
		}
		t.Version = 1
		if k != nil {
			_, n := SplitKeyU64(k)
			t.Version = int(n) + 1
		}
		t.Published, t.PublishedAt = false, nil
		return PutJSON(b, Key(t.PackID, t.TemplateID, uint64(t.Version)), t)
	})
}

// PublishTemplate implements admin.Store.
func (a *Admin) PublishTemplate(ctx context.Context, packID, id string, at time.Time, _ string) (admin.Template, error) {
	var t admin.Template
	err := a.db.UpdateAudited(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketTemplates))
		k, v := LastWithPrefix(b, Prefix(packID, id))
		if k == nil {
			return errs.Msgf(errs.ErrNotFound, "template %q not found in pack %q", id, packID)
		}
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		at := at.UTC()
		t.Published, t.PublishedAt = true, &at
		return PutJSON(b, bytes.Clone(k), t)
	})
	return t, err
}
