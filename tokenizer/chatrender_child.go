package tokenizer

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/ardanlabs/jinja"
)

// The child is this binary started again with childEnv set. The check
// runs in init so that it works in any binary that links this package,
// test binaries included, before their main parses flags: a test binary
// started as a child that ran its tests instead would start children of
// its own.
const (
	childEnv    = "ORCD_INTERNAL_CHAT_RENDERER"
	childMemEnv = "ORCD_INTERNAL_CHAT_RENDERER_MEM"
	childOutEnv = "ORCD_INTERNAL_CHAT_RENDERER_OUT"
)

func init() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	os.Exit(serveRenderChild(os.Stdin, os.Stdout))
}

// childStack bounds the goroutine stack (the runtime's default is 1 GB),
// so that a macro calling itself dies in milliseconds; the deepest
// legitimate templates nest a few levels.
const childStack = 64 << 20

// serveRenderChild answers render requests until stdin closes. Its exit
// code: 0 on EOF, 2 on a request it cannot read.
func serveRenderChild(in io.Reader, out io.Writer) int {
	debug.SetMaxStack(childStack)
	if n, err := strconv.ParseInt(os.Getenv(childMemEnv), 10, 64); err == nil && n > 0 {
		if err := limitMemory(n); err != nil {
			fmt.Fprintf(os.Stderr, "chat renderer: memory limit: %v\n", err)
		}
	}
	maxOut, _ := strconv.Atoi(os.Getenv(childOutEnv))
	dec, enc := json.NewDecoder(in), json.NewEncoder(out)
	cache := map[string]*jinja.Template{}
	for {
		var req renderRequest
		if err := dec.Decode(&req); err == io.EOF {
			return 0
		} else if err != nil {
			fmt.Fprintf(os.Stderr, "chat renderer: reading a request: %v\n", err)
			return 2
		}
		var resp renderResponse
		text, err := renderCached(cache, &req)
		switch {
		case err != nil:
			resp.Error = err.Error()
		case maxOut > 0 && len(text) > maxOut:
			resp.Error = fmt.Sprintf("rendered %d bytes, more than the limit of %d", len(text), maxOut)
		default:
			resp.Text = text
		}
		if enc.Encode(&resp) != nil {
			return 0 // the parent is gone
		}
	}
}

// renderCached compiles each distinct template once: a worker serves one
// model, so the cache holds one entry; a few are kept in case of more.
func renderCached(cache map[string]*jinja.Template, req *renderRequest) (string, error) {
	tpl, ok := cache[req.Template]
	if !ok {
		var err error
		if tpl, err = compileChat(req.Template); err != nil {
			return "", err
		}
		if len(cache) >= 4 {
			clear(cache)
		}
		cache[req.Template] = tpl
	}
	return renderChat(tpl, req.Messages, req.AddGen, req.BOS, req.EOS)
}
