// Kernels for q2_k weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(q2_k, GT_Q2_K)
