{{- define "common.fullname" -}}
{{ .Release.Name }}-{{ .Chart.Name | trunc 63 }}
{{- end -}}
{{- define "common.labels" -}}
app: {{ .Chart.Name }}
release: {{ .Release.Name }}
{{- end -}}
