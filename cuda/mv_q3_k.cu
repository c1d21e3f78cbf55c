// Kernels for q3_k weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(q3_k, GT_Q3_K)
