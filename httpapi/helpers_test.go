package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

func newDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func nowFunc() func() time.Time { return time.Now }

// newRequest is apitest.Request for this package's internal tests (which
// cannot import apitest): Host names the loopback server and a non-empty body
// goes as application/json.
func newRequest(method, target, body string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.Host = "127.0.0.1:8001"
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}
