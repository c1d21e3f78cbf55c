// Kernels for q4_1 weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(q4_1, GT_Q4_1)
