#!/usr/bin/env python3
"""Measuring side of bench/flux/run.sh: generates the scenario objects, creates them, waits until
every one is Ready while sampling the controllers' /proc, and times commits to the API server.

Subcommands (all print one JSON object on stdout; progress goes to stderr):
  gen SCENARIO N GIT_URL HELM_URL          the objects to create, as a JSON list
  sample NAME=PID ...                      VmRSS, VmHWM and utime+stime of each process now
  create OBJECTS LABEL                     creates OBJECTS (a JSON list), a few requests at a time
  wait-ready OBJECTS LABEL TIMEOUT T0 NAME=PID ...
                                           waits for Ready on all of OBJECTS, sampling the processes
  commits WORKTREE COUNT NAMESPACE NAME CM_NAMESPACE CM_NAME
                                           pushes COUNT commits and times each until it is applied
The API server is reached with CF_KUBE_SERVER, CF_KUBE_TOKEN and CF_KUBE_CA (tests/cluster/up.sh).
"""
import concurrent.futures
import http.client
import json
import math
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

CLK_TCK = os.sysconf("SC_CLK_TCK")

# Where each kind lives in the API: group/version and plural.
KINDS = {
    "Namespace": ("/api/v1", "namespaces", False),
    "GitRepository": ("/apis/source.toolkit.fluxcd.io/v1", "gitrepositories", True),
    "HelmRepository": ("/apis/source.toolkit.fluxcd.io/v1", "helmrepositories", True),
    "HelmChart": ("/apis/source.toolkit.fluxcd.io/v1", "helmcharts", True),
    "Kustomization": ("/apis/kustomize.toolkit.fluxcd.io/v1", "kustomizations", True),
    "HelmRelease": ("/apis/helm.toolkit.fluxcd.io/v2", "helmreleases", True),
    "ConfigMap": ("/api/v1", "configmaps", True),
}
SRC_NS = "flux-bench"   # where the Flux objects live
APP_NS = "apps"         # where the applications go
INTERVAL = "60m"        # long enough that no periodic reconcile falls inside a measurement


# ---- API server ---------------------------------------------------------------------------------

class Api:
    """One keep-alive HTTPS connection to the API server with the admin token."""

    def __init__(self):
        u = urllib.parse.urlparse(os.environ["CF_KUBE_SERVER"])
        ctx = ssl.create_default_context(cafile=os.environ["CF_KUBE_CA"])
        ctx.check_hostname = False
        self.host, self.port, self.ctx = u.hostname, u.port, ctx
        self.token = os.environ["CF_KUBE_TOKEN"]
        self.conn = None

    def call(self, method, path, body=None, ctype="application/json"):
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=60)
                    self.conn.connect()
                    # http.client writes headers and body separately: without this, Nagle and
                    # delayed ACKs add 40 ms to every request with a body.
                    self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                hdr = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
                data = None
                if body is not None:
                    data = json.dumps(body).encode()
                    hdr["Content-Type"] = ctype
                self.conn.request(method, path, body=data, headers=hdr)
                r = self.conn.getresponse()
                text = r.read()
                return r.status, (json.loads(text) if text else None)
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt == 2:
                    raise
                time.sleep(0.2)


def collection(kind, ns):
    prefix, plural, namespaced = KINDS[kind]
    return f"{prefix}/namespaces/{ns}/{plural}" if namespaced else f"{prefix}/{plural}"


# ---- /proc --------------------------------------------------------------------------------------

def proc_sample(pid):
    """VmRSS and VmHWM in KiB and utime+stime in seconds, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            st = dict(line.split(":", 1) for line in f if ":" in line)
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    kib = lambda k: int(st.get(k, "0 kB").split()[0])
    # fields[0] is field 3 (state): utime and stime are fields 14 and 15.
    return {"rss_kib": kib("VmRSS"), "hwm_kib": kib("VmHWM"), "anon_kib": kib("RssAnon"),
            "file_kib": kib("RssFile") + kib("RssShmem"), "threads": int(st.get("Threads", "0").strip()),
            "cpu_s": (int(fields[11]) + int(fields[12])) / CLK_TCK}


def parse_pids(args):
    return [(a.split("=", 1)[0], int(a.split("=", 1)[1])) for a in args]


def cmd_sample(args):
    print(json.dumps({name: proc_sample(pid) for name, pid in parse_pids(args)}))


# ---- scenario objects ---------------------------------------------------------------------------

def meta(name, ns=SRC_NS):
    return {"name": name, "namespace": ns}


def gen_kustomizations(n, git_url):
    objs = []
    for i in range(n):
        name = f"app-{i:04d}"
        objs.append({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                     "metadata": meta(name),
                     "spec": {"interval": INTERVAL, "url": f"{git_url}/bench.git", "ref": {"branch": "main"}}})
        objs.append({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                     "metadata": meta(name),
                     "spec": {"interval": INTERVAL, "path": "./app", "prune": True, "wait": False,
                              "timeout": "5m", "targetNamespace": APP_NS,
                              "sourceRef": {"kind": "GitRepository", "name": name},
                              "postBuild": {"substitute": {"app_name": name, "app_version": "6.7.0"}}}})
    return objs


def gen_helmreleases(n, helm_url):
    objs = [{"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
             "metadata": meta("bench"), "spec": {"interval": INTERVAL, "url": f"{helm_url}/bench"}}]
    for i in range(n):
        name = f"app-{i:04d}"
        objs.append({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
                     "metadata": meta(name),
                     "spec": {"interval": INTERVAL, "targetNamespace": APP_NS, "releaseName": name,
                              "install": {"disableWait": True}, "upgrade": {"disableWait": True},
                              "chart": {"spec": {"chart": "app", "version": "1.0.0", "interval": INTERVAL,
                                                 "sourceRef": {"kind": "HelmRepository", "name": "bench"}}},
                              "values": {"replicaCount": 0}}})
    return objs


def gen_probe(git_url):
    return [{"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository", "metadata": meta("probe"),
             "spec": {"interval": INTERVAL, "url": f"{git_url}/probe.git", "ref": {"branch": "main"}}},
            {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": meta("probe"),
             "spec": {"interval": INTERVAL, "path": "./", "prune": True, "wait": False, "timeout": "5m",
                      "targetNamespace": APP_NS, "sourceRef": {"kind": "GitRepository", "name": "probe"}}}]


def cmd_gen(args):
    scenario, n, git_url, helm_url = args[0], int(args[1]), args[2], args[3]
    objs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": APP_NS}}]
    if scenario == "kustomizations":
        objs += gen_kustomizations(n, git_url)
    elif scenario == "helmreleases":
        objs += gen_helmreleases(n, helm_url)
    elif scenario == "commit":
        objs += gen_kustomizations(n, git_url) + gen_probe(git_url)
    else:
        sys.exit(f"unknown scenario {scenario}")
    print(json.dumps(objs))


# ---- create and wait ----------------------------------------------------------------------------

def is_ready(obj):
    st = obj.get("status") or {}
    if st.get("observedGeneration") != obj["metadata"].get("generation"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions") or [])


def count_ready(api, wanted):
    """Ready objects and, for the report, the not-ready ones' Ready messages (first few)."""
    ready, total, stuck = 0, 0, {}
    for kind, n in wanted.items():
        status, lst = api.call("GET", collection(kind, SRC_NS))
        items = (lst or {}).get("items", []) if status == 200 else []
        total += n
        for o in items:
            if is_ready(o):
                ready += 1
            else:
                msg = next((c.get("message", "") for c in (o.get("status") or {}).get("conditions") or []
                            if c.get("type") == "Ready"), "no Ready condition")
                stuck.setdefault(f"{kind}: {msg[:160]}", []).append(o["metadata"]["name"])
    return ready, total, stuck


def count_applied(api):
    """Deployments, Services and ServiceAccounts in the applications' namespace: proof of the work."""
    counts = {}
    for path, kind in (("/apis/apps/v1", "deployments"), ("/api/v1", "services"), ("/api/v1", "serviceaccounts")):
        status, lst = api.call("GET", f"{path}/namespaces/{APP_NS}/{kind}")
        counts[kind] = len((lst or {}).get("items", [])) if status == 200 else -1
    return counts


def create_one(api, o):
    ns = o["metadata"].get("namespace", "")
    status, body = api.call("POST", collection(o["kind"], ns), o)
    if status not in (200, 201, 409):
        raise RuntimeError(f"creating {o['kind']} {o['metadata']['name']}: HTTP {status}: {body}")


def cmd_create(args):
    """Creates the objects, namespaces first, over a few connections at once."""
    with open(args[0]) as f:
        objs = json.load(f)
    label = args[1]
    first = [o for o in objs if o["kind"] == "Namespace"]
    rest = [o for o in objs if o["kind"] != "Namespace"]
    api = Api()
    for o in first:
        create_one(api, o)
    start, done = time.monotonic(), 0
    local = threading.local()

    def work(o):
        if not hasattr(local, "api"):
            local.api = Api()
        create_one(local.api, o)

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for _ in pool.map(work, rest):
            done += 1
            if done % 50 == 0 or done == len(rest):
                sys.stderr.write(f"\r{label}: creating {done}/{len(rest)} ({time.monotonic() - start:.1f}s)   ")
                sys.stderr.flush()
    sys.stderr.write("\n")
    print(json.dumps({"created": len(objs), "create_s": time.monotonic() - start}))


def cmd_wait_ready(args):
    path, label, timeout, t0, pids = args[0], args[1], float(args[2]), float(args[3]), parse_pids(args[4:])
    with open(path) as f:
        objs = json.load(f)
    wanted = {}
    for o in objs:
        if o["kind"] in ("GitRepository", "HelmRepository", "Kustomization", "HelmRelease"):
            wanted[o["kind"]] = wanted.get(o["kind"], 0) + 1
    if "HelmRelease" in wanted:  # helm-controller makes one HelmChart per release
        wanted["HelmChart"] = wanted["HelmRelease"]
    api = Api()
    # The clock started when run.sh launched the controllers (T0, seconds since the epoch): they
    # can finish small scenarios before this interpreter is up.
    start = time.monotonic() - (time.time() - t0)
    at_start = {name: proc_sample(pid) for name, pid in pids}
    peak_rss = {name: 0 for name, _ in pids}
    ready, total, stuck, last_print = 0, sum(wanted.values()), {}, 0.0
    while True:
        now = time.monotonic() - start
        for name, pid in pids:
            s = proc_sample(pid)
            if s is None:
                sys.stderr.write(f"\n{label}: {name} (pid {pid}) exited\n")
                print(json.dumps({"ok": False, "error": f"{name} exited", "elapsed_s": now}))
                return
            peak_rss[name] = max(peak_rss[name], s["rss_kib"])
        ready, total, stuck = count_ready(api, wanted)
        if now - last_print >= 1.0 or ready == total:
            mem = " ".join(f"{n} {peak_rss[n] / 1024:.0f}MiB" for n, _ in pids)
            sys.stderr.write(f"\r{label}: {now:6.1f}s ready {ready}/{total} | peak {mem}   ")
            sys.stderr.flush()
            last_print = now
        if ready == total or now > timeout:
            break
        time.sleep(0.25)
    elapsed = time.monotonic() - start
    at_ready = {name: proc_sample(pid) for name, pid in pids}
    applied = count_applied(api)
    sys.stderr.write("\n")
    print(json.dumps({"ok": ready == total, "ready_s": elapsed, "at_start": at_start, "at_ready": at_ready, "ready": ready,
                      "total": total, "applied": applied, "sampled_peak_rss_kib": peak_rss,
                      "stuck": {k: (len(v), v[:5]) for k, v in stuck.items()}}))


# ---- commit latency -----------------------------------------------------------------------------

def git(worktree, *argv):
    subprocess.run(["git", "-C", worktree, *argv], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def cmd_commits(args):
    work, count, ns, name, cm_ns, cm_name = args[0], int(args[1]), args[2], args[3], args[4], args[5]
    api = Api()
    gr_path = collection("GitRepository", ns) + "/" + name
    cm_path = collection("ConfigMap", cm_ns) + "/" + cm_name
    lat, failed = [], 0
    for i in range(1, count + 1):
        rev = f"rev-{i}-{time.time_ns()}"
        with open(os.path.join(work, "configmap.yaml"), "w") as f:
            f.write(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {cm_name}\ndata:\n  rev: {rev}\n")
        git(work, "commit", "-q", "-am", rev)
        git(work, "push", "-q", "origin", "main")
        t0 = time.monotonic()
        # What a notification-controller Receiver does on a push webhook.
        api.call("PATCH", gr_path, {"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": rev}}},
                 "application/merge-patch+json")
        while True:
            status, cm = api.call("GET", cm_path)
            if status == 200 and (cm.get("data") or {}).get("rev") == rev:
                lat.append(time.monotonic() - t0)
                break
            if time.monotonic() - t0 > 120:
                failed += 1
                break
            time.sleep(0.005)
        sys.stderr.write(f"\rcommit {i}/{count}: {lat[-1] * 1000 if lat else 0:.0f} ms   ")
        sys.stderr.flush()
        time.sleep(0.5)
    sys.stderr.write("\n")
    lat.sort()
    pct = lambda p: lat[max(0, math.ceil(p / 100 * len(lat)) - 1)] if lat else None  # nearest rank
    print(json.dumps({"count": count, "failed": failed, "p50_s": pct(50), "p99_s": pct(99),
                      "max_s": lat[-1] if lat else None, "all_s": lat}))


def main():
    cmds = {"gen": cmd_gen, "create": cmd_create, "sample": cmd_sample, "wait-ready": cmd_wait_ready,
            "commits": cmd_commits}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
