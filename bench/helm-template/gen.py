#!/usr/bin/env python3
"""Writes a chart for the helm template benchmark: TEMPLATES templates, each rendering a
ConfigMap and a Deployment or Service from its own values entry with include, toYaml, tpl, range
and printf, plus a _helpers.tpl of named templates.
usage: gen.py DIR [TEMPLATES]"""
import os
import sys

out = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 200


def write(path, text):
    path = os.path.join(out, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


write("Chart.yaml", """apiVersion: v2
name: bench
description: A generated chart with many templates
type: application
version: 1.2.3
appVersion: "4.5.6"
""")

HELPERS = """{{- define "bench.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "bench.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "bench.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "bench.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "bench.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "bench.component" -}}
{{- $root := index . 0 }}{{- $key := index . 1 -}}
{{ include "bench.fullname" $root }}-{{ $key }}
{{- end }}
"""
write("templates/_helpers.tpl", HELPERS)

TEMPLATE = """{{- $key := "%(key)s" }}
{{- $c := index .Values.components $key }}
{{- $name := include "bench.component" (list . $key) }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $name }}-config
  labels:
    {{- include "bench.labels" . | nindent 4 }}
    component: {{ $key }}
  annotations:
    description: {{ tpl .Values.description (dict "Values" .Values "Release" .Release "Template" .Template "component" $key) | quote }}
data:
  {{- range $k, $v := .Values.shared }}
  {{ $k }}: {{ printf "%%v-%%s" $v $key | quote }}
  {{- end }}
  {{- range $i, $f := $c.features }}
  feature-{{ $i }}: {{ $f | upper | quote }}
  {{- end }}
  settings.yaml: |
    {{- toYaml $c.settings | nindent 4 }}
  index: {{ printf "%%04d" (int $c.index) | quote }}
---
{{- if eq (mod (int $c.index) 2) 0 }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "bench.labels" . | nindent 4 }}
spec:
  replicas: {{ $c.replicas | default .Values.replicaCount }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ include "bench.name" . }}
      component: {{ $key }}
  template:
    metadata:
      annotations:
        checksum/config: {{ toYaml $c.settings | sha256sum }}
      labels:
        app.kubernetes.io/name: {{ include "bench.name" . }}
        component: {{ $key }}
    spec:
      containers:
      - name: {{ $key }}
        image: {{ printf "%%s:%%s" .Values.image.repository (default .Chart.AppVersion $c.tag) }}
        {{- with $c.env }}
        env:
        {{- range $k, $v := . }}
        - name: {{ $k | upper }}
          value: {{ $v | quote }}
        {{- end }}
        {{- end }}
        ports:
        {{- range $c.ports }}
        - name: {{ .name }}
          containerPort: {{ .port }}
        {{- end }}
        resources:
          {{- toYaml .Values.resources | nindent 10 }}
{{- else }}
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "bench.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  selector:
    component: {{ $key }}
  ports:
  {{- range $c.ports }}
  - name: {{ .name }}
    port: {{ add .port 1000 }}
    targetPort: {{ .name }}
  {{- end }}
{{- end }}
"""

values = ["""replicaCount: 2
image:
  repository: registry.example.com/bench/app
service:
  type: ClusterIP
description: "{{ .Release.Name }} component {{ .component }} of {{ .Template.Name }}"
resources:
  limits:
    cpu: 500m
    memory: 256Mi
  requests:
    cpu: 100m
    memory: 128Mi
shared:
  region: eu-west-1
  tier: gold
  owner: platform
  mode: production
  retries: 3
components:
"""]
for i in range(count):
    key = f"c{i:04d}"
    write(f"templates/{key}.yaml", TEMPLATE % {"key": key})
    values.append(f"""  {key}:
    index: {i}
    replicas: {1 + i % 5}
    {"tag: v" + str(i % 9) if i % 3 == 0 else "tag: null"}
    features: [alpha, beta{i % 4}, gamma]
    env:
      log_level: {"debug" if i % 2 else "info"}
      workers: "{i % 8}"
    ports:
    - name: http
      port: {8000 + i % 50}
    - name: metrics
      port: 9090
    settings:
      cache:
        size: {i * 16}
        ttl: 30s
      flags: [a, b, c]
      enabled: {"true" if i % 2 else "false"}
      ratio: 0.{i % 10}5
""")
write("values.yaml", "".join(values))
