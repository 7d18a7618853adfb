"""Proof that a run exported as a PyTorch experiment is the app's run (issue 13), in three checks:

1. App → PyTorch: every fixtures/app-*.safetensors (the app's weights, written by app_fixture.ts) loads into
   train.py's model from its metadata alone and gives the app's logits for the fixed batch beside it, to 1e-4.
2. PyTorch → app: a small model (32×32, width 0.125, batch norm and auxiliary heads, a few updates so the
   batch-norm statistics are not trivial) saved as safetensors loads back to the same logits; with
   --write-fixtures it becomes fixtures/torch-bn-aux.* for the app's loader test in Node.
   Damaged files (offsets, shapes or the header length that lie) are refused with a message.
3. torchrun: two CPU processes (gloo) train a tiny run for one epoch and stop (--max-steps), then resume for the
   second; both processes hold bitwise the same weights, the run equals one trained without a break, the weights
   file is those weights, and metrics.json is a run export the app imports (copied to fixtures/metrics.json with
   --write-fixtures). Without dropout and batch norm, two processes make the updates of one, to 1e-6.

    /usr/bin/python3 scripts/pytorch/check_export.py [--write-fixtures] [--app-fixtures DIR]

Exits non-zero on any failure. Without torch it says so and exits 0, unless REQUIRE_TORCH=1.
"""
import argparse, glob, importlib.util, json, math, os, re, shutil, struct, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, 'scripts', 'pytorch', 'fixtures')
TRAIN_PY = os.path.join(ROOT, 'src', 'experiments', 'pytorch', 'train.py')
DATA = os.path.join(ROOT, 'public', 'data', 'fashion-mnist')
TRAIN_CONFIG_TS = os.path.join(ROOT, 'src', 'config', 'trainConfig.ts')
LOGIT_TOLERANCE = 1e-4
CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']

try:
    import torch
except ImportError:
    print('check_export.py: PyTorch is not installed (apt-get install python3-torch), so nothing was checked.')
    sys.exit(1 if os.environ.get('REQUIRE_TORCH') == '1' else 0)


def load_train_module():
    spec = importlib.util.spec_from_file_location('train', TRAIN_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train = load_train_module()


class Checks:
    def __init__(self):
        self.failures = []

    def expect(self, ok, message):
        print(f"  {'ok  ' if ok else 'FAIL'} {message}", flush=True)
        if not ok:
            self.failures.append(message)


def typescript_defaults():
    """DEFAULT_CONFIG of src/config/trainConfig.ts, read from its source, so train.py's copy cannot drift."""
    with open(TRAIN_CONFIG_TS) as f:
        source = f.read()
    constants = {name: int(value.replace('_', '')) for name, value in
                 re.findall(r'export const (\w+) = ([\d_]+);', source)}
    block = re.search(r'export const DEFAULT_CONFIG: TrainConfig = \{(.*?)\n\};', source, re.S).group(1)
    defaults = {}
    for key, raw in re.findall(r'^\s*(\w+): (.+?),$', block, re.M):
        if raw in ('true', 'false'):
            defaults[key] = raw == 'true'
        elif raw.startswith("'"):
            defaults[key] = raw.strip("'")
        elif raw in constants:
            defaults[key] = constants[raw]
        else:
            defaults[key] = float(raw) if '.' in raw else int(raw)
    return defaults


def nchw(flat, shape):
    n, h, w, c = shape
    return torch.tensor(flat, dtype=torch.float32).reshape(n, h, w, c).permute(0, 3, 1, 2)


def max_difference(a, b):
    return (a - b.reshape(a.shape)).abs().max().item()


def check_app_weights(checks, folder):
    print(f'1. app → PyTorch: {folder}/app-*.safetensors')
    paths = sorted(glob.glob(os.path.join(folder, 'app-*.safetensors')))
    checks.expect(len(paths) > 0, f'{len(paths)} app weight files (scripts/pytorch/app_fixture.ts writes them)')
    for path in paths:
        with open(path[:-len('.safetensors')] + '.logits.json') as f:
            expected = json.load(f)
        model, facts = train.model_from_weights(path)
        model.eval()
        with torch.no_grad():
            logits, aux = model(nchw(expected['input'], expected['inputShape']))
        difference = max_difference(logits, torch.tensor(expected['logits']))
        checks.expect(difference <= LOGIT_TOLERANCE,
                      f'{os.path.basename(path)} ({describe(facts["config"])}): logits differ by at most '
                      f'{difference:.2e} (≤ {LOGIT_TOLERANCE:g})')
        for index, (head, values) in enumerate(zip(aux, expected.get('aux', [])), start=1):
            difference = max_difference(head, torch.tensor(values))
            checks.expect(difference <= LOGIT_TOLERANCE, f'  aux{index} logits differ by at most {difference:.2e}')


def describe(config):
    switches = [key for key in ('auxHeads', 'dropout', 'batchNorm', 'factorize5x5') if config[key]]
    return (f"{config['model']}, {config['resolution']}px, width {config['width']}, {config['activation']}, "
            f"{config['poolBranch']} pool, {config['init']}" + ''.join(f', {s}' for s in switches))


def small_experiment(**settings):
    config = dict(train.DEFAULT_CONFIG, resolution=32, width=0.125, **settings)
    dataset = dict(name='Fashion-MNIST', classes=CLASSES, side=28, channels=1, files={
        'trainImages': 'data/train-images-idx3-ubyte.gz', 'trainLabels': 'data/train-labels-idx1-ubyte.gz',
        'testImages': 'data/t10k-images-idx3-ubyte.gz', 'testLabels': 'data/t10k-labels-idx1-ubyte.gz'})
    return dict(format=train.EXPERIMENT_FORMAT, version=1, name='check_export', config=config, dataset=dataset)


def torch_weights(folder):
    """Writes torch-bn-aux.safetensors and .logits.json into `folder`; returns their paths."""
    # A small run's subsets, so that the browser test evaluates the loaded model on its 64 test images quickly.
    experiment = small_experiment(batchNorm=True, auxHeads=True, seed=7, trainSubset=256, testSubset=64)
    model = train.build_model(experiment['config'], 1, len(CLASSES))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    generator = torch.Generator().manual_seed(7)
    model.train()
    for _ in range(3):
        x = torch.rand(16, 1, 32, 32, generator=generator)
        y = torch.randint(0, len(CLASSES), (16,), generator=generator)
        logits, aux = model(x)
        loss = torch.nn.functional.cross_entropy(logits, y) + sum(
            train.AUX_LOSS_WEIGHT * torch.nn.functional.cross_entropy(head, y) for head in aux)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    x = torch.rand(3, 32, 32, 1, generator=generator)  # NHWC, as the app takes images
    with torch.no_grad():
        logits, aux = model(x.permute(0, 3, 1, 2))
    weights = os.path.join(folder, 'torch-bn-aux.safetensors')
    train.save_weights(weights, model, experiment, epoch=1)
    expected = os.path.join(folder, 'torch-bn-aux.logits.json')
    with open(expected, 'w') as f:
        json.dump(dict(input=x.reshape(-1).tolist(), inputShape=list(x.shape), logits=logits.reshape(-1).tolist(),
                       aux=[head.reshape(-1).tolist() for head in aux]), f, separators=(',', ':'))
    return weights, expected


def check_loads_back(checks, weights, expected, label):
    model, _ = train.model_from_weights(weights)
    model.eval()
    with open(expected) as f:
        values = json.load(f)
    with torch.no_grad():
        logits, aux = model(nchw(values['input'], values['inputShape']))
    difference = max(max_difference(logits, torch.tensor(values['logits'])),
                     *(max_difference(h, torch.tensor(v)) for h, v in zip(aux, values['aux'])))
    tracked = model.state_dict()['b1_conv_7x7.bn.num_batches_tracked'].item()
    checks.expect(difference <= LOGIT_TOLERANCE and tracked == 3,
                  f'{label} loads back: logits and aux logits differ by at most {difference:.2e}, '
                  f'batch norm tracked {tracked} batches')


def check_refusals(checks, weights, folder):
    with open(weights, 'rb') as f:
        data = f.read()
    (size,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + size])
    first = next(key for key in header if key != '__metadata__')

    def damaged(change):
        broken = json.loads(json.dumps(header))
        change(broken)
        text = json.dumps(broken).encode()
        text += b' ' * (-len(text) % 8)
        return struct.pack('<Q', len(text)) + text + data[8 + size:]

    cases = {
        'offsets past the data': damaged(lambda h: h[first].update(data_offsets=[0, len(data)])),
        'a shape that needs other bytes': damaged(lambda h: h[first].update(shape=[1, 2, 3])),
        'an unknown dtype': damaged(lambda h: h[first].update(dtype='F16')),
        'a header longer than the file': struct.pack('<Q', len(data)) + data[8:],
        'a truncated data section': data[:-4],
    }
    for label, content in cases.items():
        path = os.path.join(folder, 'damaged.safetensors')
        with open(path, 'wb') as f:
            f.write(content)
        try:
            train.read_safetensors(path)
            checks.expect(False, f'a file with {label} is refused')
        except train.SafetensorsError as error:
            checks.expect(True, f'a file with {label} is refused: {error}')


def check_torch_weights(checks, write_fixtures, scratch):
    print('2. PyTorch → app: torch-bn-aux.safetensors')
    folder = FIXTURES if write_fixtures else scratch
    weights, expected = torch_weights(folder)
    check_loads_back(checks, weights, expected, f'{"written" if write_fixtures else "regenerated"} file')
    committed = os.path.join(FIXTURES, 'torch-bn-aux.safetensors')
    if not write_fixtures and os.path.exists(committed):
        check_loads_back(checks, committed, os.path.join(FIXTURES, 'torch-bn-aux.logits.json'), 'committed fixture')
    check_refusals(checks, weights, scratch)


EPOCH_FIELDS = ('epoch', 'trainLoss', 'trainAccuracy', 'testAccuracy', 'examplesPerSecond', 'trainSeconds',
                'epochSeconds', 'step', 'examplesSeen', 'elapsedSeconds', 'numTensors')
SAMPLE_FIELDS = ('epoch', 'batch', 'batchesPerEpoch', 'step', 'examplesSeen', 'elapsedSeconds', 'loss')


def import_problems(export, config):
    """What the app's parseExportedRuns / migrateRun (src/experiments/runExchange.ts, runMigration.ts) would refuse or lose."""
    problems = []
    if export.get('format') != 'googlenet-playground-runs' or export.get('version') != 3:
        problems.append('format/version')
    runs = export.get('runs')
    if not isinstance(runs, list) or len(runs) != 1:
        return problems + ['runs']
    run = runs[0]
    number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if not isinstance(run.get('id'), str) or not run['id']:
        problems.append('id')
    if run.get('config') != config or train.read_config(run.get('config')) != config:
        problems.append('config')
    if run.get('backend') != 'pytorch' or not isinstance(run.get('adapter'), str):
        problems.append('backend/adapter')
    if run.get('status') not in ('running', 'done', 'stopped', 'failed', 'interrupted', 'paused'):
        problems.append('status')
    if not number(run.get('startedAt')):
        problems.append('startedAt')
    for key in ('name', 'error', 'group', 'evaluation', 'dataset', 'startedFrom', 'warmupSeconds'):
        if key not in run:
            problems.append(key)
    for report in run.get('epochs', []):
        problems += [f'epochs.{f}' for f in EPOCH_FIELDS if not number(report.get(f))]
    for sample in run.get('batchLosses', []):
        problems += [f'batchLosses.{f}' for f in SAMPLE_FIELDS if not number(sample.get(f))]
    evaluation = run.get('evaluation') or {}
    confusion = evaluation.get('confusion', [])
    side, channels = evaluation.get('side'), evaluation.get('channels')
    if run.get('epochs') and (
            evaluation.get('accuracy') != run['epochs'][-1]['testAccuracy']
            or sum(map(sum, confusion)) != config['testSubset']
            or sum(confusion[i][i] for i in range(len(confusion))) != round(evaluation['accuracy'] * config['testSubset'])
            or not all(m['label'] != m['predicted'] and len(m['pixels']) == side * side * channels
                       for m in evaluation.get('misclassified', []))):
        problems.append('evaluation')
    return problems


def check_global_batch(checks, scratch):
    """Without dropout or batch norm, whose draws and statistics depend on the split, two processes make one process's
    updates: the last batch (59 images) is split 30 / 29, and the loss scaling still gives the whole batch's mean."""
    folder = os.path.join(scratch, 'split')
    os.makedirs(folder)
    experiment = small_experiment(trainSubset=251, testSubset=64, batchSize=64, epochs=1, optimizer='momentum')
    with open(os.path.join(folder, 'config.json'), 'w') as f:
        json.dump(experiment, f)
    single = subprocess.run([sys.executable, TRAIN_PY, '--config', os.path.join(folder, 'config.json'), '--data', DATA,
                             '--out', os.path.join(folder, 'single'), '--device', 'cpu', '--threads', '1'],
                            capture_output=True, text=True)
    code, _, _ = torchrun(folder, os.path.join(folder, 'two'))
    if single.returncode != 0 or code != 0:
        checks.expect(False, f'one-process and two-process runs of 251 images ({single.stderr[-500:]})')
        return
    one, _ = train.read_safetensors(os.path.join(folder, 'single', 'weights.safetensors'))
    two, _ = train.read_safetensors(os.path.join(folder, 'two', 'weights.safetensors'))
    difference = max((one[key].double() - two[key].double()).abs().max().item() for key in one)
    checks.expect(difference <= 1e-6, f'4 updates of batch 64 on 2 processes (last batch 30 + 29 images) give the '
                                      f'weights of 1 process to {difference:.1e}')


def torchrun(folder, out, *flags):
    # torchrun is torch.distributed.run's console script; run as a module, it is surely this Python's torch.
    command = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2',
               # torch 1.13's launcher cannot parse its own default "0" for these under Python 3.11.
               '--redirects', '1', '--tee', '1', '--log_dir', os.path.join(folder, 'logs'),
               TRAIN_PY, '--config', os.path.join(folder, 'config.json'), '--data', DATA, '--out', out,
               '--device', 'cpu', '--threads', '1', *flags]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    digests = dict(re.findall(r'rank (\d)/2: state sha256 ([0-9a-f]{64})', result.stdout))
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:])
    return result.returncode, digests, seconds


def check_torchrun(checks, write_fixtures, scratch):
    print('3. torchrun --standalone --nproc_per_node=2 train.py (gloo, CPU)')
    experiment = small_experiment(trainSubset=256, testSubset=64, batchSize=64, epochs=2, batchNorm=True,
                                  auxHeads=True, dropout=True, cropPadding=2, flip=True, optimizer='momentum',
                                  schedule='cosine', weightDecay=1e-4)
    with open(os.path.join(scratch, 'config.json'), 'w') as f:
        json.dump(experiment, f)
    resumed, straight = os.path.join(scratch, 'resumed'), os.path.join(scratch, 'straight')

    code, first, seconds = torchrun(scratch, resumed, '--max-steps', '4')
    checks.expect(code == 0 and len(first) == 2 and first.get('0') == first.get('1'),
                  f'epoch 1 (4 updates, stopped by --max-steps) in {seconds:.1f} s: both processes hold '
                  f'the same weights, sha256 {first.get("0", "?")[:16]}… / {first.get("1", "?")[:16]}…')
    with open(os.path.join(resumed, 'metrics.json')) as f:
        stopped = json.load(f)['runs'][0]
    checks.expect(stopped['status'] == 'stopped' and len(stopped['epochs']) == 1,
                  f'after epoch 1: status {stopped["status"]}, {len(stopped["epochs"])} epoch(s)')

    code, second, seconds = torchrun(scratch, resumed, '--resume')
    checks.expect(code == 0 and len(second) == 2 and second.get('0') == second.get('1'),
                  f'--resume trains epoch 2 in {seconds:.1f} s: both processes hold the same weights')
    with open(os.path.join(resumed, 'metrics.json')) as f:
        export = json.load(f)
    run = export['runs'][0]
    problems = import_problems(export, experiment['config'])
    checks.expect(not problems, f'metrics.json imports as a run (problems: {problems or "none"})')
    checks.expect(run['status'] == 'done' and [e['epoch'] for e in run['epochs']] == [1, 2]
                  and run['id'] == stopped['id'] and run['epochs'][-1]['step'] == 8
                  and run['epochs'][-1]['examplesSeen'] == 512,
                  f'the resumed run: status {run["status"]}, epochs {[e["epoch"] for e in run["epochs"]]}, '
                  f'{run["epochs"][-1]["step"]} updates, {run["epochs"][-1]["examplesSeen"]} examples, '
                  f'adapter "{run["adapter"]}"')
    for report in run['epochs']:
        print(f'       epoch {report["epoch"]}: loss {report["trainLoss"]:.4f}, train {report["trainAccuracy"]:.4f}, '
              f'test {report["testAccuracy"]:.4f}, {report["examplesPerSecond"]:.0f} images/s')

    model = train.build_model(experiment['config'], 1, len(CLASSES))
    train.load_weights(model, os.path.join(resumed, 'weights.safetensors'))
    checks.expect(train.state_digest(model) == second.get('0'), 'weights.safetensors holds those weights')

    code, uninterrupted, seconds = torchrun(scratch, straight)
    checks.expect(code == 0 and uninterrupted.get('0') == second.get('0'),
                  f'two epochs without a break ({seconds:.1f} s) give bitwise the weights of the resumed run')
    check_global_batch(checks, scratch)
    if write_fixtures:
        shutil.copyfile(os.path.join(resumed, 'metrics.json'), os.path.join(FIXTURES, 'metrics.json'))
        print(f'       wrote {os.path.relpath(os.path.join(FIXTURES, "metrics.json"), ROOT)}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--write-fixtures', action='store_true', help='write torch-bn-aux.* and metrics.json')
    ap.add_argument('--app-fixtures', default=FIXTURES, help='where the app-*.safetensors files are')
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    started = time.perf_counter()
    checks = Checks()
    print(f'torch {torch.__version__}, {TRAIN_PY}')
    print('0. train.py follows the app: DEFAULT_CONFIG as in src/config/trainConfig.ts')
    defaults = typescript_defaults()
    checks.expect(defaults == train.DEFAULT_CONFIG,
                  f'{len(defaults)} settings, the same values' if defaults == train.DEFAULT_CONFIG else
                  f'differ: {sorted(set(defaults.items()) ^ set(train.DEFAULT_CONFIG.items()))}')
    os.makedirs(FIXTURES, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        check_app_weights(checks, a.app_fixtures)
        check_torch_weights(checks, a.write_fixtures, scratch)
        check_torchrun(checks, a.write_fixtures, scratch)
    print(f'{len(checks.failures)} failure(s) in {time.perf_counter() - started:.0f} s')
    return 1 if checks.failures else 0


if __name__ == '__main__':
    sys.exit(main())
