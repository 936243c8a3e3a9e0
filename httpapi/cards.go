package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
)

func (s *Server) routesCards() {
	s.GET("/model_cards", "search model cards newest first (pack_id, model_id, q full-text, limit default 20, offset) with total", s.listModelCards)
	s.GET("/model_card", "one model card (id, or the newest for pack_id/model_id): JSON, markdown and their paths", s.getModelCard)
}

// cardList is GET /model_cards: the cards (the API's key), the same list as
// rows (the house list key) and the predecessor's count (rows on this page).
type cardList struct {
	Cards []engine.CardSummary `json:"cards"`
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
	rows := res.Rows
	if rows == nil {
		rows = []engine.CardSummary{}
	}
	return cardList{Cards: rows, Rows: rows, Count: len(rows), PageInfo: page.Info(len(rows), res.Total)}, nil
}

// cardOne is GET /model_card: the card (the API's key) and its markdown, the
// URL that downloads the card JSON, and the predecessor's json, json_path and
// md_path (paths relative to the data dir).
type cardOne struct {
	ID       string           `json:"id"`
	Card     engine.ModelCard `json:"card"`
	Markdown string           `json:"markdown"`
	URL      string           `json:"url"`
	JSON     engine.ModelCard `json:"json"`
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
	return cardOne{ID: card.Card.ID, Card: card.Card, Markdown: card.Markdown, URL: "/artifacts/" + url.PathEscape(card.Card.ID),
		JSON: card.Card, JSONPath: card.JSONPath, MDPath: card.MDPath}, nil
}
