package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"sigmalab/engine/doc"
	"sigmalab/engine/errs"
	"sigmalab/engine/policy"
)

// Pack is a built-in bundle of model configs, indicator sets, policy templates
// and model templates, read from PacksFS and decoded once at load:
//
//	<pack>/pack.yaml                  meta (id, name, description, default_template, …)
//	<pack>/indicator_sets/<name>.yaml {name, version, description, indicators:[{name, params…}]}
//	<pack>/model_configs/<id>.yaml    model config documents
//	<pack>/policy_templates/<id>.yaml policies (flat or wrapped under "policy:")
//	<pack>/model_templates/<id>.yaml  {template_id, name, pack, template_version, asset_type,
//	                                   horizon, cadence, config:{…}, policy:{…}}
type Pack struct {
	ID string
	// Meta is pack.yaml as written (echoed by GET /packs); DefaultTemplate is read from it.
	Meta            map[string]any
	DefaultTemplate string
	// IndicatorSets are documents: indicators.SetFromMap decodes them where a build uses one.
	IndicatorSets map[string]map[string]any // by file stem
	ModelConfigs  map[string]ModelConfig    // by file stem (= model id)
	Policies      map[string]policy.Policy  // by file stem (model id or "default")
	Templates     map[string]ModelTemplate  // by template_id
}

// ModelTemplate scaffolds a model (POST /models): its config and first policy.
type ModelTemplate struct {
	TemplateID      string
	Name            string
	Pack            string
	Description     string
	AssetType       string
	Horizon         string
	Cadence         string
	TemplateVersion *int
	Config          ModelConfig
	Policy          *policy.Policy // nil: the pack's default policy
}

// packCache holds the parsed built-in packs, loaded once from PacksFS.
type packCache struct {
	once  sync.Once
	packs map[string]*Pack
	ids   []string
	err   error
}

// loadPacks parses PacksFS once. A malformed built-in pack is a build defect,
// reported on every call rather than half-loaded.
func (l *Lab) loadPacks() (map[string]*Pack, []string, error) {
	c := &l.packs
	c.once.Do(func() {
		c.packs = map[string]*Pack{}
		if l.PacksFS == nil {
			return
		}
		ents, err := fs.ReadDir(l.PacksFS, ".")
		if err != nil {
			c.err = fmt.Errorf("read packs: %w", err)
			return
		}
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			p, err := readPack(l.PacksFS, e.Name())
			if err != nil {
				c.err = err
				return
			}
			c.packs[p.ID] = p
			c.ids = append(c.ids, p.ID)
		}
		sort.Strings(c.ids)
	})
	return c.packs, c.ids, c.err
}

func readPack(fsys fs.FS, id string) (*Pack, error) {
	p := &Pack{ID: id, Meta: map[string]any{}}
	if err := readYAML(fsys, path.Join(id, "pack.yaml"), &p.Meta); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	p.DefaultTemplate, _ = p.Meta["default_template"].(string)
	var err error
	if p.IndicatorSets, err = readDir(fsys, path.Join(id, "indicator_sets")); err != nil {
		return nil, err
	}
	cfgs, err := readDir(fsys, path.Join(id, "model_configs"))
	if err != nil {
		return nil, err
	}
	p.ModelConfigs = map[string]ModelConfig{}
	for stem, d := range cfgs {
		c, pr := DecodeModelConfig(d)
		if err := pr.Err(); err != nil {
			return nil, fmt.Errorf("pack file %s/model_configs/%s.yaml: %w", id, stem, err)
		}
		p.ModelConfigs[stem] = c
	}
	pols, err := readDir(fsys, path.Join(id, "policy_templates"))
	if err != nil {
		return nil, err
	}
	p.Policies = map[string]policy.Policy{}
	for stem, d := range pols {
		pol, pr := policy.Decode(d)
		if err := pr.Err(); err != nil {
			return nil, fmt.Errorf("pack file %s/policy_templates/%s.yaml: %w", id, stem, err)
		}
		p.Policies[stem] = pol
	}
	tpls, err := readDir(fsys, path.Join(id, "model_templates"))
	if err != nil {
		return nil, err
	}
	p.Templates = map[string]ModelTemplate{}
	for stem, d := range tpls {
		t, err := decodeTemplate(d, stem, id)
		if err != nil {
			return nil, fmt.Errorf("pack file %s/model_templates/%s.yaml: %w", id, stem, err)
		}
		p.Templates[t.TemplateID] = t
	}
	return p, nil
}

// decodeTemplate reads a model template; its config and policy must validate.
func decodeTemplate(d map[string]any, stem, pack string) (ModelTemplate, error) {
	pr := &doc.Problems{}
	r := doc.Object(d, pr)
	t := ModelTemplate{TemplateID: r.Str("template_id"), Name: r.Str("name"), Pack: pack, Description: r.Str("description"),
		AssetType: r.Str("asset_type"), Horizon: r.Str("horizon"), Cadence: r.Str("cadence"),
		TemplateVersion: r.Int("template_version")}
	if t.TemplateID == "" {
		t.TemplateID = stem
	}
	if t.Name == "" {
		t.Name = t.TemplateID
	}
	if raw, ok := r.Raw("config"); ok {
		c, cpr := DecodeModelConfig(raw)
		for _, f := range cpr.Fields {
			pr.Add(append([]string{"config"}, f.Loc...), f.Msg, f.Type)
		}
		t.Config = c
	}
	if raw, ok := r.Raw("policy"); ok {
		pol, ppr := policy.Decode(raw)
		for _, f := range ppr.Fields {
			pr.Add(append([]string{"policy"}, f.Loc...), f.Msg, f.Type)
		}
		t.Policy = &pol
	}
	return t, pr.Err()
}

func readDir(fsys fs.FS, dir string) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	ents, err := fs.ReadDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			continue
		}
		d := map[string]any{}
		if err := readYAML(fsys, path.Join(dir, name), &d); err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(strings.TrimSuffix(name, ".yaml"), ".yml")] = d
	}
	return out, nil
}

func readYAML(fsys fs.FS, name string, dst *map[string]any) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, dst); err != nil {
		return fmt.Errorf("pack file %s: %w", name, err)
	}
	if *dst == nil {
		*dst = map[string]any{}
	}
	*dst = doc.Copy(*dst).(map[string]any)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// PackSummary is one entry of GET /packs.
type PackSummary struct {
	ID   string         `json:"id"`
	Meta map[string]any `json:"meta"`
}

// TemplateInfo describes a model template in listings.
type TemplateInfo struct {
	TemplateID      string `json:"template_id"`
	Name            string `json:"name"`
	Pack            string `json:"pack"`
	Description     string `json:"description,omitempty"`
	AssetType       string `json:"asset_type,omitempty"`
	Horizon         string `json:"horizon,omitempty"`
	Cadence         string `json:"cadence,omitempty"`
	TemplateVersion *int   `json:"template_version"`
}

// NamedItem is {"name": …}, the predecessor's listing shape for indicator sets.
type NamedItem struct {
	Name string `json:"name"`
}

// PackDetail is GET /packs/{id}.
type PackDetail struct {
	ID            string         `json:"id"`
	Meta          map[string]any `json:"meta"`
	IndicatorSets []NamedItem    `json:"indicator_sets"`
	Templates     []TemplateInfo `json:"templates"`
	Models        []string       `json:"models"`
	Policies      []string       `json:"policies"`
}

// ListPacks lists the built-in packs sorted by id.
func (l *Lab) ListPacks(context.Context) ([]PackSummary, error) {
	packs, ids, err := l.loadPacks()
	if err != nil {
		return nil, err
	}
	out := make([]PackSummary, 0, len(ids))
	for _, id := range ids {
		out = append(out, PackSummary{ID: id, Meta: packs[id].Meta})
	}
	return out, nil
}

// Pack returns a built-in pack or ErrNotFound.
func (l *Lab) Pack(id string) (*Pack, error) {
	packs, _, err := l.loadPacks()
	if err != nil {
		return nil, err
	}
	p, ok := packs[id]
	if !ok {
		return nil, fmt.Errorf("pack %s: %w", id, errs.ErrNotFound)
	}
	return p, nil
}

// GetPack describes one pack.
func (l *Lab) GetPack(_ context.Context, id string) (PackDetail, error) {
	p, err := l.Pack(id)
	if err != nil {
		return PackDetail{}, err
	}
	d := PackDetail{ID: p.ID, Meta: p.Meta, IndicatorSets: packSetNames(p), Templates: packTemplates(p),
		Models: sortedKeys(p.ModelConfigs), Policies: sortedKeys(p.Policies)}
	return d, nil
}

func packSetNames(p *Pack) []NamedItem {
	out := []NamedItem{}
	for _, k := range sortedKeys(p.IndicatorSets) {
		out = append(out, NamedItem{Name: k})
	}
	return out
}

func packTemplates(p *Pack) []TemplateInfo {
	out := []TemplateInfo{}
	for _, k := range sortedKeys(p.Templates) {
		t := p.Templates[k]
		out = append(out, TemplateInfo{TemplateID: k, Name: t.Name, Pack: p.ID, Description: t.Description,
			AssetType: t.AssetType, Horizon: t.Horizon, Cadence: t.Cadence, TemplateVersion: t.TemplateVersion})
	}
	return out
}

// PackTemplates lists a pack's model templates.
func (l *Lab) PackTemplates(_ context.Context, id string) ([]TemplateInfo, error) {
	p, err := l.Pack(id)
	if err != nil {
		return nil, err
	}
	return packTemplates(p), nil
}

// PackIndicatorSets lists a pack's indicator set names.
func (l *Lab) PackIndicatorSets(_ context.Context, id string) ([]NamedItem, error) {
	p, err := l.Pack(id)
	if err != nil {
		return nil, err
	}
	return packSetNames(p), nil
}

// ModelTemplates lists the templates of one pack, or of every pack when pack is "".
func (l *Lab) ModelTemplates(ctx context.Context, pack string) ([]TemplateInfo, error) {
	if pack != "" {
		return l.PackTemplates(ctx, pack)
	}
	packs, ids, err := l.loadPacks()
	if err != nil {
		return nil, err
	}
	out := []TemplateInfo{}
	for _, id := range ids {
		out = append(out, packTemplates(packs[id])...)
	}
	return out, nil
}

// SeedPacks stores every built-in model config (and its policy: the pack's
// policy template named after the model, else the pack's default) that the
// store does not hold yet, so GET /models lists the shipped models on a fresh
// data dir. Existing (possibly edited) models are never overwritten.
func (l *Lab) SeedPacks(ctx context.Context) (int, error) {
	packs, ids, err := l.loadPacks()
	if err != nil {
		return 0, err
	}
	n := 0
	now := l.now()
	for _, id := range ids {
		p := packs[id]
		for _, mid := range sortedKeys(p.ModelConfigs) {
			if _, err := l.Configs.GetModel(ctx, mid); err == nil {
				continue
			} else if !errors.Is(err, errs.ErrNotFound) {
				return n, err
			}
			cfg := p.ModelConfigs[mid]
			cfg.ModelID = mid
			pol, ok := p.Policies[mid]
			if !ok {
				pol, ok = p.Policies["default"]
			}
			if !ok {
				pol = policy.Empty()
			}
			_, err := l.Configs.CreateModel(ctx,
				ModelRecord{ModelID: mid, PackID: id, Config: cfg.Doc(), CreatedAt: now, UpdatedAt: now},
				PolicyRecord{ModelID: mid, PackID: id, Policy: pol.Doc(), CreatedAt: now})
			if err != nil && !errors.Is(err, errs.ErrConflict) {
				return n, fmt.Errorf("seed model %s: %w", mid, err)
			}
			if err == nil {
				n++
			}
		}
	}
	return n, nil
}
