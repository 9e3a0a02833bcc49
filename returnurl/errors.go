package returnurl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors that Check wraps. Test with errors.Is.
var (
	// ErrMalformed means that the return URL is not a well-formed absolute
	// URL within the limits of this package.
	ErrMalformed = errors.New("malformed return URL")

	// ErrNotAllowed means that the return URL is well formed but matches no
	// allow-list entry, or uses a scheme that is never allowed.
	ErrNotAllowed = errors.New("return URL not allowed")
)

// maxExcerptLength is the maximum number of bytes of a rejected URL that
// an error message quotes.
const maxExcerptLength = 200

// RejectedError is the error that Check returns. Its message quotes an
// excerpt of the URL with control and non-ASCII characters escaped, and the
// reason, so it can be shown to a person. An HTML page must still escape it
// as text, because the excerpt may contain "<" and "&".
type RejectedError struct {
	// Excerpt is the rejected URL cut to 200 bytes and quoted as an ASCII Go
	// string literal, so control and non-ASCII characters appear escaped.
	Excerpt string

	// Reason is a plain description of the problem, without the URL.
	Reason string

	// Err is ErrMalformed or ErrNotAllowed.
	Err error
}

// Error returns the excerpt, the kind of rejection and the reason.
func (e *RejectedError) Error() string {
	if e.Err == ErrMalformed {
		return fmt.Sprintf("invalid return URL %s: %s", e.Excerpt, e.Reason)
	}
	return fmt.Sprintf("return URL %s is not allowed: %s", e.Excerpt, e.Reason)
}

// Unwrap returns ErrMalformed or ErrNotAllowed.
func (e *RejectedError) Unwrap() error {
	return e.Err
}

func malformed(raw, reason string) error {
	return &RejectedError{Excerpt: excerpt(raw), Reason: reason, Err: ErrMalformed}
}

func notAllowed(raw, reason string) error {
	return &RejectedError{Excerpt: excerpt(raw), Reason: reason, Err: ErrNotAllowed}
}

// excerpt returns raw cut to maxExcerptLength bytes, marked with "..." when
// cut, and quoted with every non-printable or non-ASCII character escaped.
func excerpt(raw string) string {
	if len(raw) <= maxExcerptLength {
		return strconv.QuoteToASCII(raw)
	}
	return strconv.QuoteToASCII(raw[:maxExcerptLength]) + "..."
}

// EntryError describes one invalid allow-list entry.
type EntryError struct {
	// Index is the zero-based position of the entry in the list given to
	// Parse.
	Index int

	// Entry is the entry as written, which may be long or contain control
	// characters. Error quotes a shortened, escaped form.
	Entry string

	// Problem is a description of what is wrong and, where it helps, of the
	// fix.
	Problem string
}

// Error names the index, the quoted entry and the problem.
func (e *EntryError) Error() string {
	return fmt.Sprintf("allow-list entry %d (%s): %s", e.Index, excerpt(e.Entry), e.Problem)
}

// ParseError lists every invalid entry that Parse found, in list order.
type ParseError struct {
	Entries []*EntryError
}

// Error returns one line per invalid entry.
func (e *ParseError) Error() string {
	lines := make([]string, len(e.Entries))
	for i, entryErr := range e.Entries {
		lines[i] = entryErr.Error()
	}
	return strings.Join(lines, "\n")
}
