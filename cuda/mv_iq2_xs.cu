// Kernels for iq2_xs weights (see mv.cuh, quant_iq.cuh).
#include "mv.cuh"
#include "quant_iq.cuh"

ORCD_IQ_DECODERS(GT_IQ2_XS)
ORCD_DEFINE_TYPE(iq2_xs, GT_IQ2_XS)
