package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenbridge/tokenbridge/internal/testop"
)

func setExampleEnv(t *testing.T) {
	t.Setenv("APPWRITE_API_KEY", "example-api-key")
	t.Setenv("DEV_CLIENT_SECRET", "example-client-secret")
	t.Setenv("TOKENBRIDGE_HASH_KEY", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)))
	t.Setenv("TOKENBRIDGE_ENCRYPTION_KEY", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32)))
}

func TestCheckConfigExample(t *testing.T) {
	setExampleEnv(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"check-config", "--config", "../../config.example.yaml"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("check-config on the example: %v\nstderr: %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "configuration is valid") {
		t.Errorf("stdout: %s", stdout.String())
	}
	for _, secret := range []string{"example-api-key", "example-client-secret"} {
		if strings.Contains(stdout.String()+stderr.String(), secret) {
			t.Errorf("output contains the secret %q", secret)
		}
	}
}

func TestCheckConfigReportsProblemsWithLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	content := "server:\n  public_url: \"http://127.0.0.1:8080\"\n  lisen: \"127.0.0.1:1\"\nreturn_urls:\n  - \"javascript:alert(1)\"\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"check-config", "--config", path}, &stdout, &stderr)
	if err == nil {
		t.Fatal("check-config accepted a broken file")
	}
	msg := err.Error()
	for _, want := range []string{path + ":3: server.lisen", "appwrite", "providers", path + ":5: return_urls[0]"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestCheckConfigBadReturnURLNamesLine(t *testing.T) {
	setExampleEnv(t)
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(example), "return_urls:\n", "return_urls:\n  - \"https://*.com/\"\n", 1)
	if text == string(example) {
		t.Fatal("the example has no return_urls: line to extend")
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"check-config", "--config", path}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "return_urls[0]") || !strings.Contains(err.Error(), path+":") {
		t.Fatalf("want an error naming return_urls[0] with its line, got %v", err)
	}
}

func TestUnknownCommandAndUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, &stdout, &stderr); !errors.Is(err, errUsage) {
		t.Errorf("unknown command: err = %v, want errUsage", err)
	}
	if !strings.Contains(stderr.String(), `unknown command "frobnicate"`) {
		t.Errorf("stderr: %s", stderr.String())
	}
	if err := run(context.Background(), []string{"serve"}, &stdout, &stderr); !errors.Is(err, errUsage) {
		t.Errorf("serve without --config: err = %v", err)
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &stdout, &stdout); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), "tokenbridge ") {
		t.Errorf("version output: %q", stdout.String())
	}
}

// writeServeConfig writes a configuration for one provider at issuer and
// returns its path and the listen address.
func writeServeConfig(t *testing.T, issuer, clientSecret string) (string, string) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	listener.Close()
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	content := strings.Join([]string{
		"server:",
		"  listen: \"" + address + "\"",
		"  public_url: \"http://" + address + "\"",
		"  shutdown_timeout: 2s",
		"appwrite:",
		"  endpoint: \"http://127.0.0.1:9/v1\"",
		"  project_id: \"test\"",
		"  api_key: \"key\"",
		"flow:",
		"  keys:",
		"    - hash_key: \"" + key + "\"",
		"      encryption_key: \"" + key + "\"",
		"return_urls:",
		"  - \"http://127.0.0.1/done\"",
		"providers:",
		"  - id: test",
		"    issuer: \"" + issuer + "\"",
		"    client_id: \"testop-client\"",
		"    client_secret: \"" + clientSecret + "\"",
		"",
	}, "\n")
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, address
}

func TestServeRefusesIssuerMismatch(t *testing.T) {
	op := testop.New(t)
	op.SetDiscoveryFaults(testop.DiscoveryFaults{Issuer: "http://127.0.0.1:1/elsewhere"})
	path, _ := writeServeConfig(t, op.Issuer(), op.ClientSecret())

	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve", "--config", path}, &stdout, &stderr)
	if err == nil {
		t.Fatal("serve started despite an issuer mismatch")
	}
	for _, want := range []string{op.Issuer(), "http://127.0.0.1:1/elsewhere"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not print %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error()+stderr.String(), op.ClientSecret()) {
		t.Errorf("the client secret was printed")
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	op := testop.New(t)
	path, address := writeServeConfig(t, op.Issuer(), op.ClientSecret())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stdout, stderr bytes.Buffer
	go func() { done <- run(ctx, []string{"serve", "--config", path}, &stdout, &stderr) }()

	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.Dial("tcp", address)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve never listened on %s: %v", address, <-done)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
}

func TestServePortInUse(t *testing.T) {
	op := testop.New(t)
	path, address := writeServeConfig(t, op.Issuer(), op.ClientSecret())
	busy, err := net.Listen("tcp", address)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"serve", "--config", path}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "server.listen") || !strings.Contains(err.Error(), address) {
		t.Fatalf("want an error naming %s and server.listen, got %v", address, err)
	}
}
