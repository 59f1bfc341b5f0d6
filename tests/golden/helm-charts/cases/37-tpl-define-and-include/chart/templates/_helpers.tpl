{{- define "helper" -}}
helper-{{ .Release.Name }}
{{- end -}}
{{- define "labels" -}}
{{- range $k, $v := .Values.labels }}
{{ $k }}: {{ tpl $v $ | quote }}
{{- end }}
{{- end -}}
