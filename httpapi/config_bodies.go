package httpapi

// The bodies of the config and policy writes. Config, policy and indicator-set
// documents are decoded and validated by the engine (ModelConfig, policy.Policy,
// indicators.Set) before anything is stored; here they are the documents as
// sent, which the API answers field by field (422 with loc under the document).

// PutModelConfigBody is the body of PUT /model_config.
type PutModelConfigBody struct {
	PackID  string         `json:"pack_id"`
	ModelID string         `json:"model_id"`
	Config  map[string]any `json:"config"` // the whole model config (a new version)
}

// PutIndicatorSetBody is the body of PUT /indicator_set.
type PutIndicatorSetBody struct {
	PackID  string         `json:"pack_id"`
	Scope   string         `json:"scope"` // pack (by name) or model (by model_id)
	ModelID string         `json:"model_id"`
	Name    string         `json:"name"`
	Data    map[string]any `json:"data"` // {name, indicators: [name | {name, params…}]}
}

// PutPolicyBody is the body of PUT /policy.
type PutPolicyBody struct {
	ModelID     string         `json:"model_id"`
	PackID      string         `json:"pack_id"`
	Policy      map[string]any `json:"policy"`       // risk, execution, alerting sections
	BumpVersion *bool          `json:"bump_version"` // false edits the latest version in place (default true)
}

// PatchModelBody is the body of PATCH /models/{model_id}: an RFC 7396 merge
// patch of the model's config.
type PatchModelBody struct {
	PackID string         `json:"pack_id"`
	Config map[string]any `json:"config"`
}
