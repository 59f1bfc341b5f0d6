package main

// Prints Go's own path.Match answer for every "pattern<TAB>name[<TAB>old answer]" line on stdin,
// so the C glob is checked against the real function. To regenerate or extend the cases:
//   go run . < ../match_cases.txt > /tmp/new && mv /tmp/new ../match_cases.txt

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"strings"
)

func main() {
	fmt.Println("# path.Match cases: pattern, name, expected (1 match, 0 no match, bad malformed).")
	fmt.Println("# Expected values printed by Go's path.Match (oracle/main.go).")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		ok, err := path.Match(f[0], f[1])
		r := "0"
		if err != nil {
			r = "bad"
		} else if ok {
			r = "1"
		}
		fmt.Printf("%s\t%s\t%s\n", f[0], f[1], r)
	}
}
