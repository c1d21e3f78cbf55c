// Kernels for iq3_s weights (see mv.cuh, quant_iq.cuh).
#include "mv.cuh"
#include "quant_iq.cuh"

ORCD_IQ_DECODERS(GT_IQ3_S)
ORCD_DEFINE_TYPE(iq3_s, GT_IQ3_S)
