package tokenizer

// preTokenizer is what a tokenizer.ggml.pre name selects in llama.cpp's
// llama_vocab::impl::load: the split passes and the flags that go with them.
type preTokenizer struct {
	passes       []pass
	cleanSpaces  bool // clean_up_tokenization_spaces when detokenizing
	ignoreMerges bool // a word that is a whole token skips the merges
	addBOS       bool // forced add_bos default (Llama 3)
	noBOS        bool // the BOS id is cleared (GLM-4)
}

var (
	gpt2Passes      = []pass{passGPT2}
	llama3Passes    = []pass{passLlama3(3)}
	qwen2Passes     = []pass{passLlama3(1)}
	starcoderPasses = []pass{passDigit, passGPT2}
	defaultPasses   = []pass{passPunctSymbols, passGPT2, passDigits, passThreeDigits}
	deepseekLLM     = []pass{passNewline, passDeepseekLetter, passDeepseekPunct, passTrailingSpace, passCJK, passDigits}
	deepseekCoder   = []pass{passNewline, passSpaceLetters, passSpacePunct, passCJK, passDigit}
)

// preTokenizers lists the names whose patterns are implemented here; any
// other name is refused rather than approximated.
var preTokenizers = map[string]preTokenizer{
	"":        {passes: defaultPasses, cleanSpaces: true},
	"default": {passes: defaultPasses, cleanSpaces: true},

	"llama3":       {passes: llama3Passes, cleanSpaces: true, ignoreMerges: true, addBOS: true},
	"llama-v3":     {passes: llama3Passes, cleanSpaces: true, ignoreMerges: true, addBOS: true},
	"llama-bpe":    {passes: llama3Passes, cleanSpaces: true, ignoreMerges: true, addBOS: true},
	"falcon3":      {passes: llama3Passes, cleanSpaces: true, ignoreMerges: true, addBOS: true},
	"falcon-h1":    {passes: llama3Passes, cleanSpaces: true, ignoreMerges: true, addBOS: true},
	"pixtral":      {passes: llama3Passes, cleanSpaces: true, ignoreMerges: true, addBOS: true},
	"midm-2.0":     {passes: llama3Passes, cleanSpaces: true, ignoreMerges: true, addBOS: true},
	"lfm2":         {passes: llama3Passes, cleanSpaces: true, ignoreMerges: true, addBOS: true},
	"jina-v5-nano": {passes: llama3Passes, cleanSpaces: true, ignoreMerges: true, addBOS: true},
	"dbrx":         {passes: llama3Passes, cleanSpaces: true},
	"smaug-bpe":    {passes: llama3Passes, cleanSpaces: true},
	"glm4":         {passes: llama3Passes, cleanSpaces: true, noBOS: true},
	"chatglm-bpe":  {passes: llama3Passes, cleanSpaces: true, noBOS: true},

	"deepseek-llm":   {passes: deepseekLLM},
	"deepseek-coder": {passes: deepseekCoder},

	"gpt-2":           {passes: gpt2Passes, cleanSpaces: true},
	"phi-2":           {passes: gpt2Passes, cleanSpaces: true},
	"jina-es":         {passes: gpt2Passes, cleanSpaces: true},
	"jina-de":         {passes: gpt2Passes, cleanSpaces: true},
	"gigachat":        {passes: gpt2Passes, cleanSpaces: true},
	"jina-v2-es":      {passes: gpt2Passes, cleanSpaces: true},
	"jina-v2-de":      {passes: gpt2Passes, cleanSpaces: true},
	"a.x-4.0":         {passes: gpt2Passes, cleanSpaces: true},
	"mellum":          {passes: gpt2Passes, cleanSpaces: true},
	"modern-bert":     {passes: gpt2Passes, cleanSpaces: true},
	"exaone4":         {passes: gpt2Passes, cleanSpaces: true},
	"mpt":             {passes: gpt2Passes, cleanSpaces: true},
	"olmo":            {passes: gpt2Passes, cleanSpaces: true},
	"jais":            {passes: gpt2Passes, cleanSpaces: true},
	"trillion":        {passes: gpt2Passes},
	"granite-docling": {passes: gpt2Passes},

	"starcoder":  {passes: starcoderPasses, cleanSpaces: true},
	"refact":     {passes: starcoderPasses, cleanSpaces: true},
	"codeshell":  {passes: starcoderPasses, cleanSpaces: true},
	"exaone":     {passes: starcoderPasses, cleanSpaces: true},
	"minerva-7b": {passes: starcoderPasses, cleanSpaces: true},
	"mellum2":    {passes: starcoderPasses, cleanSpaces: true},
	"command-r":  {passes: starcoderPasses},
	"smollm":     {passes: starcoderPasses},

	"qwen2":            {passes: qwen2Passes},
	"deepseek-r1-qwen": {passes: qwen2Passes},
	"kormo":            {passes: qwen2Passes},
	"f2llmv2":          {passes: qwen2Passes},
	"hunyuan":          {passes: qwen2Passes},
	"solar-open":       {passes: qwen2Passes},
	"stablelm2":        {passes: qwen2Passes, cleanSpaces: true},
	"megrez":           {passes: qwen2Passes, cleanSpaces: true},
}
