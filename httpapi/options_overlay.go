package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
)

func (s *Server) routesOptionsOverlay() {
	s.POST("/options_overlay", "option overlays for a model's signals on a date: contract nearest target_delta (min_oi, dte_target or expiry) "+
		"from the stored chain, single or vertical, premium stop/target estimates, OCC symbols, parity from stored bars; stored as option signals", s.optionsOverlay)
	s.GET("/option_signals", "option overlays joined with their signals (model_id, pack_id, date, start, end, tickers, expiry, occ_symbol, limit, offset)", s.listOptionSignals)
}

func (s *Server) optionsOverlay(r *http.Request, _ httprouter.Params) (any, error) {
	var req engine.OptionsOverlayRequest
	if err := DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	req.Owner = UserFrom(r.Context())
	return s.Lab.OptionsOverlay(r.Context(), req)
}

type optionSignalList struct {
	Rows  []engine.OptionSignalRow `json:"rows"`
	Count int                      `json:"count"`
	PageInfo
}

func (s *Server) listOptionSignals(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	oq := engine.OptionSignalQuery{SignalFilter: signalFilter(q), Expiry: q.Date("expiry", false), OCCSymbol: q.String("occ_symbol", "")}
	page := q.Page(200)
	if err := q.Err(); err != nil {
		return nil, err
	}
	oq.Limit, oq.Offset = page.Limit, page.Offset
	rows, total, err := s.Lab.ListOptionSignals(r.Context(), oq)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []engine.OptionSignalRow{}
	}
	return optionSignalList{Rows: rows, Count: len(rows), PageInfo: page.Info(len(rows), total)}, nil
}
