// Kernels for iq3_xxs weights (see mv.cuh, quant_iq.cuh).
#include "mv.cuh"
#include "quant_iq.cuh"

ORCD_IQ_DECODERS(GT_IQ3_XXS)
ORCD_DEFINE_TYPE(iq3_xxs, GT_IQ3_XXS)
