package main

// Reads semver cases (see ../cases.txt) and rewrites their expected field with what
// Masterminds/semver v3 itself answers, so the C module is checked against the real library.

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/Masterminds/semver/v3"
)

func strict(s string) error {
	if _, err := semver.StrictNewVersion(strings.TrimPrefix(s, "v")); err != nil {
		return err
	}
	_, err := semver.NewVersion(s)
	return err
}

func okerr(err error) string {
	if err != nil {
		return "err"
	}
	return "ok"
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			fmt.Println(line)
			continue
		}
		f := strings.Split(line, "\t")
		un := strings.ReplaceAll(f[1], "\\n", "\n")
		switch f[0] {
		case "V":
			_, err := semver.NewVersion(un)
			f[2] = okerr(err)
		case "S":
			f[2] = okerr(strict(un))
		case "F":
			v, err := semver.NewVersion(f[1])
			if err == nil {
				f[2] = v.String()
			}
		case "P":
			a, _ := semver.NewVersion(f[1])
			b, _ := semver.NewVersion(f[2])
			f[3] = fmt.Sprint(a.Compare(b))
		case "N":
			_, err := semver.NewConstraint(f[1])
			f[2] = okerr(err)
		case "C":
			c, err := semver.NewConstraint(f[1])
			v, err2 := semver.NewVersion(f[2])
			if err != nil || err2 != nil {
				f[3] = "ERR"
			} else if c.Check(v) {
				f[3] = "1"
			} else {
				f[3] = "0"
			}
		}
		fmt.Println(strings.Join(f, "\t"))
	}
}
