package tokenizer

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/orcd/orcd/gguf"
)

// ErrUnsupported is wrapped by FromGGUF errors for a tokenizer model or
// pre-tokenizer this package does not implement.
var ErrUnsupported = errors.New("tokenizer: unsupported")

const (
	kModel   = "tokenizer.ggml.model"
	kPre     = "tokenizer.ggml.pre"
	kTokens  = "tokenizer.ggml.tokens"
	kScores  = "tokenizer.ggml.scores"
	kTypes   = "tokenizer.ggml.token_type"
	kMerges  = "tokenizer.ggml.merges"
	kAddBOS  = "tokenizer.ggml.add_bos_token"
	kAddEOS  = "tokenizer.ggml.add_eos_token"
	kAddSP   = "tokenizer.ggml.add_space_prefix"
	kChatTpl = "tokenizer.chat_template"
)

// FromGGUF builds the tokenizer described by f's tokenizer.ggml.* keys,
// following llama.cpp's llama_vocab::impl::load.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	model, err := f.String(kModel)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t := &Tokenizer{eot: -1, eom: -1, pad: -1}
	switch model {
	case "llama":
		t.model, t.bos, t.eos, t.unk = modelSPM, 1, 2, 0
		t.addSpacePrefix, t.addBOS = true, true
	case "gpt2":
		t.model, t.bos, t.eos, t.unk = modelBPE, 11, 11, -1
		pre := ""
		if f.Has(kPre) {
			if pre, err = f.String(kPre); err != nil {
				return nil, fmt.Errorf("tokenizer: %w", err)
			}
		}
		p, ok := preTokenizers[pre]
		if !ok {
			return nil, fmt.Errorf("%w pre-tokenizer %s=%q", ErrUnsupported, kPre, pre)
		}
		t.pre, t.addBOS = p, p.addBOS
	default:
		return nil, fmt.Errorf("%w tokenizer model %s=%q (want \"llama\" or \"gpt2\")", ErrUnsupported, kModel, model)
	}
	if err := t.loadTokens(f); err != nil {
		return nil, err
	}
	if err := t.loadFlags(f); err != nil {
		return nil, err
	}
	t.loadSpecialIDs(f)
	if t.pre.noBOS {
		t.bos = -1
	}
	if t.addBOS && t.bos < 0 {
		return nil, fmt.Errorf("tokenizer: %s is true but there is no BOS token", kAddBOS)
	}
	if t.addEOS && t.eos < 0 {
		return nil, fmt.Errorf("tokenizer: %s is true but there is no EOS token", kAddEOS)
	}
	t.detectByText()
	t.buildEOG()
	t.buildSpecialCache()
	t.buildPieces()
	t.setStripAttrs(f)

	switch t.model {
	case modelSPM:
		t.spm = newSPM(t)
	case modelBPE:
		if t.bpe, err = newBPE(t, f); err != nil {
			return nil, err
		}
	}
	if f.Has(kChatTpl) {
		if t.chatTemplate, err = f.String(kChatTpl); err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
	}
	return t, nil
}

func (t *Tokenizer) loadTokens(f *gguf.File) error {
	texts, err := f.Strings(kTokens)
	if err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	if len(texts) == 0 || len(texts) > 1<<31-1 {
		return fmt.Errorf("tokenizer: %s has %d tokens", kTokens, len(texts))
	}
	n := len(texts)
	t.texts = slices.Clone(texts)
	t.scores = make([]float32, n)
	if f.Has(kScores) {
		s, err := f.Float32s(kScores)
		if err != nil {
			is, ierr := f.Int32s(kScores)
			if ierr != nil {
				return fmt.Errorf("tokenizer: %w", err)
			}
			s = make([]float32, len(is))
			for i, v := range is {
				s[i] = float32(v)
			}
		}
		if len(s) < n {
			return fmt.Errorf("tokenizer: %s has %d entries for %d tokens", kScores, len(s), n)
		}
		copy(t.scores, s)
	}
	t.attrs = make([]uint16, n)
	var types []int32
	if f.Has(kTypes) {
		if types, err = f.Int32s(kTypes); err != nil {
			return fmt.Errorf("tokenizer: %w", err)
		}
		if len(types) < n {
			return fmt.Errorf("tokenizer: %s has %d entries for %d tokens", kTypes, len(types), n)
		}
	}
	t.ids = make(map[string]int32, n)
	for i, s := range t.texts {
		if s == "" {
			s = fmt.Sprintf("[EMPTY_%d]", i)
			t.texts[i] = s
		}
		if j, dup := t.ids[s]; dup {
			return fmt.Errorf("tokenizer: duplicate token %q has ids %d and %d", s, j, i)
		}
		t.ids[s] = int32(i)
		t.attrs[i] = attrNormal
		if types != nil {
			t.attrs[i] = typeAttr(types[i])
		}
	}
	return nil
}

// typeAttr maps tokenizer.ggml.token_type values to attribute bits.
func typeAttr(typ int32) uint16 {
	switch typ {
	case 1:
		return attrNormal
	case 2:
		return attrUnknown
	case 3:
		return attrControl
	case 4:
		return attrUserDefined
	case 5:
		return attrUnused
	case 6:
		return attrByte
	}
	return 0 // undefined
}

func (t *Tokenizer) loadFlags(f *gguf.File) error {
	for key, dst := range map[string]*bool{kAddSP: &t.addSpacePrefix, kAddBOS: &t.addBOS, kAddEOS: &t.addEOS} {
		if !f.Has(key) {
			continue
		}
		v, err := f.Bool(key)
		if err != nil {
			return fmt.Errorf("tokenizer: %w", err)
		}
		*dst = v
	}
	return nil
}

// loadSpecialIDs reads the *_token_id keys over the model's defaults. An id
// outside the vocabulary keeps the default, as llama.cpp does.
func (t *Tokenizer) loadSpecialIDs(f *gguf.File) {
	n := int64(len(t.texts))
	for _, p := range []*int32{&t.bos, &t.eos, &t.unk} {
		if int64(*p) >= n {
			*p = -1
		}
	}
	for _, k := range []struct {
		key string
		dst *int32
	}{
		{"bos_token_id", &t.bos}, {"eos_token_id", &t.eos}, {"eot_token_id", &t.eot},
		{"eom_token_id", &t.eom}, {"unknown_token_id", &t.unk}, {"padding_token_id", &t.pad},
	} {
		key := "tokenizer.ggml." + k.key
		if !f.Has(key) {
			continue
		}
		if v, err := f.Int(key); err == nil && v >= 0 && v < n {
			*k.dst = int32(v)
		}
	}
}

// Tokens llama.cpp recognises by text when no metadata names them.
var (
	eotTexts = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
		"<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"}
	eomTexts    = []string{"<|eom_id|>"}
	fimPreTexts = []string{"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"}
	fimSufTexts = []string{"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"}
	fimMidTexts = []string{"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"}
	fimPadTexts = []string{"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"}
	fimRepTexts = []string{"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"}
	fimSepTexts = []string{"<|file_sep|>"}
	eogTexts    = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
		"<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]",
		"[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
		"<｜end▁of▁sentence｜>", "[e~["}
)

// fim ids matter only through the EOG set and the control attribute.
type fimIDs struct{ pre, suf, mid, pad, rep, sep int32 }

// detectByText finds EOT/EOM/FIM tokens by their spelling and marks them
// control. llama.cpp walks an unordered map, so when several candidates
// exist its pick is arbitrary; here the first one in the list wins.
func (t *Tokenizer) detectByText() {
	fim := fimIDs{-1, -1, -1, -1, -1, -1}
	for _, d := range []struct {
		dst   *int32
		texts []string
	}{
		{&t.eot, eotTexts}, {&t.eom, eomTexts}, {&fim.pre, fimPreTexts}, {&fim.suf, fimSufTexts},
		{&fim.mid, fimMidTexts}, {&fim.pad, fimPadTexts}, {&fim.rep, fimRepTexts}, {&fim.sep, fimSepTexts},
	} {
		if *d.dst >= 0 {
			continue
		}
		for _, s := range d.texts {
			if id, ok := t.ids[s]; ok {
				*d.dst = id
				t.attrs[id] |= attrControl
				break
			}
		}
	}
	for id, s := range t.texts {
		if t.attrs[id]&attrControl != 0 && strings.Contains(s, "unused") {
			t.attrs[id] |= attrUnused
		}
	}
	t.eogSet = map[int32]bool{}
	for _, id := range []int32{fim.pad, fim.rep, fim.sep} {
		if id >= 0 {
			t.eogSet[id] = true
		}
	}
}

// buildEOG completes the end-of-generation set (llama.cpp special_eog_ids).
func (t *Tokenizer) buildEOG() {
	for _, s := range eogTexts {
		if id, ok := t.ids[s]; ok {
			t.eogSet[id] = true
			t.attrs[id] |= attrControl
		}
	}
	// gpt-oss renders these, so they must not be control.
	for _, s := range []string{"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"} {
		if id, ok := t.ids[s]; ok {
			t.attrs[id] = attrUserDefined
		}
	}
	for _, id := range []int32{t.eos, t.eot, t.eom} {
		if id >= 0 {
			t.eogSet[id] = true
		}
	}
	has := func(s string) (int32, bool) {
		id, ok := t.ids[s]
		return id, ok && t.eogSet[id]
	}
	// o200k_harmony and solar-open end a message with <|end|> but go on.
	_, ret := has("<|return|>")
	_, call := has("<|call|>")
	_, calls := has("<|calls|>")
	_, flush := has("<|flush|>")
	if end, ok := has("<|end|>"); ok && ((ret && (call || calls)) || ((call || calls) && flush)) {
		delete(t.eogSet, end)
		t.attrs[end] = attrUserDefined
	}
	if s, ok := has("</s>"); ok {
		if _, tr := has("<|tool_response>"); tr {
			delete(t.eogSet, s)
			t.attrs[s] = attrNormal
		}
	}
	for id := range t.eogSet {
		t.eogs = append(t.eogs, id)
	}
	slices.Sort(t.eogs)
}

func (t *Tokenizer) buildSpecialCache() {
	for id, a := range t.attrs {
		if a&(attrControl|attrUserDefined|attrUnknown) != 0 {
			t.special = append(t.special, int32(id))
		}
	}
	sort.SliceStable(t.special, func(i, j int) bool {
		return len(t.texts[t.special[i]]) > len(t.texts[t.special[j]])
	})
	t.specialMat = newSpecialTrie(t.texts, t.special)
}

// setStripAttrs applies llama.cpp's per-model lstrip/rstrip attributes,
// which it keys on general.name and the architecture.
func (t *Tokenizer) setStripAttrs(f *gguf.File) {
	name, _ := f.String("general.name")
	name = strings.ToLower(name)
	pre, _ := f.String(kPre)
	set := func(s string, bit uint16, on bool) {
		if id, ok := t.ids[s]; ok {
			if on {
				t.attrs[id] |= bit
			} else {
				t.attrs[id] &^= bit
			}
		}
	}
	arch := f.Arch()
	switch {
	case containsAny(pre, "jina-v2-de", "jina-v2-es", "jina-v2-code") || containsAny(arch, "nomic-bert-moe", "jina-bert-v3"):
		set("<mask>", attrLStrip, true)
	case containsAny(name, "phi-3", "phi3"):
		for _, id := range t.special {
			t.attrs[id] |= attrRStrip
		}
		set("</s>", attrRStrip, true)
		for _, s := range []string{"<unk>", "<s>", "<|endoftext|>"} {
			set(s, attrRStrip, false)
		}
	case containsAny(name, "modern-bert"):
		set("[MASK]", attrLStrip, true)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
