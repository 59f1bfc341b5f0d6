{{- define "app.dbHost" -}}
{{ .Release.Name }}-database.{{ .Release.Namespace }}.svc.{{ .Values.global.domain }}
{{- end -}}
