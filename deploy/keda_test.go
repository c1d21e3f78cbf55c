package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yamlv3 "gopkg.in/yaml.v3"
)

// kedaModule is the KEDA release whose ScaledObject CRD the manifest is
// validated against; `go mod download` fetches it from the Go module proxy
// like any dependency (it is never compiled).
const kedaModule = "github.com/kedacore/keda/v2@v2.21.0"

// yamlAsJSON parses YAML and returns the document as JSON-typed values.
func yamlAsJSON(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := yamlv3.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// kedaScaledObjectSchema is the openAPIV3Schema of KEDA's ScaledObject CRD
// (v1alpha1), closed the way the API server's strict field validation
// treats it: a field the schema does not list is an error.
func kedaScaledObjectSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", kedaModule).Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", kedaModule, err)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download %s: %v %s", kedaModule, err, mod.Error)
	}
	b, err := os.ReadFile(filepath.Join(mod.Dir, "config/crd/bases/keda.sh_scaledobjects.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crd, _ := yamlAsJSON(t, b).(map[string]any)
	var schema map[string]any
	versions, _ := at(crd, "spec", "versions").([]any)
	for _, v := range versions {
		if vm, _ := v.(map[string]any); vm["name"] == "v1alpha1" {
			schema, _ = at(vm, "schema", "openAPIV3Schema").(map[string]any)
		}
	}
	if schema == nil || at(crd, "spec", "group") != "keda.sh" || at(crd, "spec", "names", "kind") != "ScaledObject" {
		t.Fatal("KEDA CRD: no keda.sh/v1alpha1 ScaledObject schema")
	}
	closeObjects(schema)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource("scaledobject.json", schema); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("scaledobject.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// closeObjects forbids properties a schema does not declare, except where
// Kubernetes keeps unknown fields.
func closeObjects(s map[string]any) {
	if props, ok := s["properties"].(map[string]any); ok {
		if _, has := s["additionalProperties"]; !has && s["x-kubernetes-preserve-unknown-fields"] != true {
			s["additionalProperties"] = false
		}
		for _, p := range props {
			if pm, ok := p.(map[string]any); ok {
				closeObjects(pm)
			}
		}
	}
	for _, k := range []string{"items", "additionalProperties"} {
		if m, ok := s[k].(map[string]any); ok {
			closeObjects(m)
		}
	}
	for _, k := range []string{"anyOf", "allOf", "oneOf"} {
		list, _ := s[k].([]any)
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				closeObjects(m)
			}
		}
	}
}

// TestK8sScaledObjectSchema validates keda-scaledobject.yaml against the
// schema of KEDA's own ScaledObject CRD, and checks that the validation
// would catch a misspelt field.
func TestK8sScaledObjectSchema(t *testing.T) {
	sch := kedaScaledObjectSchema(t)
	b, err := os.ReadFile("k8s/keda-scaledobject.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(yamlAsJSON(t, b)); err != nil {
		t.Errorf("keda-scaledobject.yaml against KEDA's CRD: %v", err)
	}
	bad := yamlAsJSON(t, b).(map[string]any)
	bad["spec"].(map[string]any)["pollingIntervall"] = 10
	if sch.Validate(bad) == nil {
		t.Error("the schema accepts a misspelt field: validation proves nothing")
	}
}
