#!/usr/bin/env python3
"""Regenerates helm.txt from helm.in with the real helm binary.

Each case of helm.in ("### name", "--- template", optional "--- defines" written to
templates/_defs.tpl, optional "--- values" in JSON) becomes a chart
"c" whose templates/t.yaml is

    {{ define "case" }}<template>{{ end }}out: {{ include "case" . | toJson }}

rendered with `helm template x <chart>`. The expected output is the rendered document without
Helm's "---" and "# Source:" lines; a failure records Helm's message without "Error: ".

Usage: regen-helm.py [helm-binary]   (default ~/.cache/cflux/bin/helm)
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WRAP_PRE = '{{ define "case" }}'
WRAP_POST = '{{ end }}out: {{ include "case" . | toJson }}\n'


def parse(path):
    cases, cur, section, buf = [], None, None, []

    def flush():
        if cur is not None and section:
            cur[section] = "\n".join(buf)

    with open(path) as f:
        for line in f.read().split("\n"):
            if line.startswith("### "):
                flush()
                buf = []
                cur = {"name": line[4:]}
                cases.append(cur)
                section = None
            elif line.startswith("--- "):
                flush()
                buf = []
                section = line[4:]
            else:
                buf.append(line)
    flush()
    return cases


def render(helm, case):
    with tempfile.TemporaryDirectory() as d:
        chart = os.path.join(d, "c")
        os.makedirs(os.path.join(chart, "templates"))
        with open(os.path.join(chart, "Chart.yaml"), "w") as f:
            f.write("apiVersion: v2\nname: c\nversion: 0.1.0\nappVersion: 1.2.3\n")
        with open(os.path.join(chart, "values.yaml"), "w") as f:
            f.write(case.get("values", "").strip() or "{}")
            f.write("\n")
        with open(os.path.join(chart, "templates", "t.yaml"), "w") as f:
            f.write(WRAP_PRE + case["template"] + WRAP_POST)
        if case.get("defines", "").strip():
            with open(os.path.join(chart, "templates", "_defs.tpl"), "w") as f:
                f.write(case["defines"])
        env = dict(os.environ, HOME=d, HELM_CACHE_HOME=d, HELM_CONFIG_HOME=d, HELM_DATA_HOME=d)
        p = subprocess.run([helm, "template", "x", chart], capture_output=True, text=True, env=env)
        if p.returncode != 0:
            msg = p.stderr.strip()
            if msg.startswith("Error: "):
                msg = msg[len("Error: "):]
            # Helm's hint after YAML-looking failures is not part of the engine's message.
            hint = "Use --debug flag to render out invalid YAML"
            if msg.endswith(hint):
                msg = msg[: -len(hint)].rstrip()
            return "error", msg
        lines = p.stdout.split("\n")
        assert lines[0] == "---" and lines[1].startswith("# Source: "), p.stdout
        return "output", "\n".join(lines[2:]).strip()


def main():
    helm = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/cflux/bin/helm")
    cases = parse(os.path.join(HERE, "helm.in"))
    out = []
    for c in cases:
        kind, text = render(helm, c)
        out.append("### %s\n--- template\n%s\n" % (c["name"], c["template"]))
        if c.get("defines", "").strip():
            out.append("--- defines\n%s\n" % c["defines"])
        if c.get("values", "").strip():
            out.append("--- values\n%s\n" % c["values"])
        out.append("--- %s\n%s\n" % (kind, text))
    with open(os.path.join(HERE, "helm.txt"), "w") as f:
        f.write("".join(out))
    print("%d cases" % len(cases))


if __name__ == "__main__":
    main()
