package engine

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"sigmalab/engine/errs"
)

// Card listing limits (SPEC §6 pagination) and the longest accepted q.
const (
	CardsDefaultLimit = 20
	CardsMaxLimit     = 500
	CardsMaxQuery     = 500
)

// CardQuery selects model cards: optional pack/model filters, an optional
// full-text query (words match any indexed text; the index's query syntax,
// e.g. metrics.auc:>0.8 or +word, is passed through) and a page.
type CardQuery struct {
	PackID  string
	ModelID string
	Q       string
	Limit   int
	Offset  int
}

// CardSummary is one row of a card listing: the card's identity and its
// numeric metrics (flattened: nested maps as dotted keys).
type CardSummary struct {
	ID            string             `json:"id"`
	File          string             `json:"file"` // <id>.json, the predecessor's row key
	Path          string             `json:"path"` // data-dir relative JSON path
	PackID        string             `json:"pack_id"`
	ModelID       string             `json:"model_id"`
	Event         string             `json:"event"`
	CreatedAt     time.Time          `json:"created_at"`
	PolicyVersion int                `json:"policy_version"`
	RunID         int64              `json:"run_id,omitempty"`
	ArtifactID    string             `json:"artifact_id,omitempty"`
	Metrics       map[string]float64 `json:"metrics"`
}

// CardPage is a page of a listing, newest first, with the number of matches.
type CardPage struct {
	Rows  []CardSummary
	Total int
}

// StoredCard is one card as stored: the JSON document, its markdown rendering
// (empty when the file is missing) and their data-dir relative paths.
type StoredCard struct {
	Card     ModelCard
	Markdown string
	JSONPath string
	MDPath   string
}

// CardReader searches and reads stored model cards. It is a separate port
// from CardStore so writers (build, train, …) need not know about search.
type CardReader interface {
	// SearchCards lists cards matching q newest first (created_at, then id,
	// descending). A malformed q wraps errs.ErrInvalid.
	SearchCards(ctx context.Context, q CardQuery) (CardPage, error)
	// GetCard reads one card by id (already validated); unknown ids wrap
	// errs.ErrNotFound.
	GetCard(ctx context.Context, id string) (StoredCard, error)
}

// ValidCardID reports whether id may name a card: a plain id (ValidID), so it
// cannot contain separators, dots or "..", and resolves only inside the cards
// directory.
func ValidCardID(id string) bool { return ValidID(id) }

// Normalize validates the filters and clamps the page (limit to
// 1..CardsMaxLimit, default CardsDefaultLimit when 0). Errors are 422s on the
// query parameters.
func (q CardQuery) Normalize() (CardQuery, error) {
	v := &errs.Validation{}
	q.PackID, q.ModelID, q.Q = strings.TrimSpace(q.PackID), strings.TrimSpace(q.ModelID), strings.TrimSpace(q.Q)
	if q.PackID != "" && !ValidID(q.PackID) {
		v.Add("query", "pack_id", "pack_id must match ^[a-z0-9][a-z0-9_\\-]{0,63}$", "value_error")
	}
	if q.ModelID != "" && !ValidID(q.ModelID) {
		v.Add("query", "model_id", "model_id must match ^[a-z0-9][a-z0-9_\\-]{0,63}$", "value_error")
	}
	if !utf8.ValidString(q.Q) || strings.ContainsRune(q.Q, 0) {
		v.Add("query", "q", "q must be valid text", "value_error")
	} else if utf8.RuneCountInString(q.Q) > CardsMaxQuery {
		v.Add("query", "q", fmt.Sprintf("q must be at most %d characters", CardsMaxQuery), "value_error")
	}
	if q.Offset < 0 {
		v.Add("query", "offset", "offset must be >= 0", "value_error")
	}
	if err := v.Err(); err != nil {
		return q, err
	}
	if q.Limit == 0 {
		q.Limit = CardsDefaultLimit
	}
	q.Limit = min(max(q.Limit, 1), CardsMaxLimit)
	return q, nil
}

// cardReader returns the read port or a 422 when cards are not searchable here.
func (l *Lab) cardReader() (CardReader, error) {
	if l.CardIndex == nil {
		return nil, fmt.Errorf("model cards are not available: no card index: %w", errs.ErrNoData)
	}
	return l.CardIndex, nil
}

// ListModelCards lists stored cards newest first, filtered by pack, model and
// a full-text query, with the total number of matches.
func (l *Lab) ListModelCards(ctx context.Context, q CardQuery) (CardPage, error) {
	q, err := q.Normalize()
	if err != nil {
		return CardPage{}, err
	}
	r, err := l.cardReader()
	if err != nil {
		return CardPage{}, err
	}
	page, err := r.SearchCards(ctx, q)
	if err != nil {
		return CardPage{}, err
	}
	if page.Rows == nil {
		page.Rows = []CardSummary{}
	}
	return page, nil
}

// GetModelCard reads one card with its markdown. An id that could leave the
// cards directory (separators, dots, "..", upper case, …) is a 422 on query.id;
// an unknown id is a 404.
func (l *Lab) GetModelCard(ctx context.Context, id string) (StoredCard, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return StoredCard{}, errs.Field("query", "id", "id is required")
	}
	if !ValidCardID(id) {
		return StoredCard{}, errs.Field("query", "id", "id must match ^[a-z0-9][a-z0-9_\\-]{0,63}$")
	}
	r, err := l.cardReader()
	if err != nil {
		return StoredCard{}, err
	}
	return r.GetCard(ctx, id)
}

// LatestModelCard is the newest card matching the pack/model filters (the
// predecessor's GET /model_card without a file); 404 when there is none.
func (l *Lab) LatestModelCard(ctx context.Context, packID, modelID string) (StoredCard, error) {
	page, err := l.ListModelCards(ctx, CardQuery{PackID: packID, ModelID: modelID, Limit: 1})
	if err != nil {
		return StoredCard{}, err
	}
	if len(page.Rows) == 0 {
		return StoredCard{}, errs.Msgf(errs.ErrNotFound, "no model cards found")
	}
	return l.GetModelCard(ctx, page.Rows[0].ID)
}
