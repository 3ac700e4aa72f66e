"""PyTorch's bfloat16 autocast on the ResNet-18-topology fixture network, for the bf16 parity test.

Regenerate with: python3 make_bf16_fixture.py  (needs torch, safetensors; reads
resnet18_w16.safetensors beside it, made by ../shared/fixtures/make_fixtures.py).
Writes resnet18_w16_bf16.safetensors beside it. The network, weights and input are the float64
fixture's; every value is computed twice from them: in float64 (`ref/`) and the way PyTorch's
fastest CPU configuration trains in bf16 (`bf16/`: float32 weights, channels-last,
torch.autocast("cpu", dtype=torch.bfloat16), the loss in float32). A bf16 implementation is
judged by how far it is from `ref/`, against how far PyTorch's own bf16 is.

Contents (each under ref/ and bf16/):
  eval/logits          eval-mode logits [4, 100] of the fixture's weights and running statistics
  train/logits         train-mode logits [4, 100] (batch statistics), from a fresh copy of the weights
  train/loss           cross-entropy of train/logits[:, classes] against the label's index in classes
  train/grad/<param>   that loss's gradient for the parameters in GRADIENTS
  frozen/...           the same with BN in eval mode (running statistics) while gradients flow:
                       PackNet's and Piggyback's training, and a backward pass that batch
                       statistics over 4 images do not make ill-conditioned
"""
import importlib.util, os, torch, torch.nn.functional as F
from safetensors.torch import load_file, save_file

GRADIENTS = ['conv1.weight', 'bn1.weight', 'bn1.bias', 'layer1.0.conv1.weight', 'layer2.0.downsample.0.weight',
             'layer3.1.conv2.weight', 'layer4.1.conv2.weight', 'layer4.1.bn2.weight', 'layer4.1.bn2.bias',
             'fc.weight', 'fc.bias']

# torchvision's ResNet written out in plain torch.nn (make_resnet_fixtures.py, beside this file).
spec = importlib.util.spec_from_file_location('resnets', os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                      'make_resnet_fixtures.py'))
resnets = importlib.util.module_from_spec(spec); spec.loader.exec_module(resnets)

here = os.path.dirname(os.path.abspath(__file__))
fixture = load_file(os.path.join(here, 'resnet18_w16.safetensors'))
weights = {k[2:]: v for k, v in fixture.items() if k.startswith('w/')}
x, classes, labels = fixture['input/x'], fixture['input/classes'], fixture['input/labels']
class2y = torch.zeros(100, dtype=torch.long); class2y[classes] = torch.arange(len(classes))

def model(dtype, channels_last):
    m = resnets.ResNet(resnets.BasicBlock, [2, 2, 2, 2], widths=(16, 32, 64, 128), num_classes=100)
    m.load_state_dict(weights, strict=False)
    m = m.to(dtype)
    return m.to(memory_format=torch.channels_last) if channels_last else m

def loss_and_gradients(m, inp, dtype, key):
    logits = m(inp)
    loss = F.cross_entropy(logits.to(dtype)[:, classes], class2y[labels])
    loss.backward()
    out[key + 'logits'] = logits.detach().float()
    out[key + 'loss'] = loss.detach().float().reshape(1)
    grads = dict(m.named_parameters())
    for name in GRADIENTS:
        out[key + 'grad/' + name] = grads[name].grad.float().contiguous()

out = {}
for prefix, dtype, bf16 in [('ref/', torch.float64, False), ('bf16/', torch.float32, True)]:
    inp = x.to(dtype)
    if bf16: inp = inp.contiguous(memory_format=torch.channels_last)
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
        with torch.no_grad():
            out[prefix + 'eval/logits'] = model(dtype, bf16).eval()(inp).float()
        loss_and_gradients(model(dtype, bf16).train(), inp, dtype, prefix + 'train/')
        loss_and_gradients(model(dtype, bf16).eval(), inp, dtype, prefix + 'frozen/')

path = os.path.join(here, 'resnet18_w16_bf16.safetensors')
save_file({k: v.contiguous() for k, v in out.items()}, path)
for key in sorted(k[4:] for k in out if k.startswith('ref/')):
    ref, b = out['ref/' + key], out['bf16/' + key]
    print(f'{key:45s} |bf16 - ref| / |ref| = {((b - ref).norm() / ref.norm()).item():.2e}')
