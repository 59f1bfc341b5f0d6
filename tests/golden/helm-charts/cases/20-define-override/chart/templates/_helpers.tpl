{{- define "name" -}}parent-name{{- end -}}
