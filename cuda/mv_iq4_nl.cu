// Kernels for iq4_nl weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(iq4_nl, GT_IQ4_NL)
