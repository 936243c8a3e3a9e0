package httpapi

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Listener wraps ln for serving the API:
//
//   - at most Limits.MaxConns connections are open at once; further ones wait
//     in the kernel's accept queue until one closes (the shape of
//     golang.org/x/net/netutil.LimitListener, a few lines not worth a module);
//   - the plain-text answers net/http writes itself, before any handler can
//     run, are rewritten into the JSON envelope (see plainErrorAsJSON).
func (s *Server) Listener(ln net.Listener) net.Listener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, s.opts.Limits.MaxConns), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &apiConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// apiConn is an accepted connection: it frees its place on Close and turns
// net/http's own plain-text error answers into JSON.
type apiConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *apiConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite keeps net/http's orderly close (half-close, then drain) after an
// error answer; without it the client may see a reset instead of the answer.
func (c *apiConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *apiConn) Write(b []byte) (int, error) {
	if out, ok := plainErrorAsJSON(b); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// netHTTPErrorHeaders are the only headers of the answers net/http writes
// straight to the connection when it cannot read a request (a malformed
// request line or header, a bad escape in the path, headers over
// MaxHeaderBytes, an unsupported transfer encoding). No handler sees those
// requests, so this is the one place their answers can be shaped. An answer
// from a handler never matches: net/http writes its headers sorted (Connection
// before Content-Type) and always adds Date.
const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// plainErrorAsJSON rewrites one of net/http's plain-text error answers (whole,
// in b) into the JSON envelope with the same status. ok is false for anything
// else, which then passes unchanged.
func plainErrorAsJSON(b []byte) (out []byte, ok bool) {
	const proto = "HTTP/1.1 "
	if !bytes.HasPrefix(b, []byte(proto)) {
		return nil, false
	}
	i := bytes.Index(b, []byte("\r\n")) // end of the status line
	if i < len(proto)+3 || !bytes.HasPrefix(b[i:], []byte(netHTTPErrorHeaders)) {
		return nil, false
	}
	code, err := strconv.Atoi(string(b[len(proto) : len(proto)+3]))
	if err != nil || code < 400 || code > 599 {
		return nil, false
	}
	msg := strings.TrimSpace(string(b[i+len(netHTTPErrorHeaders):]))
	if msg == "400 Bad Request" { // net/http says no more for a bad request line or URL
		msg = "400 Bad Request: malformed request line (method, URL or a %-escape in it) or header"
	}
	body, err := MarshalJSON(errorBody{Error: msg, Code: netHTTPErrorCode(code)})
	if err != nil {
		return nil, false
	}
	body = append(body, '\n')
	head := proto + strconv.Itoa(code) + " " + http.StatusText(code) +
		"\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n"
	return append([]byte(head), body...), true
}

// netHTTPErrorCode is the envelope code of a status net/http answers itself.
func netHTTPErrorCode(code int) string {
	if code == http.StatusRequestHeaderFieldsTooLarge {
		return "header_too_large"
	}
	return strings.ReplaceAll(strings.ToLower(http.StatusText(code)), " ", "_")
}
