// Kernels for q5_1 weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(q5_1, GT_Q5_1)
