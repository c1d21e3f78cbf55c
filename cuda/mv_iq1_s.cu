// Kernels for iq1_s weights (see mv.cuh, quant_iq.cuh).
#include "mv.cuh"
#include "quant_iq.cuh"

ORCD_IQ_DECODERS(GT_IQ1_S)
ORCD_DEFINE_TYPE(iq1_s, GT_IQ1_S)
