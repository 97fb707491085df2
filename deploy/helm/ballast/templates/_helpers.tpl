{{- define "ballast.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ballast.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "ballast.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "ballast.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "ballast.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ballast.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ballast.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "ballast.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "ballast.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ballast.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "ballast.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* S3 is set up when config.storage.s3 is: replicas then share the bucket. */}}
{{- define "ballast.s3" -}}
{{- if and .Values.config.storage .Values.config.storage.s3 }}true{{ end }}
{{- end }}

{{- define "ballast.replicas" -}}
{{- if not (kindIs "invalid" .Values.replicaCount) }}
{{- .Values.replicaCount }}
{{- else if include "ballast.s3" . }}2
{{- else }}1
{{- end }}
{{- end }}

{{- define "ballast.htpasswdSecret" -}}
{{- if .Values.auth.htpasswd.existingSecret }}
{{- .Values.auth.htpasswd.existingSecret }}
{{- else if .Values.auth.htpasswd.content }}
{{- printf "%s-htpasswd" (include "ballast.fullname" .) }}
{{- end }}
{{- end }}

{{- define "ballast.s3Secret" -}}
{{- if .Values.s3.existingSecret }}
{{- .Values.s3.existingSecret }}
{{- else if .Values.s3.accessKeyId }}
{{- printf "%s-s3" (include "ballast.fullname" .) }}
{{- end }}
{{- end }}

{{/*
ballast.yaml: the `config` value, with what the chart owns set: the listen address, the fs
store's path on the volume (without S3) and the htpasswd file's path (when one is given).
*/}}
{{- define "ballast.config" -}}
{{- $config := deepCopy .Values.config }}
{{- $_ := set $config "listen" "0.0.0.0:8080" }}
{{- if not (include "ballast.s3" .) }}
{{- $_ := set $config "storage" (dict "fs" (dict "path" "/var/lib/ballast")) }}
{{- end }}
{{- if include "ballast.htpasswdSecret" . }}
{{- $auth := default dict $config.auth }}
{{- $_ := set $auth "htpasswd" "/etc/ballast-auth/htpasswd" }}
{{- $_ := set $config "auth" $auth }}
{{- end }}
{{- toYaml $config }}
{{- end }}
