package emulator

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// restart stops env's server and starts a new one on the same data file.
func restart(t *testing.T, env *testEnv, dataFile string) *testEnv {
	t.Helper()
	if err := env.server.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return newTestEnv(t, func(c *Config) { c.DataFile = dataFile })
}

func TestDataFileRoundTrip(t *testing.T) {
	dataFile := filepath.Join(t.TempDir(), "users.json")
	env := newTestEnv(t, func(c *Config) { c.DataFile = dataFile })
	env.createUser("alice", "alice@example.com", "Alice")
	env.createUser("unique()", "bob@example.com", "Bob")
	mustStatus(t, env.withKey("PUT", "/v1/users/alice/labels", map[string]any{"labels": []string{"admin"}}), 200)
	mustStatus(t, env.withKey("PATCH", "/v1/users/alice/prefs", map[string]any{"prefs": map[string]any{"theme": "dark"}}), 200)
	tokenSecret := env.createToken("alice", nil)
	session := env.signIn("alice")
	before := env.withKey("GET", "/v1/users/alice", nil).body

	env = restart(t, env, dataFile)

	after := env.withKey("GET", "/v1/users/alice", nil)
	mustStatus(t, after, 200)
	if string(after.body) != string(before) {
		t.Errorf("user after restart:\n%s\nwant\n%s", after.body, before)
	}
	ids, total := listIDs(t, env.withKey("GET", "/v1/users", nil))
	if total != 2 || ids[0] != "alice" {
		t.Errorf("users after restart = %v (total %v), want alice first of 2", ids, total)
	}
	mustStatus(t, env.request("GET", "/v1/account", nil, asSession(session)), http.StatusOK)
	mustStatus(t, env.request("POST", "/v1/account/sessions/token", map[string]string{"userId": "alice", "secret": tokenSecret}, nil), http.StatusCreated)

	// A user created after the restart still sorts after the loaded ones.
	env.createUser("carol", "", "")
	ids, _ = listIDs(t, env.withKey("GET", "/v1/users", nil))
	if ids[len(ids)-1] != "carol" {
		t.Errorf("users = %v, want carol last", ids)
	}
}

func TestDataFileKeepsNoPlainSecrets(t *testing.T) {
	dataFile := filepath.Join(t.TempDir(), "users.json")
	env := newTestEnv(t, func(c *Config) { c.DataFile = dataFile })
	env.createUser("alice", "", "")
	tokenSecret := env.createToken("alice", map[string]any{"length": 32})
	session := env.signIn("alice")
	es, _ := decodeSession(session)

	raw, err := os.ReadFile(dataFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), tokenSecret) {
		t.Error("data file contains a token secret")
	}
	if strings.Contains(string(raw), es.Secret) {
		t.Error("data file contains a session secret")
	}
	if !strings.Contains(string(raw), hashSecret(tokenSecret)) {
		t.Error("data file lacks the token hash")
	}

	info, err := os.Stat(dataFile)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("data file mode = %o, want 600", perm)
	}
}

func TestDataFileWrittenAtomically(t *testing.T) {
	dir := t.TempDir()
	dataFile := filepath.Join(dir, "users.json")
	env := newTestEnv(t, func(c *Config) { c.DataFile = dataFile })
	for _, id := range []string{"a1", "a2", "a3"} {
		env.createUser(id, "", "")
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "users.json" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want only users.json (no temporary files left)", names)
	}
}

func TestDataFileDamaged(t *testing.T) {
	tests := []struct {
		name         string
		givenContent string
		expectInErr  string
	}{
		{"not JSON", "{not json", "is damaged"},
		{"empty file", "", "is damaged"},
		{"truncated", `{"format":1,"projectId":"test-project","users":[`, "is damaged"},
		{"unknown field", `{"format":1,"projectId":"test-project","extra":true}`, "is damaged"},
		{"other format", `{"format":2,"projectId":"test-project"}`, "format is 2"},
		{"other project", `{"format":1,"projectId":"elsewhere"}`, `belongs to project "elsewhere"`},
		{"invalid user ID", `{"format":1,"projectId":"test-project","users":[{"id":"-x"}]}`, "users[0]"},
		{"duplicate user", `{"format":1,"projectId":"test-project","users":[{"id":"a"},{"id":"a"}]}`, "appears twice"},
		{"token of unknown user", `{"format":1,"projectId":"test-project","tokens":[{"id":"t","userId":"ghost","secretHash":"00"}]}`, "tokens[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataFile := filepath.Join(t.TempDir(), "users.json")
			if err := os.WriteFile(dataFile, []byte(tt.givenContent), 0o600); err != nil {
				t.Fatal(err)
			}

			_, err := New(Config{ProjectID: testProject, APIKey: testAPIKey, DataFile: dataFile})
			if err == nil {
				t.Fatal("New accepted a damaged data file")
			}
			if !strings.Contains(err.Error(), dataFile) || !strings.Contains(err.Error(), tt.expectInErr) {
				t.Errorf("error = %v, want it to name %s and contain %q", err, dataFile, tt.expectInErr)
			}

			raw, readErr := os.ReadFile(dataFile)
			if readErr != nil || string(raw) != tt.givenContent {
				t.Errorf("damaged file was changed: now %q", raw)
			}
		})
	}
}

func TestDataFileMissingStartsEmpty(t *testing.T) {
	dataFile := filepath.Join(t.TempDir(), "new.json")
	env := newTestEnv(t, func(c *Config) { c.DataFile = dataFile })
	if _, total := listIDs(t, env.withKey("GET", "/v1/users", nil)); total != 0 {
		t.Errorf("total = %v, want 0", total)
	}
	if err := env.server.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(dataFile); err != nil {
		t.Errorf("Close did not write the data file: %v", err)
	}
}

func TestDataFileWriteFailure(t *testing.T) {
	dataFile := filepath.Join(t.TempDir(), "missing-folder", "users.json")
	server, err := New(Config{ProjectID: testProject, APIKey: testAPIKey, DataFile: dataFile})
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	req := httptest.NewRequest("POST", "/v1/users", strings.NewReader(`{"userId":"alice"}`))
	req.Header.Set("X-Appwrite-Project", testProject)
	req.Header.Set("X-Appwrite-Key", testAPIKey)
	rec := httptest.NewRecorder()
	specCheckingHandler(t, server).ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "general_server_error") {
		t.Errorf("response = %d %s, want 500 general_server_error", rec.Code, rec.Body)
	}
	if err := server.Close(); err == nil || !strings.Contains(err.Error(), dataFile) {
		t.Errorf("Close error = %v, want one naming %s", err, dataFile)
	}
}
