"""Golden fixtures for ResNet's bottleneck path, torchvision's ResNet key layout, and SGD
with momentum, computed with PyTorch on CPU.

Regenerate with: python3 make_resnet_fixtures.py  (needs torch, safetensors; not torchvision).
Writes three files next to this one. The modules below are torchvision's ResNet v1.5
(`torchvision/models/resnet.py`, 0.28) written out in plain torch.nn, because the only
torchvision wheel for the CPU torch here is a CUDA build whose extension does not load;
their state_dict names, shapes, forward and initialisation are the same.

resnet_bottleneck.safetensors: Bottleneck blocks, layers [2, 1, 1, 1], widths 8/8/16/32
(128 features after the last ×4 expansion), 10 classes: every shortcut kind (1×1 widening at
stride 1 in layer1.0, identity in layer1.1, stride only in layer2.0, stride and widening in
layer3.0 and layer4.0) in about 0.5 MB; widths 8/16/32/64 would take 1.7 MB. Computed in
float64, stored float32 except the int64 labels/classes. Prefixes, as in ../../../shared/fixtures/make_fixtures.py:
  w/<name>         initial weights and buffers (BN affine and running stats randomised;
                   num_batches_tracked dropped)
  input/x          float32 [2, 3, 64, 64] (64 px, not 32, so that layer4's BN normalises
                   8 values per channel instead of 2)
  input/classes    int64 [4], the task's class subset
  input/labels     int64 [2], labels drawn from input/classes
  train/logits     train-mode forward logits [2, 10] (BN uses batch stats)
  train/loss       [1] cross-entropy of logits[:, classes] against the label's index in classes
  grad/<param>     gradient of train/loss for every parameter
  step/<name>      every parameter and BN running stat after one SGD step (lr 0.01, no
                   momentum), BN momentum 0.1, running_var updated with the unbiased batch variance
  eval/logits      eval-mode logits of the updated model on x

torchvision_resnet_keys.json: for resnet18, resnet34 and resnet50 at 1000 classes,
  {"<model>": {"state_dict": [[key, shape], ...],     state_dict() order, no num_batches_tracked
               "parameters": [key, ...],              named_parameters() order
               "buffers": [key, ...]}}                named_buffers() order, no num_batches_tracked

sgd_momentum.safetensors: torch.optim.SGD(lr 0.1, momentum 0.9, weight_decay 1e-2,
dampening 0, nesterov False) over parameters a [3, 4], b [5] and c [2, 2] for steps 0, 1, 2;
c takes step 0 and is then frozen (requires_grad False, grad None), which PyTorch skips,
keeping its momentum buffer. Initial values and gradients are float32 values; the steps are
computed in float64 from them and stored float32.
  init/<p>          the parameter before step 0
  grad/step<k>/<p>  the gradient given at step k (none for c at steps 1 and 2)
  param/step<k>/<p> the parameter after step k
  momentum/step<k>/<p>  the momentum buffer after step k
"""
import json, os, torch, torch.nn as nn, torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
DT = torch.float64


def conv3x3(inp, out, stride=1):
    return nn.Conv2d(inp, out, 3, stride, 1, bias=False)


def conv1x1(inp, out, stride=1):
    return nn.Conv2d(inp, out, 1, stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride); self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes); self.bn2 = nn.BatchNorm2d(planes)
        self.downsample, self.stride = downsample, stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """ResNet v1.5: the stride is on the 3×3 convolution."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes); self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride); self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * 4); self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample, self.stride = downsample, stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision's ResNet with configurable stage widths (torchvision's are 64/128/256/512)."""

    def __init__(self, block, layers, widths=(64, 128, 256, 512), num_classes=1000):
        super().__init__()
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0]); self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1); nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def randomise_batch_norm(m):
    """BN statistics and affine parameters away from their defaults, so that tests can't pass with defaults."""
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.weight.uniform_(0.5, 1.5); mod.bias.uniform_(-0.2, 0.2)
                mod.running_mean.uniform_(-0.1, 0.1); mod.running_var.uniform_(0.5, 2.0)


def bottleneck_fixture():
    torch.manual_seed(0)
    m = ResNet(Bottleneck, [2, 1, 1, 1], widths=(8, 8, 16, 32), num_classes=10).to(DT)
    randomise_batch_norm(m)

    def state(prefix):
        return {prefix + k: v.float().clone() for k, v in m.state_dict().items() if not k.endswith('num_batches_tracked')}

    out = state('w/')
    x = torch.randn(2, 3, 64, 64, dtype=DT)
    classes = torch.tensor([2, 5, 7, 9])
    labels = classes[torch.tensor([1, 3])]
    class2y = torch.zeros(10, dtype=torch.long); class2y[classes] = torch.arange(len(classes))
    out['input/x'] = x.float(); out['input/classes'] = classes; out['input/labels'] = labels

    m.train()
    logits = m(x)
    loss = F.cross_entropy(logits[:, classes], class2y[labels])
    out['train/logits'] = logits.detach().float(); out['train/loss'] = loss.detach().float().reshape(1)
    loss.backward()
    for n, p in m.named_parameters():
        out['grad/' + n] = p.grad.float().clone()
    with torch.no_grad():
        for p in m.parameters(): p -= 0.01 * p.grad
    out.update(state('step/'))
    m.eval()
    with torch.no_grad():
        out['eval/logits'] = m(x).float()
    path = os.path.join(HERE, 'resnet_bottleneck.safetensors')
    save_file({k: v.contiguous() for k, v in out.items()}, path)
    print(path, len(out), 'tensors')


def torchvision_keys():
    nets = {'resnet18': (BasicBlock, [2, 2, 2, 2]), 'resnet34': (BasicBlock, [3, 4, 6, 3]),
            'resnet50': (Bottleneck, [3, 4, 6, 3])}
    keys = {}
    for name, (block, layers) in nets.items():
        m = ResNet(block, layers)
        keep = lambda k: not k.endswith('num_batches_tracked')
        keys[name] = {
            'state_dict': [[k, list(v.shape)] for k, v in m.state_dict().items() if keep(k)],
            'parameters': [k for k, _ in m.named_parameters()],
            'buffers': [k for k, _ in m.named_buffers() if keep(k)],
        }
    path = os.path.join(HERE, 'torchvision_resnet_keys.json')
    with open(path, 'w') as f:
        json.dump(keys, f)
    print(path, {k: len(v['state_dict']) for k, v in keys.items()}, 'keys')


def sgd_fixture():
    torch.manual_seed(1)
    shapes = {'a': [3, 4], 'b': [5], 'c': [2, 2]}
    init = {n: torch.randn(s) for n, s in shapes.items()}
    params = {n: nn.Parameter(v.to(DT)) for n, v in init.items()}
    opt = torch.optim.SGD(params.values(), lr=0.1, momentum=0.9, weight_decay=1e-2, dampening=0, nesterov=False)
    out = {'init/' + n: v for n, v in init.items()}
    for step in range(3):
        if step == 1:
            params['c'].requires_grad_(False); params['c'].grad = None
        for n, p in params.items():
            if p.requires_grad:
                g = torch.randn(shapes[n])
                out[f'grad/step{step}/{n}'] = g
                p.grad = g.to(DT)
        opt.step()
        for n, p in params.items():
            out[f'param/step{step}/{n}'] = p.detach().float().clone()
            out[f'momentum/step{step}/{n}'] = opt.state[p]['momentum_buffer'].float().clone()
    path = os.path.join(HERE, 'sgd_momentum.safetensors')
    save_file({k: v.contiguous() for k, v in out.items()}, path)
    print(path, len(out), 'tensors')


if __name__ == '__main__':
    bottleneck_fixture()
    torchvision_keys()
    sgd_fixture()
