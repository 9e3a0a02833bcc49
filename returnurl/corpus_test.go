package returnurl

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// corpusEntries is the allow-list that the corpora in testdata and the fuzz
// target run against.
var corpusEntries = []string{
	"https://app.example.com/auth/done",
	"https://app.example.com:8443/cb",
	"https://*.tenant.example.net/callback",
	"https://static.example.org/*",
	"https://docs.example.org/guide/*",
	"http://127.0.0.1/callback",
	"http://localhost/callback",
	"http://[::1]/callback",
	"http://localhost:3000/fixed",
	"appwrite-callback-abc123://",
	"myapp://callback",
	"myapp://oauth/done",
	"http://legacy.example.com/cb",
	"https://192.0.2.10/cb",
	"https://xn--bcher-kva.example/cb",
}

func mustParse(t testing.TB, entries []string) *AllowList {
	t.Helper()
	list, err := Parse(entries)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return list
}

// readCorpus returns the lines of a testdata file without comment lines and
// blank lines. Lines are not trimmed, because leading and trailing spaces
// are part of some hostile URLs.
func readCorpus(t testing.TB, name string) []string {
	t.Helper()
	file, err := os.Open(name)
	if err != nil {
		t.Fatalf("open corpus: %v", err)
	}
	defer file.Close()

	var lines []string
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for scanner.Scan() {
		line := scanner.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lines = append(lines, line)
	}
	if err := scanner.Err(); err != nil {
		t.Fatalf("read corpus %s: %v", name, err)
	}
	return lines
}

func TestCheckRejectsHostileCorpus(t *testing.T) {
	list := mustParse(t, corpusEntries)
	lines := readCorpus(t, "testdata/hostile.txt")
	if len(lines) < 300 {
		t.Fatalf("hostile corpus has %d URLs, want at least 300", len(lines))
	}

	for _, line := range lines {
		got, err := list.Check(line)
		if err == nil {
			t.Errorf("Check(%q) = %q, want an error", line, got)
		}
		if got != nil {
			t.Errorf("Check(%q) returned a URL together with error %v", line, err)
		}
	}
}

func TestCheckAcceptsAllowedCorpus(t *testing.T) {
	list := mustParse(t, corpusEntries)
	lines := readCorpus(t, "testdata/allowed.txt")
	if len(lines) == 0 {
		t.Fatal("allowed corpus is empty")
	}

	for _, line := range lines {
		input, want, found := strings.Cut(line, "\t")
		if !found {
			t.Errorf("allowed corpus line %q has no tab before the expected URL", line)
			continue
		}
		got, err := list.Check(input)
		if err != nil {
			t.Errorf("Check(%q): %v", input, err)
			continue
		}
		if got.String() != want {
			t.Errorf("Check(%q) = %q, want %q", input, got.String(), want)
		}
	}
}
