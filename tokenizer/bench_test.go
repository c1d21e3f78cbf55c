package tokenizer

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// The benchmark texts are generated, deterministically, so that nothing
// large lives in the repo: words drawn with a Zipf-like skew (as in real
// prose, which is what makes a word cache pay), sentences with
// punctuation, capitals, numbers and newlines.

var englishWords = strings.Fields(`the of and to in a is that for it as was with be by on not he I this are or
his from at which but have an they you were her she there been one all we their has would when if so no
will more can said who out about up them some could him into its then two time may only do any like my now
over such our man me even most made after also did many before must through back years where much your way
well down should because each just those people Mr how too little state good very make world still own see men
work long get here between both life being under never day same another know while last might us great old year
off come since against go came right used take three states himself few house use during without again place
American around however home small found Mrs thought went say part once general high upon school every don't
does got united left number course war until always away something fact though water less public put think almost
hand enough far took head yet government system better set told nothing night end why called didn't eyes find
going look asked later knew point next program city business give group toward young days let room president side
social present given several order national possible rather second face per among form important often things
looking early white case John become large big need four within felt children along saw best church ever least
power development light thing seemed family interest want members mind country area others done turned although
open God service problem certain kind different thus began door help means sense whole matter perhaps itself it's
York times law human line above name example action company hands local show whether five history gave today either
act feet across taken past quite anything seen having death experience body word half really week field car words
already themselves I'm information tell together college shall money period held keep sure real probably free seems
political cannot behind miss question air office making brought whose special heard major problems ago became federal
moment study available known result street economic boy position reason change south board individual job society
areas west close turn love community true court force full seem am wife age future voice center woman control
common policy necessary following front sometimes six girl clear further land run students provide feel party able`)

var mixedWords = []string{
	"нещо", "на", "Български", "привет", "мир", "который", "будет", // Cyrillic
	"我想在", "工作", "天气", "很好", "中文", "测试", "模型", // Han
	"こんにちは", "世界", "カタカナ", "ひらがな", // Japanese
	"مرحبا", "بالعالم", "العربية", // Arabic
	"नमस्ते", "दुनिया", "हिन्दी", // Devanagari
	"កាន់តែពិសេស", "អាចខលចេញ", // Khmer
	"Cửa", "Việt", "Äpfel", "naïve", "façade", "½", // Latin with marks
	"🦙", "🚀", "😶‍🌫️", "✅", "😁", // emoji
	"func", "main()", "{", "}", "x:=", "42;", "//", "==", "->", // code
	"the", "and", "model", "token", "llama", "3.14159", "1314151", // English, numbers
}

func genText(words []string, size int, seed int64) string {
	r := rand.New(rand.NewSource(seed))
	var b strings.Builder
	b.Grow(size + 64)
	startSentence := true
	for b.Len() < size {
		// Zipf-ish: low indices are far more frequent.
		w := words[int(float64(len(words))*r.Float64()*r.Float64())]
		if startSentence && w[0] >= 'a' && w[0] <= 'z' {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
		startSentence = false
		switch x := r.Intn(100); {
		case x < 6:
			b.WriteString(". ")
			startSentence = true
		case x < 9:
			b.WriteString(", ")
		case x < 10:
			b.WriteString(".\n\n")
			startSentence = true
		case x < 11:
			fmt.Fprintf(&b, " %d ", r.Intn(100000))
		default:
			b.WriteByte(' ')
		}
	}
	return strings.ToValidUTF8(b.String()[:size], "")
}

var benchVocabs = []string{"llama-bpe", "qwen2", "gpt-2", "deepseek-llm", "llama-spm"}

// BenchmarkEncode reports MB/s on 1 MB of English and of mixed-script text,
// one goroutine. "nocache" is the same encoder with the word cache off: the
// baseline that shows what the cache buys.
func BenchmarkEncode(b *testing.B) {
	texts := map[string]string{
		"english": genText(englishWords, 1<<20, 1),
		"mixed":   genText(mixedWords, 1<<20, 2),
	}
	for _, name := range benchVocabs {
		tok := loadVocab(b, name)
		for _, kind := range []string{"english", "mixed"} {
			text := texts[kind]
			for _, cache := range []bool{true, false} {
				label := name + "/" + kind
				if !cache {
					if tok.bpe == nil {
						continue // SPM has no word cache
					}
					label += "/nocache"
				}
				b.Run(label, func(b *testing.B) {
					if tok.bpe != nil {
						tok.bpe.noCache = !cache
						defer func() { tok.bpe.noCache = false }()
					}
					benchEncode(b, tok, text)
				})
			}
		}
	}
}

// BenchmarkEncodeSize shows that time grows linearly with input length:
// MB/s stays flat from 1 KB to 1 MB. Inputs are cut from one text so that
// the word mix is the same.
func BenchmarkEncodeSize(b *testing.B) {
	tok := loadVocab(b, "llama-bpe")
	for _, kind := range []string{"english", "mixed"} {
		words := englishWords
		if kind == "mixed" {
			words = mixedWords
		}
		full := genText(words, 1<<20+64, 3) // a little over, to cut whole characters from
		for _, size := range []int{1 << 10, 100 << 10, 1 << 20} {
			b.Run(fmt.Sprintf("%s/%dKB", kind, size>>10), func(b *testing.B) {
				benchEncode(b, tok, strings.ToValidUTF8(full[:size], ""))
			})
		}
	}
	// One 256 KB word with no split points: the merge loop alone.
	b.Run("one-long-word/256KB", func(b *testing.B) {
		benchEncode(b, tok, strings.Repeat("abcdefghij", 256<<10/10))
	})
}

func benchEncode(b *testing.B, tok *Tokenizer, text string) {
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	tok.Encode(text[:min(len(text), 4096)], false, false) // builds the lazy Unicode table
	for b.Loop() {
		// A fresh state each time: the word cache starts empty, as for a
		// first request.
		tok.state.Put(&encodeState{cache: make(map[string][]int32)})
		if _, err := tok.Encode(text, false, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode measures the streaming detokenizer on English output.
func BenchmarkDecode(b *testing.B) {
	tok := loadVocab(b, "llama-bpe")
	text := genText(englishWords, 1<<20, 4)
	ids, _ := tok.Encode(text, false, false)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		d := tok.NewDetokenizer()
		for _, id := range ids {
			d.Add(id)
		}
		d.Flush()
	}
}
