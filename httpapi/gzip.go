package httpapi

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// gzipTypes are the responses worth compressing: JSON answers and CSV
// downloads (Parquet, PNG and zstd artifacts are compressed already).
var gzipTypes = []string{"application/json", "text/csv", "application/problem+json"}

// withGzip compresses JSON and CSV answers for clients that accept gzip
// (bodies under 1 KiB go as they are). Partial content (Range) is never
// compressed, so byte ranges keep meaning bytes of the file.
func (s *Server) withGzip(h http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.ContentTypes(gzipTypes), gzhttp.MinSize(1024))
	if err != nil { // only on invalid options, which are constant here
		panic(err)
	}
	return wrap(h)
}
