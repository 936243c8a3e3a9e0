package main

import (
	"fmt"
	"io"
	"log/slog"
)

// newServeLogger is serve's logger: newLogger's text lines, or with format
// json one JSON object per line (for log shippers).
func newServeLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	switch format {
	case "", "text":
		return newLogger(w, level), nil
	case "json":
		var lv slog.Level
		if err := lv.UnmarshalText([]byte(level)); err != nil {
			lv = slog.LevelInfo
		}
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv})), nil
	}
	return nil, fmt.Errorf("-log-format %q: want text or json", format)
}
