package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/sirupsen/logrus"

	"github.com/orcd/orcd/consumer"
)

func init() {
	register("dlq", "list the dead-letter stream (jobs that used up their deliveries), or requeue one: dlq [list|requeue JOB_ID]", runDLQ)
}

func runDLQ(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dlq", stderr)
	nf := addNATSFlags(fs)
	jsonOut := fs.Bool("json", false, "list: print the dead jobs as a JSON array")
	limit := fs.Int("limit", 0, "list: at most this many (0: all)")
	if err := parseWithEnv(fs, args); err != nil {
		return err
	}
	verb, rest := "list", fs.Args()
	if len(rest) > 0 {
		verb, rest = rest[0], rest[1:]
	}
	switch {
	case verb == "list" && len(rest) == 0:
	case verb == "requeue" && len(rest) == 1:
	default:
		return &exitError{code: 2, msg: "usage: worker dlq [flags] [list | requeue JOB_ID]"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := quietLogger(stderr, logrus.WarnLevel)
	nc, err := nf.connect(ctx, "orcd dlq", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	s := consumer.NewSubjects(nf.prefix)
	if verb == "requeue" {
		d, err := consumer.Requeue(ctx, js, s, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "requeued %s on %s (it had failed %d deliveries: %s)\n", d.JobID, d.Subject, d.Deliveries, d.LastError)
		return nil
	}
	dead, err := consumer.ListDeadLetters(ctx, js, s, *limit)
	if err != nil {
		return err
	}
	if *jsonOut {
		if dead == nil {
			dead = []consumer.DeadJob{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(dead)
	}
	if len(dead) == 0 {
		fmt.Fprintln(stdout, "no dead jobs")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB_ID\tSUBJECT\tDELIVERIES\tDEAD_AT\tLAST_ERROR")
	for _, d := range dead {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", d.JobID, d.Subject, d.Deliveries, d.DeadAt.Format(time.RFC3339), d.LastError)
	}
	return tw.Flush()
}
