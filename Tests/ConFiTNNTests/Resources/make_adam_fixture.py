"""Golden values for `Adam`, computed with torch.optim.Adam on CPU.

Regenerate with: python3 make_adam_fixture.py  (needs torch, safetensors).

adam.safetensors: torch.optim.Adam(lr 0.01, betas (0.9, 0.999), eps 1e-8, weight_decay 1e-2,
amsgrad False; PyTorch's defaults but for lr and weight decay) over parameters a [3, 4],
b [5] and c [2, 2] for steps 0..3; c takes step 0, is frozen at steps 1 and 2 (grad None,
which PyTorch skips, keeping its state and step count) and steps again at 3 (its own step
2). Initial values and gradients are float32 values; the steps are computed in float64
from them and stored float32.
  init/<p>              the parameter before step 0
  grad/step<k>/<p>      the gradient given at step k (none for c at steps 1 and 2)
  param/step<k>/<p>     the parameter after step k
  exp_avg/step<k>/<p>   the first moment after step k
  exp_avg_sq/step<k>/<p>  the second moment after step k
"""
import os, torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
g = torch.Generator().manual_seed(3)
shapes = {"a": [3, 4], "b": [5], "c": [2, 2]}
params = {n: torch.nn.Parameter(torch.randn(s, generator=g).float().double()) for n, s in shapes.items()}
out = {f"init/{n}": p.detach().float().clone() for n, p in params.items()}
opt = torch.optim.Adam(params.values(), lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)
for step in range(4):
    for n, p in params.items():
        if n == "c" and step in (1, 2):
            p.grad = None
            continue
        grad = torch.randn(shapes[n], generator=g).float()
        out[f"grad/step{step}/{n}"] = grad
        p.grad = grad.double()
    opt.step()
    for n, p in params.items():
        out[f"param/step{step}/{n}"] = p.detach().float().clone()
        out[f"exp_avg/step{step}/{n}"] = opt.state[p]["exp_avg"].float().clone()
        out[f"exp_avg_sq/step{step}/{n}"] = opt.state[p]["exp_avg_sq"].float().clone()
save_file(out, os.path.join(HERE, "adam.safetensors"))
