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
