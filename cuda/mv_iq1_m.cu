// Kernels for iq1_m weights (see mv.cuh, quant_iq.cuh).
#include "mv.cuh"
#include "quant_iq.cuh"

ORCD_IQ_DECODERS(GT_IQ1_M)
ORCD_DEFINE_TYPE(iq1_m, GT_IQ1_M)
