package engine

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"sigmalab/engine/calibrate"
)

// ReliabilityPlot renders the reliability diagram of a walk-forward
// calibration as SVG (6×6 in): the diagonal, and for the UP/DOWN confidence
// and each class the binned observed frequency against the mean prediction,
// dashed before calibration and solid after.
func ReliabilityPlot(c OOFCalibration, title string) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Reliability — " + title
	p.X.Label.Text = "mean predicted probability"
	p.Y.Label.Text = "observed frequency"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, err
	}
	diag.Color = color.Gray{Y: 150}
	diag.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(diag)
	palette := []color.RGBA{{R: 31, G: 119, B: 180, A: 255}, {R: 214, G: 39, B: 40, A: 255},
		{R: 44, G: 160, B: 44, A: 255}, {R: 148, G: 103, B: 189, A: 255}, {R: 255, G: 127, B: 14, A: 255}}
	curve := func(name string, r calibrate.Reliability, col color.RGBA, dashed bool) error {
		if len(r.Bins) == 0 {
			return nil
		}
		pts := make(plotter.XYs, len(r.Bins))
		for i, b := range r.Bins {
			pts[i] = plotter.XY{X: b.MeanPred, Y: b.ObsFreq}
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		line.Color, points.Color = col, col
		line.Width = vg.Points(1.2)
		if dashed {
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			line.Width = vg.Points(0.8)
		}
		p.Add(line, points)
		p.Legend.Add(name, line)
		return nil
	}
	series := []struct {
		name string
		b, a calibrate.Reliability
	}{{"confidence", c.Confidence.Before, c.Confidence.After}}
	for _, name := range c.Classes {
		series = append(series, struct {
			name string
			b, a calibrate.Reliability
		}{name, c.Reliability.Before[name], c.Reliability.After[name]})
	}
	for i, s := range series {
		col := palette[i%len(palette)]
		if err := curve(s.name+" before", s.b, col, true); err != nil {
			return nil, err
		}
		if err := curve(s.name+" after", s.a, col, false); err != nil {
			return nil, err
		}
	}
	w, err := p.WriterTo(6*vg.Inch, 6*vg.Inch, "svg")
	if err != nil {
		return nil, fmt.Errorf("reliability plot: %w", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
