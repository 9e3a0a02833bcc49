package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the YAML nodes visited while decoding, counting a node
// again each time an alias leads to it. A real configuration has a few
// hundred. The schema has no recursive types, so aliases cannot nest
// without bound, but a long list of aliases to a large node could still
// multiply the work ("billion laughs"), and the bound stops that.
const maxNodes = 100_000

var (
	durationType    = reflect.TypeFor[time.Duration]()
	userIDType      = reflect.TypeFor[UserID]()
	yamlErrorPrefix = regexp.MustCompile(`^yaml: line (\d+): `)
)

// decoder walks a yaml.Node tree against the Config struct, following yaml
// struct tags, and records each problem with its line and key path.
type decoder struct {
	file      string
	lookupEnv func(string) (string, bool)
	problems  []Problem
	// lines maps each key path written in the file to its line.
	lines map[string]int
	// set holds the key paths written with a non-null value.
	set       map[string]bool
	nodesLeft int
}

func newDecoder(file string, lookupEnv func(string) (string, bool)) *decoder {
	return &decoder{
		file:      file,
		lookupEnv: lookupEnv,
		lines:     map[string]int{},
		set:       map[string]bool{},
		nodesLeft: maxNodes,
	}
}

func (d *decoder) add(line int, key, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
}

// decodeFile parses data as exactly one YAML document and decodes it into cfg.
func (d *decoder) decodeFile(data []byte, cfg *Config) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.add(0, "", "file is empty (start from config.example.yaml)")
			return
		}
		d.addSyntax(err)
		return
	}

	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.addSyntax(err)
		return
	default:
		d.add(next.Line, "", "file holds more than one YAML document (keep one and remove the --- separator)")
		return
	}

	if len(doc.Content) == 0 {
		d.add(0, "", "file is empty (start from config.example.yaml)")
		return
	}
	root := doc.Content[0]
	if isNull(root) {
		d.add(root.Line, "", "file holds no settings (start from config.example.yaml)")
		return
	}
	d.lines[""] = root.Line
	d.decode(root, reflect.ValueOf(cfg).Elem(), "")
}

// addSyntax records a YAML syntax error, moving "yaml: line N:" into the line.
func (d *decoder) addSyntax(err error) {
	msg := err.Error()
	line := 0
	if m := yamlErrorPrefix.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	d.add(line, "", "invalid YAML: %s", msg)
}

// resolve follows an alias to its anchored node and charges the node
// against the budget. It returns nil once the budget is spent.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || !d.spend(n.Line) {
		return nil
	}
	return n
}

// spend charges one node visit against the budget and reports whether
// decoding may go on. It records the problem once, when the budget runs out.
func (d *decoder) spend(line int) bool {
	if d.nodesLeft <= 0 {
		return false
	}
	d.nodesLeft--
	if d.nodesLeft == 0 {
		d.add(line, "", "aliases expand to more than %d YAML nodes (write the values out instead of nesting aliases)", maxNodes)
		return false
	}
	return true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// decode stores node n into v, dispatching on v's type. A null node leaves v
// at its zero value so the default applies.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n = d.resolve(n)
	if n == nil || isNull(n) {
		return
	}
	d.set[path] = true

	switch {
	case v.Type() == durationType:
		d.decodeDuration(n, v, path)
	case v.Type() == userIDType:
		d.decodeUserID(n, v.Addr().Interface().(*UserID), path)
	case v.Kind() == reflect.Struct:
		d.decodeStruct(n, v, path)
	case v.Kind() == reflect.Slice:
		d.decodeSlice(n, v, path)
	case v.Kind() == reflect.Map:
		d.decodeMap(n, v, path)
	case v.Kind() == reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case v.Kind() == reflect.Int:
		d.decodeInt(n, v, path)
	case v.Kind() == reflect.Bool:
		d.decodeBool(n, v, path)
	default:
		panic(fmt.Sprintf("config: field %s has unsupported type %s", path, v.Type()))
	}
}

// kindName describes a node's kind for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a single value"
	}
}

func (d *decoder) wrongKind(n *yaml.Node, path, want, hint string) {
	d.add(n.Line, path, "is %s, want %s (%s)", kindName(n), want, hint)
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, path, "a map", "write its keys indented on the lines below, without a leading -")
		return
	}

	fields := yamlFields(v.Type())
	d.eachPair(n, path, func(key string, keyNode, value *yaml.Node, keyPath string) {
		index, ok := fields[key]
		if !ok {
			d.add(keyNode.Line, keyPath, "unknown key (%s)", suggestKey(key, v.Type()))
			return
		}
		d.decode(value, v.Field(index), keyPath)
	})
}

// eachPair calls fn for every key of mapping n, after rejecting non-scalar
// keys, merge keys and duplicates. It records each key's line.
func (d *decoder) eachPair(n *yaml.Node, path string, fn func(key string, keyNode, value *yaml.Node, keyPath string)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		keyNode, value := n.Content[i], n.Content[i+1]
		if !d.spend(keyNode.Line) {
			return
		}
		if keyNode.Kind == yaml.AliasNode && keyNode.Alias != nil {
			keyNode = keyNode.Alias
		}
		if keyNode.Kind != yaml.ScalarNode {
			d.add(keyNode.Line, path, "has a key that is %s (keys are plain names)", kindName(keyNode))
			continue
		}
		key := keyNode.Value
		keyPath := joinKey(path, key)
		if keyNode.ShortTag() == "!!merge" {
			d.add(keyNode.Line, keyPath, "merge keys are not supported (write the keys out)")
			continue
		}
		if first, dup := seen[key]; dup {
			d.add(keyNode.Line, keyPath, "duplicate key, first set on line %d (keep one)", first)
			continue
		}
		seen[key] = keyNode.Line
		d.lines[keyPath] = keyNode.Line
		fn(key, keyNode, value, keyPath)
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.wrongKind(n, path, "a list", "write each entry on its own line starting with -, or as [a, b]")
		return
	}

	items := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		itemPath := fmt.Sprintf("%s[%d]", path, i)
		d.lines[itemPath] = item.Line
		d.decode(item, items.Index(i), itemPath)
	}
	v.Set(items)
}

// decodeMap decodes a mapping of string keys to string values.
func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, path, "a map", "write name: value pairs indented on the lines below")
		return
	}

	m := reflect.MakeMap(v.Type())
	d.eachPair(n, path, func(key string, _, value *yaml.Node, keyPath string) {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(value, elem, keyPath)
		m.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), elem)
	})
	v.Set(m)
}

// scalar returns the expanded text of a scalar node, or false after
// recording a problem.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.wrongKind(n, path, want, "write a single value")
		return "", false
	}
	if tag := n.Tag; strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") && tag != "!" {
		d.add(n.Line, path, "has the unsupported tag %s (remove it)", tag)
		return "", false
	}
	if n.ShortTag() == "!!binary" {
		d.add(n.Line, path, "is !!binary, want %s (remove the tag)", want)
		return "", false
	}

	res := expandEnv(n.Value, d.lookupEnv)
	if res.syntax != "" {
		d.add(n.Line, path, "%s", res.syntax)
		return "", false
	}
	for _, name := range res.missing {
		d.add(n.Line, path, "environment variable %s is not set (set it, or write ${%s:-default} to give a default)", name, name)
	}
	if len(res.missing) > 0 {
		return "", false
	}
	return res.value, true
}

// shown quotes a scalar for a message. When expansion changed it, only the
// text as written is shown, because the expanded value may come from a
// secret variable.
func shown(n *yaml.Node, expanded string) string {
	if n.Value == expanded {
		return strconv.Quote(truncate(expanded))
	}
	return fmt.Sprintf("the expansion of %s", strconv.Quote(truncate(n.Value)))
}

func truncate(s string) string {
	const limit = 60
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}

func (d *decoder) decodeInt(n *yaml.Node, v reflect.Value, path string) {
	s, ok := d.scalar(n, path, "a whole number")
	if !ok {
		return
	}
	i, err := strconv.Atoi(s)
	if err != nil {
		d.add(n.Line, path, "%s is not a whole number (write digits only, such as 64)", shown(n, s))
		return
	}
	v.SetInt(int64(i))
}

func (d *decoder) decodeBool(n *yaml.Node, v reflect.Value, path string) {
	s, ok := d.scalar(n, path, "true or false")
	if !ok {
		return
	}
	switch strings.ToLower(s) {
	case "true":
		v.SetBool(true)
	case "false":
		v.SetBool(false)
	default:
		d.add(n.Line, path, "%s is not a boolean (write true or false)", shown(n, s))
	}
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, path string) {
	// A plain number has no unit. Catch it before expansion so the hint can
	// repeat the number.
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		d.add(n.Line, path, "%s has no unit (write %ss, or another unit such as m or h)", n.Value, n.Value)
		return
	}
	s, ok := d.scalar(n, path, "a duration")
	if !ok {
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		if _, numErr := strconv.Atoi(s); numErr == nil {
			d.add(n.Line, path, "%s has no unit (add one, such as s, m or h)", shown(n, s))
			return
		}
		d.add(n.Line, path, "%s is not a duration (write it like 60s, 10m or 1h30m)", shown(n, s))
		return
	}
	v.SetInt(int64(dur))
}

// yamlFields maps each yaml tag name of struct type t to its field index.
func yamlFields(t reflect.Type) map[string]int {
	fields := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = i
		}
	}
	return fields
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decodeUserID reads the user ID strategy: the scalar derived or subject,
// or a map with the single key namespace.
func (d *decoder) decodeUserID(n *yaml.Node, out *UserID, path string) {
	if n.Kind == yaml.MappingNode {
		var ns struct {
			Namespace string `yaml:"namespace"`
		}
		d.decodeStruct(n, reflect.ValueOf(&ns).Elem(), path)
		out.Strategy, out.Namespace = "namespace", ns.Namespace
		return
	}
	s, ok := d.scalar(n, path, "derived, subject or {namespace: NAME}")
	if !ok {
		return
	}
	if s == "namespace" {
		d.add(n.Line, path, "namespace needs a name (write user_id: {namespace: NAME})")
		return
	}
	out.Strategy = s
}
