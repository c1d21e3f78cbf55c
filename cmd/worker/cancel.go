package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
)

func init() {
	register("cancel", "cancel jobs by id (running or still queued)", runCancel)
}

func runCancel(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("cancel", stderr)
	nf := addNATSFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: worker cancel [flags] JOB_ID...")
		fs.PrintDefaults()
	}
	if err := parseWithEnv(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return &exitError{code: 2, msg: "give at least one JOB_ID"}
	}
	for _, id := range fs.Args() {
		if !consumer.ValidJobID(id) {
			return &exitError{code: 2, msg: fmt.Sprintf("%q is not a job id", id)}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log := quietLogger(stderr, logrus.WarnLevel)
	nc, err := nf.connect(ctx, "orcd cancel", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	c, err := client.New(nc, client.WithPrefix(nf.prefix))
	if err != nil {
		return err
	}
	for _, id := range fs.Args() {
		if err := c.Cancel(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "cancel requested: %s\n", id)
	}
	return nil
}
