// ssa_diff runs server-side-apply cases through Kubernetes' structured-merge-diff library
// (Debian's golang-k8s-sigs-structured-merge-diff-dev) and prints the result after every
// operation, for kcx's differential test (test/ssa_diff/ssa_diff_test.cc).
//
// Usage: ssa_diff CASE.json...   Output: one JSON document per case on stdout.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/structured-merge-diff/v4/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v4/merge"
	"sigs.k8s.io/structured-merge-diff/v4/typed"
)

type op struct {
	Op      string                 `json:"op"`
	Manager string                 `json:"manager"`
	Force   bool                   `json:"force"`
	Object  map[string]interface{} `json:"object"`
}

type testCase struct {
	Name     string                 `json:"name"`
	Schema   string                 `json:"schema"`
	RootType string                 `json:"rootType"`
	Version  string                 `json:"version"`
	Live     map[string]interface{} `json:"live"`
	Ops      []op                   `json:"ops"`
}

type managerOut struct {
	FieldsV1   string `json:"fieldsV1"`
	APIVersion string `json:"apiVersion"`
	Applied    bool   `json:"applied"`
}

type conflictOut struct {
	Manager string `json:"manager"`
	Path    string `json:"path"`
}

type stepOut struct {
	Object    interface{}           `json:"object"`
	Managers  map[string]managerOut `json:"managers"`
	Changed   bool                  `json:"changed"`
	Conflicts []conflictOut         `json:"conflicts"`
	Error     string                `json:"error"`
}

type caseOut struct {
	Name  string    `json:"name"`
	Steps []stepOut `json:"steps"`
}

type identity struct{}

func (identity) Convert(v *typed.TypedValue, _ fieldpath.APIVersion) (*typed.TypedValue, error) {
	return v, nil
}
func (identity) IsMissingVersionError(error) bool { return false }

func run(c testCase) (caseOut, error) {
	out := caseOut{Name: c.Name}
	parser, err := typed.NewParser(typed.YAMLObject(c.Schema))
	if err != nil {
		return out, fmt.Errorf("schema: %v", err)
	}
	pt := parser.Type(c.RootType)
	live := c.Live
	if live == nil {
		live = map[string]interface{}{}
	}
	liveTyped, err := pt.FromUnstructured(live)
	if err != nil {
		return out, fmt.Errorf("live: %v", err)
	}
	version := fieldpath.APIVersion(c.Version)
	managers := fieldpath.ManagedFields{}
	updater := &merge.Updater{Converter: identity{}}
	for _, o := range c.Ops {
		step := stepOut{Managers: map[string]managerOut{}, Conflicts: []conflictOut{}}
		obj, err := pt.FromUnstructured(o.Object)
		if err != nil {
			step.Error = err.Error()
		} else if o.Op == "apply" {
			newObj, newManagers, err := updater.Apply(liveTyped, obj, version, managers, o.Manager, o.Force)
			if cs, ok := err.(merge.Conflicts); ok {
				for _, x := range cs {
					step.Conflicts = append(step.Conflicts, conflictOut{x.Manager, x.Path.String()})
				}
			} else if err != nil {
				step.Error = err.Error()
			} else {
				managers = newManagers
				if newObj != nil {
					liveTyped = newObj
					step.Changed = true
				}
			}
		} else {
			newObj, newManagers, err := updater.Update(liveTyped, obj, version, managers, o.Manager)
			if err != nil {
				step.Error = err.Error()
			} else {
				managers = newManagers
				liveTyped = newObj
			}
		}
		sort.Slice(step.Conflicts, func(i, j int) bool {
			if step.Conflicts[i].Manager != step.Conflicts[j].Manager {
				return step.Conflicts[i].Manager < step.Conflicts[j].Manager
			}
			return step.Conflicts[i].Path < step.Conflicts[j].Path
		})
		step.Object = liveTyped.AsValue().Unstructured()
		for name, vs := range managers {
			b, err := vs.Set().ToJSON()
			if err != nil {
				return out, err
			}
			step.Managers[name] = managerOut{string(b), string(vs.APIVersion()), vs.Applied()}
		}
		out.Steps = append(out.Steps, step)
	}
	return out, nil
}

func main() {
	enc := json.NewEncoder(os.Stdout)
	for _, path := range os.Args[1:] {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var c testCase
		if err := json.Unmarshal(data, &c); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			os.Exit(1)
		}
		// "@file" names a schema file next to the case.
		if strings.HasPrefix(c.Schema, "@") {
			b, err := os.ReadFile(filepath.Join(filepath.Dir(path), c.Schema[1:]))
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			c.Schema = string(b)
		}
		out, err := run(c)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			os.Exit(1)
		}
		if err := enc.Encode(out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
