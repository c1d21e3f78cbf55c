// Kernels for f32 weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(f32, GT_F32)
