package gguf

import "fmt"

// Type is a ggml tensor element type, numbered exactly as in ggml.h so that
// the value read from a file indexes this table directly.
type Type uint32

const (
	TypeF32     Type = 0
	TypeF16     Type = 1
	TypeQ4_0    Type = 2
	TypeQ4_1    Type = 3
	TypeQ5_0    Type = 6
	TypeQ5_1    Type = 7
	TypeQ8_0    Type = 8
	TypeQ8_1    Type = 9
	TypeQ2_K    Type = 10
	TypeQ3_K    Type = 11
	TypeQ4_K    Type = 12
	TypeQ5_K    Type = 13
	TypeQ6_K    Type = 14
	TypeQ8_K    Type = 15
	TypeIQ2_XXS Type = 16
	TypeIQ2_XS  Type = 17
	TypeIQ3_XXS Type = 18
	TypeIQ1_S   Type = 19
	TypeIQ4_NL  Type = 20
	TypeIQ3_S   Type = 21
	TypeIQ2_S   Type = 22
	TypeIQ4_XS  Type = 23
	TypeI8      Type = 24
	TypeI16     Type = 25
	TypeI32     Type = 26
	TypeI64     Type = 27
	TypeF64     Type = 28
	TypeIQ1_M   Type = 29
	TypeBF16    Type = 30
	TypeTQ1_0   Type = 34
	TypeTQ2_0   Type = 35
	TypeMXFP4   Type = 39
)

// QK_K is the super-block size of the k-quants.
const QK_K = 256

// TypeInfo describes the storage layout of one ggml type: BlockSize elements
// are packed into BlockBytes bytes.
type TypeInfo struct {
	Name       string
	BlockSize  int
	BlockBytes int
}

// typeTable mirrors ggml's type_traits (block size, bytes per block).
var typeTable = map[Type]TypeInfo{
	TypeF32:     {"F32", 1, 4},
	TypeF16:     {"F16", 1, 2},
	TypeQ4_0:    {"Q4_0", 32, 2 + 16},
	TypeQ4_1:    {"Q4_1", 32, 2 + 2 + 16},
	TypeQ5_0:    {"Q5_0", 32, 2 + 4 + 16},
	TypeQ5_1:    {"Q5_1", 32, 2 + 2 + 4 + 16},
	TypeQ8_0:    {"Q8_0", 32, 2 + 32},
	TypeQ8_1:    {"Q8_1", 32, 4 + 32},
	TypeQ2_K:    {"Q2_K", QK_K, QK_K/16 + QK_K/4 + 2 + 2},
	TypeQ3_K:    {"Q3_K", QK_K, QK_K/8 + QK_K/4 + 12 + 2},
	TypeQ4_K:    {"Q4_K", QK_K, 2 + 2 + 12 + QK_K/2},
	TypeQ5_K:    {"Q5_K", QK_K, 2 + 2 + 12 + QK_K/8 + QK_K/2},
	TypeQ6_K:    {"Q6_K", QK_K, QK_K/2 + QK_K/4 + QK_K/16 + 2},
	TypeQ8_K:    {"Q8_K", QK_K, 4 + QK_K + QK_K/16*2},
	TypeIQ2_XXS: {"IQ2_XXS", QK_K, 2 + QK_K/8*2},
	TypeIQ2_XS:  {"IQ2_XS", QK_K, 2 + QK_K/8*2 + QK_K/32},
	TypeIQ3_XXS: {"IQ3_XXS", QK_K, 2 + QK_K/4 + QK_K/8},
	TypeIQ1_S:   {"IQ1_S", QK_K, 2 + QK_K/8 + QK_K/16},
	TypeIQ4_NL:  {"IQ4_NL", 32, 2 + 16},
	TypeIQ3_S:   {"IQ3_S", QK_K, 2 + QK_K/4 + QK_K/8 + QK_K/32 + 4},
	TypeIQ2_S:   {"IQ2_S", QK_K, 2 + QK_K/4 + QK_K/16},
	TypeIQ4_XS:  {"IQ4_XS", QK_K, 2 + 2 + QK_K/64 + QK_K/2},
	TypeI8:      {"I8", 1, 1},
	TypeI16:     {"I16", 1, 2},
	TypeI32:     {"I32", 1, 4},
	TypeI64:     {"I64", 1, 8},
	TypeF64:     {"F64", 1, 8},
	TypeIQ1_M:   {"IQ1_M", QK_K, QK_K/8 + QK_K/16 + QK_K/32},
	TypeBF16:    {"BF16", 1, 2},
	TypeTQ1_0:   {"TQ1_0", QK_K, 2 + 4*13},
	TypeTQ2_0:   {"TQ2_0", QK_K, 2 + 64},
	TypeMXFP4:   {"MXFP4", 32, 1 + 16},
}

// Info returns the layout of t; ok is false for a type number ggml does not define.
func (t Type) Info() (TypeInfo, bool) {
	ti, ok := typeTable[t]
	return ti, ok
}

// Valid reports whether t is a type number known to this package.
func (t Type) Valid() bool { _, ok := typeTable[t]; return ok }

func (t Type) String() string {
	if ti, ok := typeTable[t]; ok {
		return ti.Name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// BlockSize is the number of elements in one block (1 for plain types).
func (t Type) BlockSize() int { return typeTable[t].BlockSize }

// BlockBytes is the number of bytes one block occupies.
func (t Type) BlockBytes() int { return typeTable[t].BlockBytes }

// RowBytes returns the byte size of n elements of type t. n must be a
// multiple of the block size.
func (t Type) RowBytes(n int) (int, error) {
	ti, ok := typeTable[t]
	if !ok {
		return 0, fmt.Errorf("gguf: unknown tensor type %d", uint32(t))
	}
	if n < 0 || n%ti.BlockSize != 0 {
		return 0, fmt.Errorf("gguf: %d elements is not a multiple of the %s block size %d", n, ti.Name, ti.BlockSize)
	}
	return n / ti.BlockSize * ti.BlockBytes, nil
}

// TypeByName looks a type up by its ggml name ("Q4_K", "F16", ...).
func TypeByName(name string) (Type, bool) {
	for t, ti := range typeTable {
		if ti.Name == name {
			return t, true
		}
	}
	return 0, false
}
