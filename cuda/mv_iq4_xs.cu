// Kernels for iq4_xs weights (see mv.cuh).
#include "mv.cuh"

ORCD_DEFINE_TYPE(iq4_xs, GT_IQ4_XS)
