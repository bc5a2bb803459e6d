// Package jsonc reads JSON with comments and trailing commas (JSONC, as
// wrangler.jsonc and tsconfig.json are written), for the wrangler rules of
// vet and the gateway's Worker configuration. It imports only the standard
// library.
package jsonc

// ToJSON returns src, JSON with comments (wrangler.jsonc), as JSON:
// line and block comments outside strings become spaces and a comma
// before a closing bracket or brace is dropped, so that the line numbers
// and the byte offsets of everything else are kept. Malformed input is
// left for the JSON decoder to refuse.
func ToJSON(src []byte) []byte {
	out := make([]byte, len(src))
	copy(out, src)
	blank := func(i, j int) {
		for ; i < j; i++ {
			if out[i] != '\n' {
				out[i] = ' '
			}
		}
	}
	comma := -1 // the last comma outside strings with only blanks after it
	for i := 0; i < len(out); i++ {
		switch c := out[i]; {
		case c == '"':
			comma = -1
			for i++; i < len(out) && out[i] != '"'; i++ {
				if out[i] == '\\' {
					i++
				}
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			j := i
			for j < len(out) && out[j] != '\n' {
				j++
			}
			blank(i, j)
			i = j - 1
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			j := i + 2
			for j+1 < len(out) && !(out[j] == '*' && out[j+1] == '/') {
				j++
			}
			j = min(j+2, len(out))
			blank(i, j)
			i = j - 1
		case c == ',':
			comma = i
		case c == '}' || c == ']':
			if comma >= 0 {
				out[comma] = ' '
			}
			comma = -1
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			comma = -1
		}
	}
	return out
}
