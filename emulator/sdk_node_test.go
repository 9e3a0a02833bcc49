package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/tokenbridge/tokenbridge/internal/browsertest"
)

// npmDir holds package.json, the lock file and the SDK scripts.
var npmDir = filepath.Join("..", "testdata", "npm")

// TestNodeSDK runs the official node-appwrite SDK against the emulator. Every
// request it sends is checked against the published specs by the test server.
func TestNodeSDK(t *testing.T) {
	browsertest.RequireNodeModules(t, npmDir, "node-appwrite")

	tests := []struct {
		givenVersion       string
		expectBlockedError string
	}{
		{"1.5.11", `{"error":{"type":"user_blocked","code":401}}`},
		{"1.9.6", `{"error":{"type":"user_blocked","code":403}}`},
	}
	for _, tt := range tests {
		t.Run(tt.givenVersion, func(t *testing.T) {
			env := newTestEnv(t, func(c *Config) { c.Version = tt.givenVersion })
			results := runNodeScript(t, "node-sdk.mjs", env.url+"/v1")

			expected := map[string]string{
				"create":                   `{"id":"sdk-alice","email":"alice@example.com","name":"Alice","status":true,"labels":[]}`,
				"createUnique":             `{"idLength":20}`,
				"createDuplicate":          `{"error":{"type":"user_already_exists","code":409}}`,
				"get":                      `{"id":"sdk-alice","emailVerification":false}`,
				"getMissing":               `{"error":{"type":"user_not_found","code":404}}`,
				"listByEmail":              `{"total":1,"ids":["sdk-alice"]}`,
				"search":                   `{"total":1,"names":["Bob"]}`,
				"updateLabels":             `{"labels":["admin","beta"]}`,
				"updateLabelsInvalid":      `{"error":{"type":"general_argument_invalid","code":400}}`,
				"createTokenInvalid":       `{"error":{"type":"general_argument_invalid","code":400}}`,
				"createToken":              `{"userId":"sdk-alice","secretLength":64,"hex":true}`,
				"createSessionWrongSecret": `{"error":{"type":"user_invalid_token","code":401}}`,
				"createSession":            `{"userId":"sdk-alice","provider":"token","hasSecret":true}`,
				"createSessionUsedSecret":  `{"error":{"type":"user_invalid_token","code":401}}`,
				"accountGet":               `{"id":"sdk-alice","email":"alice@example.com","labels":["admin","beta"]}`,
				"updateStatus":             `{"status":false}`,
				"accountGetBlocked":        tt.expectBlockedError,
				"wrongKey":                 `{"error":{"type":"general_unauthorized_scope","code":401}}`,
			}
			for step, want := range expected {
				checkStep(t, results, step, want)
			}

			// The second page of two users holds the generated one.
			var page struct {
				Total int      `json:"total"`
				IDs   []string `json:"ids"`
			}
			if err := json.Unmarshal(results["listPage"], &page); err != nil || page.Total != 2 || len(page.IDs) != 1 || page.IDs[0] == "sdk-alice" {
				t.Errorf("listPage = %s, want total 2 and the generated user", results["listPage"])
			}
		})
	}
}

// runNodeScript runs a script under npmDir with the endpoint, project and
// key in its environment and returns its JSON output by step name.
func runNodeScript(t *testing.T, script, endpoint string) map[string]json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, "node", filepath.Join(npmDir, script))
	cmd.Env = append(os.Environ(),
		"APPWRITE_ENDPOINT="+endpoint,
		"APPWRITE_PROJECT="+testProject,
		"APPWRITE_API_KEY="+testAPIKey,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstderr:\n%s", script, err, stderr.String())
	}

	var results map[string]json.RawMessage
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
		t.Fatalf("node %s printed no JSON object: %v\nstdout:\n%s\nstderr:\n%s", script, err, stdout.String(), stderr.String())
	}
	return results
}

// checkStep compares one step's JSON result with want, ignoring key order.
func checkStep(t *testing.T, results map[string]json.RawMessage, step, want string) {
	t.Helper()
	raw, ok := results[step]
	if !ok {
		t.Errorf("step %s: no result", step)
		return
	}
	var got, expected any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Errorf("step %s: result %s is not JSON: %v", step, raw, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &expected); err != nil {
		t.Fatalf("step %s: expected value %s is not JSON: %v", step, want, err)
	}
	if !reflect.DeepEqual(got, expected) {
		t.Errorf("step %s = %s, want %s", step, raw, want)
	}
}
