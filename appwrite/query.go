package appwrite

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Query is one list query in the JSON form Appwrite reads from 1.5.0 on, for
// example {"method":"equal","attribute":"email","values":["a@example.com"]}.
// Build values with QueryEqual, QueryLimit and QueryOffset.
type Query string

// queryJSON is the wire form of a Query. Attribute is left out for methods
// without one, such as limit and offset, as the official SDKs do.
type queryJSON struct {
	Method    string `json:"method"`
	Attribute string `json:"attribute,omitempty"`
	Values    []any  `json:"values"`
}

// QueryEqual matches documents whose attribute equals any of values. The
// Users API filters on name, email, phone, status, passwordUpdate,
// registration, emailVerification, phoneVerification and labels.
// QueryEqual panics if a value cannot be encoded as JSON, as for a channel
// or a function.
func QueryEqual(attribute string, values ...any) Query {
	if values == nil {
		values = []any{}
	}
	return newQuery(queryJSON{Method: "equal", Attribute: attribute, Values: values})
}

// QueryLimit caps the number of results on a page.
func QueryLimit(n int) Query {
	return newQuery(queryJSON{Method: "limit", Values: []any{n}})
}

// QueryOffset skips the first n results.
func QueryOffset(n int) Query {
	return newQuery(queryJSON{Method: "offset", Values: []any{n}})
}

func newQuery(q queryJSON) Query {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep <, > and & as they are, like JSON.stringify
	if err := enc.Encode(q); err != nil {
		panic(fmt.Sprintf("appwrite: encode %s query on %q: %v", q.Method, q.Attribute, err))
	}
	return Query(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
