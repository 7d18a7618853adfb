"""The app's own network in PyTorch (train.py's build_model, every setting as the app's config), timed per training
step: forward, the app's loss, backward and the SGD update, on random images, median of the timed steps after a
warm-up. The PyTorch side of the benchmark's "this app against PyTorch on the same machine" ratios, on the CPU or a
CUDA GPU.

    /usr/bin/python3 scripts/pytorch/step_speed.py --resolution 32 --width 0.25 --batch-norm --batch 32 --threads 2 \
        [--steps 30] [--json docs/pytorch-step-classroom-cpu.json]
    python3 scripts/pytorch/step_speed.py --device cuda --cases faithful:64,128 classroom:8,32,64 \
        --precision fp32,default --json OUT/pytorch-step.json

--cases names the benchmark's models (src/bench/cases.ts: faithful 96×96 width 1; classroom 32×32 width ¼ with
batch norm; reduced 32×32 width ¼) with batch sizes; --precision fp32 is strict float32 (TF32 off for matrix
products and cuDNN, as WebGPU computes), default is PyTorch's own (cuDNN may use TF32).
"""
import argparse, datetime, importlib.util, json, os, platform, statistics, time
import torch
import torch.nn.functional as F

TRAIN_PY = os.path.join(os.path.dirname(__file__), '..', '..', 'src', 'experiments', 'pytorch', 'train.py')
FASHION_MNIST_CHANNELS, CLASSES = 1, 10
MODELS = {  # src/bench/cases.ts BENCH_MODELS
    'faithful': dict(resolution=96, width=1.0, batchNorm=False),
    'reduced': dict(resolution=32, width=0.25, batchNorm=False),
    'classroom': dict(resolution=32, width=0.25, batchNorm=True),
}


def load_train_module():
    spec = importlib.util.spec_from_file_location('train', TRAIN_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def set_precision(precision):
    strict = precision == 'fp32'
    torch.backends.cuda.matmul.allow_tf32 = not strict and torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = not strict


def time_step(train, device, model_settings, batch, warmup, steps):
    config = dict(train.DEFAULT_CONFIG, **model_settings, batchSize=batch, learningRate=0.01)
    channels = train.input_channels(config, FASHION_MNIST_CHANNELS)
    model = train.build_model(config, FASHION_MNIST_CHANNELS, CLASSES).to(device)
    model.train()
    optimizer = train.make_optimizer(config, model.parameters())
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(batch, channels, config['resolution'], config['resolution'], generator=generator).to(device)
    y = torch.randint(0, CLASSES, (batch,), generator=generator).to(device)
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)

    def step():
        optimizer.zero_grad(set_to_none=True)
        logits, aux = model(x)
        loss = F.cross_entropy(logits, y) + sum(train.AUX_LOSS_WEIGHT * F.cross_entropy(h, y) for h in aux)
        loss.backward()
        optimizer.step()

    start = time.perf_counter()
    step()
    sync()
    first = (time.perf_counter() - start) * 1000
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        sync()
        times.append((time.perf_counter() - start) * 1000)
    return first, times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--resolution', type=int, default=32)
    ap.add_argument('--width', type=float, default=0.25)
    ap.add_argument('--batch-norm', action='store_true')
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--cases', nargs='*', help='model:batch,batch … (instead of --resolution, --width, --batch-norm, --batch)')
    ap.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    ap.add_argument('--precision', default='fp32', help='on CUDA: fp32 (TF32 off), default, or both, comma-separated')
    ap.add_argument('--threads', type=int, help='CPU threads (torch defaults to 1 here: say how many)')
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--steps', type=int, default=30)
    ap.add_argument('--json')
    a = ap.parse_args()
    if a.device == 'cpu' and a.threads is None:
        ap.error('--threads is needed on the CPU')
    if a.threads:
        torch.set_num_threads(a.threads)
    device = torch.device(a.device)
    train = load_train_module()
    if a.cases:
        plan = []
        for case in a.cases:
            name, batches = case.split(':')
            plan += [(name, MODELS[name], int(b)) for b in batches.split(',')]
    else:
        plan = [('custom', dict(resolution=a.resolution, width=a.width, batchNorm=a.batch_norm), a.batch)]
    precisions = a.precision.split(',') if a.device == 'cuda' else ['fp32']
    rows = []
    for precision in precisions:
        if a.device == 'cuda':
            set_precision(precision)
        for name, settings, batch in plan:
            first, times = time_step(train, device, settings, batch, a.warmup, a.steps)
            ms = statistics.median(times)
            row = {
                'system': 'pytorch', 'version': torch.__version__, 'device': a.device,
                'gpu': torch.cuda.get_device_name(0) if a.device == 'cuda' else None,
                'threads': torch.get_num_threads(), 'precision': precision,
                'cudnn_allow_tf32': torch.backends.cudnn.allow_tf32 if a.device == 'cuda' else None,
                'matmul_allow_tf32': torch.backends.cuda.matmul.allow_tf32 if a.device == 'cuda' else None,
                'network': "the app's (src/experiments/pytorch/train.py build_model)", 'model': name, **settings,
                'batch': batch, 'steps': a.steps, 'first_step_ms': round(first, 2), 'ms_per_step': round(ms, 3),
                'ms_min': round(min(times), 3), 'ms_max': round(max(times), 3), 'examples_per_sec': round(batch * 1000 / ms, 1),
            }
            rows.append(row)
            print(f"pytorch {row['version']} {a.device} {precision}, {name} {settings['resolution']}px w{settings['width']}"
                  f"{' BN' if settings['batchNorm'] else ''}, batch {batch}: {ms:.2f} ms/step (min {min(times):.2f}, "
                  f"max {max(times):.2f}), {row['examples_per_sec']} ex/s", flush=True)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump({'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
                       'machine': platform.platform(), 'cpus': os.cpu_count(), 'rows': rows}, f, indent=1)
            f.write('\n')


if __name__ == '__main__':
    main()
