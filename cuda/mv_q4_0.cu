// Kernels for q4_0 weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(q4_0, GT_Q4_0)
