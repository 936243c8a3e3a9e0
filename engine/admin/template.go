package admin

import (
	"encoding/json"
	"time"

	"sigmalab/engine/errs"
)

// Template is one version of an admin-managed model template. Versions are
// kept; a published version appears in GET /model_templates and POST /models
// may name it.
type Template struct {
	PackID      string          `json:"pack_id"`
	TemplateID  string          `json:"template_id"`
	Version     int             `json:"version"`
	Name        string          `json:"name"`
	Horizon     string          `json:"horizon,omitempty"`
	Cadence     string          `json:"cadence,omitempty"`
	Config      json.RawMessage `json:"config,omitempty"` // the model config document the template creates
	Published   bool            `json:"published"`
	PublishedAt *time.Time      `json:"published_at,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	CreatedBy   string          `json:"created_by,omitempty"`
}

// TemplateFilter selects templates (latest version of each).
type TemplateFilter struct {
	PackID        string
	PublishedOnly bool
}

// TemplateBody is the body of POST /admin/templates and PATCH /admin/templates/{id}.
type TemplateBody struct {
	PackID     string          `json:"pack_id"`
	TemplateID string          `json:"template_id"`
	Name       *string         `json:"name"`
	Horizon    *string         `json:"horizon"`
	Cadence    *string         `json:"cadence"`
	Config     json.RawMessage `json:"config"`
}

// Apply validates b (create: template_id, pack_id and name required) and applies it to t.
func (b TemplateBody) Apply(t *Template, create bool) error {
	v := &errs.Validation{}
	if create {
		if !ValidID(b.TemplateID) {
			v.Add("body", "template_id", "required: an id matching ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
		}
		if !ValidID(b.PackID) {
			v.Add("body", "pack_id", "required: a pack id", "value_error")
		}
		if b.Name == nil {
			v.Add("body", "name", "required", "value_error")
		}
		t.TemplateID, t.PackID = b.TemplateID, b.PackID
	}
	str := func(name string, src *string, dst *string, required bool) {
		if src == nil {
			return
		}
		if len(*src) > 200 || (required && *src == "") {
			v.Add("body", name, "must be 1..200 characters", "value_error")
			return
		}
		*dst = *src
	}
	str("name", b.Name, &t.Name, true)
	str("horizon", b.Horizon, &t.Horizon, false)
	str("cadence", b.Cadence, &t.Cadence, false)
	if len(b.Config) > 0 && string(b.Config) != "null" {
		var m map[string]any
		if err := json.Unmarshal(b.Config, &m); err != nil {
			v.Add("body", "config", "must be a JSON object", "type_error")
		} else {
			t.Config = b.Config
		}
	}
	if !create && b.Name == nil && b.Horizon == nil && b.Cadence == nil && len(b.Config) == 0 {
		v.Add("body", "name", "nothing to change: give name, horizon, cadence or config", "value_error")
	}
	return v.Err()
}
