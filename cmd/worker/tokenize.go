package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/orcd/orcd/gguf"
	"github.com/orcd/orcd/tokenizer"
)

func init() {
	register("tokenize", "encode text to token ids (or --decode ids to text) with a GGUF vocab", runTokenize)
}

func runTokenize(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tokenize", stderr)
	model := fs.String("model", "", "GGUF `FILE` holding the vocabulary (a vocab-only file is enough)")
	special := fs.Bool("special", false, "match control-token text in TEXT (with --decode: render control tokens)")
	noBOS := fs.Bool("no-bos", false, "do not prepend BOS even if the vocab asks for it")
	decode := fs.Bool("decode", false, "the arguments are token ids; print their text")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: worker tokenize --model FILE [--special] [--no-bos] TEXT...   (TEXT from stdin when absent)")
		fmt.Fprintln(stderr, "       worker tokenize --model FILE [--special] --decode ID...")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *model == "" {
		fs.Usage()
		return &exitError{code: 2, msg: "--model is required"}
	}
	f, err := gguf.Open(*model)
	if err != nil {
		return err
	}
	defer f.Close()
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return err
	}
	if *decode {
		return decodeIDs(tok, fs.Args(), *special, stdout)
	}
	text := strings.Join(fs.Args(), " ")
	if fs.NArg() == 0 {
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			return err
		}
		text = string(b)
	}
	ids, err := tok.Encode(text, true, *special)
	if err != nil {
		return err
	}
	if *noBOS && tok.AddBOS() && len(ids) > 0 && ids[0] == tok.BOS() {
		ids = ids[1:]
	}
	if ids == nil {
		ids = []int32{}
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}

func decodeIDs(tok *tokenizer.Tokenizer, args []string, special bool, stdout io.Writer) error {
	var ids []int32
	for _, a := range args {
		// Accept the JSON array that encoding prints, pasted as is.
		for _, s := range strings.FieldsFunc(a, func(r rune) bool { return r == ',' || r == '[' || r == ']' || r == ' ' }) {
			id, err := strconv.ParseInt(s, 10, 32)
			if err != nil {
				return &exitError{code: 2, msg: fmt.Sprintf("--decode: %q is not a token id", s)}
			}
			if id < 0 || id >= int64(tok.VocabSize()) {
				return &exitError{code: 2, msg: fmt.Sprintf("--decode: token id %d is outside the vocabulary (0..%d)", id, tok.VocabSize()-1)}
			}
			ids = append(ids, int32(id))
		}
	}
	_, err := fmt.Fprintf(stdout, "%s\n", tok.Decode(ids, special))
	return err
}
