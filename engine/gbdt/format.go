package gbdt

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/klauspost/compress/zstd"

	"sigmalab/engine/errs"
)

// FormatName tags serialised models; FormatVersion is bumped on any
// incompatible change of the JSON layout.
const (
	FormatName    = "sigmalab-gbdt"
	FormatVersion = 1
)

// envelope is the on-disk JSON: a format tag around the model.
type envelope struct {
	Format string `json:"format"`
	*Model
}

// MarshalJSONModel encodes the model as versioned JSON. Floats use Go's
// shortest round-trip formatting, so a decoded model predicts bit-identically.
func (m *Model) MarshalJSONModel() ([]byte, error) {
	return json.Marshal(envelope{Format: FormatName, Model: m})
}

// UnmarshalJSONModel decodes and checks a model written by MarshalJSONModel.
// Structural problems (unknown format or version, dangling node indices,
// features out of range) are errs.ErrInvalid errors, so a corrupt artifact can
// never make prediction loop or panic.
func UnmarshalJSONModel(b []byte) (*Model, error) {
	env := envelope{Model: &Model{}}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, errs.Invalidf("gbdt: decode model: %v", err)
	}
	if env.Format != FormatName {
		return nil, errs.Invalidf("gbdt: not a %s model (format %q)", FormatName, env.Format)
	}
	m := env.Model
	if m.Version != FormatVersion {
		return nil, errs.Invalidf("gbdt: model format version %d, this build reads %d", m.Version, FormatVersion)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

// EncodeArtifact returns the zstd-compressed JSON model (the .json.zst artifact).
func (m *Model) EncodeArtifact() ([]byte, error) {
	js, err := m.MarshalJSONModel()
	if err != nil {
		return nil, err
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedBetterCompression))
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	return enc.EncodeAll(js, nil), nil
}

// maxArtifactJSON bounds the decompressed size of an artifact (a 300-round,
// 255-leaf, 10-class model is far below it).
const maxArtifactJSON = 1 << 30

// DecodeArtifact reads an artifact written by EncodeArtifact.
func DecodeArtifact(b []byte) (*Model, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxArtifactJSON))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	js, err := dec.DecodeAll(b, nil)
	if err != nil {
		return nil, errs.Invalidf("gbdt: decompress model: %v", err)
	}
	return UnmarshalJSONModel(js)
}

func (m *Model) check() error {
	bad := func(format string, a ...any) error {
		return errs.Invalidf("gbdt: corrupt model: %s", fmt.Sprintf(format, a...))
	}
	if m.NumClass < 2 {
		return bad("num_class %d", m.NumClass)
	}
	if m.NumFeature < 1 {
		return bad("num_feature %d", m.NumFeature)
	}
	K := m.treesPerRound()
	if len(m.BaseMargin) != K {
		return bad("%d base margins, want %d", len(m.BaseMargin), K)
	}
	if len(m.Trees)%K != 0 {
		return bad("%d trees is not a multiple of %d", len(m.Trees), K)
	}
	if m.FeatureNames != nil && len(m.FeatureNames) != m.NumFeature {
		return bad("%d feature names for %d features", len(m.FeatureNames), m.NumFeature)
	}
	for ti := range m.Trees {
		t := &m.Trees[ti]
		nn := len(t.Feature)
		if nn == 0 || len(t.Threshold) != nn || len(t.DefaultLeft) != nn || len(t.Left) != nn ||
			len(t.Right) != nn || len(t.Value) != nn || len(t.Gain) != nn || len(t.Cover) != nn {
			return bad("tree %d has ragged or empty node arrays", ti)
		}
		for i := range nn {
			f := t.Feature[i]
			if f < 0 {
				if math.IsNaN(t.Value[i]) || math.IsInf(t.Value[i], 0) {
					return bad("tree %d node %d has a non-finite leaf value", ti, i)
				}
				continue
			}
			// Children after their parent guarantees every walk terminates.
			if int(f) >= m.NumFeature || t.Left[i] <= int32(i) || t.Right[i] <= int32(i) ||
				int(t.Left[i]) >= nn || int(t.Right[i]) >= nn {
				return bad("tree %d node %d has an invalid split", ti, i)
			}
		}
	}
	if len(m.ImportanceGain) != m.NumFeature || len(m.ImportanceSplit) != m.NumFeature {
		m.computeImportance()
	}
	return nil
}
