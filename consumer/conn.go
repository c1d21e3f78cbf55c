package consumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"
	"github.com/sirupsen/logrus"
)

// ConnOptions says how to reach NATS: one place for the URL, credentials and
// TLS, shared by the worker, the client and the CLI.
type ConnOptions struct {
	URL      string // nats://host:4222; several may be comma-separated
	Name     string // connection name shown by the server
	Creds    string // JWT credentials file
	NKey     string // nkey seed file
	User     string
	Password string
	TLSCert  string // client certificate (with TLSKey) for mutual TLS
	TLSKey   string
	TLSCA    string // CA that signs the server's certificate

	// InProcess connects to an embedded server without a socket; URL is
	// then ignored.
	InProcess nats.InProcessConnProvider
}

// Options turns o into nats.go options. Reconnection never gives up and
// waits with exponential backoff between tries.
func (o ConnOptions) Options(log logrus.FieldLogger) ([]nats.Option, error) {
	if log == nil {
		log = logrus.StandardLogger()
	}
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(reconnectDelay()),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.WithError(err).Warn("nats disconnected")
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.WithField("url", nc.ConnectedUrlRedacted()).Info("nats reconnected") }),
	}
	if o.InProcess != nil {
		opts = append(opts, nats.InProcessServer(o.InProcess))
	}
	if o.Creds != "" {
		opts = append(opts, nats.UserCredentials(o.Creds))
	}
	if o.NKey != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NKey)
		if err != nil {
			return nil, fmt.Errorf("nkey %s: %w", o.NKey, err)
		}
		opts = append(opts, opt)
	}
	if o.User != "" || o.Password != "" {
		opts = append(opts, nats.UserInfo(o.User, o.Password))
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return nil, errors.New("tls: --tls-cert and --tls-key go together")
	}
	if o.TLSCert != "" {
		opts = append(opts, nats.ClientCert(o.TLSCert, o.TLSKey))
	}
	if o.TLSCA != "" {
		opts = append(opts, nats.RootCAs(o.TLSCA))
	}
	return opts, nil
}

// reconnectDelay spaces reconnect attempts 250 ms, 500 ms, ... up to 5 s,
// with jitter so that a fleet of workers does not reconnect in lockstep.
func reconnectDelay() func(int) time.Duration {
	b := newBackoff(250*time.Millisecond, 5*time.Second)
	return func(attempts int) time.Duration {
		if attempts <= 1 {
			b.Reset()
		}
		return b.NextBackOff()
	}
}

func newBackoff(initial, max time.Duration) *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = initial
	b.MaxInterval = max
	b.MaxElapsedTime = 0 // never stop on its own; callers bound with ctx
	b.Reset()
	return b
}

// Connect dials NATS, retrying the first connection with backoff until ctx
// ends (a worker may start before its server). Later drops are handled by
// nats.go's reconnect loop with the same backoff.
func Connect(ctx context.Context, o ConnOptions, log logrus.FieldLogger) (*nats.Conn, error) {
	if log == nil {
		log = logrus.StandardLogger()
	}
	opts, err := o.Options(log)
	if err != nil {
		return nil, err
	}
	url := o.URL
	if url == "" {
		url = nats.DefaultURL
	}
	var nc *nats.Conn
	op := func() error {
		var err error
		nc, err = nats.Connect(url, opts...)
		if err != nil && isPermanent(err) {
			return backoff.Permanent(err)
		}
		return err
	}
	notify := func(err error, d time.Duration) {
		log.WithError(err).WithField("retry_in", d.Round(time.Millisecond)).Warn("nats connect failed")
	}
	b := backoff.WithContext(newBackoff(250*time.Millisecond, 5*time.Second), ctx)
	if err := backoff.RetryNotify(op, b, notify); err != nil {
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	return nc, nil
}

// isPermanent: wrong credentials or configuration will not fix themselves.
func isPermanent(err error) bool {
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired)
}
