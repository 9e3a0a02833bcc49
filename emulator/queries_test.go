package emulator

import (
	"net/url"
	"slices"
	"strconv"
	"testing"
)

// listPath builds GET /v1/users with queries in the SDKs' queries[N] form.
func listPath(extra url.Values, queries ...string) string {
	values := url.Values{}
	for i, q := range queries {
		values.Set("queries["+strconv.Itoa(i)+"]", q)
	}
	for key, vals := range extra {
		values[key] = vals
	}
	return "/v1/users?" + values.Encode()
}

func listIDs(t *testing.T, r *response) (ids []string, total float64) {
	t.Helper()
	body := r.json(t)
	users, _ := body["users"].([]any)
	for _, u := range users {
		ids = append(ids, u.(map[string]any)["$id"].(string))
	}
	total, _ = body["total"].(float64)
	return ids, total
}

func TestListUsersQueries(t *testing.T) {
	tests := []struct {
		name        string
		givenPath   string
		expectIDs   []string
		expectTotal float64
	}{
		{"no queries lists all in creation order", listPath(nil), []string{"carol", "alice", "bob"}, 3},
		{"equal on email", listPath(nil, `{"method":"equal","attribute":"email","values":["alice@example.com"]}`), []string{"alice"}, 1},
		{"equal on email with several values", listPath(nil, `{"method":"equal","attribute":"email","values":["alice@example.com","bob@example.com"]}`), []string{"alice", "bob"}, 2},
		{"equal on unknown email", listPath(nil, `{"method":"equal","attribute":"email","values":["zed@example.com"]}`), nil, 0},
		{"equal on status", listPath(nil, `{"method":"equal","attribute":"status","values":[false]}`), []string{"bob"}, 1},
		{"equal on name", listPath(nil, `{"method":"equal","attribute":"name","values":["Carol"]}`), []string{"carol"}, 1},
		{"contains on labels", listPath(nil, `{"method":"contains","attribute":"labels","values":["admin"]}`), []string{"alice"}, 1},
		{"notEqual on email", listPath(nil, `{"method":"notEqual","attribute":"email","values":["alice@example.com"]}`), []string{"carol", "bob"}, 2},
		{"startsWith on email", listPath(nil, `{"method":"startsWith","attribute":"email","values":["b"]}`), []string{"bob"}, 1},
		{"limit", listPath(nil, `{"method":"limit","values":[2]}`), []string{"carol", "alice"}, 3},
		{"limit and offset", listPath(nil, `{"method":"limit","values":[1]}`, `{"method":"offset","values":[1]}`), []string{"alice"}, 3},
		{"offset past the end", listPath(nil, `{"method":"offset","values":[10]}`), nil, 3},
		{"orderDesc on name", listPath(nil, `{"method":"orderDesc","attribute":"name"}`), []string{"carol", "bob", "alice"}, 3},
		{"cursorAfter", listPath(nil, `{"method":"cursorAfter","values":["carol"]}`), []string{"alice", "bob"}, 3},
		{"cursorBefore", listPath(nil, `{"method":"cursorBefore","values":["bob"]}`), []string{"carol", "alice"}, 3},
		{"filter with limit keeps total", listPath(nil, `{"method":"notEqual","attribute":"name","values":["Carol"]}`, `{"method":"limit","values":[1]}`), []string{"alice"}, 2},
		{"search by e-mail word", listPath(url.Values{"search": {"bob"}}), []string{"bob"}, 1},
		{"search by name prefix", listPath(url.Values{"search": {"car"}}), []string{"carol"}, 1},
		{"search with no match", listPath(url.Values{"search": {"nobody"}}), nil, 0},
		{"total=false skips the count", listPath(url.Values{"total": {"false"}}), []string{"carol", "alice", "bob"}, 0},
		{"queries[] form", "/v1/users?queries[]=" + url.QueryEscape(`{"method":"equal","attribute":"$id","values":["bob"]}`), []string{"bob"}, 1},
	}

	env := newTestEnv(t)
	env.createUser("carol", "carol@example.com", "Carol")
	env.createUser("alice", "alice@example.com", "Alice")
	env.createUser("bob", "bob@example.com", "Bob")
	mustStatus(t, env.withKey("PATCH", "/v1/users/bob/status", map[string]any{"status": false}), 200)
	mustStatus(t, env.withKey("PUT", "/v1/users/alice/labels", map[string]any{"labels": []string{"admin"}}), 200)

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.withKey("GET", tt.givenPath, nil)
			mustStatus(t, r, 200)
			ids, total := listIDs(t, r)
			if !slices.Equal(ids, tt.expectIDs) {
				t.Errorf("users = %v, want %v", ids, tt.expectIDs)
			}
			if total != tt.expectTotal {
				t.Errorf("total = %v, want %v", total, tt.expectTotal)
			}
		})
	}
}

func TestListUsersDefaultLimit(t *testing.T) {
	env := newTestEnv(t)
	for i := range 30 {
		env.createUser("user"+strconv.Itoa(i), "", "")
	}
	ids, total := listIDs(t, env.withKey("GET", "/v1/users", nil))
	if len(ids) != 25 || total != 30 {
		t.Errorf("got %d users and total %v, want 25 of 30", len(ids), total)
	}
}

func TestListUsersRejectsBadQueries(t *testing.T) {
	tests := []struct {
		name       string
		givenPath  string
		expectType string
	}{
		{"not JSON", listPath(nil, `nope`), "general_argument_invalid"},
		{"legacy function syntax", listPath(nil, `equal("email", ["a@b.c"])`), "general_argument_invalid"},
		{"unknown method", listPath(nil, `{"method":"fuzzy","attribute":"email","values":["a"]}`), "general_argument_invalid"},
		{"attribute not filterable", listPath(nil, `{"method":"equal","attribute":"password","values":["x"]}`), "general_argument_invalid"},
		{"value of wrong type", listPath(nil, `{"method":"equal","attribute":"status","values":["false"]}`), "general_argument_invalid"},
		{"equal without values", listPath(nil, `{"method":"equal","attribute":"email","values":[]}`), "general_argument_invalid"},
		{"limit of zero", listPath(nil, `{"method":"limit","values":[0]}`), "general_argument_invalid"},
		{"negative offset", listPath(nil, `{"method":"offset","values":[-1]}`), "general_argument_invalid"},
		{"unknown cursor", listPath(nil, `{"method":"cursorAfter","values":["nobody"]}`), "general_cursor_not_found"},
		{"search over 256 chars", listPath(url.Values{"search": {string(make([]byte, 257))}}), "general_argument_invalid"},
	}
	env := newTestEnv(t)
	env.createUser("alice", "alice@example.com", "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.withKey("GET", tt.givenPath, nil)
			mustStatus(t, r, 400)
			if r.errorType(t) != tt.expectType {
				t.Errorf("type = %s, want %s", r.errorType(t), tt.expectType)
			}
		})
	}
}
