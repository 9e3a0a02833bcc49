package emulator

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Limits of GET /v1/users, from Appwrite 1.5.11.
const (
	maxQueries       = 100
	maxQueryChars    = 4096
	maxSearchChars   = 256
	defaultPageLimit = 25
)

// attributeKind is the comparison type of a user attribute in queries.
type attributeKind int

const (
	kindString attributeKind = iota // also datetimes, which sort as text in Appwrite's format
	kindBool
	kindArray
)

// userAttributes are the attributes queries may name: the ones Appwrite
// lists as filterable for users, plus $id, $createdAt and $updatedAt, which
// every collection allows.
var userAttributes = map[string]attributeKind{
	"$id":               kindString,
	"$createdAt":        kindString,
	"$updatedAt":        kindString,
	"name":              kindString,
	"email":             kindString,
	"phone":             kindString,
	"status":            kindBool,
	"passwordUpdate":    kindString,
	"registration":      kindString,
	"emailVerification": kindBool,
	"phoneVerification": kindBool,
	"labels":            kindArray,
}

// attributeValue returns a user's value for a query attribute: a string, a
// bool or a []string.
func attributeValue(u *userRecord, attribute string) any {
	switch attribute {
	case "$id":
		return u.ID
	case "$createdAt", "registration":
		return formatTime(u.CreatedAt)
	case "$updatedAt":
		return formatTime(u.UpdatedAt)
	case "name":
		return u.Name
	case "email":
		return u.Email
	case "phone":
		return u.Phone
	case "status":
		return u.Status
	case "passwordUpdate":
		return formatTime(u.PasswordUpdate)
	case "emailVerification":
		return u.EmailVerification
	case "phoneVerification":
		return u.PhoneVerification
	case "labels":
		return u.Labels
	}
	return nil
}

// query is one decoded entry of the `queries` parameter. Appwrite 1.5 and
// later take each as a JSON object such as
// {"method":"equal","attribute":"email","values":["a@b.c"]}.
type query struct {
	Method    string `json:"method"`
	Attribute string `json:"attribute"`
	Values    []any  `json:"values"`
}

// userQuery is a parsed `queries` list.
type userQuery struct {
	filters      []func(*userRecord) bool
	orders       []orderBy
	limit        int
	offset       int
	cursor       string
	cursorBefore bool
}

type orderBy struct {
	attribute  string // "" means creation order
	descending bool
}

// queryStrings collects the `queries` parameter in the forms the SDKs and
// PHP accept: queries[0]=…&queries[1]=…, queries[]=… and queries=….
func queryStrings(values url.Values) []string {
	type indexed struct {
		index int
		value string
	}
	var numbered []indexed
	var plain []string
	for key, vals := range values {
		switch {
		case key == "queries" || key == "queries[]":
			plain = append(plain, vals...)
		case strings.HasPrefix(key, "queries[") && strings.HasSuffix(key, "]"):
			i, err := strconv.Atoi(key[len("queries[") : len(key)-1])
			if err != nil {
				continue
			}
			for _, v := range vals {
				numbered = append(numbered, indexed{i, v})
			}
		}
	}
	slices.SortStableFunc(numbered, func(a, b indexed) int { return cmp.Compare(a.index, b.index) })

	out := make([]string, 0, len(numbered)+len(plain))
	for _, n := range numbered {
		out = append(out, n.value)
	}
	return append(out, plain...)
}

func queryError(description string) *apiError {
	return argumentError("queries", "Invalid query: "+description)
}

// parseUserQueries validates and compiles the `queries` parameter. Any
// problem is a 400 general_argument_invalid, as Appwrite's parameter
// validator rejects the request before the handler runs.
func parseUserQueries(raw []string) (*userQuery, error) {
	if len(raw) > maxQueries {
		return nil, argumentError("queries", "Value must be an array of at most "+strconv.Itoa(maxQueries)+" queries.")
	}

	q := &userQuery{limit: defaultPageLimit}
	for _, text := range raw {
		if len(text) > maxQueryChars {
			return nil, queryError("a query is longer than " + strconv.Itoa(maxQueryChars) + " chars.")
		}
		var entry query
		if err := json.Unmarshal([]byte(text), &entry); err != nil {
			return nil, queryError("each query must be a JSON object with method, attribute and values, as the SDK's Query helpers build.")
		}
		if err := q.add(entry); err != nil {
			return nil, err
		}
	}
	return q, nil
}

func (q *userQuery) add(entry query) error {
	switch entry.Method {
	case "limit":
		n, ok := singleInt(entry.Values)
		if !ok || n < 1 {
			return queryError("limit takes one integer of at least 1.")
		}
		q.limit = n
		return nil
	case "offset":
		n, ok := singleInt(entry.Values)
		if !ok || n < 0 {
			return queryError("offset takes one integer of at least 0.")
		}
		q.offset = n
		return nil
	case "cursorAfter", "cursorBefore":
		if len(entry.Values) != 1 {
			return queryError(entry.Method + " takes one document ID.")
		}
		id, ok := entry.Values[0].(string)
		if !ok {
			return queryError(entry.Method + " takes one document ID.")
		}
		q.cursor, q.cursorBefore = id, entry.Method == "cursorBefore"
		return nil
	case "orderAsc", "orderDesc":
		if _, ok := userAttributes[entry.Attribute]; entry.Attribute != "" && !ok {
			return queryError("attribute not found in schema: " + entry.Attribute)
		}
		q.orders = append(q.orders, orderBy{attribute: entry.Attribute, descending: entry.Method == "orderDesc"})
		return nil
	}

	filter, err := compileFilter(entry)
	if err != nil {
		return err
	}
	q.filters = append(q.filters, filter)
	return nil
}

func singleInt(values []any) (int, bool) {
	if len(values) != 1 {
		return 0, false
	}
	f, ok := values[0].(float64)
	if !ok || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

// compileFilter turns a filter query into a predicate.
func compileFilter(entry query) (func(*userRecord) bool, error) {
	kind, ok := userAttributes[entry.Attribute]
	if !ok {
		return nil, queryError("attribute not found in schema: " + entry.Attribute)
	}

	switch entry.Method {
	case "isNull", "isNotNull":
		wantEmpty := entry.Method == "isNull"
		return func(u *userRecord) bool { return isEmptyValue(attributeValue(u, entry.Attribute)) == wantEmpty }, nil
	}

	if len(entry.Values) == 0 {
		return nil, queryError(entry.Method + " queries require at least one value.")
	}
	for _, v := range entry.Values {
		if !valueFitsKind(v, kind) {
			return nil, queryError("query value is invalid for attribute \"" + entry.Attribute + "\".")
		}
	}

	match, err := matcherFor(entry.Method, entry.Values)
	if err != nil {
		return nil, err
	}
	return func(u *userRecord) bool {
		value := attributeValue(u, entry.Attribute)
		if list, ok := value.([]string); ok {
			return slices.ContainsFunc(list, func(item string) bool { return match(item) })
		}
		return match(value)
	}, nil
}

// matcherFor returns a test of one attribute value against the query's
// values. equal matches any of the values, as Appwrite's equal does.
func matcherFor(method string, values []any) (func(any) bool, error) {
	first := values[0]
	switch method {
	case "equal", "contains":
		if method == "contains" {
			return func(v any) bool {
				return slices.ContainsFunc(values, func(want any) bool { return containsValue(v, want) })
			}, nil
		}
		return func(v any) bool { return slices.Contains(values, v) }, nil
	case "notEqual":
		return func(v any) bool { return !slices.Contains(values, v) }, nil
	case "lessThan", "lessThanEqual", "greaterThan", "greaterThanEqual":
		want, ok := first.(string)
		if !ok {
			return nil, queryError(method + " takes a string or datetime value.")
		}
		return func(v any) bool {
			got, _ := v.(string)
			c := strings.Compare(got, want)
			switch method {
			case "lessThan":
				return c < 0
			case "lessThanEqual":
				return c <= 0
			case "greaterThan":
				return c > 0
			}
			return c >= 0
		}, nil
	case "between":
		low, okLow := first.(string)
		high, okHigh := values[len(values)-1].(string)
		if len(values) != 2 || !okLow || !okHigh {
			return nil, queryError("between takes two string or datetime values.")
		}
		return func(v any) bool {
			got, _ := v.(string)
			return got >= low && got <= high
		}, nil
	case "startsWith", "endsWith":
		want, ok := first.(string)
		if !ok {
			return nil, queryError(method + " takes a string value.")
		}
		if method == "startsWith" {
			return func(v any) bool { got, _ := v.(string); return strings.HasPrefix(got, want) }, nil
		}
		return func(v any) bool { got, _ := v.(string); return strings.HasSuffix(got, want) }, nil
	}
	return nil, queryError("method not supported: " + method)
}

func containsValue(v, want any) bool {
	got, ok := v.(string)
	w, okWant := want.(string)
	if !ok || !okWant {
		return v == want
	}
	return strings.Contains(got, w)
}

func valueFitsKind(v any, kind attributeKind) bool {
	switch kind {
	case kindBool:
		_, ok := v.(bool)
		return ok
	default:
		_, ok := v.(string)
		return ok
	}
}

func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	}
	return false
}

// apply filters, orders and pages users. total counts every match before
// paging, as Appwrite's total does.
func (q *userQuery) apply(users []*userRecord) (page []*userRecord, total int, err error) {
	matched := make([]*userRecord, 0, len(users))
	for _, u := range users {
		if slices.ContainsFunc(q.filters, func(f func(*userRecord) bool) bool { return !f(u) }) {
			continue
		}
		matched = append(matched, u)
	}
	q.sort(matched)
	total = len(matched)

	if q.cursor != "" {
		i := slices.IndexFunc(matched, func(u *userRecord) bool { return u.ID == q.cursor })
		if i < 0 {
			return nil, 0, newError(http.StatusBadRequest, TypeCursorNotFound, "Cursor document %s was not found among the results.", q.cursor)
		}
		if q.cursorBefore {
			matched = matched[:i]
			start := max(len(matched)-q.offset-q.limit, 0)
			end := max(len(matched)-q.offset, 0)
			return matched[start:end], total, nil
		}
		matched = matched[i+1:]
	}

	start := min(q.offset, len(matched))
	end := min(start+q.limit, len(matched))
	return matched[start:end], total, nil
}

func (q *userQuery) sort(users []*userRecord) {
	slices.SortStableFunc(users, func(a, b *userRecord) int {
		for _, o := range q.orders {
			c := compareAttribute(a, b, o.attribute)
			if o.descending {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
}

func compareAttribute(a, b *userRecord, attribute string) int {
	if attribute == "" {
		return cmp.Compare(a.Seq, b.Seq)
	}
	switch va := attributeValue(a, attribute).(type) {
	case string:
		return strings.Compare(va, attributeValue(b, attribute).(string))
	case bool:
		vb := attributeValue(b, attribute).(bool)
		switch {
		case va == vb:
			return 0
		case !va:
			return -1
		}
		return 1
	case []string:
		return strings.Compare(strings.Join(va, ","), strings.Join(attributeValue(b, attribute).([]string), ","))
	}
	return 0
}

// matchesSearch approximates Appwrite's full-text search over a user's ID,
// e-mail, phone and name: the user matches when any search word is the
// prefix of a word of those fields, ignoring case.
// NOTE: Appwrite runs the database's full-text engine (MariaDB boolean mode
// in 1.5), whose stop words and minimum word length this does not copy.
func matchesSearch(u *userRecord, search string) bool {
	terms := words(search)
	if len(terms) == 0 {
		return true
	}
	fieldWords := words(strings.Join([]string{u.ID, u.Email, u.Phone, u.Name}, " "))
	for _, term := range terms {
		for _, w := range fieldWords {
			if strings.HasPrefix(w, term) {
				return true
			}
		}
	}
	return false
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// handleListUsers serves GET /v1/users.
func (s *Server) handleListUsers(c *call) error {
	values := c.r.URL.Query()
	q, err := parseUserQueries(queryStrings(values))
	if err != nil {
		return err
	}
	search := values.Get("search")
	if len([]rune(search)) > maxSearchChars {
		return argumentError("search", "Value must be a valid string and no longer than "+strconv.Itoa(maxSearchChars)+" chars.")
	}
	if search != "" {
		q.filters = append(q.filters, func(u *userRecord) bool { return matchesSearch(u, search) })
	}

	page, total, err := q.apply(s.store.usersInOrder())
	if err != nil {
		return err
	}
	// The `total` parameter (Appwrite 1.8.1 and later) skips counting.
	if values.Get("total") == "false" {
		total = 0
	}
	users := make([]map[string]any, 0, len(page))
	for _, u := range page {
		users = append(users, userJSON(u, true))
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"total": total, "users": users})
	return nil
}
