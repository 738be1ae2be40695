"""The picture of "gradient coding in five minutes" (drawn at build time).

Left: who holds what and with which coefficient, for 6 workers of unequal reliability
and 6 partitions (the ``optimal`` code, load 2). Right: the master's decoded
gradient over many straggler draws, for made-up two-dimensional partition gradients:
ignoring stragglers is biased (its mean misses the true gradient, because the unreliable
workers' partitions are under-represented); the optimal code is unbiased.
"""

import matplotlib.pyplot as plt
import numpy as np

from skgc.coding import make_code

probs = np.array([0.05, 0.05, 0.2, 0.2, 0.5, 0.5])
code = make_code("optimal", 6, 6, load=2, straggler_probs=probs)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), width_ratios=[1, 1.3])
C = np.where(code.allocation, code.coefficients, np.nan)
image = left.imshow(C, cmap="viridis")
for (j, k), value in np.ndenumerate(C):
    if np.isfinite(value):
        left.text(k, j, f"{value:.2f}", ha="center", va="center", color="w", fontsize=8)
left.set_xticks(range(6), [f"$g_{k + 1}$" for k in range(6)])
left.set_yticks(range(6), [f"worker {j + 1}\n$p$={p:.2f}" for j, p in enumerate(probs)],
                fontsize=8)
left.set_title("coefficients $C[j, k]$ (blank: not stored)")
fig.colorbar(image, ax=left, shrink=0.8)

rng = np.random.default_rng(0)
partition_grads = rng.normal(size=(6, 2)) + [0.6, 0.3]  # g_k, two coordinates
g = partition_grads.sum(axis=0)
alive_sets = rng.random((400, 6)) >= probs  # 400 iterations' worth of straggler draws
for name, color in [("ignore", "C3"), ("optimal", "C0")]:
    this = make_code(name, 6, 6, straggler_probs=probs)
    estimates = np.array([this.partition_weights(a) @ partition_grads for a in alive_sets
                          if a.any()])
    right.scatter(*estimates.T, s=6, alpha=0.35, color=color, label=f"{name}: estimates")
    right.plot(*estimates.mean(axis=0), "P", color=color, markersize=12,
               markeredgecolor="k", label=f"{name}: their mean")
right.plot(*g, "*", color="k", markersize=16, label="true gradient $g$")
right.set_xlabel("coordinate 1")
right.set_ylabel("coordinate 2")
right.set_title(r"decoded gradients $\hat g$ over 400 iterations")
right.legend(fontsize=8, loc="best")
