#!/usr/bin/env python3
"""Turns bench/flux/run.sh measurements into CSV rows, the results table and the
flux-side-by-side block of docs/benchmarks.md.

  row SIDE SCENARIO N DIR CONCURRENT    CSV rows (one per controller) from DIR's JSON files
  summary DIR                           one line for the progress log
  merge NEW.csv RESULTS.csv             NEW's rows replace RESULTS' rows of the same side/scenario/N
  markdown RESULTS.csv                  the Markdown report on stdout
  docs REPORT.md BENCHMARKS.md          rewrites the block between the flux-side-by-side markers
"""
import csv
import io
import json
import os
import platform
import sys
import time

FIELDS = ["side", "scenario", "n", "controller", "ok", "ready_s", "objects_ready", "objects_total",
          "apps_deploy_svc_sa", "idle_rss_mib", "settled_rss_mib", "settled_anon_mib", "settled_threads", "peak_rss_mib", "cpu_start_s", "cpu_to_ready_s", "cpu_total_s",
          "commit_p50_ms", "commit_p99_ms", "commit_max_ms", "commits_failed", "error_log_lines",
          "concurrent", "loadavg_1m", "date"]
KEY = ("side", "scenario", "n", "controller")
BEGIN, END = "<!-- flux-side-by-side:begin -->", "<!-- flux-side-by-side:end -->"
SCENARIOS = ["kustomizations", "helmreleases", "commit"]
VERSIONS = "source-controller v1.9.6, kustomize-controller v1.9.6, helm-controller v1.6.4"


def load(d, name):
    try:
        with open(os.path.join(d, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def mib(kib):
    return f"{kib / 1024:.1f}" if kib is not None else ""


def cmd_row(args):
    side, scenario, n, d, conc = args
    idle, ready, settled, end, commits, start = (load(d, f) for f in ("idle.json", "ready.json", "settled.json",
                                                                      "end.json", "commits.json", "start.json"))
    w = csv.writer(sys.stdout)
    for ctrl in list(idle) + [c for c in end if c not in idle]:
        at_ready = (ready.get("at_ready") or {}).get(ctrl) or {}
        last = end.get(ctrl) or settled.get(ctrl) or {}
        ms = lambda v: f"{v * 1000:.0f}" if v is not None else ""
        w.writerow([side, scenario, n, ctrl, int(bool(ready.get("ok"))), f"{ready.get('ready_s', 0):.1f}",
                    ready.get("ready", 0), ready.get("total", 0),
                    "/".join(str(v) for v in (ready.get("applied") or {}).values()),
                    mib((idle.get(ctrl) or {}).get("rss_kib")), mib((settled.get(ctrl) or {}).get("rss_kib")),
                    mib((settled.get(ctrl) or {}).get("anon_kib")), (settled.get(ctrl) or {}).get("threads", ""),
                    mib(last.get("hwm_kib")), f"{(start.get(ctrl) or {}).get('cpu_s', 0):.2f}",
                    f"{at_ready.get('cpu_s', 0):.2f}", f"{last.get('cpu_s', 0):.2f}",
                    ms(commits.get("p50_s")), ms(commits.get("p99_s")), ms(commits.get("max_s")),
                    commits.get("failed", ""), count_errors(d, ctrl), conc, open("/proc/loadavg").read().split()[0],
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())])


def count_errors(d, ctrl):
    try:
        with open(os.path.join(d, f"{ctrl}.log"), errors="replace") as f:
            return sum(1 for line in f if '"level":"error"' in line or "panic" in line)
    except OSError:
        return 0


def cmd_summary(args):
    d = args[0]
    ready, commits, end = load(d, "ready.json"), load(d, "commits.json"), load(d, "end.json")
    s = f"{'all Ready' if ready.get('ok') else 'NOT all Ready'} ({ready.get('ready')}/{ready.get('total')})" \
        f" in {ready.get('ready_s', 0):.1f}s"
    s += "; peak " + ", ".join(f"{c} {mib(v.get('hwm_kib'))} MiB" for c, v in end.items() if v)
    if commits.get("p50_s") is not None:
        s += f"; commit p50 {commits['p50_s'] * 1000:.0f} ms p99 {commits['p99_s'] * 1000:.0f} ms"
    if ready.get("stuck"):
        s += "; not Ready: " + json.dumps(ready["stuck"])
    return print(s)


def read_rows(path):
    try:
        with open(path) as f:
            return list(csv.DictReader(f))
    except OSError:
        return []


def cmd_merge(args):
    new = [dict(zip(FIELDS, r)) for r in csv.reader(open(args[0]))]
    replaced = {(r["side"], r["scenario"], r["n"]) for r in new}
    rows = [r for r in read_rows(args[1]) if (r["side"], r["scenario"], r["n"]) not in replaced] + new
    rows.sort(key=lambda r: (SCENARIOS.index(r["scenario"]) if r["scenario"] in SCENARIOS else 9,
                             int(r["n"]), r["side"] != "flux", r["controller"]))
    with open(args[1], "w", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        w.writerows(rows)


def fnum(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def ratio(a, b):
    return f"{a / b:.1f}x" if a is not None and b else "n/a"


def side_totals(rows):
    """Per side: ready time, summed peak RSS, summed CPU to Ready, commit p50/p99, all Ready?"""
    out = {}
    for r in rows:
        t = out.setdefault(r["side"], {"ready": fnum(r["ready_s"]), "peak": 0.0, "cpu": 0.0, "idle": 0.0,
                                       "p50": fnum(r["commit_p50_ms"]), "p99": fnum(r["commit_p99_ms"]),
                                       "ok": r["ok"] == "1", "objs": f"{r['objects_ready']}/{r['objects_total']}",
                                       "api_cpu": None})
        if not r["controller"].endswith("-controller"):
            t["api_cpu"] = (fnum(r["cpu_to_ready_s"]) or 0) - (fnum(r["cpu_start_s"]) or 0)
            continue
        t["peak"] += fnum(r["peak_rss_mib"]) or 0
        t["idle"] += fnum(r["idle_rss_mib"]) or 0
        t["cpu"] += fnum(r["cpu_to_ready_s"]) or 0
    return out


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(open("/proc/meminfo").readline().split()[1]) / 1024 / 1024
    except OSError:
        mem = 0
    return f"{os.cpu_count()} vCPU ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}"


def cmd_markdown(args):
    rows = read_rows(args[0])
    groups = {}
    for r in rows:
        groups.setdefault((r["scenario"], int(r["n"])), []).append(r)
    o = io.StringIO()
    p = lambda s="": o.write(s + "\n")
    p("## Side by side with Flux's controllers")
    p()
    p(f"`bench/flux/run.sh` ({VERSIONS}, built from the Go module proxy by `bench/flux/build.sh`) "
      "against this tree's controllers (RelWithDebInfo). Each row is a fresh local control plane "
      "(etcd + kube-apiserver, no kubelet). Measured on " + machine() + "; the 2 cores were shared "
      "with other builds and test runs while this ran, so wall times carry noise (the 1-minute load "
      "average at the end of each run is in `bench/flux/results.csv`).")
    p()
    p("Ratios are Flux / cflux: above 1.0x cflux is faster or smaller. Memory and CPU are the sum over "
      "the two controllers a scenario uses; CPU is utime+stime from start until every object is Ready. "
      "API server CPU is what kube-apiserver spent from the controllers' start until every object was Ready.")
    p()
    p("| scenario | N | all Ready: Flux / cflux | time to Ready | peak RSS | CPU to Ready | idle RSS "
      "| API server CPU | commit p50 | commit p99 |")
    p("|---|---|---|---|---|---|---|---|---|---|")
    for (sc, n), rs in sorted(groups.items(), key=lambda kv: (SCENARIOS.index(kv[0][0]), kv[0][1])):
        t = side_totals(rs)
        f, c = t.get("flux"), t.get("cflux")
        if not f or not c:
            continue
        commit = sc == "commit"
        p(f"| {sc} | {n} | {f['objs']} / {c['objs']} | {ratio(f['ready'], c['ready'])} "
          f"| {ratio(f['peak'], c['peak'])} | {ratio(f['cpu'], c['cpu'])} | {ratio(f['idle'], c['idle'])} "
          f"| {ratio(f['api_cpu'], c['api_cpu'])} | {ratio(f['p50'], c['p50']) if commit else ''} | {ratio(f['p99'], c['p99']) if commit else ''} |")
    p()
    p("| scenario | N | side | controller | Ready | Deployments/Services/SAs | time to Ready | idle RSS "
      "| settled RSS | peak RSS | CPU to Ready | CPU total | commit p50 / p99 | error log lines |")
    p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        r = {k: (v if v != "" else "-") for k, v in r.items()}
        commit = f"{r['commit_p50_ms']} / {r['commit_p99_ms']} ms" if r["commit_p50_ms"] != "-" else ""
        p(f"| {r['scenario']} | {r['n']} | {r['side']} | {r['controller']} | {r['objects_ready']}/"
          f"{r['objects_total']} | {r['apps_deploy_svc_sa']} | {r['ready_s']} s | {r['idle_rss_mib']} MiB | {r['settled_rss_mib']} MiB "
          f"({r['settled_anon_mib']} anon) | {r['peak_rss_mib']} MiB | {r['cpu_to_ready_s']} s | {r['cpu_total_s']} s | {commit} "
          f"| {r['error_log_lines']} |")
    p()
    p("Method. Scenarios follow Flux's published benchmark layout (fluxcd/flux-benchmark): "
      "**kustomizations**: N GitRepositories (one per app, all on `bench.git` of the local git HTTP "
      "server) and N Kustomizations, each applying a Deployment scaled to 0, a ServiceAccount and a "
      "(headless) Service with `postBuild.substitute`; **helmreleases**: one HelmRepository on a local "
      "HTTP Helm repository and N HelmReleases of one chart with the same three objects (so N "
      "HelmCharts too); **commit**: the kustomizations scenario, then 20 commits to another "
      "repository, each followed by the `reconcile.fluxcd.io/requestedAt` annotation on its "
      "GitRepository (what a webhook Receiver does), timed from the end of `git push` until the "
      "changed ConfigMap is in the API server. *Ready* means every GitRepository, HelmRepository, "
      "HelmChart, Kustomization and HelmRelease has `Ready=True` at its current generation. The objects "
      "are created while no controller runs; the clock starts when the controllers start (so it "
      "includes their start-up), and CPU and peak RSS are those of that run. Idle RSS is measured "
      "before, in a first start of the same controllers on the empty cluster. Without a kubelet nothing would become Available, so "
      "Kustomizations have `wait: false` and HelmReleases `disableWait` on both sides. "
      "RSS is VmRSS from `/proc/<pid>/status` 10 s after start (idle) and 15 s after all-Ready "
      "(settled, with its anonymous part); peak is VmHWM.")
    p()
    p(f"Flags on both sides: `--concurrent={rows[0]['concurrent'] if rows else 4}`, "
      "`--watch-all-namespaces=true`, `--enable-leader-election=false`, `--log-level=info`, "
      "`--log-encoding=json`, metrics and health on 127.0.0.1, default API client limits (QPS 50, "
      "burst 300) and retry delays, every interval 60m. Flux only: `--no-remote-bases=true`, "
      "kustomize-controller's default `--concurrent-ssa=4` (ours has no such flag), "
      "`--storage-path/--storage-addr/--storage-adv-addr` on loopback, `KUBECONFIG` and "
      "`RUNTIME_NAMESPACE` in the environment. cflux only: source-controller `--events-bind` and "
      "kustomize-controller `--events-connect` to it (the artifact bus), `--kubeconfig`. "
      "Each side uses its own CRDs (Flux's from the modules' `config/crd`, ours from `manifests/crds`).")
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
    if os.path.exists(notes):  # findings written by whoever ran and read the numbers
        p()
        p(open(notes).read().rstrip("\n"))
    subs = []
    binroot = os.path.join(os.environ.get("CFLUX_CACHE", os.path.expanduser("~/.cache/cflux")), "bin")
    for f in sorted(os.listdir(binroot)) if os.path.isdir(binroot) else []:
        if f.endswith(".substitutes"):
            for line in open(os.path.join(binroot, f)):
                if line.strip():
                    subs.append(f"{f[:-len('.substitutes')]}: {line.strip()}")
    if subs:
        p()
        p("The local module proxy does not serve every dependency version Flux pins; `build.sh` used the "
          "closest served version instead: " + "; ".join(f"`{s}`" for s in subs) + ".")
    sys.stdout.write(o.getvalue())


def cmd_docs(args):
    report = open(args[0]).read().rstrip("\n")
    path = args[1]
    text = open(path).read()
    block = f"{BEGIN}\n{report}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:  # first run: right under the title
        lines = text.split("\n", 1)
        text = lines[0] + "\n\n" + block + "\n\n" + (lines[1].lstrip("\n") if len(lines) > 1 else "")
    with open(path, "w") as f:
        f.write(text)


def main():
    cmds = {"row": cmd_row, "summary": cmd_summary, "merge": cmd_merge, "markdown": cmd_markdown,
            "docs": cmd_docs}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
