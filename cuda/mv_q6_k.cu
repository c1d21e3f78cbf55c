// Kernels for q6_k weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(q6_k, GT_Q6_K)
