#!/usr/bin/env python3
"""Writes a large kustomize overlay for the benchmark: a base of APPS apps (Deployment, Service,
ConfigMap each), a CRD with custom resources, two components, and an overlay with prefix,
namespace, labels, images, generators and strategic-merge and JSON 6902 patches.
usage: gen.py DIR [APPS] [WIDGETS] [PATCHES]"""
import os
import sys

out = sys.argv[1]
apps = int(sys.argv[2]) if len(sys.argv) > 2 else 150
widgets = int(sys.argv[3]) if len(sys.argv) > 3 else 60
npatch = int(sys.argv[4]) if len(sys.argv) > 4 else 24


def write(path, text):
    path = os.path.join(out, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def app(i):
    n = f"app-{i:04d}"
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {n}
  labels:
    app: {n}
    tier: {"web" if i % 3 else "worker"}
spec:
  replicas: {1 + i % 4}
  selector:
    matchLabels:
      app: {n}
  template:
    metadata:
      labels:
        app: {n}
    spec:
      containers:
      - name: main
        image: registry.example.com/team/{"web" if i % 2 else "api"}:1.{i % 10}.0
        ports:
        - containerPort: {8000 + i % 100}
          name: http
        env:
        - name: APP_INDEX
          value: "{i}"
        - name: LOG_LEVEL
          value: info
        envFrom:
        - configMapRef:
            name: {n}-config
        resources:
          requests:
            cpu: {10 + i % 90}m
            memory: {64 + i % 64}Mi
        volumeMounts:
        - name: config
          mountPath: /etc/{n}
      - name: sidecar
        image: busybox:1.36
        args: ["sleep", "infinity"]
      volumes:
      - name: config
        configMap:
          name: {n}-config
      - name: shared
        configMap:
          name: shared-settings
---
apiVersion: v1
kind: Service
metadata:
  name: {n}
  labels:
    app: {n}
spec:
  selector:
    app: {n}
  ports:
  - name: http
    port: 80
    targetPort: http
    protocol: TCP
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {n}-config
data:
  index: "{i}"
  greeting: hello from {n}
  settings.yaml: |
    replicas: {1 + i % 4}
    feature:
      enabled: {"true" if i % 2 else "false"}
"""


def widget(i):
    return f"""apiVersion: example.com/v1
kind: Widget
metadata:
  name: widget-{i:04d}
spec:
  size: {i % 7}
  color: {["red", "green", "blue"][i % 3]}
  targetRef:
    name: app-{i % apps:04d}
  tags:
  - a
  - b{i}
"""


CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size:
                type: integer
              color:
                type: string
              targetRef:
                type: object
                properties:
                  name:
                    type: string
              tags:
                type: array
                items:
                  type: string
"""

# Base: one file per app, a CRD file and a file of widgets.
res = []
for i in range(apps):
    write(f"base/apps/app-{i:04d}.yaml", app(i))
    res.append(f"apps/app-{i:04d}.yaml")
write("base/crd.yaml", CRD)
write("base/widgets.yaml", "---\n".join(widget(i) for i in range(widgets)))
write("base/kustomization.yaml",
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- crd.yaml\n"
      + "".join(f"- {r}\n" for r in res) + "- widgets.yaml\n"
      + "configMapGenerator:\n- name: shared-settings\n  literals:\n  - REGION=eu-west-1\n"
      + "  - TIER=gold\n")

# Component 1: monitoring annotations on every Deployment and a generated ConfigMap.
write("components/monitoring/kustomization.yaml", """apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
configMapGenerator:
- name: monitoring-config
  literals:
  - SCRAPE_INTERVAL=30s
  - ENDPOINT=/metrics
patches:
- target:
    kind: Deployment
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: any
    spec:
      template:
        metadata:
          annotations:
            prometheus.io/scrape: "true"
            prometheus.io/port: "9090"
""")

# Component 2: a JSON 6902 patch on every Widget and a Secret from a file.
write("components/security/token.txt", "s3cr3t-token\n")
write("components/security/kustomization.yaml", """apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
secretGenerator:
- name: api-token
  files:
  - token.txt
patches:
- target:
    group: example.com
    version: v1
    kind: Widget
  patch: |-
    - op: add
      path: /spec/audited
      value: true
    - op: replace
      path: /spec/tags/0
      value: audited
""")

# Overlay.
write("overlay/app.env", "MODE=production\nCACHE_TTL=300\nFEATURE_X=on\n")
write("overlay/db-password.txt", "hunter2\n")
write("overlay/extra.properties", "pool.size=32\npool.timeout=10s\n")
patches = []
for p in range(npatch):
    i = (p * 7) % apps
    n = f"app-{i:04d}"
    kind = p % 4
    if kind == 0:  # SMP from a file: resources and an env var
        write(f"overlay/patches/smp-{p:02d}.yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {n}
spec:
  replicas: {5 + p}
  template:
    spec:
      containers:
      - name: main
        env:
        - name: PATCHED
          value: "smp-{p}"
        resources:
          limits:
            memory: 512Mi
""")
        patches.append(f"- path: patches/smp-{p:02d}.yaml\n")
    elif kind == 1:  # JSON 6902 inline
        patches.append(f"""- target:
    kind: Deployment
    name: {n}
  patch: |-
    - op: add
      path: /spec/template/spec/containers/0/args
      value: ["--port", "{8000 + p}"]
    - op: replace
      path: /spec/template/spec/containers/1/image
      value: busybox:1.37
""")
    elif kind == 2:  # SMP inline on a Service
        patches.append(f"""- patch: |-
    apiVersion: v1
    kind: Service
    metadata:
      name: {n}
      annotations:
        patched: "{p}"
    spec:
      type: NodePort
      ports:
      - name: http
        port: 8080
""")
    else:  # JSON 6902 from a file on a ConfigMap, and a label-selector target
        write(f"overlay/patches/json-{p:02d}.yaml", f"""- op: add
  path: /data/patched
  value: "json-{p}"
- op: remove
  path: /data/greeting
""")
        patches.append(f"""- path: patches/json-{p:02d}.yaml
  target:
    version: v1
    kind: ConfigMap
    name: {n}-config
""")
patches.append("""- target:
    kind: Deployment
    labelSelector: tier=worker
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: any
    spec:
      template:
        spec:
          containers:
          - name: sidecar
            $patch: delete
""")
write("overlay/kustomization.yaml", """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: production
namePrefix: prod-
resources:
- ../base
components:
- ../components/monitoring
- ../components/security
labels:
- pairs:
    env: production
    team: platform
  includeSelectors: false
- pairs:
    owner: bench
  includeSelectors: true
commonAnnotations:
  bench.example.com/run: "1"
images:
- name: registry.example.com/team/web
  newName: mirror.example.com/web
  newTag: 2.0.0
- name: registry.example.com/team/api
  newTag: 3.1.4
- name: busybox
  digest: sha256:24fbc4ee0a3e1b6b1dbbd3d47c9b6a6b1e6b9e0a8e7f0e1d2c3b4a5968778695
configMapGenerator:
- name: app-env
  envs:
  - app.env
- name: app-props
  files:
  - extra.properties
  literals:
  - EXTRA=1
- name: shared-settings
  behavior: merge
  literals:
  - TIER=platinum
secretGenerator:
- name: db
  files:
  - password=db-password.txt
  literals:
  - user=admin
patches:
""" + "".join(patches))
