// Kernels for iq2_xxs weights (see mv.cuh, quant_iq.cuh).
#include "mv.cuh"
#include "quant_iq.cuh"

ORCD_IQ_DECODERS(GT_IQ2_XXS)
ORCD_DEFINE_TYPE(iq2_xxs, GT_IQ2_XXS)
