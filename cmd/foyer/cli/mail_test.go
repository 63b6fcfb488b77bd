package cli

import (
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-idp/foyer/internal/config"
	"github.com/foyer-idp/foyer/internal/mail"
)

func TestMailSenderChoice(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range []struct {
		name      string
		env       string
		dev       bool
		smtpURL   string
		wantDrain bool
		want      any
	}{
		{name: "smtp", env: config.EnvProduction, smtpURL: "smtps://mailer:pw@smtp.example.com?from=no-reply@example.com", wantDrain: true, want: &mail.SMTPSender{}},
		{name: "serve --dev without smtp", env: config.EnvDevelopment, dev: true, wantDrain: true, want: mail.DevSender{}},
		{name: "development without --dev or smtp waits", env: config.EnvDevelopment, wantDrain: false, want: noSMTP{}},
		{name: "production without smtp waits", env: config.EnvProduction, wantDrain: false, want: noSMTP{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Env = tt.env
			cfg.Mail.SMTPURL = config.Secret(tt.smtpURL)
			sender, drain, err := mailSender(&app{cfg: cfg, logger: logger, dev: tt.dev})
			require.NoError(t, err)
			require.Equal(t, tt.wantDrain, drain)
			require.IsType(t, tt.want, sender)
		})
	}
}
