{{- define "name" -}}child-name{{- end -}}
{{- define "child.only" -}}from-child-{{ .Chart.Name }}{{- end -}}
