package deploy

import (
	"encoding/base64"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
)

// secrets are the values a release must give unless it names its own
// Secret.
var secrets = map[string]any{
	"masterKey": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	"database":  "postgres://foyer:pw@db:5432/foyer?sslmode=require",
}

func withSecrets(extra map[string]any) map[string]any {
	v := maps.Clone(secrets)
	maps.Copy(v, extra)
	return v
}

func TestChartDefaults(t *testing.T) {
	r, err := renderChart(t, "id", withSecrets(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"Deployment", "Service", "Secret", "PodDisruptionBudget"} {
		r.only(t, kind)
	}
	if len(r["ServiceMonitor"]) != 0 {
		t.Error("a ServiceMonitor was rendered though metrics.serviceMonitor.enabled is false by default")
	}

	dep := r.only(t, "Deployment")
	if got := dig(t, dep, "metadata", "name"); got != "id-foyer" {
		t.Errorf("Deployment name = %v, want id-foyer", got)
	}
	if got := dig(t, dep, "spec", "replicas"); got != 2 {
		t.Errorf("replicas = %v, want 2 (several stateless nodes)", got)
	}
	pod := dig(t, dep, "spec", "template", "spec")
	c := dig(t, pod, "containers", 0)
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		if got := dig(t, c, probe, "httpGet", "path"); got != path {
			t.Errorf("%s path = %v, want %s", probe, got, path)
		}
		if got := dig(t, c, probe, "httpGet", "port"); got != "http" {
			t.Errorf("%s port = %v, want the http port", probe, got)
		}
	}
	if got := dig(t, c, "ports", 0, "containerPort"); got != 8080 {
		t.Errorf("containerPort = %v, want 8080 (FOYER_ADDR)", got)
	}
	if dig(t, pod, "securityContext", "runAsNonRoot") != true {
		t.Error("the pod does not set runAsNonRoot: true")
	}
	if uid, _ := dig(t, pod, "securityContext", "runAsUser").(int); uid == 0 {
		t.Error("the pod runs as root (runAsUser 0 or unset)")
	}
	if dig(t, c, "securityContext", "allowPrivilegeEscalation") != false ||
		dig(t, c, "securityContext", "readOnlyRootFilesystem") != true {
		t.Errorf("container securityContext = %v, want no privilege escalation and a read-only root", dig(t, c, "securityContext"))
	}
	if got := dig(t, c, "image"); got != "foyer:dev" {
		t.Errorf("image = %v, want foyer:dev (the chart's appVersion as tag)", got)
	}

	secret := r.only(t, "Secret")
	secretName := dig(t, secret, "metadata", "name")
	env := envOf(t, c)
	for variable, key := range map[string]string{"FOYER_MASTER_KEY": "masterKey", "FOYER_DATABASE": "database", "FOYER_SMTP_URL": "smtpURL"} {
		ref, ok := env[variable].(map[string]any)
		if !ok {
			t.Errorf("%s is not taken from a Secret: %v", variable, env[variable])
			continue
		}
		if got := dig(t, ref, "valueFrom", "secretKeyRef", "name"); got != secretName {
			t.Errorf("%s comes from Secret %v, want the chart's %v", variable, got, secretName)
		}
		if got := dig(t, ref, "valueFrom", "secretKeyRef", "key"); got != key {
			t.Errorf("%s comes from key %v, want %s", variable, got, key)
		}
	}
	for key, want := range secrets {
		enc, _ := dig(t, secret, "data", key).(string)
		got, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || string(got) != want {
			t.Errorf("Secret data %s = %q (%v), want the value given, base64-encoded", key, got, err)
		}
	}
	if _, ok := dig(t, secret, "data").(map[string]any)["smtpURL"]; ok {
		t.Error("the Secret has an smtpURL though none was given")
	}
	if got := env["FOYER_EXTERNAL_URL"]; got != "https://id.example.com" {
		t.Errorf("FOYER_EXTERNAL_URL = %v", got)
	}
	// The hand-over outlasts the readiness probe's notice (5 s × 2), and
	// the grace period covers it and the 15 s drain.
	delay, err := time.ParseDuration(fmt.Sprint(env["FOYER_SHUTDOWN_DELAY"]))
	if err != nil || delay <= 10*time.Second {
		t.Errorf("FOYER_SHUTDOWN_DELAY = %v, want a duration over the probe's 10 s", env["FOYER_SHUTDOWN_DELAY"])
	}
	if grace, _ := dig(t, pod, "terminationGracePeriodSeconds").(int); time.Duration(grace)*time.Second < delay+15*time.Second {
		t.Errorf("terminationGracePeriodSeconds = %v, want at least the delay and the 15 s drain", grace)
	}

	podLabels := dig(t, dep, "spec", "template", "metadata", "labels").(map[string]any)
	pdb := r.only(t, "PodDisruptionBudget")
	if got := dig(t, pdb, "spec", "minAvailable"); got != 1 {
		t.Errorf("PDB minAvailable = %v, want 1", got)
	}
	selects(t, "PodDisruptionBudget", dig(t, pdb, "spec", "selector", "matchLabels"), podLabels)
	selects(t, "Service", dig(t, r.only(t, "Service"), "spec", "selector"), podLabels)
}

func TestChartServiceMonitor(t *testing.T) {
	r, err := renderChart(t, "foyer", withSecrets(map[string]any{
		"metrics": map[string]any{"serviceMonitor": map[string]any{"enabled": true, "labels": map[string]any{"release": "prom"}}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	sm := r.only(t, "ServiceMonitor")
	if got := dig(t, sm, "metadata", "name"); got != "foyer" {
		t.Errorf("name = %v, want foyer (a release named foyer is not foyer-foyer)", got)
	}
	if got := dig(t, sm, "spec", "endpoints", 0, "path"); got != "/metrics" {
		t.Errorf("ServiceMonitor path = %v, want /metrics", got)
	}
	if got := dig(t, sm, "metadata", "labels", "release"); got != "prom" {
		t.Errorf("ServiceMonitor lacks the extra label for Prometheus' selector: %v", dig(t, sm, "metadata", "labels"))
	}
	svc := r.only(t, "Service")
	selects(t, "ServiceMonitor", dig(t, sm, "spec", "selector", "matchLabels"), dig(t, svc, "metadata", "labels").(map[string]any))
	if got := dig(t, sm, "spec", "endpoints", 0, "port"); got != "metrics" || dig(t, svc, "spec", "ports", 1, "name") != "metrics" {
		t.Errorf("ServiceMonitor port %v is not the Service's metrics port", got)
	}
	c := dig(t, r.only(t, "Deployment"), "spec", "template", "spec", "containers", 0)
	if got := envOf(t, c)["FOYER_METRICS_ADDR"]; got != ":9090" {
		t.Errorf("FOYER_METRICS_ADDR = %v, want :9090 (metrics.port)", got)
	}
	if dig(t, c, "ports", 1, "name") != "metrics" || dig(t, c, "ports", 1, "containerPort") != 9090 {
		t.Errorf("the container does not declare the metrics port: %v", dig(t, c, "ports"))
	}

	// metrics.port 0: /metrics stays on the http port, and so does the monitor.
	r, err = renderChart(t, "foyer", withSecrets(map[string]any{
		"metrics": map[string]any{"port": 0, "serviceMonitor": map[string]any{"enabled": true}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := dig(t, r.only(t, "ServiceMonitor"), "spec", "endpoints", 0, "port"); got != "http" {
		t.Errorf("with metrics.port 0 the ServiceMonitor scrapes port %v, want http", got)
	}
	c = dig(t, r.only(t, "Deployment"), "spec", "template", "spec", "containers", 0)
	if _, ok := envOf(t, c)["FOYER_METRICS_ADDR"]; ok {
		t.Error("FOYER_METRICS_ADDR set though metrics.port is 0")
	}
}

func TestChartExistingSecretAndNoPDB(t *testing.T) {
	r, err := renderChart(t, "id", map[string]any{
		"existingSecret":      "foyer-prod",
		"podDisruptionBudget": map[string]any{"enabled": false},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r["Secret"]) != 0 {
		t.Error("the chart made a Secret though existingSecret names one")
	}
	if len(r["PodDisruptionBudget"]) != 0 {
		t.Error("a PodDisruptionBudget was rendered though disabled")
	}
	env := envOf(t, dig(t, r.only(t, "Deployment"), "spec", "template", "spec", "containers", 0))
	for _, variable := range []string{"FOYER_MASTER_KEY", "FOYER_DATABASE"} {
		if got := dig(t, env[variable], "valueFrom", "secretKeyRef", "name"); got != "foyer-prod" {
			t.Errorf("%s comes from Secret %v, want foyer-prod", variable, got)
		}
	}
}

func TestChartRequiresSecrets(t *testing.T) {
	for _, missing := range []string{"masterKey", "database"} {
		v := maps.Clone(secrets)
		delete(v, missing)
		_, err := renderChart(t, "id", v)
		if err == nil || !strings.Contains(err.Error(), "set "+missing) {
			t.Errorf("without %s: err = %v, want one asking to set it", missing, err)
		}
	}
}

// envOf answers a container's environment: a variable's value, or its
// whole entry when it comes from elsewhere (valueFrom).
func envOf(t *testing.T, container any) map[string]any {
	t.Helper()
	env := map[string]any{}
	list, _ := dig(t, container, "env").([]any)
	for _, e := range list {
		m := e.(map[string]any)
		name, _ := m["name"].(string)
		if _, ok := m["valueFrom"]; ok {
			env[name] = m
		} else {
			env[name] = m["value"]
		}
	}
	return env
}

// selects fails unless every label of selector is on labels.
func selects(t *testing.T, what string, selector any, labels map[string]any) {
	t.Helper()
	sel, _ := selector.(map[string]any)
	if len(sel) == 0 {
		t.Errorf("%s has an empty selector", what)
	}
	for k, v := range sel {
		if labels[k] != v {
			t.Errorf("%s selects %s=%v, which the target lacks (%v)", what, k, v, labels)
		}
	}
}
