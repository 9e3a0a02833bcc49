package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// dataFileFormat is the version of the data file layout.
const dataFileFormat = 1

// dataFileContent is the JSON layout of Config.DataFile. Token and session
// secrets are stored only as SHA-256 hashes.
type dataFileContent struct {
	Format    int              `json:"format"`
	ProjectID string           `json:"projectId"`
	NextSeq   int64            `json:"nextSeq"`
	Users     []*userRecord    `json:"users"`
	Tokens    []*tokenRecord   `json:"tokens"`
	Sessions  []*sessionRecord `json:"sessions"`
}

// loadDataFile reads the state saved at path. A missing file gives an empty
// state. A file that cannot be parsed or does not fit projectID gives an
// error naming the path, and the file is left as it is.
func loadDataFile(path, projectID string) (*store, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newStore(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read emulator data file %s: %w", path, err)
	}

	var content dataFileContent
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&content); err != nil {
		return nil, fmt.Errorf("emulator data file %s is damaged (fix it or move it away; it was not changed): %w", path, err)
	}
	if err := checkDataFile(&content, projectID); err != nil {
		return nil, fmt.Errorf("emulator data file %s is damaged (fix it or move it away; it was not changed): %w", path, err)
	}

	st := newStore()
	st.nextSeq = content.NextSeq
	for _, u := range content.Users {
		st.users[u.ID] = u
	}
	for _, tok := range content.Tokens {
		st.tokens[tok.ID] = tok
	}
	for _, sess := range content.Sessions {
		st.sessions[sess.ID] = sess
	}
	return st, nil
}

// checkDataFile verifies what the server relies on: the format, the
// project, valid and unique user IDs, and tokens and sessions that belong to
// a known user.
func checkDataFile(content *dataFileContent, projectID string) error {
	if content.Format != dataFileFormat {
		return fmt.Errorf("format is %d, want %d", content.Format, dataFileFormat)
	}
	if content.ProjectID != projectID {
		return fmt.Errorf("it belongs to project %q, not %q", content.ProjectID, projectID)
	}

	users := map[string]bool{}
	for i, u := range content.Users {
		if u == nil || !idPattern.MatchString(u.ID) {
			return fmt.Errorf("users[%d] has no valid ID", i)
		}
		if users[u.ID] {
			return fmt.Errorf("users[%d]: user ID %s appears twice", i, u.ID)
		}
		users[u.ID] = true
	}
	for i, tok := range content.Tokens {
		if tok == nil || tok.ID == "" || !users[tok.UserID] || tok.SecretHash == "" {
			return fmt.Errorf("tokens[%d] is incomplete or names an unknown user", i)
		}
	}
	for i, sess := range content.Sessions {
		if sess == nil || sess.ID == "" || !users[sess.UserID] || sess.SecretHash == "" {
			return fmt.Errorf("sessions[%d] is incomplete or names an unknown user", i)
		}
	}
	return nil
}

// saveDataFile writes the state to path atomically: a temporary file in
// the same folder, synced, then renamed over the old one. The file is
// readable by its owner only, as it holds e-mails and password hashes.
func saveDataFile(path, projectID string, st *store) error {
	content := dataFileContent{
		Format:    dataFileFormat,
		ProjectID: projectID,
		NextSeq:   st.nextSeq,
		Users:     st.usersInOrder(),
		Tokens:    make([]*tokenRecord, 0, len(st.tokens)),
		Sessions:  make([]*sessionRecord, 0, len(st.sessions)),
	}
	for _, tok := range st.tokens {
		content.Tokens = append(content.Tokens, tok)
	}
	for _, sess := range st.sessions {
		content.Sessions = append(content.Sessions, sess)
	}
	// Sorted by ID so that unchanged state gives an unchanged file.
	slices.SortFunc(content.Tokens, func(a, b *tokenRecord) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(content.Sessions, func(a, b *sessionRecord) int { return strings.Compare(a.ID, b.ID) })

	raw, err := json.MarshalIndent(content, "", "  ")
	if err != nil {
		return fmt.Errorf("encode emulator data file %s: %w", path, err)
	}
	return writeFileAtomic(path, append(raw, '\n'))
}

// writeFileAtomic replaces path with data so that readers see either the
// old or the new content, never a partial file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write emulator data file %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op after a successful rename

	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write emulator data file %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync emulator data file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close emulator data file %s: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("replace emulator data file %s: %w", path, err)
	}
	return nil
}
