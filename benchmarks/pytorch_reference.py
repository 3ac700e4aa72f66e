"""PyTorch reference for `confit bench`: the same measurements (eval, and one training
step at each hierarchical stage: fc, bn, full) on the same machine, printed as JSON.

    python3 benchmarks/pytorch_reference.py --model resnet18 --batch 32 --image-size 224 [--channels-last] [--bf16]

`--bf16` runs the forward passes and the loss under `torch.autocast("cpu", dtype=torch.bfloat16)`
(PyTorch's mixed precision: bf16 convolutions and matrix products, float32 weights, optimizer
and batch-norm statistics); the backward passes follow the forward's types, as autocast has it.

Needs torch (never needed by the project itself); torchvision for the ResNets when it loads,
else the same modules from Tests/ConFiTNNTests/Resources/make_resnet_fixtures.py.
torchvision has no EfficientNet-Lite0, so it is defined below as `confit` builds it (TF
'SAME' padding, ReLU6, BN eps 1e-3); padding is done by F.pad, as timm does.
"""
import argparse, contextlib, json, math, statistics, time
import torch, torch.nn as nn, torch.nn.functional as F


class SameConv(nn.Conv2d):
    def forward(self, x):
        (h, w), k, s = x.shape[-2:], self.kernel_size[0], self.stride[0]
        ph, pw = (max((math.ceil(n / s) - 1) * s + k - n, 0) for n in (h, w))
        return F.conv2d(F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2]), self.weight, None, s, 0, 1, self.groups)


def conv_bn(cin, cout, k=1, stride=1, groups=1, relu6=True):
    layers = [SameConv(cin, cout, k, stride, groups=groups, bias=False), nn.BatchNorm2d(cout, eps=1e-3)]
    return nn.Sequential(*layers, *([nn.ReLU6()] if relu6 else []))


class MBConv(nn.Module):
    def __init__(self, cin, cout, expand, k, stride):
        super().__init__()
        mid = cin * expand
        self.body = nn.Sequential(*([conv_bn(cin, mid)] if expand != 1 else []), conv_bn(mid, mid, k, stride, mid),
                                  conv_bn(mid, cout, relu6=False))
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        return self.body(x) + x if self.skip else self.body(x)


class EfficientNetLite0(nn.Module):
    # (expand, kernel, stride, in, out, repeats)
    STAGES = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
              (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]

    def __init__(self, num_classes=1000):
        super().__init__()
        blocks = [MBConv(cin if i == 0 else cout, cout, e, k, s if i == 0 else 1)
                  for e, k, s, cin, cout, r in self.STAGES for i in range(r)]
        self.features = nn.Sequential(conv_bn(3, 32, 3, 2), *blocks, conv_bn(320, 1280))
        self.fc = nn.Linear(1280, num_classes)

    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))


p = argparse.ArgumentParser()
p.add_argument("--model", default="resnet18")
p.add_argument("--batch", type=int, default=32)
p.add_argument("--image-size", type=int, default=224)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--warmup", type=int, default=2)
p.add_argument("--threads", type=int, default=None)
p.add_argument("--task-classes", type=int, default=10)
p.add_argument("--channels-last", action="store_true", help="NHWC tensors (PyTorch's faster CPU layout)")
p.add_argument("--bf16", action="store_true", help="bfloat16 autocast (mixed precision)")
a = p.parse_args()
if a.threads: torch.set_num_threads(a.threads)

if a.model == "efficientnet_lite0":
    m = EfficientNetLite0()
else:
    try:
        import torchvision
        m = getattr(torchvision.models, a.model)(num_classes=1000)
    except (ImportError, RuntimeError):
        # torchvision's module definitions written out in plain torch.nn (the PyPI wheel
        # for CPU torch 2.13 is a CUDA build whose extension does not load without CUDA).
        import importlib.util, os
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../Tests/ConFiTNNTests/Resources/make_resnet_fixtures.py")
        spec = importlib.util.spec_from_file_location("torchvision_resnet", path)
        tv = importlib.util.module_from_spec(spec); spec.loader.exec_module(tv)
        block, layers = {"resnet18": (tv.BasicBlock, [2, 2, 2, 2]), "resnet34": (tv.BasicBlock, [3, 4, 6, 3]),
                         "resnet50": (tv.Bottleneck, [3, 4, 6, 3])}[a.model]
        m = tv.ResNet(block, layers)
x = torch.randn(a.batch, 3, a.image_size, a.image_size)
if a.channels_last:
    m, x = m.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
classes = torch.arange(a.task_classes)
precision = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if a.bf16 else contextlib.nullcontext
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
        with precision():
            loss = F.cross_entropy(m(x)[:, classes], y)
        loss.backward()
        opt.step()
    return step

out = {"model": a.model, "batch": a.batch, "image_size": a.image_size, "threads": torch.get_num_threads(),
       "torch": torch.__version__, "channels_last": a.channels_last, "precision": "bf16" if a.bf16 else "float32"}
m.eval()
with torch.no_grad(), precision():
    out["eval_img_s"] = median_rate(lambda: m(x))
m.train()
for s in ("fc", "bn", "full"):
    out[f"train_{s}_img_s"] = median_rate(stage(s))
print(json.dumps(out, sort_keys=True))
