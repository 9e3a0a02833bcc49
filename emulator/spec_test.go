package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy/pathpattern"
)

// specLine is one published Appwrite spec line: the server spec covers the
// Users API, the client spec the Account API.
type specLine struct {
	name        string
	server      *specRouter
	client      *specRouter
	errorSchema *openapi3.Schema
}

// specRouter finds the operation of a request path (without /v1) in one
// spec file. It uses kin-openapi's path matcher rather than its router,
// because the router first validates the whole document. Appwrite's files
// break a few document rules on routes the emulator does not serve: in
// 1.5.x a default outside its enum on the storage preview, in 1.8.x an array
// schema without items in attributeLine. Responses are still checked against
// every schema they use.
type specRouter struct {
	doc  *openapi3.T
	root *pathpattern.Node
}

func newSpecRouter(doc *openapi3.T) (*specRouter, error) {
	router := &specRouter{doc: doc, root: &pathpattern.Node{}}
	for path, item := range doc.Paths.Map() {
		for method, operation := range item.Operations() {
			route := &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: operation}
			if err := router.root.Add(method+" "+path, route, nil); err != nil {
				return nil, fmt.Errorf("add route %s %s: %w", method, path, err)
			}
		}
	}
	return router, nil
}

// findRoute returns the operation for r and its path parameters, or false
// when the spec has no such route.
func (sr *specRouter) findRoute(r *http.Request) (*routers.Route, map[string]string, bool) {
	node, values := sr.root.Match(r.Method + " " + r.URL.Path)
	if node == nil {
		return nil, nil, false
	}
	route, ok := node.Value.(*routers.Route)
	if !ok {
		return nil, nil, false
	}
	params := make(map[string]string, len(values))
	for i, value := range values {
		params[strings.TrimSuffix(node.VariableNames[i], "*")] = value
	}
	return route, params, true
}

var (
	specsOnce   sync.Once
	loadedSpecs []*specLine
	specsErr    error
)

// specLines loads the OpenAPI 3 files under testdata once per test binary;
// they are several megabytes.
func specLines(t testing.TB) []*specLine {
	t.Helper()
	specsOnce.Do(func() {
		for _, name := range []string{"1.5.x", "1.8.x"} {
			line, err := loadSpecLine(name)
			if err != nil {
				specsErr = err
				return
			}
			loadedSpecs = append(loadedSpecs, line)
		}
	})
	if specsErr != nil {
		t.Fatalf("load Appwrite specs: %v", specsErr)
	}
	return loadedSpecs
}

func loadSpecLine(name string) (*specLine, error) {
	line := &specLine{name: name}
	for _, side := range []string{"server", "client"} {
		path := fmt.Sprintf("testdata/open-api3-%s-%s.json", name, side)
		doc, err := openapi3.NewLoader().LoadFromFile(path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		patchSpecDefects(doc)
		router, err := newSpecRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("index routes of %s: %w", path, err)
		}
		if side == "server" {
			line.server = router
			line.errorSchema = doc.Components.Schemas["error"].Value
		} else {
			line.client = router
		}
	}
	return line, nil
}

// patchSpecDefects is the one place where the published specs are corrected
// before validation, each with its reason.
func patchSpecDefects(doc *openapi3.T) {
	// The error model declares `code` as a string, but Appwrite 1.5 to 1.9
	// send the HTTP status as a JSON integer, and the official SDKs read it
	// as a number (AppwriteException.code). The emulator sends an integer.
	if errorSchema := doc.Components.Schemas["error"]; errorSchema != nil {
		errorSchema.Value.Properties["code"].Value.Type = &openapi3.Types{openapi3.TypeInteger}
	}
}

// outsideSpecHeader marks a test request that the spec does not allow but
// the real server accepts; its value is the reason.
const outsideSpecHeader = "X-Test-Outside-Spec"

// exchange is one request and the emulator's response to it.
type exchange struct {
	request     *http.Request
	requestBody []byte
	status      int
	header      http.Header
	body        []byte
}

// checkAgainstSpecs validates an exchange against every spec line that has
// its route, and error bodies against the error model. It returns every
// problem found.
func checkAgainstSpecs(lines []*specLine, ex exchange) []error {
	path := ex.request.URL.Path
	if !strings.HasPrefix(path, "/v1/") || path == "/v1/health/version" {
		// The health route is not part of the published specs.
		return nil
	}

	var problems []error
	if ex.status >= 400 {
		problems = append(problems, checkErrorBody(lines, ex)...)
	}

	matched := 0
	for _, line := range lines {
		router := line.server
		if strings.HasPrefix(path, "/v1/account") {
			router = line.client
		}
		specRequest := ex.request.Clone(context.Background())
		specRequest.URL.Path = strings.TrimPrefix(path, "/v1")
		specRequest.URL.RawPath = ""
		specRequest.Body = io.NopCloser(bytes.NewReader(ex.requestBody))

		route, pathParams, found := router.findRoute(specRequest)
		if !found {
			continue // the route does not exist in this line
		}
		matched++

		requestInput := &openapi3filter.RequestValidationInput{
			Request:    specRequest,
			PathParams: pathParams,
			Route:      route,
			Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		}
		// A request the spec rejects must be rejected by the emulator too,
		// unless the test marks it as one the real server takes although
		// the spec does not allow it (loose booleans such as "false").
		err := openapi3filter.ValidateRequest(context.Background(), requestInput)
		if err != nil && ex.status < 400 && ex.request.Header.Get(outsideSpecHeader) == "" {
			problems = append(problems, fmt.Errorf("%s spec: %s %s: request is invalid but got %d: %v", line.name, ex.request.Method, path, ex.status, err))
		}
		if ex.status >= 400 {
			continue
		}

		responseInput := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: requestInput,
			Status:                 ex.status,
			Header:                 ex.header,
			Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}
		responseInput.SetBodyBytes(ex.body)
		if err := openapi3filter.ValidateResponse(context.Background(), responseInput); err != nil {
			problems = append(problems, fmt.Errorf("%s spec: %s %s: response %d does not match: %v", line.name, ex.request.Method, path, ex.status, err))
		}
	}

	if matched == 0 && ex.status < 400 {
		problems = append(problems, fmt.Errorf("%s %s answered %d but no spec line has this route", ex.request.Method, path, ex.status))
	}
	return problems
}

// checkErrorBody validates an error response against the error model of
// each line, and checks that `code` equals the HTTP status.
func checkErrorBody(lines []*specLine, ex exchange) []error {
	var problems []error
	if ct := ex.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		problems = append(problems, fmt.Errorf("error response %d has Content-Type %q", ex.status, ct))
	}

	var body any
	if err := json.Unmarshal(ex.body, &body); err != nil {
		return append(problems, fmt.Errorf("error response %d is not JSON: %v", ex.status, err))
	}
	for _, line := range lines {
		if err := line.errorSchema.VisitJSON(body, openapi3.MultiErrors()); err != nil {
			problems = append(problems, fmt.Errorf("%s spec: error body %s does not match the error model: %v", line.name, ex.body, err))
		}
	}
	if fields, ok := body.(map[string]any); ok {
		if code, _ := fields["code"].(float64); int(code) != ex.status {
			problems = append(problems, fmt.Errorf("error body code %v differs from HTTP status %d", fields["code"], ex.status))
		}
	}
	return problems
}

// specCheckingHandler serves h and validates every exchange, reporting
// problems as test errors.
func specCheckingHandler(t testing.TB, h http.Handler) http.Handler {
	lines := specLines(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requestBody, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read request body: %v", err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(requestBody))

		recorder := httptest.NewRecorder()
		h.ServeHTTP(recorder, r)

		if r.Method != http.MethodOptions {
			for _, problem := range checkAgainstSpecs(lines, exchange{
				request:     r,
				requestBody: requestBody,
				status:      recorder.Code,
				header:      recorder.Header(),
				body:        recorder.Body.Bytes(),
			}) {
				t.Errorf("spec check: %v", problem)
			}
		}

		for key, values := range recorder.Header() {
			w.Header()[key] = values
		}
		w.WriteHeader(recorder.Code)
		_, _ = w.Write(recorder.Body.Bytes())
	})
}

func TestSpecCheckRejectsBrokenResponses(t *testing.T) {
	lines := specLines(t)
	user := func() map[string]any {
		return userJSON(&userRecord{ID: "u1", Status: true}, true)
	}
	tests := []struct {
		name        string
		givenMethod string
		givenPath   string
		givenStatus int
		givenBody   func() any
		expectOK    bool
	}{
		{"valid user passes", "GET", "/v1/users/u1", 200, func() any { return user() }, true},
		{"user without $id fails", "GET", "/v1/users/u1", 200, func() any { u := user(); delete(u, "$id"); return u }, false},
		{"status as string fails", "GET", "/v1/users/u1", 200, func() any { u := user(); u["status"] = "true"; return u }, false},
		{"undeclared success status fails", "GET", "/v1/users/u1", 201, func() any { return user() }, false},
		{"valid error passes", "GET", "/v1/users/u1", 404, func() any {
			return errorBody{Message: "m", Code: 404, Type: TypeUserNotFound, Version: "1.5.11"}
		}, true},
		{"error without type fails", "GET", "/v1/users/u1", 404, func() any {
			return map[string]any{"message": "m", "code": 404, "version": "1.5.11"}
		}, false},
		{"error code differing from status fails", "GET", "/v1/users/u1", 404, func() any {
			return errorBody{Message: "m", Code: 400, Type: TypeUserNotFound, Version: "1.5.11"}
		}, false},
		{"token without secret fails", "POST", "/v1/users/u1/tokens", 201, func() any {
			return map[string]any{"$id": "t", "$createdAt": "", "userId": "u1", "expire": "", "phrase": ""}
		}, false},
		{"session from the client spec passes", "POST", "/v1/account/sessions/token", 201, func() any {
			return sessionJSON(&sessionRecord{ID: "s", UserID: "u1", Provider: "token"}, true, "")
		}, true},
		{"route absent from every spec fails", "GET", "/v1/nothing-here", 200, func() any { return map[string]any{} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := json.Marshal(tt.givenBody())
			if err != nil {
				t.Fatal(err)
			}
			var requestBody []byte
			if tt.givenMethod == "POST" {
				requestBody = []byte(`{"userId":"u1","secret":"abcdef"}`)
			}
			request := httptest.NewRequest(tt.givenMethod, tt.givenPath, bytes.NewReader(requestBody))
			request.Header.Set("Content-Type", "application/json")
			header := http.Header{"Content-Type": {"application/json; charset=UTF-8"}}

			problems := checkAgainstSpecs(lines, exchange{request: request, requestBody: requestBody, status: tt.givenStatus, header: header, body: body})
			if tt.expectOK && len(problems) > 0 {
				t.Errorf("expected no problems, got %v", problems)
			}
			if !tt.expectOK && len(problems) == 0 {
				t.Error("expected the spec check to report a problem, got none")
			}
		})
	}
}
