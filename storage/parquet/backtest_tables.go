package parquet

import (
	"bytes"

	"sigmalab/engine"
)

// BacktestTables writes backtest outputs as zstd Parquet (engine.BacktestTables):
// the columns follow the row types' field order and absent values are nulls.
type BacktestTables struct{}

// EncodeOOFPredictions implements engine.BacktestTables.
func (BacktestTables) EncodeOOFPredictions(rows []engine.OOFPredictionRow) ([]byte, error) {
	return encodeRowTable(rows, "oof_predictions")
}

// EncodeTrades implements engine.BacktestTables.
func (BacktestTables) EncodeTrades(rows []engine.TradeRow) ([]byte, error) {
	return encodeRowTable(rows, "trades")
}

// EncodeEquity implements engine.BacktestTables.
func (BacktestTables) EncodeEquity(rows []engine.EquityRow) ([]byte, error) {
	return encodeRowTable(rows, "equity")
}

func encodeRowTable[T any](rows []T, kind string) ([]byte, error) {
	var buf bytes.Buffer
	if err := EncodeRows(&buf, rows, map[string]string{"sigmalab.kind": kind}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
