// Kernels for q8_0 weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(q8_0, GT_Q8_0)
