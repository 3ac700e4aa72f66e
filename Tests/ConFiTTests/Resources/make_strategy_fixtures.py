"""Golden values for the LwF and EWC strategies, computed with PyTorch on CPU in float64 and
stored float32 (ints as int64), following FACIL (mmasana/FACIL src/approach/lwf.py, ewc.py)
in task-incremental form: one shared classifier whose logits are restricted to a task's
classes, as docs/methods.md does.

Regenerate with: python3 make_strategy_fixtures.py  (needs torch, safetensors). The network is
the plain-torch torchvision ResNet of ../../ConFiTNNTests/Resources/make_resnet_fixtures.py with
BasicBlocks, layers [1, 1, 1, 1], widths 8/16/16/32, 10 classes (about 25k parameters).

strategy_fixtures.safetensors:
  w_old/<name>        the network before the task (weights and BN buffers randomised)
  w_new/<name>        the network being trained: w_old with every parameter and running
                      statistic perturbed
  input/x             float32 [4, 3, 64, 64], the batch
  input/x2            float32 [4, 3, 64, 64], a second batch (EWC's Fisher runs over x, x2)
  input/tasks         int64 [3, 3]: the classes of tasks 0, 1, 2; the batch belongs to task 2
  input/labels        int64 [4], indices into task 2's classes
  lwf/teacher         w_old's eval-mode logits of x over tasks 0 and 1's classes, in task order [4, 6]
  lwf/ce, lwf/kd      w_new's train-mode cross-entropy on task 2, and the distillation
                      loss with T = 3 (FACIL's cross_entropy, exp = 1/T, eps = 1e-5)
  lwf/loss            ce + 0.7 · kd
  lwf/grad/<param>    ∂lwf/loss/∂param for every parameter (fc's rows of other tasks' classes
                      included: LwF then keeps them fixed)
  ewc/fisher/<param>  the Fisher of w_new's backbone parameters (not fc) over x and x2, train
                      mode, sampling max_pred over task 2's restricted logits: Σ_batches
                      grad(mean CE)² · batch size / (2 · 4)
  ewc/penalty         Σ F·(θ − θ*)² / 2 with F = 0.5 · ewc/fisher (α = 0.5, merged into zeros)
                      and θ* = w_old's parameters, θ = w_new's
  ewc/loss            w_new's train-mode cross-entropy on x + 5000 · ewc/penalty
  ewc/grad/<param>    ∂ewc/loss/∂param for every parameter
"""
import copy, os, sys, torch, torch.nn as nn, torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'ConFiTNNTests', 'Resources'))
from make_resnet_fixtures import ResNet, BasicBlock, randomise_batch_norm  # noqa: E402

DT = torch.float64
T, LWF_LAMBDA, EWC_LAMBDA, ALPHA = 3.0, 0.7, 5000.0, 0.5


def state(m, prefix):
    return {prefix + k: v.float().clone() for k, v in m.state_dict().items() if not k.endswith('num_batches_tracked')}


def facil_kd(outputs, targets, exp, eps=1e-5):
    """FACIL's LwF cross_entropy, size_average=True."""
    out, tar = F.softmax(outputs, dim=1), F.softmax(targets, dim=1)
    out = out.pow(exp); out = out / out.sum(1, keepdim=True)
    tar = tar.pow(exp); tar = tar / tar.sum(1, keepdim=True)
    out = out + eps / out.size(1); out = out / out.sum(1, keepdim=True)
    return (-(tar * out.log()).sum(1)).mean()


def main():
    torch.manual_seed(3)
    old = ResNet(BasicBlock, [1, 1, 1, 1], widths=(8, 16, 16, 32), num_classes=10).to(DT)
    randomise_batch_norm(old)
    with torch.no_grad():
        old.fc.weight.mul_(4)  # livelier logits, so that the softened distributions are not uniform
    new = copy.deepcopy(old)
    with torch.no_grad():
        for p in new.parameters():
            p.add_(0.1 * p.abs().mean() * torch.randn_like(p))
        for mod in new.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.add_(0.05 * torch.randn_like(mod.running_mean))
                mod.running_var.mul_(torch.empty_like(mod.running_var).uniform_(0.8, 1.25))
    out = {**state(old, 'w_old/'), **state(new, 'w_new/')}

    x, x2 = torch.randn(4, 3, 64, 64, dtype=DT), torch.randn(4, 3, 64, 64, dtype=DT)
    tasks = torch.tensor([[4, 0, 2], [9, 5, 1], [7, 3, 8]])
    labels = torch.tensor([0, 2, 1, 2])
    current, earlier = tasks[2], tasks[:2].flatten()
    out.update({'input/x': x.float(), 'input/x2': x2.float(), 'input/tasks': tasks, 'input/labels': labels})

    # LwF: the old network in eval mode is the teacher; the new one trains.
    old.eval()
    with torch.no_grad():
        teacher = old(x)[:, earlier]
    new.train()
    logits = new(x)
    ce = F.cross_entropy(logits[:, current], labels)
    kd = facil_kd(logits[:, earlier], teacher, exp=1.0 / T)
    loss = ce + LWF_LAMBDA * kd
    new.zero_grad(); loss.backward()
    out.update({'lwf/teacher': teacher.float(), 'lwf/ce': ce.detach().float().reshape(1),
                'lwf/kd': kd.detach().float().reshape(1), 'lwf/loss': loss.detach().float().reshape(1)})
    out.update({'lwf/grad/' + n: p.grad.float().clone() for n, p in new.named_parameters()})

    # EWC: the Fisher of the new network's backbone over two batches (FACIL: model.train()).
    backbone = [(n, p) for n, p in new.named_parameters() if not n.startswith('fc.')]
    fisher = {n: torch.zeros_like(p) for n, p in backbone}
    probe = copy.deepcopy(new)  # FACIL's pass updates BN running statistics; keep `new`'s
    probe.train()
    probe_params = dict(probe.named_parameters())
    for batch in (x, x2):
        restricted = probe(batch)[:, current]
        preds = restricted.argmax(1)
        probe.zero_grad(); F.cross_entropy(restricted, preds).backward()
        for n, _ in backbone:
            fisher[n] += probe_params[n].grad.pow(2) * len(batch)
    fisher = {n: f / 8 for n, f in fisher.items()}
    out.update({'ewc/fisher/' + n: f.float() for n, f in fisher.items()})

    merged = {n: ALPHA * torch.zeros_like(f) + (1 - ALPHA) * f for n, f in fisher.items()}
    anchor = dict(old.named_parameters())
    new.train()
    ce = F.cross_entropy(new(x)[:, current], labels)
    penalty = sum(torch.sum(merged[n] * (p - anchor[n].detach()).pow(2)) / 2 for n, p in backbone)
    loss = ce + EWC_LAMBDA * penalty
    new.zero_grad(); loss.backward()
    out.update({'ewc/penalty': penalty.detach().float().reshape(1), 'ewc/loss': loss.detach().float().reshape(1)})
    out.update({'ewc/grad/' + n: p.grad.float().clone() for n, p in new.named_parameters()})

    path = os.path.join(HERE, 'strategy_fixtures.safetensors')
    save_file({k: v.contiguous() for k, v in out.items()}, path)
    print(path, len(out), 'tensors', sum(v.numel() * v.element_size() for v in out.values()), 'bytes')


if __name__ == '__main__':
    main()
