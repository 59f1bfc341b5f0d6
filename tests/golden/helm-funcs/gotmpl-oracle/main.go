// Command gotmpl-oracle fills in the expected results of a case file with Go's own text/template.
//
// A case file is a sequence of cases:
//
//	### name
//	--- template
//	...
//	--- values
//	{json}
//	--- output | --- error
//	...
//
// Templates execute as Helm executes them: missingkey=zero, values decoded from JSON (numbers are
// float64). Only Go's builtin functions exist here; Sprig and Helm functions need the helm oracle.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
)

type tcase struct {
	name, tmpl, values string
}

func parse(path string) []tcase {
	f, err := os.Open(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	var cases []tcase
	var cur *tcase
	section := ""
	var buf []string
	flush := func() {
		if cur == nil {
			return
		}
		text := strings.Join(buf, "\n")
		switch section {
		case "template":
			cur.tmpl = text
		case "values":
			cur.values = text
		}
		buf = nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "### "):
			flush()
			if cur != nil {
				cases = append(cases, *cur)
			}
			cur = &tcase{name: line[4:]}
			section = ""
		case strings.HasPrefix(line, "--- "):
			flush()
			section = line[4:]
		default:
			buf = append(buf, line)
		}
	}
	flush()
	if cur != nil {
		cases = append(cases, *cur)
	}
	return cases
}

func run(c tcase) (string, bool) {
	var data interface{} = map[string]interface{}{}
	if strings.TrimSpace(c.values) != "" {
		if err := json.Unmarshal([]byte(c.values), &data); err != nil {
			panic(c.name + ": " + err.Error())
		}
	}
	t, err := template.New("t").Option("missingkey=zero").Parse(c.tmpl)
	if err != nil {
		return err.Error(), false
	}
	var sb strings.Builder
	if err := t.ExecuteTemplate(&sb, "t", data); err != nil {
		return err.Error(), false
	}
	return sb.String(), true
}

func main() {
	cases := parse(os.Args[1])
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, c := range cases {
		out, ok := run(c)
		fmt.Fprintf(w, "### %s\n--- template\n%s\n", c.name, c.tmpl)
		if strings.TrimSpace(c.values) != "" {
			fmt.Fprintf(w, "--- values\n%s\n", c.values)
		}
		if ok {
			fmt.Fprintf(w, "--- output\n%s\n", out)
		} else {
			fmt.Fprintf(w, "--- error\n%s\n", out)
		}
	}
}
