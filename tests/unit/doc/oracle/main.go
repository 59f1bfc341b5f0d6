// Command oracle prints what the Go YAML/JSON libraries behind kubectl kustomize and Helm produce
// for an input file, so the doc module's fixtures come from the real libraries.
//
//	go run . v3  FILE   # go.yaml.in/yaml/v3 Node round trip, indent 2, compact sequences (kyaml)
//	go run . v2  FILE   # sigs.k8s.io/yaml YAML -> JSON -> YAML (Helm toYaml, kubectl kustomize)
//	go run . json FILE  # sigs.k8s.io/yaml YAMLToJSON then encoding/json re-marshal (compact)
//	go run . jsoni FILE # same, json.MarshalIndent with two spaces
//	go run . v3go FILE  # JSON file -> encoding/json -> the same yaml.v3 encoder on Go values
//	go run . resolve FILE # per line: the text, then the Go type yaml.v3 and yaml.v2 decode it to
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	yaml2 "go.yaml.in/yaml/v2"
	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

func main() {
	in, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var out []byte
	switch os.Args[1] {
	case "v3":
		var n yaml3.Node
		if err = yaml3.Unmarshal(in, &n); err == nil {
			out, err = encodeV3(&n)
		}
	case "v2":
		var v interface{}
		if err = yaml.Unmarshal(in, &v); err == nil {
			out, err = yaml.Marshal(v)
		}
	case "v3go":
		var v interface{}
		if err = json.Unmarshal(in, &v); err == nil {
			out, err = encodeV3(v)
		}
	case "resolve":
		var b bytes.Buffer
		for _, line := range strings.Split(strings.TrimRight(string(in), "\n"), "\n") {
			fmt.Fprintf(&b, "%s\t%s\t%s\n", line, typeOf(yaml3.Unmarshal, line),
				typeOf(yaml2.Unmarshal, line))
		}
		out = b.Bytes()
	case "json", "jsoni":
		var v interface{}
		if err = yaml.Unmarshal(in, &v); err == nil {
			if os.Args[1] == "json" {
				out, err = json.Marshal(v)
			} else {
				out, err = json.MarshalIndent(v, "", "  ")
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}

// typeOf decodes "v: <text>" and names the Go type of v (or "error").
func typeOf(unmarshal func([]byte, interface{}) error, text string) string {
	var m map[string]interface{}
	if err := unmarshal([]byte("v: "+text), &m); err != nil {
		return "error"
	}
	return fmt.Sprintf("%T", m["v"])
}

// encodeV3 encodes like kyaml: indent 2, sequences at their key's column.
func encodeV3(v interface{}) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml3.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
