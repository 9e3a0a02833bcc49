package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxBodyBytes caps request bodies. Appwrite's largest field used here is
// prefs at 65535 characters, so 1 MiB leaves ample room.
const maxBodyBytes = 1 << 20

// bodyParams are the top-level fields of a JSON request body.
type bodyParams map[string]json.RawMessage

// readBody decodes a JSON object body. An empty body is an empty object, as
// the SDKs send no body when every parameter is left out.
func readBody(r *http.Request) (bodyParams, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, newError(http.StatusBadRequest, TypeArgumentInvalid, "Request body could not be read.")
	}
	if len(raw) > maxBodyBytes {
		return nil, newError(http.StatusBadRequest, TypeArgumentInvalid, "Request body is larger than %d bytes.", maxBodyBytes)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return bodyParams{}, nil
	}

	var params bodyParams
	if err := json.Unmarshal(raw, &params); err != nil || params == nil {
		return nil, newError(http.StatusBadRequest, TypeArgumentInvalid, "Request body must be a JSON object.")
	}
	return params, nil
}

// present reports whether name was sent with a value other than null.
func (p bodyParams) present(name string) bool {
	raw, ok := p[name]
	return ok && string(bytes.TrimSpace(raw)) != "null"
}

// stringValue reads a string field. ok is false when the field is absent.
func (p bodyParams) stringValue(name string) (value string, ok bool, err error) {
	if !p.present(name) {
		return "", false, nil
	}
	if err := json.Unmarshal(p[name], &value); err != nil {
		return "", false, argumentError(name, "Value must be a valid string.")
	}
	return value, true, nil
}

// requiredString reads a string field that must be present.
func (p bodyParams) requiredString(name string) (string, error) {
	value, ok, err := p.stringValue(name)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", missingParamError(name)
	}
	return value, nil
}

// requiredBool reads a boolean field. Like Appwrite's loose boolean
// validator it also takes "true", "false", 1, 0, "1" and "0".
func (p bodyParams) requiredBool(name string) (bool, error) {
	if !p.present(name) {
		return false, missingParamError(name)
	}

	var value any
	if err := json.Unmarshal(p[name], &value); err != nil {
		return false, argumentError(name, "Value must be a valid boolean.")
	}
	switch v := value.(type) {
	case bool:
		return v, nil
	case float64:
		if v == 0 || v == 1 {
			return v == 1, nil
		}
	case string:
		switch v {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
	}
	return false, argumentError(name, "Value must be a valid boolean.")
}

// intInRange reads an optional integer field that must lie in [minimum,
// maximum], returning fallback when it is absent.
func (p bodyParams) intInRange(name string, fallback, minimum, maximum int) (int, error) {
	if !p.present(name) {
		return fallback, nil
	}

	rangeError := argumentError(name, "Value must be a valid range between "+
		strconv.Itoa(minimum)+" and "+strconv.Itoa(maximum)+".")
	var number json.Number
	if bytes.HasPrefix(bytes.TrimSpace(p[name]), []byte(`"`)) || json.Unmarshal(p[name], &number) != nil {
		return 0, rangeError
	}
	value, err := strconv.Atoi(number.String())
	if err != nil || value < minimum || value > maximum {
		return 0, rangeError
	}
	return value, nil
}

// requiredStrings reads an array of strings.
func (p bodyParams) requiredStrings(name string) ([]string, error) {
	if !p.present(name) {
		return nil, missingParamError(name)
	}

	var values []string
	if err := json.Unmarshal(p[name], &values); err != nil {
		return nil, argumentError(name, "Value must be an array of strings.")
	}
	return values, nil
}

// requiredObject reads a JSON object field and returns it compacted.
func (p bodyParams) requiredObject(name string, maxChars int) (json.RawMessage, error) {
	if !p.present(name) {
		return nil, missingParamError(name)
	}

	var object map[string]json.RawMessage
	if err := json.Unmarshal(p[name], &object); err != nil {
		return nil, argumentError(name, "Value must be a valid JSON object.")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, p[name]); err != nil {
		return nil, argumentError(name, "Value must be a valid JSON object.")
	}
	if utf8.RuneCount(compact.Bytes()) > maxChars {
		return nil, argumentError(name, "Value must be a valid JSON object no longer than "+strconv.Itoa(maxChars)+" chars.")
	}
	return compact.Bytes(), nil
}

// ID rules shared by custom IDs in bodies and IDs in paths: 1 to 36
// characters of [A-Za-z0-9._-], not starting with '.', '-' or '_'.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$`)

// uniqueIDRequest is the literal ID value that requests a server-generated ID.
const uniqueIDRequest = "unique()"

const idRuleText = "1 to 36 chars of a-z, A-Z, 0-9, period, hyphen and underscore, not starting with a special char."

// checkCustomID validates a custom ID parameter, which may be "unique()".
func checkCustomID(name, value string) error {
	if value == uniqueIDRequest || idPattern.MatchString(value) {
		return nil
	}
	return argumentError(name, "Value must be unique() or an ID of "+idRuleText)
}

// checkUID validates an existing ID, such as a path parameter.
func checkUID(name, value string) error {
	if idPattern.MatchString(value) {
		return nil
	}
	return argumentError(name, "Value must be an ID of "+idRuleText)
}

// checkMaxChars enforces a character (not byte) limit, as Appwrite's Text
// validator does.
func checkMaxChars(name, value string, maxChars int) error {
	if utf8.RuneCountInString(value) > maxChars {
		return argumentError(name, "Value must be a valid string and no longer than "+strconv.Itoa(maxChars)+" chars.")
	}
	return nil
}

// checkEmail accepts a bare address such as "alice@example.com". The rule
// approximates PHP's FILTER_VALIDATE_EMAIL with net/mail; display names and
// comments are rejected.
func checkEmail(name, value string) error {
	address, err := mail.ParseAddress(value)
	if err != nil || address.Address != value || address.Name != "" || !strings.Contains(value, "@") {
		return argumentError(name, "Value must be a valid email address.")
	}
	return nil
}

// phonePattern is E.164 with the leading '+', as Appwrite's Phone validator
// requires.
var phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func checkPhone(name, value string) error {
	if phonePattern.MatchString(value) {
		return nil
	}
	return argumentError(name, "Value must be a phone number in E.164 format: '+' and 7 to 15 digits.")
}
