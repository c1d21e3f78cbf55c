package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
)

func init() {
	register("workers", "list the live workers (a table, or --json)", runWorkers)
}

func runWorkers(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("workers", stderr)
	nf := addNATSFlags(fs)
	jsonOut := fs.Bool("json", false, "print the heartbeat records as a JSON array")
	if err := parseWithEnv(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log := quietLogger(stderr, logrus.WarnLevel)
	nc, err := nf.connect(ctx, "orcd workers", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	c, err := client.New(nc, client.WithPrefix(nf.prefix))
	if err != nil {
		return err
	}
	ws, err := c.Workers(ctx)
	if err != nil {
		return err
	}
	if *jsonOut {
		if ws == nil {
			ws = []consumer.Heartbeat{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ws)
	}
	printWorkers(stdout, ws)
	return nil
}

func printWorkers(out io.Writer, ws []consumer.Heartbeat) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKER\tMODEL\tQUANT\tENGINE\tDEVICE\tSLOTS\tBATCH\tKV\tCACHED\tDONE\tFAILED\tTOKENS\tTOK/S\tMEM\tUPTIME\tHEALTHY")
	for _, w := range ws {
		mem := fmt.Sprintf("rss %s", mib(w.RSS))
		if w.VRAMTotal > 0 {
			mem = fmt.Sprintf("vram %s/%s", mib(w.VRAMUsed), mib(w.VRAMTotal))
		}
		healthy := "yes"
		if !w.Healthy {
			healthy = "no: " + w.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d/%d\t%d\t%d/%d\t%d\t%d\t%d\t%d\t%.1f\t%s\t%s\t%s\n",
			w.WorkerID, w.Model, w.Quant, w.Engine, w.Device, w.SlotsBusy, w.SlotsTotal, w.Batch, w.KVUsed, w.KVTotal, w.KVCached, w.JobsDone, w.JobsFailed,
			w.TokensGenerated, w.TokPerSec, mem, (time.Duration(w.UptimeS) * time.Second).String(), healthy)
	}
	tw.Flush()
	if len(ws) == 0 {
		fmt.Fprintln(out, "(no live workers)")
	}
}

func mib(b uint64) string { return fmt.Sprintf("%.0fMiB", float64(b)/(1<<20)) }
