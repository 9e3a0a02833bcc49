package providers

import (
	"strconv"
	"strings"
)

// ClaimNames names the claims an Identity is read from. Each name is a claim
// path as LookupClaim reads it, so nested claims ("realm_access.roles") and
// URL-shaped keys ("https://example.com/roles") both work. An empty field
// takes the default given beside it.
type ClaimNames struct {
	Email         string   // default "email"
	EmailVerified string   // default "email_verified"
	Name          string   // default "name"; given_name and family_name fill in when it is absent
	Groups        []string // default ["groups"]; the values of every path are merged
}

// withDefaults returns names with every empty field set to its default.
func (names ClaimNames) withDefaults() ClaimNames {
	if names.Email == "" {
		names.Email = "email"
	}
	if names.EmailVerified == "" {
		names.EmailVerified = "email_verified"
	}
	if names.Name == "" {
		names.Name = "name"
	}
	if len(names.Groups) == 0 {
		names.Groups = []string{"groups"}
	}
	return names
}

// LookupClaim returns the value at path in claims. A path is a claim name,
// or names joined by dots that lead into nested JSON objects. Because claim
// names may themselves contain dots (Auth0's namespaced claims are URLs),
// the whole remaining path is tried as one key first, and then each prefix
// that ends before a dot, longest first.
func LookupClaim(claims map[string]any, path string) (any, bool) {
	if path == "" {
		return nil, false
	}
	if value, ok := claims[path]; ok {
		return value, true
	}
	for i := strings.LastIndexByte(path, '.'); i > 0; i = strings.LastIndexByte(path[:i], '.') {
		nested, ok := claims[path[:i]].(map[string]any)
		if !ok {
			continue
		}
		if value, ok := LookupClaim(nested, path[i+1:]); ok {
			return value, true
		}
	}
	return nil, false
}

// claimStrings returns the claim at path as strings: a string gives itself,
// a list gives its scalar entries, and a number or boolean gives its JSON
// text. Empty strings, objects and nested lists are dropped.
func claimStrings(claims map[string]any, path string) []string {
	value, ok := LookupClaim(claims, path)
	if !ok {
		return nil
	}
	if list, ok := value.([]any); ok {
		out := make([]string, 0, len(list))
		for _, item := range list {
			if s, ok := scalarString(item); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	if s, ok := scalarString(value); ok && s != "" {
		return []string{s}
	}
	return nil
}

// scalarString formats a JSON scalar as its JSON text, so that configured
// values compare equal to the text shown in a decoded token.
func scalarString(value any) (string, bool) {
	switch v := value.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	default:
		return "", false
	}
}
