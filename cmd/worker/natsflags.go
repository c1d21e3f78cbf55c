package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/sirupsen/logrus"

	"github.com/orcd/orcd/consumer"
)

// natsFlags are the connection flags shared by serve, submit, cancel and
// workers.
type natsFlags struct {
	conn   consumer.ConnOptions
	prefix string
}

func addNATSFlags(fs *flag.FlagSet) *natsFlags {
	n := &natsFlags{}
	fs.StringVar(&n.conn.URL, "nats-url", "", "NATS server URL(s), comma-separated (serve: none starts an embedded server)")
	fs.StringVar(&n.conn.Creds, "nats-creds", "", "NATS credentials file (JWT + nkey)")
	fs.StringVar(&n.conn.NKey, "nats-nkey", "", "NATS nkey seed file")
	fs.StringVar(&n.conn.User, "nats-user", "", "NATS user name")
	fs.StringVar(&n.conn.Password, "nats-password", "", "NATS password")
	fs.StringVar(&n.conn.TLSCert, "tls-cert", "", "client TLS certificate (with --tls-key)")
	fs.StringVar(&n.conn.TLSKey, "tls-key", "", "client TLS key")
	fs.StringVar(&n.conn.TLSCA, "tls-ca", "", "CA certificate that signs the server's")
	fs.StringVar(&n.prefix, "subject-prefix", consumer.DefaultPrefix, "first token of every orcd subject")
	return n
}

// connect dials the configured server; clients need one (only serve can
// embed its own).
func (n *natsFlags) connect(ctx context.Context, name string, log logrus.FieldLogger) (*nats.Conn, error) {
	if n.conn.URL == "" && n.conn.InProcess == nil {
		n.conn.URL = nats.DefaultURL
	}
	n.conn.Name = name
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return consumer.Connect(ctx, n.conn, log)
}

// quietLogger is the logger of the client commands: only problems at
// level or above reach stderr, so their stdout stays the command's output.
func quietLogger(stderr io.Writer, level logrus.Level) *logrus.Logger {
	log := logrus.New()
	log.SetOutput(stderr)
	log.SetLevel(level)
	return log
}

// envName is the environment variable that sets a flag: --nats-url is
// ORCD_NATS_URL.
func envName(flagName string) string {
	return "ORCD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseWithEnv parses args, then gives every flag not set on the command
// line the value of its ORCD_* environment variable, if any.
func parseWithEnv(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := os.LookupEnv(envName(f.Name))
		if set[f.Name] || !ok || err != nil {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = &exitError{code: 2, msg: fmt.Sprintf("%s=%q: %v", envName(f.Name), v, e)}
		}
	})
	return err
}

// flagWasSet reports whether name was given on the command line or through
// its environment variable.
func flagWasSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// newLogger builds the logrus logger from --log-format and --log-level.
func newLogger(format, level string, out io.Writer) (*logrus.Logger, error) {
	log := logrus.New()
	log.SetOutput(out)
	switch format {
	case "text", "":
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	case "json":
		log.SetFormatter(&logrus.JSONFormatter{})
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
	lvl, err := logrus.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	log.SetLevel(lvl)
	return log, nil
}

// modelName is how a model is addressed on the jobs subject: the GGUF
// file's base name without .gguf, as the engine reports it.
func modelName(s string) string {
	base := s[strings.LastIndex(s, "/")+1:]
	if strings.HasSuffix(base, ".gguf") {
		return strings.TrimSuffix(base, ".gguf")
	}
	return s
}
