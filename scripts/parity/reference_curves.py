"""PyTorch reference curves for the d2l study at the scales the app offers, and for its first-visit settings.

The scales, presets and first-visit settings come from src/experiments/d2lStudy.json, the file the app reads too,
so the two cannot drift apart (src/experiments/reference.test.ts checks the shipped file against it). Each run is
d2l's train_ch6 on the app's terms: GoogLeNet from make_fixture.py (Xavier-uniform weights, PyTorch's default
biases, batch norm where the scale switches it on), the first N training and test images of Fashion-MNIST, a
bilinear resize with half-pixel centres then ÷ 255, a fresh seeded shuffle every epoch with the last smaller batch
kept, plain SGD, cross-entropy; train loss and accuracy are the epoch's running means, test accuracy is measured
after each epoch in eval mode. With batch norm and bnStats 'recompute' (every +BN scale), the statistics the test
pass uses are first recomputed over the training images, as torch.optim.swa_utils.update_bn computes them (a
cumulative average of each batch's mean and unbiased variance, in batches of BN_STATS_BATCH images taken in order,
no augmentation); with 'running', the test pass uses the running averages that training left.

Run with Debian's PyTorch (`apt-get install python3-torch`), from the repository root:
    /usr/bin/python3 scripts/parity/reference_curves.py                      # every reference, written to public/
    /usr/bin/python3 scripts/parity/reference_curves.py --scale classroom --seeds 1,2,3 --out /tmp/c.json
    /usr/bin/python3 scripts/parity/reference_curves.py --device cuda --jobs 5   # on a GPU machine
"""
import argparse, gzip, json, math, os, platform, struct, time
from concurrent.futures import ProcessPoolExecutor

import torch, torch.nn.functional as F

from make_fixture import GoogLeNet

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STUDY = os.path.join(ROOT, 'src', 'experiments', 'd2lStudy.json')
DATA = os.path.join(ROOT, 'public', 'data', 'fashion-mnist')
OUT = os.path.join(ROOT, 'public', 'reference', 'pytorch-reference.json')

# d2l's faithful settings: what a scale's or the first visit's settings replace (src/config/trainConfig.ts).
FAITHFUL = dict(batchSize=64, learningRate=0.05, epochs=25, trainSubset=60000, testSubset=10000, resolution=96,
                width=1, seed=1, batchNorm=False, bnStats='running')
# Images per forward pass when the batch-norm statistics are recomputed: the app's BN_STATS_BATCH (src/train/session.ts).
BN_STATS_BATCH = 500
MODELLED = set(FAITHFUL)  # a setting beyond these would need more of the app's switches than this script builds


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), 'rb') as f:
        raw = f.read()
    dims = raw[3]
    shape = struct.unpack(f'>{dims}I', raw[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(raw[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def preset_id(preset):
    lr = preset['learningRate']
    return f"d2l-lr{lr:g}-bs{preset['batchSize']}"


def scaled_settings(preset, scale, seed):
    """The TypeScript scaledPresetConfig: the scale's settings, epochs ÷ the divisor (rounded up), batch ≤ subset."""
    settings = {**FAITHFUL, **scale['settings'], 'learningRate': preset['learningRate'], 'seed': seed}
    settings['epochs'] = math.ceil(preset['epochs'] / scale['epochDivisor'])
    settings['batchSize'] = min(preset['batchSize'], settings['trainSubset'])
    return settings


def planned_runs(study, scales, seeds, include_first_visit):
    runs = []
    for scale_name in scales:
        scale = study['scales'][scale_name]
        for preset in study['presets']:
            for seed in seeds:
                runs.append(dict(kind='study', scale=scale_name, preset=preset_id(preset),
                                 settings=scaled_settings(preset, scale, seed)))
    if include_first_visit:
        for seed in seeds:
            runs.append(dict(kind='first-visit', scale=None, preset=None,
                             settings={**FAITHFUL, **study['firstVisit'], 'seed': seed}))
    return runs


def images(raw, count, resolution, device):
    x = raw[:count].to(device=device, dtype=torch.float32).unsqueeze(1)
    if resolution != x.shape[-1]:
        x = F.interpolate(x, size=(resolution, resolution), mode='bilinear', align_corners=False)
    return x / 255


def train(run, device, threads):
    torch.set_num_threads(threads)
    s = run['settings']
    unknown = set(s) - MODELLED
    if unknown:
        raise SystemExit(f'this script does not build the settings {sorted(unknown)}')
    torch.manual_seed(s['seed'])
    train_x = images(read_idx('train-images-idx3-ubyte.gz'), s['trainSubset'], s['resolution'], device)
    train_y = read_idx('train-labels-idx1-ubyte.gz')[:s['trainSubset']].long().to(device)
    test_x = images(read_idx('t10k-images-idx3-ubyte.gz'), s['testSubset'], s['resolution'], device)
    test_y = read_idx('t10k-labels-idx1-ubyte.gz')[:s['testSubset']].long().to(device)
    net = GoogLeNet(s['width'], bn=s['batchNorm'])
    net.eval()  # sizing the lazy layers must not touch batch norm's running statistics
    with torch.no_grad():
        net(torch.zeros(1, 1, s['resolution'], s['resolution']))
    net.init_weights()
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=s['learningRate'])
    order = torch.Generator().manual_seed(s['seed'])
    epochs, train_seconds = [], 0.0
    for epoch in range(1, s['epochs'] + 1):
        net.train()
        loss_sum, correct, start = 0.0, 0, time.perf_counter()
        permutation = torch.randperm(len(train_y), generator=order).to(device)
        loss_sums, correct_sums = [], []
        for first in range(0, len(train_y), s['batchSize']):
            batch = permutation[first:first + s['batchSize']]
            logits = net(train_x[batch])[0]
            loss = F.cross_entropy(logits, train_y[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sums.append(loss.detach() * len(batch))
            correct_sums.append((logits.argmax(1) == train_y[batch]).sum())
        loss_sum = torch.stack(loss_sums).sum().item()
        correct = torch.stack(correct_sums).sum().item()
        train_seconds += time.perf_counter() - start
        if s['batchNorm'] and s['bnStats'] == 'recompute':
            torch.optim.swa_utils.update_bn([train_x[i:i + BN_STATS_BATCH] for i in range(0, len(train_y), BN_STATS_BATCH)], net)
        net.eval()
        with torch.no_grad():
            test_correct = sum((net(test_x[i:i + 500])[0].argmax(1) == test_y[i:i + 500]).sum().item()
                               for i in range(0, len(test_y), 500))
        epochs.append(dict(epoch=epoch, trainLoss=round(loss_sum / len(train_y), 4),
                           trainAccuracy=round(correct / len(train_y), 4),
                           testAccuracy=round(test_correct / len(test_y), 4)))
        if not math.isfinite(loss_sum):
            break
    examples = len(train_y) * len(epochs)
    result = {**run, 'examplesPerSecond': round(examples / train_seconds, 1), 'epochs': epochs}
    last = epochs[-1]
    print(f"{run['kind']:11} {run['scale'] or '':9} bs {s['batchSize']:4} lr {s['learningRate']:<5} seed {s['seed']} "
          f"epochs {len(epochs):2}: loss {last['trainLoss']:.3f} train {last['trainAccuracy']:.3f} "
          f"test {last['testAccuracy']:.3f} · {result['examplesPerSecond']} ex/s", flush=True)
    return result


def machine(device):
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(0)
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            model = next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    return f'{model} (CPU)'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--scale', action='append', help='a scale of d2lStudy.json (default: every scale but faithful)')
    ap.add_argument('--seeds', default='1', help='comma-separated seeds (default 1, the app\'s default seed)')
    ap.add_argument('--no-first-visit', action='store_true', help='leave out the first-visit settings')
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--jobs', type=int, default=1, help='runs in parallel, each with threads ÷ jobs threads')
    ap.add_argument('--threads', type=int, default=os.cpu_count())
    ap.add_argument('--out', default=OUT)
    ap.add_argument('--merge', action='store_true', help='keep the runs of --out that this call does not measure')
    ap.add_argument('--study', default=STUDY, help='another study file, to try candidate scales')
    a = ap.parse_args()
    with open(a.study) as f:
        study = json.load(f)
    scales = a.scale or [name for name in study['scales'] if name != 'faithful']
    runs = planned_runs(study, scales, [int(s) for s in a.seeds.split(',')], not a.no_first_visit)
    threads = max(1, a.threads // a.jobs)
    started = time.time()
    if a.jobs == 1:
        results = [train(run, a.device, threads) for run in runs]
    else:
        with ProcessPoolExecutor(a.jobs) as pool:
            results = list(pool.map(train, runs, [a.device] * len(runs), [threads] * len(runs)))
    where = dict(device=machine(a.device), torch=torch.__version__, threads=threads, runsInParallel=a.jobs)
    results = [{**result, **where} for result in results]
    # Runs made elsewhere (a GPU machine for the larger scales) stay, unless this call measured the same run again.
    kept = []
    if a.merge and os.path.exists(a.out):
        with open(a.out) as f:
            measured = {identity(r) for r in results}
            kept = [r for r in json.load(f)['runs'] if identity(r) not in measured]
    report = dict(generator='scripts/parity/reference_curves.py', runs=kept + results)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, 'w') as f:
        json.dump(report, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {a.out}: {len(results)} runs measured in {time.time() - started:.0f} s, {len(kept)} kept')


def identity(run):
    return run['kind'], run['scale'], run['preset'], run['settings']['seed']


if __name__ == '__main__':
    main()
