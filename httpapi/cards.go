package httpapi

import (
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
)

func (s *Server) routesCards() {
	s.GET("/model_cards", "search model cards newest first (pack_id, model_id, q full-text, limit default 20, offset) with total", s.listModelCards)
	s.GET("/model_card", "one model card (id, or the newest for pack_id/model_id): JSON, markdown and their paths", s.getModelCard)
}

// cardList is GET /model_cards: the house rows/paging shape plus the
// predecessor's count (rows on this page).
type cardList struct {
	Rows  []engine.CardSummary `json:"rows"`
	Count int                  `json:"count"`
	PageInfo
}

func (s *Server) listModelCards(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	cq := engine.CardQuery{
		PackID:  q.ID("pack_id", "", false),
		ModelID: q.ID("model_id", "", false),
		Q:       q.String("q", ""),
	}
	page := q.Page(engine.CardsDefaultLimit)
	if err := q.Err(); err != nil {
		return nil, err
	}
	cq.Limit, cq.Offset = page.Limit, page.Offset
	res, err := s.Lab.ListModelCards(r.Context(), cq)
	if err != nil {
		return nil, err
	}
	return cardList{Rows: res.Rows, Count: len(res.Rows), PageInfo: page.Info(len(res.Rows), res.Total)}, nil
}

// cardOne is GET /model_card in the predecessor's shape (json, markdown,
// json_path, md_path), paths relative to the data dir.
type cardOne struct {
	ID       string           `json:"id"`
	JSON     engine.ModelCard `json:"json"`
	Markdown string           `json:"markdown"`
	JSONPath string           `json:"json_path"`
	MDPath   string           `json:"md_path"`
}

func (s *Server) getModelCard(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	// file=<id>.json is the predecessor's spelling of the id.
	id := q.String("id", strings.TrimSuffix(q.String("file", ""), ".json"))
	var (
		card engine.StoredCard
		err  error
	)
	if id != "" {
		card, err = s.Lab.GetModelCard(r.Context(), id)
	} else {
		packID, modelID := q.ID("pack_id", "", false), q.ID("model_id", "", false)
		if err := q.Err(); err != nil {
			return nil, err
		}
		card, err = s.Lab.LatestModelCard(r.Context(), packID, modelID)
	}
	if err != nil {
		return nil, err
	}
	return cardOne{ID: card.Card.ID, JSON: card.Card, Markdown: card.Markdown, JSONPath: card.JSONPath, MDPath: card.MDPath}, nil
}
