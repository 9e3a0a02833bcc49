package config

import (
	"reflect"
	"sort"
	"strings"
)

// suggestKey returns the hint for an unknown key in struct type t: the
// closest allowed key when one is near enough to be a likely typo, else the
// list of allowed keys.
func suggestKey(key string, t reflect.Type) string {
	var names []string
	for name := range yamlFields(t) {
		names = append(names, name)
	}
	sort.Strings(names)

	best, bestDistance := "", -1
	want := normalizeKey(key)
	for _, name := range names {
		dist := editDistance(want, normalizeKey(name))
		if bestDistance < 0 || dist < bestDistance {
			best, bestDistance = name, dist
		}
	}

	// Allow one edit in short names and two in longer ones, so "nme" finds
	// name but "url" does not find "id".
	limit := 2
	if len(want) <= 4 {
		limit = 1
	}
	if best != "" && bestDistance <= limit {
		return "did you mean " + best + "?"
	}
	return "allowed keys: " + strings.Join(names, ", ")
}

// normalizeKey folds case and drops separators, so clientId, client-id and
// CLIENT_ID all compare equal to client_id.
func normalizeKey(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("_", "", "-", "").Replace(s)
}

// editDistance returns the Levenshtein distance between a and b in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
