"""PyTorch reference for `confit bench`: the same measurements (eval, and one training
step at each hierarchical stage: fc, bn, full) on the same machine, printed as JSON.

    python3 benchmarks/pytorch_reference.py --model resnet18 --batch 32 --image-size 224

Needs torch and torchvision (never needed by the project itself).
"""
import argparse, json, statistics, time
import torch, torch.nn as nn, torch.nn.functional as F, torchvision

p = argparse.ArgumentParser()
p.add_argument("--model", default="resnet18")
p.add_argument("--batch", type=int, default=32)
p.add_argument("--image-size", type=int, default=224)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--warmup", type=int, default=2)
p.add_argument("--threads", type=int, default=None)
p.add_argument("--task-classes", type=int, default=10)
a = p.parse_args()
if a.threads: torch.set_num_threads(a.threads)

m = getattr(torchvision.models, a.model)(num_classes=1000)
x = torch.randn(a.batch, 3, a.image_size, a.image_size)
classes = torch.arange(a.task_classes)
y = torch.arange(a.batch) % a.task_classes

def median_rate(step):
    for _ in range(a.warmup): step()
    times = []
    for _ in range(a.steps):
        t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
    return a.batch / statistics.median(times)

def stage(name):
    for n, q in m.named_parameters():
        is_fc = n.startswith("fc.")
        is_bn = isinstance(dict(m.named_modules())[n.rsplit(".", 1)[0]], nn.BatchNorm2d)
        q.requires_grad_(name == "full" or is_fc or (name == "bn" and is_bn))
    opt = torch.optim.SGD([q for q in m.parameters() if q.requires_grad], lr=1e-4)
    def step():
        opt.zero_grad()
        F.cross_entropy(m(x)[:, classes], y).backward()
        opt.step()
    return step

out = {"model": a.model, "batch": a.batch, "image_size": a.image_size, "threads": torch.get_num_threads(),
       "torch": torch.__version__}
m.eval()
with torch.no_grad():
    out["eval_img_s"] = median_rate(lambda: m(x))
m.train()
for s in ("fc", "bn", "full"):
    out[f"train_{s}_img_s"] = median_rate(stage(s))
print(json.dumps(out, sort_keys=True))
