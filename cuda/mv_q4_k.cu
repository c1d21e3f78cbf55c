// Kernels for q4_k weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(q4_k, GT_Q4_K)
