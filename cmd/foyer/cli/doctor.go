package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/mail"
	"github.com/foyer-idp/foyer/internal/secret"
	"github.com/foyer-idp/foyer/internal/store"
	"github.com/foyer-idp/foyer/internal/store/sqlstore"
	"github.com/foyer-idp/foyer/keys"
)

// doctorTimeout bounds each check that talks to a server, so a database or
// SMTP server that does not answer is reported rather than waited for.
const doctorTimeout = 10 * time.Second

// finding is one line of foyer doctor: a check, whether it passed, what
// was seen and, for a problem, what to do.
type finding struct {
	Check string `json:"check"`
	OK    bool   `json:"ok"`
	// Skipped: the check could not run for a problem reported above.
	Skipped bool   `json:"skipped,omitempty"`
	Detail  string `json:"detail"`
	Fix     string `json:"fix,omitempty"`
}

// doctor runs the checks in order; later ones use what earlier ones found
// (the master key, a reachable and current database).
type doctor struct {
	cfg      config.Config
	findings []finding
	master   secret.MasterKey
	store    *sqlstore.Store
	tenants  []store.Tenant
}

func (dr *doctor) ok(check, detail string) {
	dr.findings = append(dr.findings, finding{Check: check, OK: true, Detail: detail})
}

func (dr *doctor) skipped(check, why string) {
	dr.findings = append(dr.findings, finding{Check: check, Skipped: true, Detail: "not checked: " + why})
}

func (dr *doctor) problem(check, detail, fix string) {
	dr.findings = append(dr.findings, finding{Check: check, Detail: detail, Fix: fix})
}

func newDoctorCmd(d deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check a configuration against the database, keys, SMTP and external URL",
		Long: "doctor loads the configuration as serve does and checks it: the settings, the external URL, " +
			"the master key, the database (reachable, schema current), every tenant's signing keys and the SMTP " +
			"server (connects and greets). It prints one line per check, says what to fix, changes nothing, " +
			"and exits 1 when anything is wrong.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dr := &doctor{}
			defer func() {
				if dr.store != nil {
					_ = dr.store.Close()
				}
			}()
			dr.run(cmd.Context(), configSources(cmd, d))
			problems := 0
			for _, f := range dr.findings {
				if !f.OK && !f.Skipped {
					problems++
				}
			}
			err := printOut(cmd, dr.findings, func(w io.Writer) {
				for _, f := range dr.findings {
					status, detail := "ok", f.Detail
					switch {
					case f.Skipped:
						status = "skipped"
					case !f.OK:
						status = "PROBLEM"
						if f.Fix != "" {
							detail += " — fix: " + f.Fix
						}
					}
					row(w, status, f.Check, detail)
				}
			})
			if err != nil {
				return err
			}
			if problems > 0 {
				return fmt.Errorf("doctor found %d problem(s)", problems)
			}
			return nil
		},
	}
	addConfigFlags(cmd.Flags(), "addr", "metrics-addr", "external-url", "smtp-url", "trusted-proxies")
	return cmd
}

// run performs every check it can: a configuration that does not load
// stops it; one that loads but is invalid is reported and checked further.
func (dr *doctor) run(ctx context.Context, src config.Sources) {
	cfg, err := config.Load(src)
	if err != nil {
		dr.problem("config", oneLine(err), "correct the configuration file, FOYER_* variable or flag named")
		return
	}
	dr.cfg = cfg
	if err := cfg.Validate(); err != nil {
		dr.problem("config", oneLine(err), "correct the settings named (foyer serve refuses to start until then)")
	} else {
		dr.ok("config", "settings valid ("+cfg.Env+")")
	}
	dr.checkExternalURL()
	dr.checkMasterKey()
	dr.checkDatabase(ctx)
	dr.checkKeys(ctx)
	dr.checkSMTP(ctx)
}

func (dr *doctor) checkExternalURL() {
	const check = "external URL"
	raw := dr.cfg.ExternalURL
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		dr.problem(check, fmt.Sprintf("%q is not an absolute http(s) URL", raw),
			"set FOYER_EXTERNAL_URL (--external-url) to the URL clients use, e.g. https://id.example.com")
	case u.Scheme == "http" && dr.cfg.IsProduction() && !isLoopbackHost(u.Hostname()):
		dr.problem(check, raw+" is plain http in production: session cookies and tokens would travel in the clear",
			"terminate TLS at your proxy or load balancer and set FOYER_EXTERNAL_URL to the https:// URL")
	case u.Scheme == "http" && dr.cfg.IsProduction():
		dr.ok(check, raw+" (plain http on loopback: reachable from this machine only)")
	case u.Path != "" && u.Path != "/":
		dr.ok(check, raw+" (issuers are "+raw+"/t/{tenant}; the proxy must forward that path)")
	default:
		dr.ok(check, raw)
	}
}

func (dr *doctor) checkMasterKey() {
	const check = "master key"
	const generate = "head -c 32 /dev/urandom | base64"
	if dr.cfg.MasterKey != "" {
		key, err := secret.ParseMasterKey(dr.cfg.MasterKey.Reveal())
		if err != nil {
			dr.problem(check, "FOYER_MASTER_KEY is not 32 bytes in base64 or hex",
				"give the key this database was created with; a new one is made with "+generate)
			return
		}
		dr.master = key
		dr.ok(check, "from masterKey (FOYER_MASTER_KEY)")
		return
	}
	path := dr.cfg.MasterKeyFile
	if path == "" {
		dr.problem(check, "neither masterKey nor masterKeyFile is set", "set FOYER_MASTER_KEY (made with "+generate+")")
		return
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !dr.cfg.IsProduction():
		dr.ok(check, "no file "+path+" yet: serve creates one in development (back it up)")
		return
	case errors.Is(err, fs.ErrNotExist):
		dr.problem(check, "masterKeyFile "+path+" does not exist; production never creates one",
			"give the key this database was created with in that file or FOYER_MASTER_KEY")
		return
	case err != nil:
		dr.problem(check, "masterKeyFile: "+err.Error(), "make "+path+" readable by Foyer's user")
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		dr.problem(check, "masterKeyFile: "+err.Error(), "make "+path+" readable by Foyer's user")
		return
	}
	key, err := secret.ParseMasterKey(string(b))
	if err != nil {
		dr.problem(check, path+" does not hold 32 bytes in base64 or hex", "restore the key file from your backup")
		return
	}
	dr.master = key
	if info.Mode().Perm()&0o077 != 0 {
		dr.problem(check, fmt.Sprintf("%s is readable by others (mode %v)", path, info.Mode().Perm()), "chmod 600 "+path)
		return
	}
	dr.ok(check, "from "+path)
}

// checkDatabase connects without creating or migrating anything and
// compares the schema with the migrations this binary knows. It keeps the
// store open for the key check when the schema is current.
func (dr *doctor) checkDatabase(ctx context.Context) {
	name := databaseName(dr.cfg)
	if !dr.cfg.IsPostgres() {
		if _, err := os.Stat(dr.cfg.SQLitePath()); err != nil {
			dr.problem("database", name+": no database file yet", "run foyer migrate (serve does it at start) with this data directory")
			return
		}
	}
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	st, err := openStore(ctx, dr.cfg, false)
	if err == nil {
		err = st.Ping(ctx)
		if err != nil {
			_ = st.Close()
		}
	}
	if err != nil {
		dr.problem("database", name+": "+oneLine(err),
			"check FOYER_DATABASE (host, port, database, user, password, sslmode) and that the server runs and accepts this node")
		return
	}
	dr.ok("database", name+": connected")
	pending, err := st.PendingMigrations(ctx)
	switch {
	case errors.Is(err, store.ErrConflict):
		dr.problem("schema", oneLine(err), "run the foyer version that migrated this database, or a newer one")
	case err != nil:
		dr.problem("schema", oneLine(err), "check that Foyer's user may read the database")
	case len(pending) > 0:
		dr.problem("schema", fmt.Sprintf("%d migration(s) pending, %s to %s", len(pending), pending[0], pending[len(pending)-1]),
			"run foyer migrate (serve does it at start)")
	default:
		dr.ok("schema", "current")
	}
	if err != nil || len(pending) > 0 {
		_ = st.Close()
		return
	}
	dr.store = st
}

// checkKeys opens every tenant's signing keys with the master key.
func (dr *doctor) checkKeys(ctx context.Context) {
	const check = "signing keys"
	if dr.store == nil {
		dr.skipped(check, "the database is not reachable or its schema not current")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	tenants, err := dr.store.ListTenants(ctx)
	if err != nil {
		dr.problem(check, "list tenants: "+oneLine(err), "check the database")
		return
	}
	if len(tenants) == 0 {
		dr.ok(check, "no tenants yet: create one with foyer tenants create --slug SLUG --name NAME")
		return
	}
	if dr.master.IsZero() {
		dr.problem(check, fmt.Sprintf("%d tenant(s) but no master key to open their keys", len(tenants)),
			"give the master key this database was created with (FOYER_MASTER_KEY or masterKeyFile)")
		return
	}
	m, err := keys.New(keys.Config{Store: dr.store, Sealer: dr.master.Sealer(signingKeysPurpose)})
	if err != nil {
		dr.problem(check, oneLine(err), "")
		return
	}
	var broken, missing []string
	for _, t := range tenants {
		switch err := m.Check(ctx, t.ID); {
		case errors.Is(err, keys.ErrNoKeys):
			missing = append(missing, t.Slug)
		case err != nil:
			broken = append(broken, t.Slug)
		}
	}
	switch {
	case len(broken) > 0:
		dr.problem(check, fmt.Sprintf("the master key cannot open the signing keys of %s", strings.Join(broken, ", ")),
			"use the master key this database was created with; a different key cannot open anything sealed before")
	case len(missing) > 0:
		dr.ok(check, fmt.Sprintf("%d tenant(s); %s have none yet: serve makes them at start", len(tenants), strings.Join(missing, ", ")))
	default:
		dr.ok(check, fmt.Sprintf("%d tenant(s), every key opens with the master key", len(tenants)))
	}
}

func (dr *doctor) checkSMTP(ctx context.Context) {
	const check = "smtp"
	if !dr.cfg.HasSMTP() {
		if dr.cfg.IsProduction() {
			dr.problem(check, "no SMTP server: invitations, passcodes and notifications wait in the outbox and are never delivered",
				"set FOYER_SMTP_URL (smtp://user:pass@host:587?from=foyer@example.com)")
			return
		}
		dr.ok(check, "none configured: mail waits in the outbox (serve --dev shows it at /dev/mail)")
		return
	}
	s, err := mail.NewSMTPSender(mail.SMTPConfig{URL: dr.cfg.Mail.SMTPURL.Reveal(), From: dr.cfg.Mail.From, Timeout: doctorTimeout})
	if err != nil {
		dr.problem(check, oneLine(err), "correct FOYER_SMTP_URL and FOYER_MAIL_FROM")
		return
	}
	if err := s.Probe(ctx); err != nil {
		dr.problem(check, oneLine(err),
			"check the SMTP host and port, the credentials, and that the server offers STARTTLS (smtp://) or TLS (smtps://)")
		return
	}
	p, _, _ := mail.ParseSMTPURL(dr.cfg.Mail.SMTPURL.Reveal())
	dr.ok(check, fmt.Sprintf("%s://%s: connected and greeted, sending as %s", p.Scheme, net.JoinHostPort(p.Host, fmt.Sprint(p.Port)), s.From()))
}

// oneLine joins an error's lines, so each check stays one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}
