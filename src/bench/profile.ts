import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset';
import { seededRandom, shuffledIndices } from '../data/random';
import { TrainingSession } from '../train/session';
import { type BenchCase, type BenchProbes, type StepSubject, median, stepSubject } from './benchmark';
import { type KernelRecord, type StepProfile, aggregateKernels, medianStep } from './kernelProfile';
import { usePolicy } from './policies';
import type { AdapterTables } from '../train/convStrategy';

export interface ProfileRow extends StepSubject {
  batchNorm: boolean;
  /** How tfjs timed each kernel on this backend. */
  timing: string;
  profiledSteps: number;
  /** Median wall time of the same step unprofiled, after the same warm-up. */
  stepMs: number;
  /** Wall time of the profiled step reported below: profiling's own cost shows against stepMs. */
  profiledStepMs: number;
  /** The profiled step whose summed kernel time is the median. */
  step: StepProfile;
}


/**
 * cpu and wasm run each kernel to completion before returning, so tfjs's timer (the wall clock around the call, no
 * readback) is the kernel's time; WebGPU's comes from timestamp queries written around each dispatch.
 */
function timingMethod(backend: string): string {
  return backend === 'webgpu' ? 'GPU timestamp queries around each dispatch (tf.profile kernelMs)' : 'wall clock around each synchronous kernel call (tf.profile kernelMs)';
}

async function kernelRecords(info: Awaited<ReturnType<typeof tf.profile>>, backend: string): Promise<KernelRecord[]> {
  return Promise.all(
    info.kernels.map(async ({ name, kernelTimeMs }) => {
      const time = await kernelTimeMs;
      if (typeof time !== 'number') throw new Error(`tfjs gives no kernel time on ${backend}: ${time.error}`);
      return { name, kernelMs: time };
    }),
  );
}

/**
 * Profiles the engine's own training step (TrainingSession.trainStep) kernel by kernel: a warm-up step, `steps`
 * unprofiled steps for the step's wall time, then `steps` profiled ones, of which the median is reported. On WebGPU
 * the app's kernels run without the step's replay (a replayed step has no kernels for tfjs to time).
 */
export async function profileCase(benchCase: BenchCase, data: ImageDataset, probes: BenchProbes, tables?: readonly AdapterTables[]): Promise<ProfileRow> {
  usePolicy(probes.backend, 'tables', probes.adapterDescription, tables);
  try {
    return await profileSteps(benchCase, data, probes);
  } finally {
    usePolicy(probes.backend, 'app', probes.adapterDescription);
  }
}

async function profileSteps(benchCase: BenchCase, data: ImageDataset, probes: BenchProbes): Promise<ProfileRow> {
  const { config } = benchCase;
  const session = new TrainingSession(config, data);
  const order = shuffledIndices(config.trainSubset, seededRandom(config.seed));
  const batchAt = (i: number) => {
    const start = (i * config.batchSize) % (config.trainSubset - config.batchSize + 1);
    return order.subarray(start, start + config.batchSize);
  };
  const step = async (i: number) => {
    session.trainStep(batchAt(i)).dispose();
    await probes.fence();
  };
  const isKernel = (name: string) => tf.getKernel(name, tf.getBackend()) !== undefined;
  try {
    await step(0);
    const wall: number[] = [];
    for (let i = 1; i <= benchCase.steps; i++) {
      const t = performance.now();
      await step(i);
      wall.push(performance.now() - t);
    }
    const profiled: { step: StepProfile; wallMs: number }[] = [];
    for (let i = 1; i <= benchCase.steps; i++) {
      const t = performance.now();
      const info = await tf.profile(() => step(benchCase.steps + i));
      const wallMs = performance.now() - t;
      profiled.push({ step: aggregateKernels(await kernelRecords(info, probes.backend), isKernel), wallMs });
    }
    const chosen = medianStep(profiled.map((p) => p.step));
    if (chosen.totalMs === 0) throw new Error(`${probes.backend} reported zero time for every kernel (no timestamp queries on this adapter?).`);
    return {
      ...stepSubject(probes, benchCase),
      batchNorm: config.batchNorm,
      timing: timingMethod(probes.backend),
      profiledSteps: benchCase.steps,
      stepMs: median(wall),
      profiledStepMs: profiled.find((p) => p.step === chosen)!.wallMs,
      step: chosen,
    };
  } finally {
    session.dispose();
  }
}
