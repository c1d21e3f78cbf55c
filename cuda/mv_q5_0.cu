// Kernels for q5_0 weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(q5_0, GT_Q5_0)
