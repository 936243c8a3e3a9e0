package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/engine/market"
)

// ImportMaxBody caps POST /data/import multipart uploads (2 GiB). File parts
// stream to temp files in fixed-size chunks, never whole into memory, so the cap
// guards the disk; JSON bodies of the same route take the API cap like every
// other route.
const ImportMaxBody = 2 << 30

// maxRejectDetail bounds the per-row detail of a refused import.
const maxRejectDetail = 200

// bodyLimitFor returns the body cap of a request: multipart uploads to
// /data/import stream and have their own cap; everything else, a JSON import
// body included, is read whole and takes the API cap.
func (s *Server) bodyLimitFor(r *http.Request) int64 {
	if r.URL.Path == "/data/import" {
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
			return ImportMaxBody
		}
	}
	return s.opts.MaxBody
}

func (s *Server) routesData() {
	s.POST("/data/import", "import bars, option bars or chains: multipart upload (up to 2 GiB, streamed) or JSON {path} under exports/ or imports/ of the data dir (async:true → job)", s.dataImport)
	s.GET("/data/coverage", "list the stored market series (ticker, kind, timeframe, source, rows, date range); filters ticker, kind; limit (default 500), offset", s.dataCoverage)
	s.GET("/options/expirations", "option expiries known from stored option bars and chains within [start, start + weeks·7 days) (start defaults to the last date of the ticker's stored option data, weeks to 12); limit (default 100), offset", s.optionsExpirations)
}

// importBody is the JSON form of POST /data/import; multipart uploads carry the same
// fields as form fields.
type importBody struct {
	Path      string `json:"path"`
	Ticker    string `json:"ticker"`
	Timeframe string `json:"timeframe"`
	Timezone  string `json:"timezone"`
	Partial   bool   `json:"partial"`
	Async     bool   `json:"async"`
}

func (b *importBody) options(c *Check) market.ImportOptions {
	o := market.ImportOptions{
		Ticker:    c.Ticker("ticker", b.Ticker, false),
		Timeframe: c.Enum("timeframe", strings.TrimSpace(b.Timeframe), "", market.TF1m, market.TF5m, market.TF1h, market.TF1d),
		Timezone:  strings.TrimSpace(b.Timezone),
		Partial:   b.Partial,
	}
	return o
}

func (s *Server) dataImport(r *http.Request, _ httprouter.Params) (any, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var (
		res market.ImportResult
		err error
	)
	if ct == "multipart/form-data" {
		res, err = s.importUpload(r)
	} else {
		var body importBody
		if err := DecodeJSON(r, &body); err != nil {
			return nil, err
		}
		c := NewCheck("body")
		c.Required("path", body.Path)
		opts := body.options(c)
		if err := c.Err(); err != nil {
			return nil, err
		}
		if body.Async {
			return s.SubmitJob(r, engine.ImportJobKind, engine.ImportJobParams{Path: strings.TrimSpace(body.Path), Options: opts})
		}
		res, err = s.Lab.ImportDataPath(r.Context(), strings.TrimSpace(body.Path), opts, nil)
	}
	if err != nil {
		return nil, err
	}
	return importOutcome(res)
}

// importOutcome answers 422 with per-row detail when nothing could be written because
// every file was refused, and 200 with the counts otherwise (refused rows listed).
func importOutcome(res market.ImportResult) (any, error) {
	if res.Added+res.Replaced == 0 && len(res.Rejected) > 0 {
		v := &errs.Validation{}
		for i, rj := range res.Rejected {
			if i == maxRejectDetail {
				v.Fields = append(v.Fields, errs.FieldError{Loc: []string{"body", "file"},
					Msg: fmt.Sprintf("%d more rejected rows not shown", len(res.Rejected)-maxRejectDetail), Type: "value_error"})
				break
			}
			loc := []string{"body", rj.File}
			if rj.Line > 0 {
				loc = append(loc, "line "+strconv.Itoa(rj.Line))
			}
			v.Fields = append(v.Fields, errs.FieldError{Loc: loc, Msg: rj.Reason, Type: "value_error"})
		}
		return nil, v
	}
	return res, nil
}

// importUpload streams every file part to a temp file on the data disk (nothing is
// held in memory), collects the option fields, then imports the files in upload order.
func (s *Server) importUpload(r *http.Request) (market.ImportResult, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return market.ImportResult{}, errs.Invalidf("multipart: %v", err)
	}
	var body importBody
	var tmps, names []string
	defer func() {
		for _, t := range tmps {
			_ = os.Remove(t)
		}
	}()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return market.ImportResult{}, uploadErr(err)
		}
		if part.FileName() == "" {
			val, err := io.ReadAll(io.LimitReader(part, 4096))
			if err != nil {
				return market.ImportResult{}, uploadErr(err)
			}
			v := strings.TrimSpace(string(val))
			switch part.FormName() {
			case "ticker":
				body.Ticker = v
			case "timeframe":
				body.Timeframe = v
			case "timezone":
				body.Timezone = v
			case "partial":
				body.Partial = v == "true" || v == "1"
			}
			continue
		}
		name := filepath.Base(filepath.Clean("/" + strings.ReplaceAll(part.FileName(), "\\", "/")))
		ext := strings.ToLower(filepath.Ext(name))
		if ext != ".csv" && ext != ".json" && ext != ".parquet" {
			return market.ImportResult{}, errs.Field("body", part.FormName(), fmt.Sprintf("unsupported file %q (want .csv, .json or .parquet)", name))
		}
		f, err := s.Lab.UploadFile(ext)
		if err != nil {
			return market.ImportResult{}, fmt.Errorf("import temp file: %w", err)
		}
		tmps = append(tmps, f.Name())
		_, err = io.Copy(f, part)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return market.ImportResult{}, uploadErr(err)
		}
		names = append(names, name)
	}
	if len(tmps) == 0 {
		return market.ImportResult{}, errs.Field("body", "file", "Field required: upload at least one file part")
	}
	c := NewCheck("body")
	opts := body.options(c)
	if err := c.Err(); err != nil {
		return market.ImportResult{}, err
	}
	return s.Lab.ImportMarket(r.Context(), tmps, names, opts, nil)
}

func uploadErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Errorf("upload exceeds %d bytes: %w", mbe.Limit, errs.ErrTooLarge)
	}
	return errs.Invalidf("reading upload: %v", err)
}

// coverageList is GET /data/coverage: the page of series, and tickers and
// demo over every series the filters match.
type coverageList struct {
	Coverage []market.CoverageEntry `json:"coverage"`
	Tickers  []string               `json:"tickers"`
	Count    int                    `json:"count"`
	Demo     bool                   `json:"demo"`
	PageInfo
}

func (s *Server) dataCoverage(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	ticker := q.Ticker("ticker", "", false)
	kind := q.Enum("kind", "", market.KindBars, market.KindOptions, market.KindChains)
	page := q.Page(MaxLimit)
	if err := q.Err(); err != nil {
		return nil, err
	}
	all, err := s.Lab.MarketCoverage(r.Context())
	if err != nil {
		return nil, err
	}
	cov := make([]market.CoverageEntry, 0, len(all))
	for _, c := range all {
		if (ticker == "" || c.Ticker == ticker) && (kind == "" || c.Kind == kind) {
			cov = append(cov, c)
		}
	}
	tickers := []string{}
	demo := false
	for i, c := range cov {
		if i == 0 || c.Ticker != cov[i-1].Ticker {
			tickers = append(tickers, c.Ticker)
		}
		demo = demo || c.Source == market.SourceDemo
	}
	rows, info := PageOf(cov, page)
	return coverageList{Coverage: rows, Tickers: tickers, Count: len(rows), Demo: demo, PageInfo: info}, nil
}

// expirationList is GET /options/expirations: the predecessor's {ticker,
// start, weeks, expirations: [{date, has_chain, count}]} plus the window's
// exclusive end, where start came from, and the page.
type expirationList struct {
	Ticker      string          `json:"ticker"`
	Start       *string         `json:"start"`
	End         *string         `json:"end"`
	StartFrom   string          `json:"start_from"` // request | last_data_date | none (no option data)
	Weeks       int             `json:"weeks"`
	Expirations []market.Expiry `json:"expirations"`
	Count       int             `json:"count"`
	PageInfo
}

// optionsExpirations answers from stored option bars and chains: the expiries
// in [start, start + 7·weeks days). start defaults to the last date of the
// ticker's stored option data (not today: stored data may end long ago, and
// the answer should not change with the wall clock), so by default it lists
// what could still be traded as of the data's end.
func (s *Server) optionsExpirations(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	ticker := q.Ticker("ticker", "", true)
	start := q.Date("start", false)
	weeks := q.Int("weeks", 12, 1, 520)
	page := q.Page(100)
	if err := q.Err(); err != nil {
		return nil, err
	}
	exps, err := s.Lab.Expirations(r.Context(), ticker)
	if err != nil {
		return nil, err
	}
	out := expirationList{Ticker: ticker, Weeks: weeks, StartFrom: "request"}
	if start == "" {
		out.StartFrom = "none"
		cov, err := s.Lab.MarketCoverage(r.Context())
		if err != nil {
			return nil, err
		}
		for _, c := range cov {
			if c.Ticker == ticker && (c.Kind == market.KindOptions || c.Kind == market.KindChains) && c.End > start {
				start, out.StartFrom = c.End, "last_data_date"
			}
		}
	}
	window := []market.Expiry{}
	if start != "" {
		t, _ := market.ParseDate(start)
		end := t.AddDate(0, 0, 7*weeks).Format(market.DateLayout)
		out.Start, out.End = &start, &end
		for _, e := range exps {
			if e.Date >= start && e.Date < end {
				window = append(window, e)
			}
		}
	}
	out.Expirations, out.PageInfo = PageOf(window, page)
	out.Count = len(out.Expirations)
	return out, nil
}
