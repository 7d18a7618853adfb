"""Builds d2l's GoogLeNet in PyTorch at a reduced width and writes a parity fixture for the TypeScript model.

Run with Debian's PyTorch (`apt-get install python3-torch`):
    /usr/bin/python3 scripts/parity/make_fixture.py [--out src/model/parity.fixture.json]

The fixture holds, for one input batch: the weights (already in tfjs layout: conv HWIO, dense IO), the logits,
the mean cross-entropy loss, and the loss gradients of a few named weights. Names match the tfjs layer names.
"""
import argparse, json, math

import torch, torch.nn as nn, torch.nn.functional as F

INCEPTIONS = [  # name, c1, (c2r, c2), (c3r, c3), c4 -- the paper's table, as in src/model/googlenet.ts
    [('inception_3a', 64, (96, 128), (16, 32), 32), ('inception_3b', 128, (128, 192), (32, 96), 64)],
    [('inception_4a', 192, (96, 208), (16, 48), 64), ('inception_4b', 160, (112, 224), (24, 64), 64),
     ('inception_4c', 128, (128, 256), (24, 64), 64), ('inception_4d', 112, (144, 288), (32, 64), 64),
     ('inception_4e', 256, (160, 320), (32, 128), 128)],
    [('inception_5a', 256, (160, 320), (32, 128), 128), ('inception_5b', 384, (192, 384), (48, 128), 128)],
]


def scale(c, width):
    return max(1, math.floor(c * width + 0.5))  # JavaScript's Math.round, not Python's banker's rounding


class GoogLeNet(nn.Module):
    """d2l's network with tfjs's layer names: ModuleDict keys use '|' where tfjs names use '/'."""

    def __init__(self, width, classes=10):
        super().__init__()
        w = lambda c: scale(c, width)
        self.convs = nn.ModuleDict()
        self.convs['b1_conv_7x7'] = nn.Conv2d(1, w(64), 7, 2, 3)
        self.convs['b2_conv_1x1'] = nn.Conv2d(w(64), w(64), 1)
        self.convs['b2_conv_3x3'] = nn.Conv2d(w(64), w(192), 3, padding=1)
        cin = w(192)
        for stage in INCEPTIONS:
            for name, c1, (c2r, c2), (c3r, c3), c4 in stage:
                self.convs[f'{name}|branch1_1x1'] = nn.Conv2d(cin, w(c1), 1)
                self.convs[f'{name}|branch2_1x1'] = nn.Conv2d(cin, w(c2r), 1)
                self.convs[f'{name}|branch2_3x3'] = nn.Conv2d(w(c2r), w(c2), 3, padding=1)
                self.convs[f'{name}|branch3_1x1'] = nn.Conv2d(cin, w(c3r), 1)
                self.convs[f'{name}|branch3_5x5'] = nn.Conv2d(w(c3r), w(c3), 5, padding=2)
                self.convs[f'{name}|branch4_1x1'] = nn.Conv2d(cin, w(c4), 1)
                cin = w(c1) + w(c2) + w(c3) + w(c4)
        self.logits = nn.Linear(cin, classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)  # d2l's init; biases keep PyTorch's default

    def forward(self, x):
        c = lambda name, t: F.relu(self.convs[name](t))
        x = F.max_pool2d(c('b1_conv_7x7', x), 3, 2, 1)
        x = F.max_pool2d(c('b2_conv_3x3', c('b2_conv_1x1', x)), 3, 2, 1)
        for index, stage in enumerate(INCEPTIONS):
            for name, *_ in stage:
                x = torch.cat([
                    c(f'{name}|branch1_1x1', x),
                    c(f'{name}|branch2_3x3', c(f'{name}|branch2_1x1', x)),
                    c(f'{name}|branch3_5x5', c(f'{name}|branch3_1x1', x)),
                    c(f'{name}|branch4_1x1', F.max_pool2d(x, 3, 1, 1)),
                ], dim=1)
            if index < len(INCEPTIONS) - 1:
                x = F.max_pool2d(x, 3, 2, 1)
        return self.logits(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def tf_kernel(weight):
    return (weight.permute(2, 3, 1, 0) if weight.dim() == 4 else weight.t()).contiguous()


def flat(t):
    return [round(v, 8) for v in t.detach().reshape(-1).tolist()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='src/model/parity.fixture.json')
    ap.add_argument('--width', type=float, default=0.0625)
    ap.add_argument('--resolution', type=int, default=32)
    ap.add_argument('--batch', type=int, default=4)
    a = ap.parse_args()
    torch.manual_seed(0)
    net = GoogLeNet(a.width).double()  # float64 reference, so the comparison measures tfjs's float32 error only
    x = torch.rand(a.batch, 1, a.resolution, a.resolution, dtype=torch.float64)
    y = torch.arange(a.batch) % 10
    logits = net(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    layers = {name.replace('|', '/'): m for name, m in net.convs.items()}
    layers['logits'] = net.logits
    grad_names = ['b1_conv_7x7', 'b2_conv_3x3', 'inception_3b/branch3_5x5', 'inception_4d/branch2_3x3',
                  'inception_5b/branch4_1x1', 'logits']
    for name in grad_names:  # a branch whose ReLUs are all dead has a zero gradient, which proves nothing
        assert layers[name].weight.grad.abs().max() > 0, f'{name} has a zero gradient; pick another layer'
    fixture = dict(
        source='scripts/parity/make_fixture.py', torch=torch.__version__,
        width=a.width, resolution=a.resolution,
        input=flat(x.permute(0, 2, 3, 1)), inputShape=[a.batch, a.resolution, a.resolution, 1],
        labels=y.tolist(), logits=flat(logits), loss=loss.item(),
        weights={name: dict(kernel=flat(tf_kernel(m.weight)), kernelShape=list(tf_kernel(m.weight).shape),
                            bias=flat(m.bias)) for name, m in layers.items()},
        kernelGradients={name: flat(tf_kernel(layers[name].weight.grad)) for name in grad_names},
    )
    with open(a.out, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
    print(f'wrote {a.out}: {sum(p.numel() for p in net.parameters())} parameters, loss {loss.item():.6f}')


if __name__ == '__main__':
    main()
