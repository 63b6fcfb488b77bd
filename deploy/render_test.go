package deploy

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"go.yaml.in/yaml/v3"
)

// chartDir is the Helm chart, relative to this package.
const chartDir = "helm/foyer"

// object is one rendered Kubernetes object, as YAML decodes it.
type object map[string]any

func (o object) kind() string { s, _ := o["kind"].(string); return s }

// rendered is a chart's objects by kind and then name.
type rendered map[string]map[string]object

// only answers the one object of a kind, failing the test otherwise.
func (r rendered) only(t *testing.T, kind string) object {
	t.Helper()
	if len(r[kind]) != 1 {
		t.Fatalf("rendered %d objects of kind %s, want 1 (kinds: %v)", len(r[kind]), kind, r.kinds())
	}
	for _, o := range r[kind] {
		return o
	}
	return nil
}

func (r rendered) kinds() []string {
	var ks []string
	for k, objs := range r {
		for range objs {
			ks = append(ks, k)
		}
	}
	return ks
}

// renderChart renders the chart's templates as `helm template` would,
// with the chart's values.yaml overlaid by overrides, and answers the
// objects. It supports the functions the chart uses and fails on others.
func renderChart(t *testing.T, release string, overrides map[string]any) (rendered, error) {
	t.Helper()
	values := readYAML(t, filepath.Join(chartDir, "values.yaml"))
	deepMerge(values, overrides)
	chart := readYAML(t, filepath.Join(chartDir, "Chart.yaml"))
	data := map[string]any{
		"Values":  values,
		"Chart":   map[string]any{"Name": chart["name"], "Version": chart["version"], "AppVersion": chart["appVersion"]},
		"Release": map[string]any{"Name": release, "Namespace": "default", "Service": "Helm"},
	}
	root := template.New("chart").Option("missingkey=zero")
	root.Funcs(helmFuncs(root))
	files, err := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates in %s: %v", chartDir, err)
	}
	var manifests []string
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		if _, err := root.New(name).Parse(string(text)); err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		if strings.HasSuffix(name, ".yaml") {
			manifests = append(manifests, name)
		}
	}
	out := rendered{}
	for _, name := range manifests {
		var b bytes.Buffer
		if err := root.ExecuteTemplate(&b, name, data); err != nil {
			return nil, fmt.Errorf("render %s: %w", name, err)
		}
		for _, doc := range strings.Split(b.String(), "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			// Into a plain map: yaml would give nested maps the named type.
			var m map[string]any
			if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
				t.Fatalf("%s renders invalid YAML: %v\n%s", name, err, doc)
			}
			if m == nil {
				continue
			}
			o := object(m)
			meta, _ := o["metadata"].(map[string]any)
			objName, _ := meta["name"].(string)
			if o["apiVersion"] == nil || o.kind() == "" || objName == "" {
				t.Fatalf("%s renders an object without apiVersion, kind or metadata.name:\n%s", name, doc)
			}
			if out[o.kind()] == nil {
				out[o.kind()] = map[string]object{}
			}
			out[o.kind()][objName] = o
		}
	}
	return out, nil
}

// helmFuncs are the few Sprig and Helm functions the chart uses, with
// Helm's argument order (the piped value last).
func helmFuncs(root *template.Template) template.FuncMap {
	indent := func(n int, s string) string {
		pad := strings.Repeat(" ", n)
		return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
	}
	return template.FuncMap{
		"include": func(name string, data any) (string, error) {
			var b bytes.Buffer
			err := root.ExecuteTemplate(&b, name, data)
			return b.String(), err
		},
		"toYaml": func(v any) (string, error) {
			b, err := yaml.Marshal(v)
			return strings.TrimSuffix(string(b), "\n"), err
		},
		"indent":  indent,
		"nindent": func(n int, s string) string { return "\n" + indent(n, s) },
		"quote":   func(v any) string { return fmt.Sprintf("%q", fmt.Sprint(v)) },
		"default": func(def, v any) any {
			if empty(v) {
				return def
			}
			return v
		},
		"required": func(msg string, v any) (any, error) {
			if empty(v) {
				return nil, errors.New(msg)
			}
			return v, nil
		},
		"b64enc":     func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"contains":   func(sub, s string) bool { return strings.Contains(s, sub) },
		"trunc":      func(n int, s string) string { return s[:min(n, len(s))] },
		"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
	}
}

// empty is Sprig's idea of empty: nil, zero, "", false, empty collections.
func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case bool:
		return !v
	case int:
		return v == 0
	case float64:
		return v == 0
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// deepMerge overlays src onto dst, as helm's --set and -f do.
func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		sub, ok := v.(map[string]any)
		if d, isMap := dst[k].(map[string]any); ok && isMap {
			d = maps.Clone(d)
			deepMerge(d, sub)
			dst[k] = d
			continue
		}
		dst[k] = v
	}
}

// dig walks nested maps and lists: dig(o, "spec", "template", 0).
func dig(t *testing.T, v any, path ...any) any {
	t.Helper()
	for i, p := range path {
		switch key := p.(type) {
		case string:
			if o, isObject := v.(object); isObject {
				v = map[string]any(o)
			}
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %T is not a map", path[:i+1], v)
			}
			v = m[key]
		case int:
			l, ok := v.([]any)
			if !ok || key >= len(l) {
				t.Fatalf("at %v: %T has no element %d", path[:i+1], v, key)
			}
			v = l[key]
		}
	}
	return v
}
