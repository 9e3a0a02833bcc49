package config

import (
	"fmt"
	"regexp"
	"strings"
)

var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expandResult is the outcome of expanding one scalar value.
type expandResult struct {
	value string
	// missing lists the variables that are unset and have no default.
	missing []string
	// syntax describes a malformed reference, or is empty when there is none.
	syntax string
}

// expandEnv replaces ${NAME} with the variable's value and ${NAME:-default}
// with the value, or with default when the variable is unset or empty.
// $${ stands for a literal ${, and a $ followed by anything else stays as
// it is. A default ends at the first }, so it cannot contain one.
func expandEnv(s string, lookupEnv func(string) (string, bool)) expandResult {
	if !strings.Contains(s, "${") {
		return expandResult{value: s}
	}

	var res expandResult
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				res.syntax = "has a ${ without a closing } (close it, or write $${ for a literal ${)"
				return res
			}
			ref := s[i+2 : i+2+end]
			i += 2 + end + 1

			name, fallback, hasDefault := strings.Cut(ref, ":-")
			if !envNamePattern.MatchString(name) {
				// Print only the name: a default may hold a secret.
				res.syntax = fmt.Sprintf("has an invalid variable name %q in ${...} (use letters, digits and _, not starting with a digit)", name)
				return res
			}
			value, ok := lookupEnv(name)
			switch {
			case hasDefault && value == "":
				b.WriteString(fallback)
			case ok:
				b.WriteString(value)
			default:
				res.missing = append(res.missing, name)
			}
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	res.value = b.String()
	return res
}
