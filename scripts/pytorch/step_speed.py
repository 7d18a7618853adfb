"""The app's own network in PyTorch (train.py's build_model, every setting as the app's config), timed per training
step: forward, the app's loss, backward and the SGD update, on random images, median of the timed steps after a
warm-up. The PyTorch side of `npm run bench -- --profile`'s "this app vs PyTorch on the same machine" ratio.

    /usr/bin/python3 scripts/pytorch/step_speed.py --resolution 32 --width 0.25 --batch-norm --batch 32 --threads 2 \
        [--steps 30] [--json docs/pytorch-step-classroom-cpu.json]
"""
import argparse, datetime, importlib.util, json, os, platform, statistics, time
import torch
import torch.nn.functional as F

TRAIN_PY = os.path.join(os.path.dirname(__file__), '..', '..', 'src', 'experiments', 'pytorch', 'train.py')
FASHION_MNIST_CHANNELS, CLASSES = 1, 10


def load_train_module():
    spec = importlib.util.spec_from_file_location('train', TRAIN_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--resolution', type=int, default=32)
    ap.add_argument('--width', type=float, default=0.25)
    ap.add_argument('--batch-norm', action='store_true')
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--threads', type=int, required=True, help='torch defaults to 1 thread here: say how many')
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--steps', type=int, default=30)
    ap.add_argument('--json')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    train = load_train_module()
    config = dict(train.DEFAULT_CONFIG, resolution=a.resolution, width=a.width, batchNorm=a.batch_norm,
                  batchSize=a.batch, learningRate=0.01)
    channels = train.input_channels(config, FASHION_MNIST_CHANNELS)
    model = train.build_model(config, FASHION_MNIST_CHANNELS, CLASSES)
    model.train()
    optimizer = train.make_optimizer(config, model.parameters())
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(a.batch, channels, a.resolution, a.resolution, generator=generator)
    y = torch.randint(0, CLASSES, (a.batch,), generator=generator)

    def step():
        optimizer.zero_grad(set_to_none=True)
        logits, aux = model(x)
        loss = F.cross_entropy(logits, y) + sum(train.AUX_LOSS_WEIGHT * F.cross_entropy(h, y) for h in aux)
        loss.backward()
        optimizer.step()

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    ms = statistics.median(times)
    row = {
        'system': 'pytorch', 'version': torch.__version__, 'device': 'cpu', 'threads': torch.get_num_threads(),
        'network': "the app's (src/experiments/pytorch/train.py build_model)",
        'resolution': a.resolution, 'width': a.width, 'batchNorm': a.batch_norm, 'batch': a.batch,
        'steps': a.steps, 'ms_per_step': round(ms, 2), 'ms_min': round(min(times), 2), 'ms_max': round(max(times), 2),
        'examples_per_sec': round(a.batch * 1000 / ms, 1),
    }
    print(f"pytorch {row['version']} cpu, {row['threads']} threads, {a.resolution}px w{a.width}"
          f"{' BN' if a.batch_norm else ''}, batch {a.batch}: {ms:.1f} ms/step (min {min(times):.1f}, "
          f"max {max(times):.1f}), {row['examples_per_sec']} ex/s")
    if a.json:
        with open(a.json, 'w') as f:
            json.dump({'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
                       'machine': platform.platform(), 'cpus': os.cpu_count(), 'rows': [row]}, f, indent=1)
            f.write('\n')


if __name__ == '__main__':
    main()
