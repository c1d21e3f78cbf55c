#!/usr/bin/env python3
"""sass_loop.py OBJ...: the main loop of each one-token k_mvq (N=1, store
mode) in nvcc objects built from cuda/mv_<type>.cu, in SASS instructions
and instructions per weight: the loop is the backward branch whose body
holds the most dp4a (IDP.4A) instructions.

At the H100's 3.1 TB/s an SM can issue about 5.4 warp instructions per
Q4_0 weight (0.5625 bytes), so a type of B bytes per weight stays
bandwidth bound under about 9.6 B instructions per weight.

  nvcc -O3 -std=c++17 -arch=sm_90 -c cuda/mv_q4_0.cu -o /tmp/mv_q4_0.o
  cuda/check/sass_loop.py /tmp/mv_q4_0.o
"""
import re
import subprocess
import sys

# Values per decoder unit (Dec<T>::UE) and bytes per weight, by file name.
TYPES = {
    "q4_0": (32, 18 / 32), "q4_1": (32, 20 / 32), "q5_0": (32, 22 / 32), "q5_1": (32, 24 / 32), "q8_0": (32, 34 / 32), "iq4_nl": (32, 18 / 32),
    "q2_k": (64, 84 / 256), "q3_k": (64, 110 / 256), "q4_k": (64, 144 / 256), "q5_k": (64, 176 / 256),
    "q6_k": (64, 210 / 256), "iq4_xs": (64, 136 / 256),
}


def main_loop(body):
    ins = []
    for line in body.split("\n"):
        m = re.match(r"\s+/\*([0-9a-f]{4,})\*/\s+(.*?);", line)
        if m:
            ins.append((int(m.group(1), 16), m.group(2)))
    at = {a: k for k, (a, _) in enumerate(ins)}
    best = None
    for k, (a, s) in enumerate(ins):
        b = re.search(r"BRA\s+(?:`\()?0x([0-9a-f]+)", s)
        if not b:
            continue
        tgt = int(b.group(1), 16)
        if tgt < a and tgt in at:
            loop = ins[at[tgt]:k + 1]
            ndp = sum("IDP" in x for _, x in loop)
            if best is None or ndp > best[1]:
                best = (len(loop), ndp)
    return best


for obj in sys.argv[1:]:
    t = re.search(r"mv_([a-z0-9_]+)\.o$", obj).group(1)
    ue, bpw = TYPES[t]
    sass = subprocess.run(["cuobjdump", "-sass", obj], capture_output=True, text=True, check=True).stdout
    parts = re.split(r"\n\s+Function : (\S+)\n", sass)
    for i in range(1, len(parts), 2):
        m = re.search(r"k_mvqILi\d+ELi(\d+)ELi(\d+)E", parts[i])
        if not m or m.group(1) != "1" or m.group(2) != "0":
            continue
        n, ndp = main_loop(parts[i + 1])
        units = ndp / (ue // 4 * 2)  # dp4a per unit and row: UE/4; two rows a warp
        per_w = n / (units * ue * 2)
        print(f"{t:7s} main loop {n:4d} instructions for {units:.0f} unit(s) x 2 rows: "
              f"{per_w:.2f} a weight, {per_w / (9.6 * bpw):.0%} of the issue budget at 3.1 TB/s")
