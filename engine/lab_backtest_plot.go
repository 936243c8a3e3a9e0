package engine

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"sigmalab/engine/backtest"
)

// EquityPlot renders the reported path's cumulative return (Σ pnl, the
// cum_ret of the metrics) over time as SVG and PNG (8×4 in), with a dashed
// line at each fold boundary. It needs Result.PnL (TradeParams.KeepSeries).
func EquityPlot(o *backtest.OOF, res backtest.Result, title string) (svg, png []byte, err error) {
	if len(res.PnL) != o.Len() {
		return nil, nil, fmt.Errorf("equity plot: result has no per-row series")
	}
	p := plot.New()
	p.Title.Text = "Cumulative OOF return — " + title
	p.X.Label.Text = "date"
	p.Y.Label.Text = "cumulative return"
	p.X.Tick.Marker = plot.TimeTicks{Format: "2006-01-02"}
	p.Add(plotter.NewGrid())
	pts := make(plotter.XYs, 0, o.Len()+1)
	cum := 0.0
	for i, v := range res.PnL {
		cum += v
		pts = append(pts, plotter.XY{X: float64(o.TS[i]) / 1000, Y: cum})
	}
	if len(pts) == 0 {
		pts = append(pts, plotter.XY{})
	}
	line, err := plotter.NewLine(pts)
	if err != nil {
		return nil, nil, err
	}
	line.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	line.Width = vg.Points(1.2)
	p.Add(line)
	lo, hi := 0.0, 0.0
	for _, q := range pts {
		lo, hi = min(lo, q.Y), max(hi, q.Y)
	}
	for f := 1; f < o.Folds(); f++ {
		if i := o.FoldStart[f]; i < o.Len() {
			x := float64(o.TS[i]) / 1000
			b, err := plotter.NewLine(plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}})
			if err != nil {
				return nil, nil, err
			}
			b.Color = color.Gray{Y: 160}
			b.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
			p.Add(b)
		}
	}
	render := func(format string) ([]byte, error) {
		w, err := p.WriterTo(8*vg.Inch, 4*vg.Inch, format)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	if svg, err = render("svg"); err != nil {
		return nil, nil, err
	}
	if png, err = render("png"); err != nil {
		return nil, nil, err
	}
	return svg, png, nil
}
