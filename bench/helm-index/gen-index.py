#!/usr/bin/env python3
"""Writes a large Helm repository index shaped like the big public ones (bitnami, artifacthub
mirrors): CHARTS charts x VERSIONS versions, each entry with the fields `helm repo index` writes
plus the annotations, maintainers, keywords and dependencies real charts carry, padded to about
TARGET_MIB in total.

usage: gen-index.py OUT [CHARTS VERSIONS TARGET_MIB]
"""
import random
import sys

out = sys.argv[1]
charts = int(sys.argv[2]) if len(sys.argv) > 2 else 500
versions = int(sys.argv[3]) if len(sys.argv) > 3 else 20
target = (int(sys.argv[4]) if len(sys.argv) > 4 else 50) << 20
per_entry = target // (charts * versions)
rnd = random.Random(42)


def hexs(n):
    return "".join(rnd.choice("0123456789abcdef") for _ in range(n))


with open(out, "w") as f:
    f.write("apiVersion: v1\nentries:\n")
    for c in range(charts):
        name = f"chart-{c:05d}"
        for v in range(versions):
            major, minor, patch = v // 10, v % 10, rnd.randint(0, 9)
            ver = f"{major}.{minor}.{patch}" + ("-rc.1" if v % 7 == 6 else "")
            head = (
                f"  - annotations:\n"
                f"      category: Infrastructure\n"
                f"      images: |\n"
                f"        - name: {name}\n"
                f"          image: docker.io/example/{name}:{ver}-debian-12-r{v}\n"
                f"      licenses: Apache-2.0\n"
                f"    apiVersion: v2\n"
                f"    appVersion: {ver}\n"
                f"    created: \"2025-0{1 + v % 9}-1{v % 10}T10:{v % 60:02d}:00.{rnd.randint(0, 999999):06d}Z\"\n"
                f"    dependencies:\n"
                f"    - name: common\n"
                f"      repository: oci://registry-1.docker.io/example\n"
                f"      tags:\n"
                f"      - example-common\n"
                f"      version: 2.x.x\n"
                f"    digest: {hexs(64)}\n"
                f"    home: https://example.com/charts/{name}\n"
                f"    icon: https://example.com/icons/{name}.svg\n"
                f"    keywords:\n"
                f"    - {name}\n"
                f"    - database\n"
                f"    - cache\n"
                f"    maintainers:\n"
                f"    - name: Example Maintainers\n"
                f"      url: https://github.com/example/charts\n"
                f"    name: {name}\n"
                f"    sources:\n"
                f"    - https://github.com/example/charts/tree/main/{name}\n"
                f"    urls:\n"
                f"    - https://charts.example.com/{name}-{ver}.tgz\n"
                f"    version: {ver}\n"
            )
            pad = max(0, per_entry - len(head) - 20)
            desc = ("A chart for " + name + " with a long description. ") * (pad // 45 + 1)
            if v == 0:
                f.write(f"  {name}:\n")
            f.write(head.replace("  - annotations:", f"  - description: {desc[:pad]}\n    annotations:", 1))
    f.write("generated: \"2025-09-01T00:00:00Z\"\n")
