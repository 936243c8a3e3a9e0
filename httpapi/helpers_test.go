package httpapi

import (
	"log/slog"
	"time"
)

func newDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func nowFunc() func() time.Time { return time.Now }
