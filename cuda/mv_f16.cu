// Kernels for f16 weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(f16, GT_F16)
