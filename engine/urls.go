package engine

import (
	"net/url"
	"path"
	"strings"
)

// API URLs of stored things. Responses that name a data-dir path (a matrix's
// matrix_path, an artifact's *_uri) carry the URL a client GETs beside it:
// the path says where the file lives on the server, the URL how to fetch it.

// MatrixURL is the URL that downloads a stored matrix (GET /matrices/{model}/{build}).
func MatrixURL(modelID, buildID string) string {
	if modelID == "" || buildID == "" {
		return ""
	}
	return "/matrices/" + url.PathEscape(modelID) + "/" + url.PathEscape(buildID)
}

// ArtifactURL is the URL that downloads a registered artifact (GET
// /artifacts/{id}) given its data-dir path artifacts/<kind>/<id><ext>: ids
// have no dots, so the id is the file name up to its first one. "" when uri
// is not an artifact path.
func ArtifactURL(uri string) string {
	if !strings.HasPrefix(uri, "artifacts/") {
		return ""
	}
	id, _, _ := strings.Cut(path.Base(uri), ".")
	if !ValidID(id) {
		return ""
	}
	return "/artifacts/" + id
}

// artifactIDURL is the URL of a registered artifact by id ("" for none).
func artifactIDURL(id string) string {
	if id == "" {
		return ""
	}
	return "/artifacts/" + url.PathEscape(id)
}

// ModelConfigURL is the URL of a model's stored config (GET /model_config).
func ModelConfigURL(modelID, packID string) string {
	return "/model_config?" + url.Values{"model_id": {modelID}, "pack_id": {packID}}.Encode()
}

// PolicyURL is the URL of a model's stored policy (GET /policy).
func PolicyURL(modelID, packID string) string {
	return "/policy?" + url.Values{"model_id": {modelID}, "pack_id": {packID}}.Encode()
}

// ModelPaths are the API URLs of a model's stored documents (the endpoint
// map's paths: {config, policy}; URLs, never server file paths).
type ModelPaths struct {
	Config string `json:"config"`
	Policy string `json:"policy"`
}

// PathsOf returns the URLs of a model's config and policy.
func PathsOf(modelID, packID string) ModelPaths {
	return ModelPaths{Config: ModelConfigURL(modelID, packID), Policy: PolicyURL(modelID, packID)}
}
