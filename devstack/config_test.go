package devstack

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func testSettings() devSettings {
	s := newDevSettings()
	s.listen = "127.0.0.1:8080"
	s.publicURL = "http://127.0.0.1:8080"
	s.logFormat = "json"
	s.endpoint = "http://127.0.0.1:8090/v1"
	s.issuer = "http://127.0.0.1:9998"
	s.returnURLs = []string{"http://127.0.0.1:3000/done", "http://127.0.0.1:3000/failed"}
	return s
}

func TestRenderConfigRoundTrip(t *testing.T) {
	settings := testSettings()
	data, err := renderConfig(settings)
	if err != nil {
		t.Fatalf("renderConfig: %v", err)
	}

	cfg, err := parseConfig("dev.yaml", data)
	if err != nil {
		t.Fatalf("parse generated configuration: %v\n%s", err, data)
	}

	if cfg.Server.Listen != settings.listen || cfg.Server.PublicURL != settings.publicURL {
		t.Errorf("server = %+v, want listen %s and public_url %s", cfg.Server, settings.listen, settings.publicURL)
	}
	if cfg.Server.LogFormat != "json" {
		t.Errorf("log_format = %q, want json", cfg.Server.LogFormat)
	}
	if cfg.Appwrite.Endpoint != settings.endpoint || cfg.Appwrite.ProjectID != ProjectID {
		t.Errorf("appwrite = %s %s, want %s %s", cfg.Appwrite.Endpoint, cfg.Appwrite.ProjectID, settings.endpoint, ProjectID)
	}
	if cfg.Appwrite.APIKey.Reveal() != settings.apiKey {
		t.Error("appwrite.api_key differs from the emulator's API key")
	}
	if !slices.Equal(cfg.ReturnURLs, settings.returnURLs) {
		t.Errorf("return_urls = %v, want %v", cfg.ReturnURLs, settings.returnURLs)
	}
	if len(cfg.Flow.Keys) != 1 {
		t.Fatalf("flow.keys has %d pairs, want 1", len(cfg.Flow.Keys))
	}
	hash, encryption, err := cfg.Flow.Keys[0].Decode()
	if err != nil || len(hash) != 32 || len(encryption) != 32 {
		t.Errorf("flow.keys[0] decodes to %d and %d bytes (err %v), want 32 and 32", len(hash), len(encryption), err)
	}

	if len(cfg.Providers) != 1 {
		t.Fatalf("providers has %d entries, want 1", len(cfg.Providers))
	}
	p := cfg.Providers[0]
	if p.ID != ProviderID || p.Issuer != settings.issuer || p.ClientID != ClientID {
		t.Errorf("provider = %s %s %s, want %s %s %s", p.ID, p.Issuer, p.ClientID, ProviderID, settings.issuer, ClientID)
	}
	if p.ClientSecret.Reveal() != settings.clientSecret {
		t.Error("providers[0].client_secret differs from the provider's client secret")
	}
	if p.LinkByEmail {
		t.Error("providers[0].link_by_email is on, want off")
	}
	if warnings := cfg.Warnings(); len(warnings) > 0 {
		t.Errorf("generated configuration has warnings: %v", warnings)
	}
}

func TestRenderConfigNewSecretsEachTime(t *testing.T) {
	first, err := renderConfig(testSettings())
	if err != nil {
		t.Fatalf("renderConfig: %v", err)
	}
	second, err := renderConfig(testSettings())
	if err != nil {
		t.Fatalf("renderConfig: %v", err)
	}
	a, _ := parseConfig("a.yaml", first)
	b, _ := parseConfig("b.yaml", second)

	if a.Flow.Keys[0].HashKey.Reveal() == b.Flow.Keys[0].HashKey.Reveal() {
		t.Error("two configurations share a hash key")
	}
	if a.Appwrite.APIKey.Reveal() == b.Appwrite.APIKey.Reveal() {
		t.Error("two configurations share an API key")
	}
	if a.Providers[0].ClientSecret.Reveal() == b.Providers[0].ClientSecret.Reveal() {
		t.Error("two configurations share a client secret")
	}
}

func TestWriteConfigMode(t *testing.T) {
	tests := []struct {
		name      string
		givenFile bool // an older file with mode 0644 exists
	}{
		{name: "new file in a new folder"},
		{name: "replaces a readable file", givenFile: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokenbridge", "dev.yaml")
			if tt.givenFile {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
			}

			if err := writeConfig(path, []byte("new: true\n")); err != nil {
				t.Fatalf("writeConfig: %v", err)
			}

			info, err := os.Stat(path)
			if err != nil {
				t.Fatalf("stat: %v", err)
			}
			if mode := info.Mode().Perm(); mode != 0o600 {
				t.Errorf("mode = %o, want 600", mode)
			}
			content, _ := os.ReadFile(path)
			if string(content) != "new: true\n" {
				t.Errorf("content = %q, want the new content", content)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("folder holds %d entries, want only dev.yaml (no temporary file left)", len(entries))
			}
		})
	}
}

func TestDefaultConfigPath(t *testing.T) {
	path, err := DefaultConfigPath()
	if err != nil {
		t.Skipf("no user configuration folder here: %v", err)
	}
	if !strings.HasSuffix(path, filepath.Join("tokenbridge", "dev.yaml")) {
		t.Errorf("DefaultConfigPath = %q, want it to end in tokenbridge/dev.yaml", path)
	}
}
