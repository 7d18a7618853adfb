#!/usr/bin/env python3
"""A GoogLeNet Playground run as a PyTorch experiment: the app's network, data handling, optimiser and schedule.

    python3 train.py                                          # CPU, or the one GPU there is
    torchrun --standalone --nproc_per_node=gpu train.py       # every GPU of this machine, DistributedDataParallel

The settings come from config.json (written by the app); README.md says what every flag and output is. Only the
standard library and torch are used, so the folder runs wherever PyTorch does.
"""
import argparse, contextlib, ctypes, gzip, hashlib, json, math, os, re, struct, sys, time, uuid, warnings

import torch, torch.nn as nn, torch.nn.functional as F
import torch.distributed as dist

# DDP warns that a 1x1 kernel's gradient has other strides than its bucket: for a 1x1 kernel they describe the same
# memory layout, so nothing is copied or slowed.
warnings.filterwarnings('ignore', message='Grad strides do not match bucket view strides')

# ---------------------------------------------------------------------------------------------------------------
# Settings: the app's TrainConfig (src/config/trainConfig.ts)

DEFAULT_CONFIG = {
    'batchSize': 64, 'learningRate': 0.05, 'epochs': 25, 'trainSubset': 60000, 'testSubset': 10000,
    'resolution': 96, 'width': 1, 'seed': 1, 'model': 'd2l', 'auxHeads': False, 'dropout': False,
    'batchNorm': False, 'bnStats': 'running', 'activation': 'relu', 'factorize5x5': False, 'poolBranch': 'max',
    'init': 'xavier', 'optimizer': 'sgd', 'weightDecay': 0, 'schedule': 'constant', 'stepSize': 10, 'gamma': 0.1,
    'warmupEpochs': 0, 'cropPadding': 0, 'flip': False,
}
# The settings every run records; the others were added later, and a config without them used their defaults.
RUN_KEYS = ('batchSize', 'learningRate', 'epochs', 'trainSubset', 'testSubset', 'resolution', 'width', 'seed')
CHOICES = {
    'model': ('d2l', 'paper'), 'bnStats': ('recompute', 'running'), 'activation': ('relu', 'leaky-relu', 'elu', 'tanh'),
    'poolBranch': ('max', 'avg'), 'init': ('xavier', 'kaiming'), 'optimizer': ('sgd', 'momentum', 'adam'),
    'schedule': ('constant', 'step', 'cosine'),
}
INTEGER_KEYS = ('batchSize', 'epochs', 'trainSubset', 'testSubset', 'resolution', 'seed', 'stepSize', 'warmupEpochs',
                'cropPadding')
MIN_PAPER_RESOLUTION = 32

EXPERIMENT_FORMAT = 'googlenet-playground-experiment'
WEIGHTS_FORMAT = 'googlenet-playground-weights'
RUNS_FORMAT = 'googlenet-playground-runs'
RUN_RECORD_VERSION = 3
FASHION_MNIST = 'Fashion-MNIST'
DATA_FILES = ('trainImages', 'trainLabels', 'testImages', 'testLabels')


class ExperimentError(Exception):
    """A problem with the experiment's files or flags, reported as one message without a traceback."""


def read_config(raw):
    """The app's readConfig: a missing optional setting takes d2l's default; a wrong value is refused."""
    if not isinstance(raw, dict):
        raise ExperimentError('config.json has no "config" object.')
    config = dict(DEFAULT_CONFIG)
    for key, default in DEFAULT_CONFIG.items():
        if key not in raw:
            if key in RUN_KEYS:
                raise ExperimentError(f'config.json: the setting "{key}" is missing.')
            continue
        value = raw[key]
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif key in CHOICES:
            ok = value in CHOICES[key]
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            ok = ok and (key not in INTEGER_KEYS or value == int(value))
        if not ok:
            expected = ' or '.join(CHOICES[key]) if key in CHOICES else type(default).__name__
            raise ExperimentError(f'config.json: "{key}" is {value!r}, expected {expected}.')
        config[key] = int(value) if key in INTEGER_KEYS else value
    if config['model'] == 'paper' and config['resolution'] < MIN_PAPER_RESOLUTION:
        raise ExperimentError(f"The paper's model needs a resolution of at least {MIN_PAPER_RESOLUTION}.")
    return config


def read_experiment(path):
    try:
        with open(path) as f:
            experiment = json.load(f)
    except OSError as error:
        raise ExperimentError(f'Cannot read {path}: {error.strerror}.') from None
    except json.JSONDecodeError as error:
        raise ExperimentError(f'{path} is not JSON: {error}.') from None
    if not isinstance(experiment, dict) or experiment.get('format') != EXPERIMENT_FORMAT:
        raise ExperimentError(f'{path} is not an experiment of the playground (no "format": "{EXPERIMENT_FORMAT}").')
    dataset = experiment.get('dataset')
    if not isinstance(dataset, dict) or not isinstance(dataset.get('classes'), list) \
            or not isinstance(dataset.get('files'), dict):
        raise ExperimentError(f'{path}: "dataset" needs "classes" and "files".')
    return dict(name=str(experiment.get('name') or 'googlenet'), config=read_config(experiment.get('config')),
                dataset=dataset, folder=os.path.dirname(os.path.abspath(path)))


# ---------------------------------------------------------------------------------------------------------------
# The app's seeded random numbers (src/data/random.ts), bit for bit: the same batch order and augmentation draws.

U32 = 0xFFFFFFFF


def imul(a, b):
    """JavaScript's Math.imul, on unsigned 32-bit representations."""
    return (a * b) & U32


def seeded_random(seed):
    """mulberry32."""
    state = seed & U32

    def next_random():
        nonlocal state
        state = (state + 0x6D2B79F5) & U32
        t = state
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & U32
        return (t ^ (t >> 14)) / 4294967296
    return next_random


def shuffled_indices(n, random):
    """Fisher–Yates shuffle of 0..n-1."""
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = math.floor(random() * (i + 1))
        order[i], order[j] = order[j], order[i]
    return order


def epoch_order(n, seed, epoch):
    """The order of an epoch depends only on (seed, epoch), so a resumed run sees the same batches."""
    return shuffled_indices(n, seeded_random(imul(seed ^ 0x9E3779B9, 31) + epoch))


def augmentation_random(seed, step):
    """The augmentation draws of update `step` (from 0) depend only on (seed, step)."""
    return seeded_random(imul(seed ^ 0x85EBCA6B, 0x27D4EB2F) + step)


# ---------------------------------------------------------------------------------------------------------------
# The network (src/model/googlenet.ts). Module paths are the app's layer names with '/' as '.'.

INCEPTIONS = [  # name, c1, (c2 reduce, c2), (c3 reduce, c3), c4: the paper's table
    [('inception_3a', 64, (96, 128), (16, 32), 32),  # N x 256 x 12 x 12 (at 96 x 96 input)
     ('inception_3b', 128, (128, 192), (32, 96), 64)],  # N x 480 x 12 x 12
    [('inception_4a', 192, (96, 208), (16, 48), 64),  # N x 512 x 6 x 6
     ('inception_4b', 160, (112, 224), (24, 64), 64),  # N x 512 x 6 x 6
     ('inception_4c', 128, (128, 256), (24, 64), 64),  # N x 512 x 6 x 6
     ('inception_4d', 112, (144, 288), (32, 64), 64),  # N x 528 x 6 x 6
     ('inception_4e', 256, (160, 320), (32, 128), 128)],  # N x 832 x 6 x 6
    [('inception_5a', 256, (160, 320), (32, 128), 128),  # N x 832 x 3 x 3
     ('inception_5b', 384, (192, 384), (48, 128), 128)],  # N x 1024 x 3 x 3
]
AUX_AFTER = ('inception_4a', 'inception_4d')
AUX_HEAD = dict(conv=128, hidden=1024, dropout=0.7, pool=5, pool_stride=3)
FINAL_DROPOUT = 0.4
AUX_LOSS_WEIGHT = 0.3
LEAKY_SLOPE = 0.01  # PyTorch's (tfjs's default is 0.3)


def scale_channels(channels, width):
    return max(1, math.floor(channels * width + 0.5))  # JavaScript's Math.round, not Python's banker's rounding


def activation_module(name):
    return {'relu': nn.ReLU, 'leaky-relu': lambda: nn.LeakyReLU(LEAKY_SLOPE), 'elu': nn.ELU, 'tanh': nn.Tanh}[name]()


class ConvUnit(nn.Module):
    """A convolution, batch norm when asked (then without a bias, as the norm's shift replaces it), activation."""

    def __init__(self, cin, cout, kernel, stride, config):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, bias=not config['batchNorm'])
        self.bn = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1) if config['batchNorm'] else None
        self.act = activation_module(config['activation'])

    def forward(self, x):
        x = self.conv(x)
        return self.act(self.bn(x) if self.bn is not None else x)


class Inception(nn.Module):
    def __init__(self, cin, c1, c2, c3, c4, config):
        super().__init__()
        self.branch1_1x1 = ConvUnit(cin, c1, 1, 1, config)
        self.branch2_1x1 = ConvUnit(cin, c2[0], 1, 1, config)
        self.branch2_3x3 = ConvUnit(c2[0], c2[1], 3, 1, config)
        self.branch3_1x1 = ConvUnit(cin, c3[0], 1, 1, config)
        if config['factorize5x5']:
            self.branch3_3x3a = ConvUnit(c3[0], c3[1], 3, 1, config)
            self.branch3_3x3b = ConvUnit(c3[1], c3[1], 3, 1, config)
            self.branch3 = [self.branch3_3x3a, self.branch3_3x3b]
        else:
            self.branch3_5x5 = ConvUnit(c3[0], c3[1], 5, 1, config)
            self.branch3 = [self.branch3_5x5]
        # Max pooling never picks a padded cell; the average counts only cells inside the image, as tfjs's 'same'.
        self.branch4_pool = nn.MaxPool2d(3, 1, 1) if config['poolBranch'] == 'max' else \
            nn.AvgPool2d(3, 1, 1, count_include_pad=False)
        self.branch4_1x1 = ConvUnit(cin, c4, 1, 1, config)
        self.out_channels = c1 + c2[1] + c3[1] + c4

    def forward(self, x):
        branch3 = self.branch3_1x1(x)
        for unit in self.branch3:
            branch3 = unit(branch3)
        return torch.cat([self.branch1_1x1(x), self.branch2_3x3(self.branch2_1x1(x)), branch3,
                          self.branch4_1x1(self.branch4_pool(x))], dim=1)


class AuxHead(nn.Module):
    """5x5/3 average pool (the whole map when it is smaller), 1x1 conv, fc + ReLU, dropout 0.7, classifier."""

    def __init__(self, cin, side, width, classes, config):
        super().__init__()
        pool = min(AUX_HEAD['pool'], side)
        self.pool = nn.AvgPool2d(pool, min(AUX_HEAD['pool_stride'], pool))
        pooled = (side - pool) // min(AUX_HEAD['pool_stride'], pool) + 1
        self.conv_1x1 = ConvUnit(cin, scale_channels(AUX_HEAD['conv'], width), 1, 1, config)
        # Flattened as PyTorch does, C x H x W (tfjs flattens H x W x C: the app converts when it reads or writes).
        self.fc = nn.Linear(scale_channels(AUX_HEAD['conv'], width) * pooled * pooled,
                            scale_channels(AUX_HEAD['hidden'], width))
        self.dropout = nn.Dropout(AUX_HEAD['dropout'])
        self.logits = nn.Linear(scale_channels(AUX_HEAD['hidden'], width), classes)

    def forward(self, x):
        x = torch.flatten(self.conv_1x1(self.pool(x)), 1)
        return self.logits(self.dropout(F.relu(self.fc(x))))


class GoogLeNet(nn.Module):
    """d2l's GoogLeNet or the paper's (3 channels, ceil-mode pools), with every ablation switch of the app.

    forward returns (logits, [aux logits...]); training adds the auxiliary heads' losses, evaluation ignores them.
    """

    def __init__(self, config, in_channels, classes):
        super().__init__()
        w = lambda c: scale_channels(c, config['width'])
        self.ceil_mode = config['model'] == 'paper'
        self.b1_conv_7x7 = ConvUnit(in_channels, w(64), 7, 2, config)
        # N x 64 x 24 x 24 (d2l, 96 x 96) · N x 64 x 56 x 56 (paper, 224 x 224)
        side = self.pooled_side((config['resolution'] - 1) // 2 + 1)
        self.b2_conv_1x1 = ConvUnit(w(64), w(64), 1, 1, config)
        self.b2_conv_3x3 = ConvUnit(w(64), w(192), 3, 1, config)
        side = self.pooled_side(side)  # N x 192 x 12 x 12 · N x 192 x 28 x 28
        cin = w(192)
        self.stages = []  # per stage: each Inception block, with the auxiliary head that follows it or None
        for index, stage in enumerate(INCEPTIONS):
            blocks = []
            for name, c1, (c2r, c2), (c3r, c3), c4 in stage:
                block = Inception(cin, w(c1), (w(c2r), w(c2)), (w(c3r), w(c3)), w(c4), config)
                setattr(self, name, block)
                cin = block.out_channels
                head = None
                if config['auxHeads'] and name in AUX_AFTER:
                    head = AuxHead(cin, side, config['width'], classes, config)
                    setattr(self, f'aux{AUX_AFTER.index(name) + 1}', head)
                blocks.append((block, head))
            self.stages.append(blocks)
            if index < len(INCEPTIONS) - 1:
                side = self.pooled_side(side)  # b3: 480 x 6 x 6 · 480 x 14 x 14;  b4: 832 x 3 x 3 · 832 x 7 x 7
        self.dropout = nn.Dropout(FINAL_DROPOUT) if config['dropout'] else nn.Identity()
        self.logits = nn.Linear(cin, classes)  # N x classes

    def pooled_side(self, side):
        return -(-(side - 3) // 2) + 1 if self.ceil_mode else (side - 1) // 2 + 1

    def pool(self, x):
        # The paper's pools: no padding, ceil mode. d2l's: padding 1, which a max pool never picks.
        return F.max_pool2d(x, 3, 2, 0, ceil_mode=True) if self.ceil_mode else F.max_pool2d(x, 3, 2, 1)

    def forward(self, x):
        x = self.pool(self.b1_conv_7x7(x))
        x = self.pool(self.b2_conv_3x3(self.b2_conv_1x1(x)))
        aux = []
        for index, stage in enumerate(self.stages):
            for block, head in stage:
                x = block(x)
                if head is not None:
                    aux.append(head(x))
            if index < len(self.stages) - 1:
                x = self.pool(x)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.logits(self.dropout(x)), aux


def initialise(model, init):
    """The app's schemes. Xavier: Xavier-uniform weights, PyTorch's default biases U(±1/√fan_in) (d2l's init).
    Kaiming: conv weights N(0, 2 / fan_out) with zero biases (torchvision's), linear layers PyTorch's default."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            fan_in = module.in_channels * module.kernel_size[0] * module.kernel_size[1]
            if init == 'kaiming':
                nn.init.kaiming_normal_(module.weight, mode='fan_out', nonlinearity='relu')
            else:
                nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                if init == 'kaiming':
                    nn.init.zeros_(module.bias)
                else:
                    nn.init.uniform_(module.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))
        elif isinstance(module, nn.Linear):
            bound = 1 / math.sqrt(module.in_features)
            if init == 'kaiming':
                nn.init.uniform_(module.weight, -bound, bound)
            else:
                nn.init.xavier_uniform_(module.weight)
            nn.init.uniform_(module.bias, -bound, bound)
        elif isinstance(module, nn.BatchNorm2d):
            module.reset_parameters()


def input_channels(config, data_channels):
    """The paper's network takes RGB (grey images are repeated on each channel); d2l's takes the data as it is."""
    return 3 if config['model'] == 'paper' else data_channels


def build_model(config, data_channels, classes):
    torch.manual_seed(config['seed'])
    model = GoogLeNet(config, input_channels(config, data_channels), classes)
    initialise(model, config['init'])
    return model


# ---------------------------------------------------------------------------------------------------------------
# Safetensors, read and written with the standard library: F32 and I64 tensors, little-endian.

SAFETENSORS_DTYPES = {'F32': torch.float32, 'I64': torch.int64}
DTYPE_NAMES = {dtype: name for name, dtype in SAFETENSORS_DTYPES.items()}


class SafetensorsError(ExperimentError):
    pass


def tensor_bytes(tensor):
    tensor = tensor.detach().to('cpu').contiguous()
    return ctypes.string_at(tensor.data_ptr(), tensor.numel() * tensor.element_size()) if tensor.numel() else b''


def write_safetensors(path, tensors, metadata):
    if sys.byteorder != 'little':
        raise SafetensorsError('Safetensors files are little-endian; this machine is not.')
    header, blobs, offset = {'__metadata__': metadata}, [], 0
    for name, tensor in tensors.items():
        if tensor.dtype not in DTYPE_NAMES:
            raise SafetensorsError(f'{name} is {tensor.dtype}; only float32 and int64 tensors are written.')
        blob = tensor_bytes(tensor)
        header[name] = dict(dtype=DTYPE_NAMES[tensor.dtype], shape=list(tensor.shape),
                            data_offsets=[offset, offset + len(blob)])
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)  # the data then starts 8-byte aligned
    with atomic_file(path) as f:
        f.write(struct.pack('<Q', len(text)) + text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    """Returns (tensors, metadata); refuses a file whose header does not describe its data exactly."""
    with open(path, 'rb') as f:
        data = f.read()
    where = os.path.basename(path)
    if len(data) < 8:
        raise SafetensorsError(f'{where} is too short to be a safetensors file.')
    (header_size,) = struct.unpack('<Q', data[:8])
    if header_size > len(data) - 8:
        raise SafetensorsError(f'{where}: the header claims {header_size} bytes, but the file has {len(data) - 8}.')
    try:
        header = json.loads(data[8:8 + header_size].decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SafetensorsError(f'{where}: the header is not JSON.') from None
    if not isinstance(header, dict):
        raise SafetensorsError(f'{where}: the header is not a JSON object.')
    metadata = header.pop('__metadata__', {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise SafetensorsError(f'{where}: __metadata__ must map names to strings.')
    body = data[8 + header_size:]
    tensors, spans = {}, []
    for name, entry in header.items():
        dtype = entry.get('dtype') if isinstance(entry, dict) else None
        if dtype not in SAFETENSORS_DTYPES:
            raise SafetensorsError(f'{where}: {name} has dtype {dtype!r}; only F32 and I64 are read.')
        shape, offsets = entry.get('shape'), entry.get('data_offsets')
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise SafetensorsError(f'{where}: {name} has no valid shape.')
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)
                and 0 <= offsets[0] <= offsets[1] <= len(body)):
            raise SafetensorsError(f'{where}: {name} has data offsets {offsets} outside the {len(body)} data bytes.')
        itemsize = torch.empty((), dtype=SAFETENSORS_DTYPES[dtype]).element_size()
        count = math.prod(shape)
        if offsets[1] - offsets[0] != count * itemsize:
            raise SafetensorsError(f'{where}: {name} of shape {shape} needs {count * itemsize} bytes, '
                                   f'its offsets give {offsets[1] - offsets[0]}.')
        spans.append((offsets[0], offsets[1], name))
        raw = bytearray(body[offsets[0]:offsets[1]])  # a copy of its own: aligned, writable, freed with the tensor
        tensors[name] = torch.frombuffer(raw, dtype=SAFETENSORS_DTYPES[dtype]).reshape(shape) if count else \
            torch.empty(shape, dtype=SAFETENSORS_DTYPES[dtype])
    end = 0
    for start, stop, name in sorted(spans):
        if start != end:
            problem = 'overlaps the tensor before it' if start < end else f'leaves a gap of {start - end} bytes'
            raise SafetensorsError(f'{where}: {name} {problem}.')
        end = stop
    if end != len(body):
        raise SafetensorsError(f'{where}: {len(body) - end} data bytes belong to no tensor.')
    return tensors, metadata


def weights_metadata(experiment, epoch):
    """What the app needs to rebuild the network from the file alone: the same facts as config.json."""
    dataset = experiment['dataset']
    model = dict(name=experiment['name'], config=experiment['config'], classes=dataset['classes'],
                 side=dataset.get('side'), channels=dataset.get('channels'),
                 datasetName=dataset.get('name', FASHION_MNIST), epoch=epoch)
    return {'format': WEIGHTS_FORMAT, 'version': '1', 'model': json.dumps(model)}


def save_weights(path, model, experiment, epoch):
    write_safetensors(path, model.state_dict(), weights_metadata(experiment, epoch))


def load_weights(model, path):
    """Loads a safetensors file (the app's export or train.py's own) whose names and shapes fit the model."""
    tensors, _ = read_safetensors(path)
    expected = model.state_dict()
    missing = [k for k in expected if k not in tensors]
    unexpected = [k for k in tensors if k not in expected]
    if missing or unexpected:
        listed = lambda keys: ', '.join(keys[:4]) + (f' and {len(keys) - 4} more' if len(keys) > 4 else '')
        problems = ([f'it lacks {listed(missing)}'] if missing else []) + \
            ([f'it has {listed(unexpected)}, which this network does not'] if unexpected else [])
        raise ExperimentError(f'{os.path.basename(path)} does not fit this network: {"; ".join(problems)}. '
                              'Was it saved with other settings?')
    for name, tensor in tensors.items():
        if tuple(tensor.shape) != tuple(expected[name].shape):
            raise ExperimentError(f'{os.path.basename(path)}: {name} has shape {list(tensor.shape)}, this network '
                                  f'needs {list(expected[name].shape)}. Was it saved with other settings?')
    model.load_state_dict(tensors)


def model_from_weights(path):
    """The network a weights file describes (its metadata), with those weights: one file is enough."""
    tensors, metadata = read_safetensors(path)
    if metadata.get('format') != WEIGHTS_FORMAT or 'model' not in metadata:
        raise ExperimentError(f'{os.path.basename(path)} has no "{WEIGHTS_FORMAT}" metadata.')
    facts = json.loads(metadata['model'])
    config = read_config(facts['config'])
    model = build_model(config, facts['channels'], len(facts['classes']))
    load_weights(model, path)
    return model, facts


# ---------------------------------------------------------------------------------------------------------------
# Data: IDX files (src/data/idx.ts), the first N images, augmentation at the stored size, resize, ÷ 255.

IDX_UNSIGNED_BYTE = 0x08  # the only type Fashion-MNIST and the app's image exports use


def read_idx(path):
    with open(path, 'rb') as f:
        raw = f.read()
    if raw[:2] == b'\x1f\x8b':
        raw = gzip.decompress(raw)
    name = os.path.basename(path)
    start = 4 + 4 * raw[3] if len(raw) >= 4 else 4
    if len(raw) < start or raw[0] != 0 or raw[1] != 0 or raw[2] != IDX_UNSIGNED_BYTE:
        raise ExperimentError(f'{name} is not an IDX file of unsigned bytes.')
    dims = struct.unpack(f'>{raw[3]}I', raw[4:start])
    if len(raw) - start != math.prod(dims):
        raise ExperimentError(f'{name}: the header gives {list(dims)}, i.e. {math.prod(dims)} bytes; '
                              f'the file holds {len(raw) - start}.')
    return torch.frombuffer(bytearray(raw[start:]), dtype=torch.uint8).reshape(dims)


def data_paths(experiment, data_dir):
    files = experiment['dataset']['files']
    paths = {}
    for key in DATA_FILES:
        if not isinstance(files.get(key), str):
            raise ExperimentError(f'config.json: dataset.files has no "{key}".')
        paths[key] = os.path.join(data_dir, os.path.basename(files[key])) if data_dir else \
            os.path.join(experiment['folder'], files[key])
    missing = [p for p in paths.values() if not os.path.exists(p)]
    if missing:
        raise ExperimentError(
            'Missing data: ' + ', '.join(missing) + '. Put the four IDX files there or pass --data DIR with the '
            "folder that holds them: for Fashion-MNIST, Debian's dataset-fashion-mnist package or the app's "
            'public/data/fashion-mnist/ have them.')
    return paths


class ImageSplit:
    """The first `count` images of a split, kept at their stored size on the device as uint8 N x C x H x W."""

    def __init__(self, images_path, labels_path, count, classes, device):
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.dim() == 3:
            images = images.unsqueeze(-1)
        if images.dim() != 4 or images.shape[1] != images.shape[2] or labels.dim() != 1:
            raise ExperimentError(f'{os.path.basename(images_path)} does not hold square images [N, H, W(, C)].')
        if labels.shape[0] != images.shape[0]:
            raise ExperimentError(f'{os.path.basename(images_path)} holds {images.shape[0]} images, '
                                  f'{os.path.basename(labels_path)} {labels.shape[0]} labels.')
        if int(labels.max()) >= classes:
            raise ExperimentError(f'{os.path.basename(labels_path)} has label {int(labels.max())}; '
                                  f'config.json names {classes} classes.')
        # The subsets are upper bounds, as in the app: an imported folder may hold fewer images.
        self.count = min(count, images.shape[0])
        self.side, self.channels = images.shape[1], images.shape[3]
        self.images = images[:self.count].permute(0, 3, 1, 2).contiguous().to(device)
        self.labels = labels[:self.count].long().to(device)

    def batch(self, indices, resolution, channels, crops=None):
        """Images in [0, 1] at the run's resolution and channels; `crops` (training only) augment before the resize,
        as the app's DeviceImageSet.batch does."""
        index = torch.as_tensor(indices, device=self.images.device)
        x = self.images[index].float()
        if crops is not None:
            x = augment(x, crops)
        if resolution != self.side:  # half-pixel centres, as tf.image.resizeBilinear(…, halfPixelCenters)
            x = F.interpolate(x, size=(resolution, resolution), mode='bilinear', align_corners=False)
        x = x * (1 / 255)
        if channels != self.channels:
            x = x.repeat(1, channels // self.channels, 1, 1)
        return x, self.labels[index]


def augmentation_draws(count, config, random):
    """src/data/augment.ts: per example an offset in [−p, p] for the top, then the left, then (with flips on) a
    coin; returned as (top, left, flipped) in the image padded by max(p, 1)."""
    padding = config['cropPadding']
    border = max(padding, 1)
    draws = []
    for _ in range(count):
        top = border + math.floor(random() * (2 * padding + 1)) - padding
        left = border + math.floor(random() * (2 * padding + 1)) - padding
        flipped = config['flip'] and random() < 0.5
        draws.append((top, left, flipped))
    return border, draws


def augment(images, crops):
    """RandomCrop(side, padding=p) and RandomHorizontalFlip with the app's draws, at the stored size."""
    border, draws = crops
    side = images.shape[-1]
    padded = F.pad(images, (border, border, border, border))
    out = torch.empty_like(images)
    for i, (top, left, flipped) in enumerate(draws):
        crop = padded[i, :, top:top + side, left:left + side]
        out[i] = crop.flip(-1) if flipped else crop
    return out


# ---------------------------------------------------------------------------------------------------------------
# Optimiser and schedule (src/train/optimizer.ts): PyTorch's own rules, which the app copies.

MOMENTUM = 0.9
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8


def learning_rate_at(config, step, steps_per_epoch):
    """The rate of update `step` (from 0): StepLR stepped once per epoch, cosine annealing over the whole run
    evaluated per update, and a linear warm-up from 0 on top."""
    epoch = step // steps_per_epoch
    rate = config['learningRate']
    if config['schedule'] == 'step':
        rate *= config['gamma'] ** (epoch // config['stepSize'])
    if config['schedule'] == 'cosine':
        rate *= (1 + math.cos(math.pi * step / (config['epochs'] * steps_per_epoch))) / 2
    warmup_steps = config['warmupEpochs'] * steps_per_epoch
    return rate * (step + 1) / warmup_steps if step < warmup_steps else rate


def make_optimizer(config, parameters):
    """Coupled weight decay (g + wd·w) on every parameter, biases and batch-norm scales included, as in the app."""
    if config['optimizer'] == 'adam':
        return torch.optim.Adam(parameters, lr=config['learningRate'], betas=ADAM_BETAS, eps=ADAM_EPS,
                                weight_decay=config['weightDecay'])
    momentum = MOMENTUM if config['optimizer'] == 'momentum' else 0
    return torch.optim.SGD(parameters, lr=config['learningRate'], momentum=momentum,
                           weight_decay=config['weightDecay'])


# ---------------------------------------------------------------------------------------------------------------
# Processes: one, or torchrun's, with DistributedDataParallel.

class Processes:
    def __init__(self, requested_device, threads):
        self.world = int(os.environ.get('WORLD_SIZE', '1'))
        self.rank = int(os.environ.get('RANK', '0'))
        self.local_rank = int(os.environ.get('LOCAL_RANK', '0'))
        local_world = int(os.environ.get('LOCAL_WORLD_SIZE', '1'))
        kind = requested_device or ('cuda' if torch.cuda.is_available() else 'cpu')
        if kind == 'cuda' and not torch.cuda.is_available():
            raise ExperimentError('--device cuda: PyTorch sees no CUDA device here.')
        if kind == 'cuda':
            torch.cuda.set_device(self.local_rank)
            self.device = torch.device('cuda', self.local_rank)
        else:
            self.device = torch.device('cpu')
        self.threads = threads or max(1, (os.cpu_count() or 1) // local_world)
        torch.set_num_threads(self.threads)
        self.backend = 'nccl' if kind == 'cuda' else 'gloo'
        if self.distributed:
            dist.init_process_group(self.backend)

    @property
    def distributed(self):
        return self.world > 1

    @property
    def leader(self):
        return self.rank == 0

    def adapter(self):
        if self.device.type == 'cuda':
            name = f'CUDA: {torch.cuda.get_device_name(self.device)}'
        else:
            name = f'CPU ({self.threads} thread{"s" if self.threads != 1 else ""})'
        return f'{name} ×{self.world} (DDP, {self.backend})' if self.distributed else name

    def total(self, values):
        """Sums a list of numbers over every process."""
        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        if self.distributed:
            dist.all_reduce(tensor)
        return tensor.tolist()

    def share_buffers(self, network):
        """Every process takes rank 0's batch-norm statistics, as DDP's next forward would: each process updated
        its own from its share of the batch."""
        if self.distributed:
            for buffer in network.buffers():
                dist.broadcast(buffer, 0)

    def synchronize(self):
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)

    def close(self):
        if self.distributed:
            dist.destroy_process_group()


def print0(processes, *args):
    if processes.leader:
        print(*args, flush=True)


@contextlib.contextmanager
def atomic_file(path):
    """Writes beside the file and renames, so an interrupted write never leaves half a file behind."""
    temporary = f'{path}.partial'
    with open(temporary, 'wb') as f:
        yield f
    os.replace(temporary, path)


def write_json(path, value):
    with atomic_file(path) as f:
        f.write(json.dumps(value, separators=(',', ':'), ensure_ascii=False).encode())


# ---------------------------------------------------------------------------------------------------------------
# The run: the app's engine loop (src/train/engine.ts) and its record (src/experiments/runHistory.ts).

BATCH_SAMPLES_PER_EPOCH = 10  # the app reads its live loss a few times a second; a sparse curve does here too


def new_record(experiment, adapter):
    dataset = experiment['dataset']
    dataset_ref = None
    if dataset.get('name', FASHION_MNIST) != FASHION_MNIST:
        dataset_ref = dict(id=str(dataset.get('id') or dataset['name']), name=dataset['name'],
                           classes=dataset['classes'], side=dataset.get('side'), channels=dataset.get('channels'))
    return dict(id=f'run-pytorch-{uuid.uuid4().hex[:12]}', name=experiment['name'], config=experiment['config'],
                backend='pytorch', adapter=adapter, status='running', startedAt=int(time.time() * 1000),
                warmupSeconds=None, epochs=[], batchLosses=[], error=None, group=None, evaluation=None,
                dataset=dataset_ref, startedFrom=None)


def runs_export(record):
    return dict(format=RUNS_FORMAT, version=RUN_RECORD_VERSION, runs=[record])


def state_digest(model):
    """A hash of every parameter and buffer, to show that the processes hold the same network."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor_bytes(tensor))
    return digest.hexdigest()


def shard(indices, rank, world):
    """DistributedSampler's split of one global batch: every world-th example, from the process's rank."""
    return indices[rank::world]


MISCLASSIFIED_SHOWN = 24
# Images per forward pass when batch norm's statistics are recomputed: the app's BN_STATS_BATCH (src/train/session.ts).
BN_STATS_BATCH = 500


def recompute_batch_norm(model, split, config, channels):
    """bnStats 'recompute': every batch-norm layer's running mean and variance recomputed over the training images
    before the test pass, as the app does: torch.optim.swa_utils.update_bn over the images in order, BN_STATS_BATCH at
    a time, no augmentation (a cumulative average of each batch's mean and unbiased variance). Every process
    computes them over all the images, so the replicas stay equal."""
    module = getattr(model, 'module', model)
    batches = (split.batch(list(range(start, min(start + BN_STATS_BATCH, split.count))), config['resolution'], channels)[0]
               for start in range(0, split.count, BN_STATS_BATCH))
    torch.optim.swa_utils.update_bn(batches, module)


def predict(model, split, config, channels, processes):
    """The main classifier's class for every test image, in eval mode; each process predicts a share of them."""
    model.eval()
    mine = shard(list(range(split.count)), processes.rank, processes.world)
    predictions = torch.zeros(split.count, dtype=torch.int64, device=processes.device)
    with torch.no_grad():
        for start in range(0, len(mine), config['batchSize']):
            indices = mine[start:start + config['batchSize']]
            x, _ = split.batch(indices, config['resolution'], channels)
            predictions[indices] = model(x)[0].argmax(1)
    if processes.distributed:
        dist.all_reduce(predictions)  # the shares are disjoint, so their sum is every prediction
    return predictions


def evaluation(epoch, predictions, split, classes):
    """The app's Evaluation (src/train/evaluation.ts): accuracy, confusion matrix and the first mistakes."""
    labels = split.labels
    confusion = torch.zeros(len(classes) * len(classes), dtype=torch.int64, device=labels.device)
    confusion.index_add_(0, labels * len(classes) + predictions, torch.ones_like(labels))
    wrong = (predictions != labels).nonzero().flatten()[:MISCLASSIFIED_SHOWN].tolist()
    return dict(
        epoch=epoch, accuracy=(predictions == labels).sum().item() / split.count, classes=list(classes),
        side=split.side, channels=split.channels,
        confusion=confusion.reshape(len(classes), len(classes)).tolist(),
        misclassified=[dict(index=i, label=int(labels[i]), predicted=int(predictions[i]),
                            pixels=split.images[i].permute(1, 2, 0).flatten().tolist()) for i in wrong])


def check_split(config, train_count, world):
    batch = config['batchSize']
    if batch % world:
        raise ExperimentError(f'The batch size {batch} does not split evenly over {world} processes: use a number '
                              f'of processes that divides it, or change batchSize in config.json.')
    last = train_count % batch
    if 0 < last < world:
        raise ExperimentError(f"Each epoch's last batch holds {last} image(s), fewer than the {world} processes: "
                              'change trainSubset or the number of processes.')
    if config['batchNorm'] and (batch // world == 1 or 0 < last < 2 * world):
        # PyTorch refuses batch statistics of one value per channel, which a 1x1 map of one image gives.
        raise ExperimentError('With batch norm every process needs at least 2 images of every batch, the last '
                              f'({last}) included: change batchSize, trainSubset or the number of processes.')
    return batch // world, last


class Run:
    """The app's engine loop (src/train/engine.ts) over this script's processes, and the RunRecord it fills."""

    def __init__(self, args, experiment, processes):
        self.args, self.experiment, self.processes = args, experiment, processes
        self.config = config = experiment['config']
        classes = len(experiment['dataset']['classes'])
        paths = data_paths(experiment, args.data)
        self.train_set = ImageSplit(paths['trainImages'], paths['trainLabels'], config['trainSubset'], classes,
                                    processes.device)
        self.test_set = ImageSplit(paths['testImages'], paths['testLabels'], config['testSubset'], classes,
                                   processes.device)
        self.channels = input_channels(config, self.train_set.channels)
        self.network = build_model(config, self.train_set.channels, classes).to(processes.device)
        self.optimizer = make_optimizer(config, self.network.parameters())
        self.out = args.out or os.path.join('runs', re.sub(r'[^\w.-]+', '-', experiment['name']).strip('-') or 'run')
        self.checkpoint_path = os.path.join(self.out, 'checkpoint.pt')
        self.batches_per_epoch = math.ceil(self.train_set.count / config['batchSize'])
        self.record = new_record(experiment, processes.adapter())
        self.step = self.examples_seen = 0
        self.first_epoch = 1
        elapsed_before = 0.0
        if args.resume:
            elapsed_before = self.resume()
        elif args.weights:
            load_weights(self.network, args.weights)
            print0(processes, f'weights from {args.weights}')
        self.model = self.network
        if processes.distributed:
            self.model = nn.parallel.DistributedDataParallel(
                self.network, device_ids=[processes.local_rank] if processes.device.type == 'cuda' else None)
        self.run_start = time.perf_counter() - elapsed_before
        self.steps_this_session = 0
        self.warmup_seconds = 0.0

    def resume(self):
        """Loads the checkpoint: weights, optimiser state, counters and figures; returns the seconds trained."""
        if not os.path.exists(self.checkpoint_path):
            raise ExperimentError(f'--resume: {self.checkpoint_path} does not exist.')
        saved = torch.load(self.checkpoint_path, map_location=self.processes.device)
        changed = [k for k in self.config if k != 'epochs' and saved['config'][k] != self.config[k]]
        if changed:
            raise ExperimentError(f'--resume: the checkpoint was trained with other settings ({", ".join(changed)}).')
        self.network.load_state_dict(saved['model'])
        self.optimizer.load_state_dict(saved['optimizer'])
        self.step, self.examples_seen = saved['step'], saved['examplesSeen']
        self.first_epoch = saved['epoch'] + 1
        self.record = {**saved['record'], 'config': self.config, 'adapter': self.processes.adapter(),
                       'status': 'running'}
        print0(self.processes, f'resuming {self.checkpoint_path} after epoch {saved["epoch"]} (update {self.step})')
        return saved['elapsedSeconds']

    def stop_requested(self):
        return self.args.max_steps is not None and self.step >= self.args.max_steps

    def train(self):
        """Trains the remaining epochs; returns the run's final status."""
        processes, config = self.processes, self.config
        per_process, last_batch = check_split(config, self.train_set.count, processes.world)
        if processes.leader:
            os.makedirs(self.out, exist_ok=True)
        print0(processes,
               f'{self.experiment["name"]}: {self.train_set.count} training / {self.test_set.count} test images at '
               f'{config["resolution"]}x{config["resolution"]}, {self.batches_per_epoch} updates per epoch on '
               f'{self.record["adapter"]}')
        print0(processes,
               f'global batch {config["batchSize"]} = {processes.world} process(es) x {per_process} images'
               + (f'; the last batch of each epoch, {last_batch} images, is split as evenly as it goes'
                  if last_batch and processes.distributed else ''))
        for epoch in range(self.first_epoch, config['epochs'] + 1):
            if self.stop_requested():
                print0(processes, f'stopped after {self.step} updates (--max-steps), at the end of epoch {epoch - 1}')
                return 'stopped'
            started = time.perf_counter()
            sums = self.train_epoch(epoch)
            if sums is None:
                print0(processes, f'stopped after {self.step} updates (--max-steps), within epoch {epoch}: its '
                                  'updates are not kept in the checkpoint, and --resume trains it again from its start')
                return 'stopped'
            self.finish_epoch(epoch, started, *sums)
        return 'done'

    def train_epoch(self, epoch):
        """One pass over the app's seeded order; returns this process's loss and correct sums, or None if stopped."""
        processes, config = self.processes, self.config
        order = epoch_order(self.train_set.count, config['seed'], epoch)
        # Dropout draws per (seed, epoch, process), so a resumed run repeats them.
        torch.manual_seed((config['seed'] * 1_000_003 + epoch) * 1009 + processes.rank)
        sample_every = max(1, self.batches_per_epoch // BATCH_SAMPLES_PER_EPOCH)
        self.model.train()
        loss_sum = torch.zeros((), dtype=torch.float64, device=processes.device)
        correct_sum = torch.zeros((), dtype=torch.int64, device=processes.device)
        for batch in range(1, self.batches_per_epoch + 1):
            if self.stop_requested():
                return None
            step_start = time.perf_counter()
            indices = order[(batch - 1) * config['batchSize']:batch * config['batchSize']]
            crops = None
            if config['cropPadding'] > 0 or config['flip']:
                # Drawn for the whole global batch, as the app does, then shared out like the images.
                border, draws = augmentation_draws(len(indices), config, augmentation_random(config['seed'], self.step))
                crops = (border, shard(draws, processes.rank, processes.world))
            x, y = self.train_set.batch(shard(indices, processes.rank, processes.world), config['resolution'],
                                        self.channels, crops)
            for group in self.optimizer.param_groups:
                group['lr'] = learning_rate_at(config, self.step, self.batches_per_epoch)
            logits, aux = self.model(x)
            loss = F.cross_entropy(logits, y, reduction='sum')
            for head in aux:
                loss = loss + AUX_LOSS_WEIGHT * F.cross_entropy(head, y, reduction='sum')
            self.optimizer.zero_grad(set_to_none=True)
            # DDP averages gradients over processes; scaled so, the update is that of the global batch's mean loss.
            (loss * (processes.world / len(indices))).backward()
            self.optimizer.step()
            self.step += 1
            self.steps_this_session += 1
            self.examples_seen += len(indices)
            loss_sum += loss.detach()
            correct_sum += (logits.detach().argmax(1) == y).sum()
            if self.steps_this_session == 1:
                processes.synchronize()
                self.warmup_seconds = time.perf_counter() - step_start
                if self.record['warmupSeconds'] is None:
                    self.record['warmupSeconds'] = self.warmup_seconds
            if batch % sample_every == 0:
                (batch_loss,) = processes.total([loss.item()])
                self.record['batchLosses'].append(dict(
                    epoch=epoch, batch=batch, batchesPerEpoch=self.batches_per_epoch, step=self.step,
                    examplesSeen=self.examples_seen, elapsedSeconds=time.perf_counter() - self.run_start,
                    loss=batch_loss / len(indices)))
        return loss_sum, correct_sum

    def finish_epoch(self, epoch, started, loss_sum, correct_sum):
        """Evaluates, records the EpochReport and the evaluation, and saves weights, checkpoint and figures."""
        processes, config = self.processes, self.config
        processes.synchronize()
        train_seconds = time.perf_counter() - started
        processes.share_buffers(self.network)
        epoch_loss, epoch_correct = processes.total([loss_sum.item(), correct_sum.item()])
        examples = self.train_set.count
        if not math.isfinite(epoch_loss):
            self.record['error'] = f'Loss became {epoch_loss} in epoch {epoch} — try a smaller learning rate.'
            self.write_metrics('failed')
            raise ExperimentError(self.record['error'])
        if config['batchNorm'] and config['bnStats'] == 'recompute':
            recompute_batch_norm(self.network, self.train_set, config, self.channels)
        predictions = predict(self.network, self.test_set, config, self.channels, processes)
        self.record['evaluation'] = evaluation(epoch, predictions, self.test_set, self.experiment['dataset']['classes'])
        # The session's first update (CUDA start-up, allocations) is left out of the speed, as the app does.
        warmup = self.warmup_seconds if epoch == self.first_epoch and self.batches_per_epoch > 1 else 0
        first_batch = min(config['batchSize'], examples) if warmup > 0 else 0
        report = dict(
            epoch=epoch, trainLoss=epoch_loss / examples, trainAccuracy=epoch_correct / examples,
            testAccuracy=self.record['evaluation']['accuracy'],
            examplesPerSecond=(examples - first_batch) / (train_seconds - warmup),
            trainSeconds=train_seconds, epochSeconds=time.perf_counter() - started, step=self.step,
            examplesSeen=self.examples_seen, elapsedSeconds=time.perf_counter() - self.run_start, numTensors=0)
        self.record['epochs'].append(report)
        print0(processes, f'epoch {epoch}/{config["epochs"]}: loss {report["trainLoss"]:.4f}, '
                          f'train {report["trainAccuracy"]:.4f}, test {report["testAccuracy"]:.4f}, '
                          f'{report["examplesPerSecond"]:.0f} images/s, '
                          f'lr {learning_rate_at(config, self.step - 1, self.batches_per_epoch):.4g}')
        self.record['status'] = 'done' if epoch == config['epochs'] else 'running'
        if processes.leader:
            save_weights(os.path.join(self.out, 'weights.safetensors'), self.network, self.experiment, epoch)
            with atomic_file(self.checkpoint_path) as f:
                torch.save(dict(config=config, model=self.network.state_dict(),
                                optimizer=self.optimizer.state_dict(), epoch=epoch, step=self.step,
                                examplesSeen=self.examples_seen, elapsedSeconds=report['elapsedSeconds'],
                                record=self.record), f)
        self.write_metrics(self.record['status'])

    def write_metrics(self, status):
        self.record['status'] = status
        if self.processes.leader:
            write_json(os.path.join(self.out, 'metrics.json'), runs_export(self.record))


def run(args, experiment, processes):
    session = Run(args, experiment, processes)
    if args.evaluate_only:
        if not args.weights:
            raise ExperimentError('--evaluate-only needs --weights FILE.safetensors.')
        predictions = predict(session.network, session.test_set, session.config, session.channels, processes)
        accuracy = (predictions == session.test_set.labels).sum().item() / session.test_set.count
        print0(processes, f'test accuracy {accuracy:.4f} on {session.test_set.count} images ({args.weights})')
        # The app's confusion matrix summed by column: how many images each class was predicted for.
        per_class = torch.bincount(predictions.cpu(), minlength=len(session.experiment['dataset']['classes'])).tolist()
        print0(processes, f'predicted per class {json.dumps(per_class)}')
        return 0
    session.write_metrics(session.train())
    weights = f'; {session.out}/weights.safetensors loads in its Models panel' if session.record['epochs'] else ''
    print0(processes, f"wrote {session.out}/metrics.json: import it with the app's Import button{weights}")
    if processes.distributed:
        processes.share_buffers(session.network)
        print(f'rank {processes.rank}/{processes.world}: state sha256 {state_digest(session.network)}', flush=True)
    return 0


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description='Train the GoogLeNet Playground network of config.json with PyTorch.')
    ap.add_argument('--config', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'config.json'))
    ap.add_argument('--data', help='the folder holding the four IDX files (default: the paths in config.json)')
    ap.add_argument('--out', help='where metrics, weights and the checkpoint go (default runs/<name>)')
    ap.add_argument('--resume', action='store_true', help="continue from --out's checkpoint.pt")
    ap.add_argument('--epochs', type=int, help="train this many epochs instead of config.json's")
    ap.add_argument('--device', choices=('cpu', 'cuda'), help='default: cuda when PyTorch sees a GPU')
    ap.add_argument('--threads', type=int, help='CPU threads per process (default: the cores ÷ local processes)')
    ap.add_argument('--max-steps', type=int, help='stop after this many updates in all (quick checks)')
    ap.add_argument('--weights', help='start from (or, with --evaluate-only, test) these .safetensors weights')
    ap.add_argument('--evaluate-only', action='store_true', help='report the test accuracy of --weights and stop')
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    processes = None
    try:
        experiment = read_experiment(args.config)
        if args.epochs is not None:
            if args.epochs < 1:
                raise ExperimentError('--epochs must be at least 1.')
            experiment['config']['epochs'] = args.epochs
        processes = Processes(args.device, args.threads)
        return run(args, experiment, processes)
    except ExperimentError as error:
        print(f'train.py: {error}', file=sys.stderr, flush=True)
        return 1
    finally:
        if processes is not None:
            processes.close()


if __name__ == '__main__':
    sys.exit(main())
