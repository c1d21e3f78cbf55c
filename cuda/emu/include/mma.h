// Stand-in for the CUDA toolkit header of this name, for the CPU emulator.
#pragma once
#include "../cuda_emu.h"
