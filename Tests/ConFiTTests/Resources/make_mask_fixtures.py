"""Golden values for the PackNet and Piggyback strategies, computed with PyTorch on CPU in
float64 and stored float32 (owner maps uint8, ints int64), following the official code:
arunmallya/packnet src/prune.py (SparsePruner.pruning_mask, apply_mask) and
arunmallya/piggyback src/modnets/layers.py (Binarizer, ElementWiseConv2d).

Regenerate with: python3 make_mask_fixtures.py  (needs torch, safetensors). The network is
the plain-torch torchvision ResNet of ../../ConFiTNNTests/Resources/make_resnet_fixtures.py with
BasicBlocks, layers [1, 1, 1, 1], widths 8/16/16/32, 10 classes; its weights are rounded to
float32 first, so that both sides rank the same magnitudes. BN is frozen (eval mode), as
both methods train by default.

mask_fixtures.safetensors:
  w/<name>                   the network (weights and BN buffers randomised)
  input/x                    float32 [4, 3, 32, 32]
  input/classes              int64 [3], the task's classes
  input/labels               int64 [4], indices into input/classes
  packnet/owner_before/<conv>  uint8, each weight's owner before pruning: 1 (task 0) or 2
                             (task 1, being trained); the network's values as w/
  packnet/owner_after/<conv>   after pruning task 1 by 0.6: the round(0.6 n) smallest |w|
                             of task 1's n weights, and ties with the k-th, set to 0 (free)
  packnet/w_after/<conv>     the weights after pruning (pruned ones zero)
  packnet/logits/task<i>     eval-mode logits of x with the pruned weights, masked to
                             owners 1..i+1 (apply_mask(i + 1): free and later weights zero)
  piggyback/real/<conv>      real-valued masks, uniform in [0, 1e-2)
  piggyback/logits           eval-mode BN logits of x with every conv using W ⊙ (real > 5e-3)
  piggyback/loss             cross-entropy of logits[:, classes] against the labels
  piggyback/grad/<conv>      ∂loss/∂real through the straight-through binarizer
  piggyback/grad/fc.weight, fc.bias  the classifier's gradient
"""
import os, sys, torch, torch.nn as nn, torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'ConFiTNNTests', 'Resources'))
from make_resnet_fixtures import ResNet, BasicBlock, randomise_batch_norm  # noqa: E402

DT = torch.float64
PRUNE, THRESHOLD = 0.6, 5e-3


class Binarizer(torch.autograd.Function):
    @staticmethod
    def forward(ctx, m):
        return (m > THRESHOLD).to(m.dtype)

    @staticmethod
    def backward(ctx, g):
        return g


def convs(model):
    return [(n + '.weight', m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]


def masked_forward(model, x, masks):
    """The model's forward with every conv's weight multiplied by its mask."""
    saved = {}
    for name, conv in convs(model):
        saved[name] = conv.weight
        del conv.weight
        conv.weight = saved[name] * masks[name]
    try:
        return model(x)
    finally:
        for name, conv in convs(model):
            del conv.weight
            conv.weight = saved[name]


def main():
    torch.manual_seed(5)
    model = ResNet(BasicBlock, [1, 1, 1, 1], widths=(8, 16, 16, 32), num_classes=10).to(DT)
    randomise_batch_norm(model)
    with torch.no_grad():
        for p in list(model.parameters()) + list(model.buffers()):
            if p.is_floating_point():
                p.copy_(p.float().double())
    model.eval()
    out = {'w/' + k: v.float().clone() for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
    x = torch.randn(4, 3, 32, 32).float().double()
    classes = torch.tensor([7, 2, 4])
    labels = torch.tensor([0, 2, 1, 2])
    out.update({'input/x': x.float(), 'input/classes': classes, 'input/labels': labels})

    # PackNet: prune task 1 (owner 2) by PRUNE, as SparsePruner.pruning_mask does.
    owners = {}
    for name, conv in convs(model):
        owner = (torch.rand(conv.weight.shape) < 0.5).to(torch.uint8) + 1
        out['packnet/owner_before/' + name] = owner.clone()
        w = conv.weight.data
        tensor = w[owner.eq(2)]
        cutoff_rank = round(PRUNE * tensor.numel())
        cutoff_value = tensor.abs().view(-1).kthvalue(cutoff_rank)[0]
        remove = w.abs().le(cutoff_value) * owner.eq(2)
        owner[remove] = 0
        w[owner.eq(0)] = 0.0
        owners[name] = owner
        out['packnet/owner_after/' + name] = owner.clone()
        out['packnet/w_after/' + name] = w.float().clone()
    with torch.no_grad():
        for i in range(2):
            masks = {n: (o.ne(0) & o.le(i + 1)).to(DT) for n, o in owners.items()}
            out[f'packnet/logits/task{i}'] = masked_forward(model, x, masks).float()

    # Piggyback on the pruned weights (any fixed weights do): real-valued masks, STE.
    real = {n: (torch.rand(c.weight.shape, dtype=DT) * 1e-2).float().double().requires_grad_() for n, c in convs(model)}
    logits = masked_forward(model, x, {n: Binarizer.apply(m) for n, m in real.items()})
    loss = F.cross_entropy(logits[:, classes], labels)
    model.zero_grad()
    loss.backward()
    for name, m in real.items():
        out['piggyback/real/' + name] = m.detach().float()
        out['piggyback/grad/' + name] = m.grad.float()
    out['piggyback/grad/fc.weight'] = model.fc.weight.grad.float()
    out['piggyback/grad/fc.bias'] = model.fc.bias.grad.float()
    out['piggyback/logits'] = logits.detach().float()
    out['piggyback/loss'] = loss.detach().float().reshape(1)
    save_file(out, os.path.join(HERE, 'mask_fixtures.safetensors'))


if __name__ == '__main__':
    main()
