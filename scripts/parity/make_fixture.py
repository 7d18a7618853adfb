"""Builds d2l's GoogLeNet in PyTorch at a reduced width and writes parity fixtures for the TypeScript model.

Run with Debian's PyTorch (`apt-get install python3-torch`):
    /usr/bin/python3 scripts/parity/make_fixture.py            # writes the three fixtures below
    /usr/bin/python3 scripts/parity/make_fixture.py --counts   # parameter counts of the full-size networks

Fixtures, in src/model/: parity.fixture.json (d2l's model), parity-aux.fixture.json (with the auxiliary
classifiers: loss = main + 0.3 × each auxiliary loss, dropout off), parity-bn.fixture.json (batch norm after every
conv, in training mode: batch statistics). Each holds, for one input batch: the weights (already in tfjs layout:
conv HWIO, dense IO), the logits, the loss, and the loss gradients of a few named weights. Names match the tfjs
layer names.
"""
import argparse, json, math, warnings

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


AUX_AFTER = ('inception_4a', 'inception_4d')
warnings.filterwarnings('ignore', message='Lazy modules')  # LazyLinear sizes the auxiliary fc layers


class GoogLeNet(nn.Module):
    """d2l's network with tfjs's layer names: ModuleDict keys use '|' where tfjs names use '/'.

    paper=True: 3 input channels, max pools with ceil mode and no padding, dropout 0.4 before the classifier.
    aux=True: the paper's auxiliary classifiers after 4a and 4d. bn=True: batch norm after every conv, no conv bias.
    """

    def __init__(self, width, classes=10, paper=False, aux=False, bn=False, dropout=False):
        super().__init__()
        w = lambda c: scale(c, width)
        self.paper, self.aux, self.bn, self.dropout = paper, aux, bn, dropout
        self.convs = nn.ModuleDict()
        self.norms = nn.ModuleDict()
        self.linears = nn.ModuleDict()

        def conv(name, cin, cout, k, stride=1):
            self.convs[name] = nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, bias=not bn)
            if bn:
                self.norms[name] = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)

        conv('b1_conv_7x7', 3 if paper else 1, w(64), 7, 2)
        conv('b2_conv_1x1', w(64), w(64), 1)
        conv('b2_conv_3x3', w(64), w(192), 3)
        cin = w(192)
        for stage in INCEPTIONS:
            for name, c1, (c2r, c2), (c3r, c3), c4 in stage:
                conv(f'{name}|branch1_1x1', cin, w(c1), 1)
                conv(f'{name}|branch2_1x1', cin, w(c2r), 1)
                conv(f'{name}|branch2_3x3', w(c2r), w(c2), 3)
                conv(f'{name}|branch3_1x1', cin, w(c3r), 1)
                conv(f'{name}|branch3_5x5', w(c3r), w(c3), 5)
                conv(f'{name}|branch4_1x1', cin, w(c4), 1)
                cin = w(c1) + w(c2) + w(c3) + w(c4)
                if aux and name in AUX_AFTER:
                    head = f'aux{AUX_AFTER.index(name) + 1}'
                    conv(f'{head}|conv_1x1', cin, w(128), 1)
                    self.linears[f'{head}|fc'] = nn.LazyLinear(w(1024))
                    self.linears[f'{head}|logits'] = nn.Linear(w(1024), classes)
        self.linears['logits'] = nn.Linear(cin, classes)

    def init_weights(self):
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)  # d2l's init; biases keep PyTorch's default

    def c(self, name, t):
        t = self.convs[name](t)
        return F.relu(self.norms[name](t) if self.bn else t)

    def pool(self, x):
        return F.max_pool2d(x, 3, 2, 0, ceil_mode=True) if self.paper else F.max_pool2d(x, 3, 2, 1)

    def aux_head(self, head, x):
        k = min(5, x.shape[-1])
        x = self.c(f'{head}|conv_1x1', F.avg_pool2d(x, k, min(3, k)))
        x = F.relu(self.linears[f'{head}|fc'](torch.flatten(x, 1)))
        return self.linears[f'{head}|logits'](F.dropout(x, 0.7, self.training and self.dropout))

    def forward(self, x):
        c = self.c
        x = self.pool(c('b1_conv_7x7', x))
        x = self.pool(c('b2_conv_3x3', c('b2_conv_1x1', x)))
        aux = []
        for index, stage in enumerate(INCEPTIONS):
            for name, *_ in stage:
                x = torch.cat([
                    c(f'{name}|branch1_1x1', x),
                    c(f'{name}|branch2_3x3', c(f'{name}|branch2_1x1', x)),
                    c(f'{name}|branch3_5x5', c(f'{name}|branch3_1x1', x)),
                    c(f'{name}|branch4_1x1', F.max_pool2d(x, 3, 1, 1)),
                ], dim=1)
                if self.aux and name in AUX_AFTER:
                    aux.append(self.aux_head(f'aux{AUX_AFTER.index(name) + 1}', x))
            if index < len(INCEPTIONS) - 1:
                x = self.pool(x)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return [self.linears['logits'](F.dropout(x, 0.4, self.training and self.dropout))] + aux


def tf_kernel(weight, spatial=None):
    """conv OIHW → HWIO; dense (out, in) → (in, out), where an input flattened from C×H×W is reordered to tfjs's
    H×W×C flattening."""
    if weight.dim() == 4:
        return weight.permute(2, 3, 1, 0).contiguous()
    if spatial is None:
        return weight.t().contiguous()
    h, w = spatial
    out = weight.shape[0]
    return weight.reshape(out, -1, h, w).permute(2, 3, 1, 0).reshape(-1, out).contiguous()


def flat(t):
    return [round(v, 8) for v in t.detach().reshape(-1).tolist()]


VARIANTS = {
    'base': dict(out='parity.fixture.json', options={}, grads=[
        'b1_conv_7x7', 'b2_conv_3x3', 'inception_3b/branch3_5x5', 'inception_4d/branch2_3x3',
        'inception_5b/branch4_1x1', 'logits']),
    'aux': dict(out='parity-aux.fixture.json', options=dict(aux=True), grads=[
        'b1_conv_7x7', 'inception_4a/branch2_3x3', 'aux1/conv_1x1', 'aux1/fc', 'aux2/logits', 'logits']),
    'bn': dict(out='parity-bn.fixture.json', options=dict(bn=True), grads=[
        'b1_conv_7x7', 'inception_3a/branch3_5x5', 'inception_4e/branch1_1x1', 'inception_5b/branch4_1x1',
        'logits']),
}
AUX_WEIGHT = 0.3


def parameter_counts():
    """The figures the TypeScript summary test checks: full width, the classes each model is built for."""
    def count(**options):
        net = GoogLeNet(1, **options)
        net(torch.zeros(1, 3 if options.get('paper') else 1, 224 if options.get('paper') else 96,
                        224 if options.get('paper') else 96))  # sizes the lazy layers
        return sum(p.numel() for p in net.parameters())
    print('d2l, 10 classes, 96×96:', count())
    print('paper, 1000 classes, 224×224, no aux:', count(classes=1000, paper=True, dropout=True))
    print('paper, 1000 classes, 224×224, aux heads:', count(classes=1000, paper=True, dropout=True, aux=True))
    print('d2l with batch norm:', count(bn=True))


def write_fixture(variant, a):
    spec = VARIANTS[variant]
    torch.manual_seed(0)
    net = GoogLeNet(a.width, **spec['options']).double()
    x = torch.rand(a.batch, 1, a.resolution, a.resolution, dtype=torch.float64)
    net(x)  # sizes the lazy layers before they are initialised
    net.init_weights()
    net.train()  # batch norm on batch statistics; dropout is off in these models
    y = torch.arange(a.batch) % 10
    outputs = net(x)
    loss = F.cross_entropy(outputs[0], y) + sum(AUX_WEIGHT * F.cross_entropy(o, y) for o in outputs[1:])
    loss.backward()
    layers = {name.replace('|', '/'): m for name, m in net.convs.items()}
    layers.update({name.replace('|', '/'): m for name, m in net.linears.items()})
    # An auxiliary fc layer's input was flattened from the pooled 1×1-conv map; tfjs flattens it as H×W×C.
    spatial = {}
    for head in ('aux1', 'aux2'):
        if f'{head}/fc' in layers:
            pooled = layers[f'{head}/fc'].in_features // layers[f'{head}/conv_1x1'].out_channels
            side = int(round(pooled ** 0.5))
            spatial[f'{head}/fc'] = (side, side)
    for name in spec['grads']:  # a branch whose ReLUs are all dead has a zero gradient, which proves nothing
        assert layers[name].weight.grad.abs().max() > 0, f'{name} has a zero gradient; pick another layer'
    weights = {}
    for name, m in layers.items():
        entry = dict(kernel=flat(tf_kernel(m.weight, spatial.get(name))),
                     kernelShape=list(tf_kernel(m.weight, spatial.get(name)).shape))
        if m.bias is not None:
            entry['bias'] = flat(m.bias)
        weights[name] = entry
    norms = {f"{name.replace('|', '/')}_bn": dict(gamma=flat(m.weight), beta=flat(m.bias),
                                                   movingMean=flat(m.running_mean), movingVariance=flat(m.running_var))
             for name, m in net.norms.items()}
    fixture = dict(
        source='scripts/parity/make_fixture.py', torch=torch.__version__, variant=variant,
        width=a.width, resolution=a.resolution,
        input=flat(x.permute(0, 2, 3, 1)), inputShape=[a.batch, a.resolution, a.resolution, 1],
        labels=y.tolist(), outputs=[flat(o) for o in outputs], loss=loss.item(),
        weights=weights, batchNorms=norms,
        kernelGradients={name: flat(tf_kernel(layers[name].weight.grad, spatial.get(name))) for name in spec['grads']},
    )
    out = f'{a.dir}/{spec["out"]}'
    with open(out, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
    print(f'wrote {out}: {sum(p.numel() for p in net.parameters())} parameters, loss {loss.item():.6f}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', default='src/model')
    ap.add_argument('--variant', choices=[*VARIANTS, 'all'], default='all')
    ap.add_argument('--counts', action='store_true')
    ap.add_argument('--width', type=float, default=0.0625)
    ap.add_argument('--resolution', type=int, default=32)
    ap.add_argument('--batch', type=int, default=4)
    a = ap.parse_args()
    if a.counts:
        parameter_counts()
        return
    for variant in VARIANTS if a.variant == 'all' else [a.variant]:
        write_fixture(variant, a)


if __name__ == '__main__':
    main()
