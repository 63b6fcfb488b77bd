package deploy

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDockerfiles checks both images' final stage: FROM scratch (nothing
// to pull for it), a numeric non-root user, the data volume, the binary as
// entry point. Whether they build is .ci/run's job where docker runs.
func TestDockerfiles(t *testing.T) {
	for _, path := range []string{"../Dockerfile", "docker/Dockerfile"} {
		t.Run(path, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			text := string(b)
			stages := strings.Split(text, "\nFROM ")
			final := stages[len(stages)-1]
			if !strings.HasPrefix(final, "scratch") {
				t.Errorf("the final stage is FROM %s, want scratch", strings.SplitN(final, "\n", 2)[0])
			}
			user := regexp.MustCompile(`(?m)^USER (\d+):(\d+)$`).FindStringSubmatch(final)
			if user == nil {
				t.Fatal("the final stage has no numeric USER uid:gid")
			}
			if uid, _ := strconv.Atoi(user[1]); uid == 0 {
				t.Error("the image runs as root")
			}
			for _, want := range []string{"VOLUME /data", "FOYER_DATA_DIR=/data", `ENTRYPOINT ["/foyer"]`, "--chown=" + user[1] + ":" + user[2], "/etc/ssl/certs/ca-certificates.crt"} {
				if !strings.Contains(final, want) {
					t.Errorf("the final stage lacks %q", want)
				}
			}
			if len(stages) > 1 && !strings.Contains(text, "CGO_ENABLED=0 go build") {
				t.Error("the build stage does not build a static binary (CGO_ENABLED=0)")
			}
		})
	}
}

// TestCompose checks compose.yaml: PostgreSQL, two Foyer nodes with one
// external URL, one master key and one database, and a proxy in front of
// both that the nodes trust.
func TestCompose(t *testing.T) {
	var c struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Environment map[string]string `yaml:"environment"`
			Ports       []string          `yaml:"ports"`
			Volumes     []string          `yaml:"volumes"`
			Networks    any               `yaml:"networks"`
		} `yaml:"services"`
	}
	b, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	nodes := []string{"foyer-1", "foyer-2"}
	for _, name := range append([]string{"postgres", "proxy"}, nodes...) {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("compose.yaml has no service %s", name)
		}
	}
	first := c.Services[nodes[0]].Environment
	for _, k := range []string{"FOYER_EXTERNAL_URL", "FOYER_MASTER_KEY", "FOYER_DATABASE", "FOYER_ENV"} {
		if first[k] == "" {
			t.Errorf("%s has no %s", nodes[0], k)
		}
		if got := c.Services[nodes[1]].Environment[k]; got != first[k] {
			t.Errorf("the nodes differ in %s: %q and %q", k, first[k], got)
		}
	}
	if !strings.Contains(first["FOYER_DATABASE"], "@postgres:5432/") {
		t.Errorf("FOYER_DATABASE %q does not name the postgres service", first["FOYER_DATABASE"])
	}
	for _, n := range nodes {
		if len(c.Services[n].Ports) != 0 {
			t.Errorf("%s publishes ports: only the proxy should", n)
		}
	}
	proxy := c.Services["proxy"]
	if len(proxy.Ports) != 1 || !strings.HasSuffix(first["FOYER_EXTERNAL_URL"], ":"+strings.SplitN(proxy.Ports[0], ":", 2)[0]+"}") {
		t.Errorf("the proxy publishes %v; the external URL %q should name its port", proxy.Ports, first["FOYER_EXTERNAL_URL"])
	}
	addr, _ := proxy.Networks.(map[string]any)["foyer"].(map[string]any)["ipv4_address"].(string)
	if addr == "" || first["FOYER_TRUSTED_PROXIES"] != addr+"/32" {
		t.Errorf("FOYER_TRUSTED_PROXIES = %q, want the proxy's address %q", first["FOYER_TRUSTED_PROXIES"], addr)
	}
	caddy, err := os.ReadFile("compose/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range append(nodes, "health_uri /readyz") {
		if !strings.Contains(string(caddy), want) {
			t.Errorf("the Caddyfile lacks %q", want)
		}
	}
}
