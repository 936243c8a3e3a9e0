package httpapi

// Envelope is the JSON the API answers a handler's value v with: v's fields
// merged into {"ok":true,…}, or v as encoded when it carries its own ok (a
// verdict such as a matrix preview). NaN and ±Inf become null, as on the wire.
// The CLI prints it, so a subcommand's output is its route's answer.
func Envelope(v any) ([]byte, error) {
	return new(Server).envelope(v)
}
