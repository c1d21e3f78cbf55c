// Kernels for q5_k weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(q5_k, GT_Q5_K)
