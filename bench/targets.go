package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/foyer-idp/foyer/internal/loadtest"
)

// Target names, in the order each round visits them.
const (
	targetReference = "reference"
	targetSQLite    = "foyer-sqlite"
	targetPostgres  = "foyer-postgres"
)

// The reference's well-known names (bench/reference's constants: the
// example storage's user and clients).
const (
	refWebClient     = "web"
	refWebSecret     = "secret"
	refServiceClient = "sid1"
	refServiceSecret = "verysecret"
	refPassword      = "verysecure"
	redirectURI      = "http://127.0.0.1:5556/callback"
)

// Foyer's bench tenants, applied by `foyer bootstrap` before serve: one
// signing with ES256 (every scenario but RS256), one with RS256. The
// secrets are public, like serve --dev's: the data is for measuring only.
const (
	foyerTenantES  = "bench-es"
	foyerTenantRS  = "bench-rs"
	foyerClient    = "bench-app"
	foyerSecret    = "bench-secret-not-for-anything-but-load-tests"
	foyerPassword  = "bench-password-not-for-anything-but-load-tests"
	foyerUserLocal = "bench"
	// benchMasterKey seals the bench databases' keys, fixed so that a
	// PostgreSQL database reused by a later run opens; hex of 32 bytes.
	benchMasterKey = "62656e63682d6d61737465722d6b65792d6e6f742d612d736563726574212121"
)

func bootstrapYAML() string {
	var b strings.Builder
	b.WriteString("tenants:\n")
	for _, t := range []struct{ slug, alg string }{{foyerTenantES, "ES256"}, {foyerTenantRS, "RS256"}} {
		fmt.Fprintf(&b, `  - slug: %[1]s
    displayName: Bench %[2]s
    signingAlgorithm: %[2]s
    mfaPolicy:
      required: nobody
    members:
      - mail: %[3]s@%[1]s.test
        displayName: Bench user
        password: %[4]s
    applications:
      - clientId: %[5]s
        displayName: Bench app
        secret: %[6]s
        firstParty: true
        redirectUris: [%[7]s]
        grantTypes: [authorization_code, refresh_token, client_credentials]
`, t.slug, t.alg, foyerUserLocal, foyerPassword, foyerClient, foyerSecret, redirectURI)
	}
	return b.String()
}

// endpoint is what `foyer bench` needs to drive one provider.
type endpoint struct {
	Issuer, ClientID, ClientSecret, Username, Password string
}

// target is a running provider: its ES256 endpoints for most scenarios
// and its RS256 ones for client_credentials RS256.
type target struct {
	Name      string
	ES, RS    endpoint
	ServiceES endpoint // client_credentials ES256
	ServiceRS endpoint // client_credentials RS256
	// Profiles is Foyer's debug listener (debugAddr), for go tool pprof
	// during a run.
	Profiles       string
	procs          []*exec.Cmd
	logs           []*os.File
	started, ready time.Time
}

// forScenario answers the endpoint and `foyer bench` scenario of a row.
func (t *target) forScenario(row string) (endpoint, string) {
	switch row {
	case rowCCES256:
		return t.ServiceES, loadtest.ClientCredentials
	case rowCCRS256:
		return t.ServiceRS, loadtest.ClientCredentials
	}
	return t.ES, row
}

func (t *target) stop() {
	for _, p := range t.procs {
		if p.Process != nil {
			_ = p.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, p := range t.procs {
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	for _, f := range t.logs {
		_ = f.Close()
	}
}

// build compiles foyer and the reference into dir.
func build(ctx context.Context, moduleDir, dir string) (foyerBin, refBin string, err error) {
	foyerBin, refBin = filepath.Join(dir, "foyer"), filepath.Join(dir, "reference")
	for _, b := range [][2]string{{foyerBin, "./cmd/foyer"}, {refBin, "./bench/reference"}} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b[0], b[1])
		cmd.Dir = moduleDir
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go build %s: %w\n%s", b[1], err, out)
		}
	}
	return foyerBin, refBin, nil
}

// freePort answers a loopback port nothing listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// childEnv is the harness's environment without any FOYER_ setting (the
// children get exactly the ones given), plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FOYER_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startProc starts a long-running child with its output in a log file.
func (t *target) startProc(logPath string, env []string, bin string, args ...string) error {
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", filepath.Base(bin), err)
	}
	t.procs, t.logs = append(t.procs, cmd), append(t.logs, f)
	return nil
}

// startReference starts two reference processes: ES256 and RS256.
func startReference(ctx context.Context, refBin, dir string) (*target, error) {
	t := &target{Name: targetReference, started: time.Now()}
	var issuers [2]string
	for i, alg := range []string{"ES256", "RS256"} {
		port, err := freePort()
		if err != nil {
			return t, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		if err := t.startProc(filepath.Join(dir, "reference-"+alg+".log"), childEnv(), refBin,
			"--addr", addr, "--alg", alg, "--redirect-uri", redirectURI); err != nil {
			return t, err
		}
		issuers[i] = "http://" + addr
		if err := waitReady(ctx, issuers[i]+"/.well-known/openid-configuration"); err != nil {
			return t, fmt.Errorf("reference %s: %w (log: %s)", alg, err, t.logs[len(t.logs)-1].Name())
		}
	}
	// The example's user is named after the issuer's host.
	user := "test-user@127.0.0.1"
	t.ES = endpoint{Issuer: issuers[0], ClientID: refWebClient, ClientSecret: refWebSecret, Username: user, Password: refPassword}
	t.ServiceES = endpoint{Issuer: issuers[0], ClientID: refServiceClient, ClientSecret: refServiceSecret}
	t.ServiceRS = endpoint{Issuer: issuers[1], ClientID: refServiceClient, ClientSecret: refServiceSecret}
	t.RS = t.ServiceRS
	t.ready = time.Now()
	return t, nil
}

// startFoyer applies the bench tenants and starts `foyer serve --dev` on
// a data dir of its own, on SQLite or on the PostgreSQL database dsn.
func startFoyer(ctx context.Context, name, foyerBin, dir, dsn string) (*target, error) {
	t := &target{Name: name, started: time.Now()}
	dataDir := filepath.Join(dir, name+"-data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return t, err
	}
	port, err := freePort()
	if err != nil {
		return t, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	debugPort, err := freePort()
	if err != nil {
		return t, err
	}
	t.Profiles = "http://127.0.0.1:" + strconv.Itoa(debugPort) + "/debug/pprof/"
	env := childEnv("FOYER_ENV=development", "FOYER_DATA_DIR="+dataDir, "FOYER_MASTER_KEY="+benchMasterKey, "FOYER_LOG_LEVEL=warn",
		"FOYER_DEBUG_ADDR=127.0.0.1:"+strconv.Itoa(debugPort))
	if dsn != "" {
		env = append(env, "FOYER_DATABASE="+dsn)
	}
	file := filepath.Join(dir, "bench-tenants.yaml")
	if err := os.WriteFile(file, []byte(bootstrapYAML()), 0o600); err != nil {
		return t, err
	}
	cmd := exec.CommandContext(ctx, foyerBin, "bootstrap", "--file", file)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return t, fmt.Errorf("%s: foyer bootstrap: %w\n%s", name, err, out)
	}
	if err := t.startProc(filepath.Join(dir, name+".log"), env, foyerBin, "serve", "--dev", "--addr", addr, "--external-url", "http://"+addr); err != nil {
		return t, err
	}
	base := "http://" + addr
	if err := waitReady(ctx, base+"/readyz"); err != nil {
		return t, fmt.Errorf("%s: %w (log: %s)", name, err, t.logs[0].Name())
	}
	ep := func(tenant string) endpoint {
		return endpoint{Issuer: base + "/t/" + tenant, ClientID: foyerClient, ClientSecret: foyerSecret,
			Username: foyerUserLocal + "@" + tenant + ".test", Password: foyerPassword}
	}
	t.ES, t.RS = ep(foyerTenantES), ep(foyerTenantRS)
	t.ServiceES, t.ServiceRS = t.ES, t.RS
	t.ready = time.Now()
	return t, nil
}

// waitReady polls u until it answers 200, for a minute at most.
func waitReady(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready at %s: %w", u, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// benchOnce runs `foyer bench -o json` for one scenario and answers its
// figures.
func benchOnce(ctx context.Context, foyerBin string, ep endpoint, scenario string, workers int, d time.Duration) (loadtest.Result, error) {
	args := []string{"bench", "-o", "json", "--issuer", ep.Issuer, "--client-id", ep.ClientID,
		"--scenario", scenario, "--workers", strconv.Itoa(workers), "--duration", d.String()}
	if ep.Username != "" {
		args = append(args, "--username", ep.Username, "--redirect-uri", redirectURI)
	}
	ctx, cancel := context.WithTimeout(ctx, d+2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, foyerBin, args...)
	cmd.Env = childEnv("FOYER_BENCH_CLIENT_SECRET="+ep.ClientSecret, "FOYER_BENCH_PASSWORD="+ep.Password)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return loadtest.Result{}, fmt.Errorf("foyer bench: %w: %s", err, lastLine(stderr.String()))
	}
	var rep loadtest.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		return loadtest.Result{}, fmt.Errorf("foyer bench: unreadable output: %w", err)
	}
	if len(rep.Results) != 1 {
		return loadtest.Result{}, fmt.Errorf("foyer bench answered %d results, want 1", len(rep.Results))
	}
	res := rep.Results[0]
	if res.Operations == 0 && (res.Errors > 0 || len(res.Setup) > 0) {
		msg := "no operation succeeded"
		for _, e := range append(res.Setup, res.ErrorKinds...) {
			msg += "; " + e.Message
			break
		}
		return res, errors.New(msg)
	}
	return res, nil
}

func lastLine(s string) string {
	var last string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			last = l
		}
	}
	return last
}

// loadAverage reads /proc/loadavg; zeros where there is none.
func loadAverage() [3]float64 {
	var la [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return la
	}
	for i, f := range strings.Fields(string(b)) {
		if i == 3 {
			break
		}
		la[i], _ = strconv.ParseFloat(f, 64)
	}
	return la
}

// checkDSN refuses a PostgreSQL URL off this machine: the harness writes
// its public test data there.
func checkDSN(dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("--postgres-dsn must be a postgres:// URL")
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--postgres-dsn names host %q: the harness writes public test data and runs only against a database on this machine", host)
	}
	if strings.Trim(u.Path, "/") == "" {
		return errors.New("--postgres-dsn names no database: create one for the harness alone")
	}
	return nil
}

// checkAlg gets a client_credentials token from ep and checks that its
// JWT header names alg: the comparison is only fair if each side signs
// as the row says.
func checkAlg(ctx context.Context, ep endpoint, alg string) error {
	var disc struct {
		Token string `json:"token_endpoint"`
	}
	if err := getJSON(ctx, strings.TrimRight(ep.Issuer, "/")+"/.well-known/openid-configuration", nil, &disc); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, disc.Token, strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(ep.ClientID), url.QueryEscape(ep.ClientSecret))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := getJSON(ctx, "", req, &tok); err != nil {
		return err
	}
	header, _, _ := strings.Cut(tok.AccessToken, ".")
	raw, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		return fmt.Errorf("%s: the access token is not a JWT", ep.Issuer)
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(raw, &h); err != nil || h.Alg != alg {
		return fmt.Errorf("%s signs access tokens with %q, want %s", ep.Issuer, h.Alg, alg)
	}
	return nil
}

// getJSON sends req (a GET of u when nil) and decodes a 200 answer.
func getJSON(ctx context.Context, u string, req *http.Request, v any) error {
	if req == nil {
		var err error
		if req, err = http.NewRequestWithContext(ctx, http.MethodGet, u, nil); err != nil {
			return err
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d", req.Method, req.URL.Redacted(), resp.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}
