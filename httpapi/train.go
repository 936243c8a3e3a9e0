package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/engine/jobs"
)

func (s *Server) routesTrain() {
	if s.Lab != nil && s.Lab.Jobs != nil {
		jobs.Register(s.Lab.Jobs, engine.TrainJobKind, jobs.Heavy, s.Lab.TrainJob)
	}
	s.POST("/train", "train the model's GBDT on its latest (or build_id) matrix; metrics on a time-ordered holdout; stores run, model artifact and card (async:true → job)", s.train)
	s.GET("/training_runs", "list trainings (pack_id, model_id, tag, status, start, end, limit, offset), newest first",
		listRuns(s, (*engine.Lab).ListTrainingRuns, engine.TrainRunning, engine.TrainCompleted, engine.TrainFailed))
	s.GET("/training_runs/:id", "one training run with its metrics", getRun(s, (*engine.Lab).GetTrainingRun, "training run"))
	s.GET("/artifacts/:id", "download a stored artifact (model .json.zst, card .json) by id", s.getArtifact)
}

// hoursField decodes allowed_hours given as a list of ints or a "13,14"
// string; "" and null mean every hour.
type hoursField []int

const hoursMsg = "allowed_hours must be a list of ints or comma-separated ints"

// UnmarshalJSON implements json.Unmarshaler over the shared list decoding
// (StringList), then reads each item as an integer.
func (h *hoursField) UnmarshalJSON(b []byte) error {
	bad := &FieldDecodeError{Field: "allowed_hours", Msg: hoursMsg}
	var items StringList
	if err := items.UnmarshalJSON(b); err != nil {
		return bad
	}
	if items == nil {
		*h = nil
		return nil
	}
	out := make([]int, 0, len(items))
	for _, it := range items {
		n, err := strconv.Atoi(it)
		if err != nil {
			return bad
		}
		out = append(out, n)
	}
	*h = out
	return nil
}

// trainBody is the wire form of engine.TrainRequest. Calibration is raw so an
// explicit null (no calibration, as in the predecessor) differs from absent
// (default sigmoid).
type trainBody struct {
	ModelID      string          `json:"model_id"`
	PackID       string          `json:"pack_id"`
	BuildID      string          `json:"build_id"`
	AllowedHours hoursField      `json:"allowed_hours"`
	Calibration  json.RawMessage `json:"calibration"`
	Target       string          `json:"target"`
	Features     StringList      `json:"features"`
	Hyperparams  map[string]any  `json:"hyperparams"`
	HoldoutFrac  *float64        `json:"holdout_frac"`
	ModelOut     string          `json:"model_out"`
	CSV          string          `json:"csv"`
	Tag          string          `json:"tag"`
	Async        bool            `json:"async"`
}

func (b trainBody) request() (engine.TrainRequest, error) {
	req := engine.TrainRequest{ModelID: b.ModelID, PackID: b.PackID, BuildID: b.BuildID, AllowedHours: b.AllowedHours,
		Target: b.Target, Features: b.Features, Hyperparams: b.Hyperparams, HoldoutFrac: b.HoldoutFrac, ModelOut: b.ModelOut, CSV: b.CSV,
		Tag: b.Tag, Async: b.Async}
	if raw := bytes.TrimSpace(b.Calibration); len(raw) > 0 {
		cal := "none"
		if !bytes.Equal(raw, []byte("null")) {
			if err := json.Unmarshal(raw, &cal); err != nil {
				return req, errs.Field("body", "calibration", "calibration must be one of: none, sigmoid, isotonic")
			}
		}
		req.Calibration = &cal
	}
	return req.Normalize()
}

func (s *Server) train(r *http.Request, _ httprouter.Params) (any, error) {
	var body trainBody
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	req, err := body.request()
	if err != nil {
		return nil, err
	}
	if req.Async {
		return s.SubmitJob(r, engine.TrainJobKind, req)
	}
	return s.Lab.Train(r.Context(), req)
}

func (s *Server) getArtifact(r *http.Request, p httprouter.Params) (any, error) {
	a, b, err := s.Lab.GetArtifact(r.Context(), p.ByName("id"))
	if err != nil {
		return nil, err
	}
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	return Raw{ContentType: ct, Body: b}, nil
}
