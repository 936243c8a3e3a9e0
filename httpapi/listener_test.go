package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestPlainErrorAsJSON: net/http's own error answers become the envelope;
// anything else, a handler's answer included, passes unchanged.
func TestPlainErrorAsJSON(t *testing.T) {
	out, ok := plainErrorAsJSON([]byte("HTTP/1.1 400 Bad Request: invalid header name" + netHTTPErrorHeaders + "400 Bad Request: invalid header name"))
	i := bytes.Index(out, []byte("\r\n\r\n"))
	var m map[string]any
	if !ok || i < 0 || json.Unmarshal(out[i+4:], &m) != nil || m["ok"] != false || m["code"] != "bad_request" ||
		!bytes.HasPrefix(out, []byte("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n")) {
		t.Fatalf("%v %q", ok, out)
	}
	if out, _ := plainErrorAsJSON([]byte("HTTP/1.1 431 Request Header Fields Too Large" + netHTTPErrorHeaders + "431 Request Header Fields Too Large")); !bytes.Contains(out, []byte(`"code":"header_too_large"`)) {
		t.Fatalf("%q", out)
	}
	for _, b := range []string{
		"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nok",
		"HTTP/1.1 100 Continue\r\n\r\n",
		"{\"ok\":true}",
	} {
		if _, ok := plainErrorAsJSON([]byte(b)); ok {
			t.Errorf("rewrote %q", b)
		}
	}
}
