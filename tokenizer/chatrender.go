package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// A chat template is a program that arrives inside the model file, and
// the Jinja engine runs it without limits: a macro that calls itself
// overflows the goroutine stack, and `range(10**10)` or `'x' * 10**10`
// allocates until the kernel kills the process. Neither is a panic that
// recover can catch, so one hostile or broken GGUF would take the whole
// worker down on its first chat job, and again on every redelivery of that
// job, on every worker that serves the model. (Chat templates in GGUF
// metadata are a known attack path: CVE-2024-34359 hit llama-cpp-python's
// Jinja2 sandbox.) ChatRenderer therefore runs the engine in a child
// process, this same binary started again, with a memory cap, a smaller
// stack limit and a deadline; when the child dies or overruns, the job in
// hand gets an error and the next render starts a fresh child.

// Sentinel errors of ChatRenderer.Apply, beside ErrNoChatTemplate and the
// template's own errors.
var (
	// ErrChatRenderTimeout: the template ran past ChatRendererOptions.Timeout;
	// its child process was killed.
	ErrChatRenderTimeout = errors.New("tokenizer: chat template ran too long")
	// ErrChatRendererCrashed: the child process died during the render
	// (stack overflow, memory cap, ...); the error carries its last words.
	ErrChatRendererCrashed = errors.New("tokenizer: chat template renderer crashed")
	// ErrChatRendererClosed: Apply after Close.
	ErrChatRendererClosed = errors.New("tokenizer: chat renderer closed")
	// ErrChatRendererUnavailable: the child could not be started; nothing
	// is wrong with the template or the messages.
	ErrChatRendererUnavailable = errors.New("tokenizer: chat template renderer unavailable")
)

// ChatRendererOptions bound a ChatRenderer's child. Zero fields take the
// defaults.
type ChatRendererOptions struct {
	Timeout     time.Duration // one render; default 5 s
	MemoryLimit int64         // the child's address space in bytes; default 1 GiB (Linux only)
	MaxOutput   int           // rendered bytes; default 16 MiB
	Path        string        // the binary to start; default os.Executable()
}

// ChatRenderer renders chat templates in a child process (see above). It
// is safe for concurrent use; renders run one at a time, since a legitimate
// one takes well under a millisecond. The child starts on the first Apply,
// so a worker that never sees a chat job never starts it, and it exits
// when its parent does (its stdin closes).
type ChatRenderer struct {
	opts ChatRendererOptions

	mu     sync.Mutex
	child  *renderChild
	closed bool
}

// NewChatRenderer returns a renderer; nothing starts until the first Apply.
func NewChatRenderer(opts ChatRendererOptions) *ChatRenderer {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.MemoryLimit <= 0 {
		opts.MemoryLimit = 1 << 30
	}
	if opts.MaxOutput <= 0 {
		opts.MaxOutput = 16 << 20
	}
	return &ChatRenderer{opts: opts}
}

// renderRequest and renderResponse are the child protocol: one JSON value
// each way per render, over the child's stdin and stdout.
type renderRequest struct {
	Template string    `json:"template"`
	Messages []Message `json:"messages"`
	AddGen   bool      `json:"add_generation_prompt"`
	BOS      string    `json:"bos"`
	EOS      string    `json:"eos"`
}

type renderResponse struct {
	Text  string `json:"text"`
	Error string `json:"error,omitempty"`
}

// Apply renders t's chat template with msgs, as t.ApplyChatTemplate does,
// but in the child. Errors: ErrNoChatTemplate; the template's own (an
// unknown role, raise_exception, a syntax error); ErrChatRenderTimeout and
// ErrChatRendererCrashed when the template misbehaves; ErrChatRendererClosed;
// ErrChatRendererUnavailable when the child does not start.
func (r *ChatRenderer) Apply(t *Tokenizer, msgs []Message, addGenerationPrompt bool) (string, error) {
	if t.chatTemplate == "" {
		return "", ErrNoChatTemplate
	}
	req := renderRequest{Template: t.chatTemplate, Messages: msgs, AddGen: addGenerationPrompt,
		BOS: t.TokenText(t.bos), EOS: t.TokenText(t.eos)}
	if req.Messages == nil {
		req.Messages = []Message{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return "", ErrChatRendererClosed
	}
	if r.child == nil {
		c, err := startRenderChild(r.opts)
		if err != nil {
			return "", err
		}
		r.child = c
	}
	resp, err := r.child.render(&req, r.opts.Timeout)
	if err != nil {
		// Whatever went wrong, this child is done: the next render gets a
		// fresh one.
		r.child.stop()
		r.child = nil
		return "", err
	}
	if resp.Error != "" {
		return "", fmt.Errorf("tokenizer: chat template: %s", resp.Error)
	}
	return resp.Text, nil
}

// Close stops the child, if one runs. Apply afterwards fails.
func (r *ChatRenderer) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.child != nil {
		r.child.stop()
		r.child = nil
	}
	return nil
}

// renderChild is one running child process.
type renderChild struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	enc    *json.Encoder
	resps  chan renderResponse // closed when stdout ends
	stderr *headBuffer
	exited chan struct{}
}

func startRenderChild(opts ChatRendererOptions) (*renderChild, error) {
	path := opts.Path
	if path == "" {
		path = selfExe
	}
	if path == "" {
		p, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("%w: finding this binary: %w", ErrChatRendererUnavailable, err)
		}
		path = p
	}
	cmd := exec.Command(path)
	cmd.Args = []string{"orcd-chat-renderer"} // what ps shows
	cmd.Env = append(os.Environ(),
		childEnv+"=1",
		fmt.Sprintf("%s=%d", childMemEnv, opts.MemoryLimit),
		fmt.Sprintf("%s=%d", childOutEnv, opts.MaxOutput))
	// resps holds one answer: one that comes after its render timed out
	// must not block the reader, which then sees the killed child's EOF.
	c := &renderChild{cmd: cmd, resps: make(chan renderResponse, 1), stderr: &headBuffer{max: 8 << 10}, exited: make(chan struct{})}
	cmd.Stderr = c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrChatRendererUnavailable, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrChatRendererUnavailable, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: starting %s: %w", ErrChatRendererUnavailable, path, err)
	}
	c.enc = json.NewEncoder(c.stdin)
	go func() {
		defer close(c.resps)
		dec := json.NewDecoder(stdout)
		for {
			var resp renderResponse
			if dec.Decode(&resp) != nil {
				return
			}
			c.resps <- resp
		}
	}()
	go func() {
		cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// render sends one request and waits for its answer, the child's death or
// the deadline, whichever comes first.
func (c *renderChild) render(req *renderRequest, timeout time.Duration) (renderResponse, error) {
	if err := c.enc.Encode(req); err != nil {
		return renderResponse{}, c.crashed(fmt.Sprintf("sending the request: %v", err))
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case resp, ok := <-c.resps:
		if !ok {
			return renderResponse{}, c.crashed("")
		}
		return resp, nil
	case <-timer.C:
		return renderResponse{}, fmt.Errorf("%w: stopped after %v", ErrChatRenderTimeout, timeout)
	}
}

// crashed describes the child's death: its exit status and the first
// runtime line of its stderr ("fatal error: stack overflow").
func (c *renderChild) crashed(detail string) error {
	select {
	case <-c.exited:
	case <-time.After(2 * time.Second):
	}
	parts := []string{}
	if detail != "" {
		parts = append(parts, detail)
	}
	if st := c.cmd.ProcessState; st != nil {
		parts = append(parts, st.String())
	}
	if words := c.stderr.lastWords(); words != "" {
		parts = append(parts, words)
	}
	return fmt.Errorf("%w: %s", ErrChatRendererCrashed, strings.Join(parts, "; "))
}

// stop closes the child's stdin (it exits on EOF) and kills it if it is
// busy, then reaps it.
func (c *renderChild) stop() {
	c.stdin.Close()
	select {
	case <-c.exited:
		return
	case <-time.After(100 * time.Millisecond):
	}
	c.cmd.Process.Kill()
	<-c.exited
}

// headBuffer keeps the first max bytes written to it: a Go crash puts
// its reason first and then pages of goroutine stacks.
type headBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := h.max - h.buf.Len(); room > 0 {
		h.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// lastWords is the child's crash reason: its first "fatal error:" or
// "panic:" line, or else its first line.
func (h *headBuffer) lastWords() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(h.buf.String()), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "panic:") {
			return l
		}
	}
	return lines[0]
}
