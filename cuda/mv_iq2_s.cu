// Kernels for iq2_s weights (see mv.cuh, quant_iq.cuh).
#include "mv.cuh"
#include "quant_iq.cuh"

ORCD_IQ_DECODERS(GT_IQ2_S)
ORCD_DEFINE_TYPE(iq2_s, GT_IQ2_S)
