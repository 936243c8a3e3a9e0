package engine

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/klauspost/compress/zstd"

	"sigmalab/engine/calibrate"
	"sigmalab/engine/errs"
	"sigmalab/engine/gbdt"
	"sigmalab/engine/logreg"
	"sigmalab/engine/matrix"
)

// Trained model artifact (artifacts/models/<id>.json.zst): zstd-compressed JSON
// holding everything needed to score a matrix — class names, feature names,
// the calibrator and the GBDT in its own versioned format.
const (
	TrainedModelFormat  = "sigmalab-model"
	TrainedModelVersion = 1
)

// TrainedModel is a trained classifier with its lineage and calibration.
type TrainedModel struct {
	Format        string                `json:"format"`
	Version       int                   `json:"version"`
	ModelID       string                `json:"model_id"`
	PackID        string                `json:"pack_id"`
	BuildID       string                `json:"build_id"`
	TrainingRunID int64                 `json:"training_run_id"`
	Algo          string                `json:"algo"`
	Target        string                `json:"target"`
	Classes       []string              `json:"classes"`  // class index → label (sorted)
	Features      []string              `json:"features"` // GBDT column order
	AllowedHours  []int                 `json:"allowed_hours,omitempty"`
	Calibration   string                `json:"calibration"`
	Calibrator    *calibrate.Calibrator `json:"calibrator,omitempty"`
	TrainedAt     time.Time             `json:"trained_at"`
	GBDT          json.RawMessage       `json:"gbdt,omitempty"`
	LogReg        *logreg.Model         `json:"logreg,omitempty"` // algo logreg (then no GBDT)

	model *gbdt.Model
}

// Model returns the decoded GBDT.
func (t *TrainedModel) Model() *gbdt.Model { return t.model }

// Encode returns the zstd-compressed JSON artifact.
func (t *TrainedModel) Encode() ([]byte, error) {
	if t.model != nil && len(t.GBDT) == 0 {
		js, err := t.model.MarshalJSONModel()
		if err != nil {
			return nil, err
		}
		t.GBDT = js
	}
	t.Format, t.Version = TrainedModelFormat, TrainedModelVersion
	js, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	return enc.EncodeAll(js, nil), nil
}

// DecodeTrainedModel reads an artifact written by Encode; structural problems
// are ErrInvalid errors.
func DecodeTrainedModel(b []byte) (*TrainedModel, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	js, err := dec.DecodeAll(b, nil)
	if err != nil {
		return nil, errs.Invalidf("model artifact: decompress: %v", err)
	}
	var t TrainedModel
	if err := json.Unmarshal(js, &t); err != nil {
		return nil, errs.Invalidf("model artifact: %v", err)
	}
	if t.Format != TrainedModelFormat || t.Version != TrainedModelVersion {
		return nil, errs.Invalidf("model artifact: format %q version %d not readable (want %s v%d)", t.Format, t.Version, TrainedModelFormat, TrainedModelVersion)
	}
	if t.Algo == AlgoLogReg {
		if err := t.LogReg.Validate(); err != nil {
			return nil, errs.Invalidf("model artifact: %v", err)
		}
		if t.LogReg.NumFeature != len(t.Features) || t.LogReg.NumClass != len(t.Classes) {
			return nil, errs.Invalidf("model artifact: %d features/%d classes listed, regression has %d/%d", len(t.Features), len(t.Classes), t.LogReg.NumFeature, t.LogReg.NumClass)
		}
		if t.Calibrator != nil && t.Calibrator.Classes != len(t.Classes) {
			return nil, errs.Invalidf("model artifact: calibrator has %d classes, model %d", t.Calibrator.Classes, len(t.Classes))
		}
		return &t, nil
	}
	m, err := gbdt.UnmarshalJSONModel(t.GBDT)
	if err != nil {
		return nil, err
	}
	if m.NumFeature != len(t.Features) || m.NumClass != len(t.Classes) {
		return nil, errs.Invalidf("model artifact: %d features/%d classes listed, GBDT has %d/%d", len(t.Features), len(t.Classes), m.NumFeature, m.NumClass)
	}
	if t.Calibrator != nil && t.Calibrator.Classes != len(t.Classes) {
		return nil, errs.Invalidf("model artifact: calibrator has %d classes, model %d", t.Calibrator.Classes, len(t.Classes))
	}
	t.model = m
	return &t, nil
}

// PredictMatrix scores every row of m: probs[class][row], calibrated when the
// model carries a calibrator. Features are looked up by name; a missing one is
// an ErrInvalid error.
func (t *TrainedModel) PredictMatrix(m *matrix.Matrix) ([][]float64, error) {
	cols := make([][]float64, len(t.Features))
	for j, name := range t.Features {
		c := featureColumn(m, name)
		if c == nil {
			return nil, errs.Invalidf("matrix lacks feature %q of the trained model", name)
		}
		cols[j] = c
	}
	return t.PredictCols(cols), nil
}

// PredictCols scores columns already in Features order.
func (t *TrainedModel) PredictCols(cols [][]float64) [][]float64 {
	var probs [][]float64
	if t.LogReg != nil {
		probs = t.LogReg.PredictProba(cols)
	} else {
		probs = t.model.PredictProba(cols)
	}
	t.Calibrator.Apply(probs)
	return probs
}
