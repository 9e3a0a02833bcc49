package bridge

import (
	"net/url"
	"sort"
)

// withQuery returns base with params set in its query string. Parameters
// already in the URL are kept, except those params replaces, and the
// fragment stays where it was, as Appwrite's own OAuth2 token flow does.
func withQuery(base *url.URL, params map[string]string) string {
	u := *base
	query := u.Query()
	keys := make([]string, 0, len(params))
	for key := range params {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		query.Set(key, params[key])
	}
	u.RawQuery = query.Encode()
	return u.String()
}
