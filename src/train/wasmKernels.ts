import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/**
 * Training kernels for tfjs's wasm backend, built from its own XNNPACK kernels so that the gradients run as fast,
 * threaded native code. tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter at all; its Conv2DBackpropInput is a
 * plain loop (8× slower than the forward convolution below on a 3×3 layer); its BatchMatMul reaches XNNPACK only
 * when neither operand is transposed, which every matMul gradient asks for; and its Tile, which batch norm's
 * gradient calls once per layer on a full activation, walks every element. Each kernel here calls registered wasm
 * kernels on data already in the wasm heap: nothing is read back to JavaScript.
 */

const WASM = 'wasm';

type Info = tf.TensorInfo;
type Shape4 = [number, number, number, number];
/** Per-side padding of the two spatial axes; a negative side crops the input instead. */
interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Runs registered wasm kernels and frees the intermediates they make, however the kernel ends. */
class KernelScope {
  private readonly temporaries: Info[] = [];

  constructor(
    readonly backend: tf.KernelBackend,
    private readonly kernels: ReadonlyMap<string, tf.KernelFunc>,
  ) {}

  /** An intermediate, freed when the kernel returns. */
  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): Info {
    const info = this.result(name, inputs, attrs);
    this.temporaries.push(info);
    return info;
  }

  /** The kernel's output, which the engine takes over. */
  result(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): Info {
    const kernel = this.kernels.get(name);
    if (kernel === undefined) throw new Error(`The wasm backend has no ${name} kernel.`);
    const output = kernel({ inputs, backend: this.backend, attrs });
    if (Array.isArray(output)) throw new Error(`The wasm ${name} kernel returned ${output.length} tensors, not one.`);
    return output;
  }

  reshape(x: Info, shape: number[]): Info {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: Info, perm: number[]): Info {
    return this.run('Transpose', { x }, { perm });
  }

  dispose(): void {
    for (const info of this.temporaries) this.backend.disposeData(info.dataId);
  }
}

function shape4(info: Info): Shape4 {
  const [a, b, c, d] = info.shape;
  if (info.shape.length !== 4 || a === undefined || b === undefined || c === undefined || d === undefined) {
    throw new Error(`Expected a rank-4 tensor, got shape [${info.shape.join(', ')}].`);
  }
  return [a, b, c, d];
}

/**
 * A stride-1 forward convolution whose padding may be negative on any side: XNNPACK takes only non-negative pads,
 * and a negative pad means rows or columns that no output reaches, so they are cropped from the input instead.
 */
function convolve(scope: KernelScope, x: Info, filter: Info, pads: Pads, dilations: [number, number], final: boolean): Info {
  const [n, h, w, c] = shape4(x);
  const cropTop = Math.max(0, -pads.top);
  const cropBottom = Math.max(0, -pads.bottom);
  const cropLeft = Math.max(0, -pads.left);
  const cropRight = Math.max(0, -pads.right);
  const input =
    cropTop + cropBottom + cropLeft + cropRight === 0
      ? x
      : scope.run('Slice', { x }, { begin: [0, cropTop, cropLeft, 0], size: [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c] });
  const attrs: tf.NamedAttrMap = {
    strides: [1, 1],
    pad: [
      [0, 0],
      [Math.max(0, pads.top), Math.max(0, pads.bottom)],
      [Math.max(0, pads.left), Math.max(0, pads.right)],
      [0, 0],
    ],
    dataFormat: 'NHWC',
    dilations,
  };
  const inputs = { x: input, filter };
  return final ? scope.result('Conv2D', inputs, attrs) : scope.run('Conv2D', inputs, attrs);
}

function checkChannelsLast(dataFormat: string): void {
  if (dataFormat !== 'NHWC') throw new Error(`The wasm training kernels support only NHWC data, not ${dataFormat}.`);
}

/**
 * dW[a, b, ci, co] = Σ x[n, i·s + a − top, j·s + b − left, ci] · dy[n, i, j, co]: a forward convolution of x
 * seen as ci images of n channels ([Cin, H, W, N]) with dy seen as an outH × outW filter ([outH, outW, N, Cout]),
 * dilated by the stride. Its bottom/right padding is what makes the output exactly kh × kw; where outH × stride does
 * not reach the input's last rows, that padding is negative and those rows are cropped.
 */
function conv2DBackpropFilter(scope: KernelScope, x: Info, dy: Info, attrs: tf.Conv2DBackpropFilterAttrs): Info {
  checkChannelsLast(attrs.dataFormat);
  const xShape = shape4(x);
  const [kh, kw, cin, cout] = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(xShape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [n, h, w] = xShape;
  const [, outH, outW] = shape4(dy);
  const { strideHeight: sh, strideWidth: sw, padInfo } = info;
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && padInfo.top + padInfo.bottom + padInfo.left + padInfo.right === 0) {
    // One product [Cin, N·H·W] × [N·H·W, Cout]; xᵀ is made explicitly because wasm's BatchMatMul only reaches
    // XNNPACK with untransposed operands.
    const xT = scope.transpose(scope.reshape(x, [n * h * w, cin]), [1, 0]);
    const product = scope.run(
      'BatchMatMul',
      { a: scope.reshape(xT, [1, cin, n * h * w]), b: scope.reshape(dy, [1, n * h * w, cout]) },
      { transposeA: false, transposeB: false },
    );
    return scope.result('Reshape', { x: product }, { shape: [1, 1, cin, cout] });
  }
  const images = scope.transpose(x, [3, 1, 2, 0]); // Cin × H × W × N
  const filter = scope.transpose(dy, [1, 2, 0, 3]); // outH × outW × N × Cout
  const pads: Pads = {
    top: padInfo.top,
    bottom: sh * (outH - 1) + kh - h - padInfo.top,
    left: padInfo.left,
    right: sw * (outW - 1) + kw - w - padInfo.left,
  };
  const gradient = convolve(scope, images, filter, pads, [sh, sw], false); // Cin × kh × kw × Cout
  return scope.result('Transpose', { x: gradient }, { perm: [1, 2, 0, 3] });
}

/**
 * dx = a forward convolution of dy with the filter turned 180° and its channel axes swapped ([kh, kw, Cout, Cin]),
 * padded kh − 1 − top above so that every tap lines up, and below so that the output is H rows. Strided layers keep
 * the built-in loop: the only one here is the stem, whose 1 or 3 input channels would leave XNNPACK's output tiles
 * nearly empty, and dy spread out by the stride would add stride² zeros (measured: 20 ms against the loop's 6).
 */
function conv2DBackpropInput(scope: KernelScope, dy: Info, filter: Info, attrs: tf.Conv2DBackpropInputAttrs): Info {
  checkChannelsLast(attrs.dataFormat);
  const filterShape = shape4(filter);
  const [kh, kw] = filterShape;
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  if (info.strideHeight !== 1 || info.strideWidth !== 1) {
    return scope.result('Conv2DBackpropInput', { dy, filter }, attrs as unknown as tf.NamedAttrMap);
  }
  const [, h, w] = attrs.inputShape;
  const [, outH, outW] = shape4(dy);
  const { padInfo } = info;
  const turned = scope.transpose(scope.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
  const top = kh - 1 - padInfo.top;
  const left = kw - 1 - padInfo.left;
  const pads: Pads = { top, bottom: h + kh - 1 - outH - top, left, right: w + kw - 1 - outW - left };
  return convolve(scope, dy, turned, pads, [1, 1], true);
}

/**
 * Batch norm's gradient tiles a [1, 1, 1, C] tensor over a whole activation. Where every repeated axis has size 1,
 * that is a broadcast: x + 0 (exact) through XNNPACK's broadcasting add. Other tilings keep the built-in kernel.
 */
function tile(scope: KernelScope, x: Info, attrs: tf.TileAttrs): Info {
  const { reps } = attrs;
  const broadcast = x.shape.every((size, axis) => size === 1 || reps[axis] === 1);
  if (!broadcast || x.dtype !== 'float32') return scope.result('Tile', { x }, { reps });
  const shape = x.shape.map((size, axis) => size * reps[axis]!);
  const zeros = scope.run('Fill', {}, { shape, value: 0, dtype: 'float32' });
  return scope.result('Add', { a: x, b: zeros }, {});
}

/**
 * Transposed operands made explicit, so that the product runs in XNNPACK instead of wasm's scalar loop. Batched
 * products (none in this network) never reach XNNPACK and keep the built-in kernel as it is.
 */
function batchMatMul(scope: KernelScope, a: Info, b: Info, attrs: tf.BatchMatMulAttrs): Info {
  const unbatched = (t: Info) => t.shape.slice(0, -2).every((d) => d === 1);
  if (!(attrs.transposeA || attrs.transposeB) || !unbatched(a) || !unbatched(b)) {
    return scope.result('BatchMatMul', { a, b }, { transposeA: attrs.transposeA, transposeB: attrs.transposeB });
  }
  const plain = (t: Info, transposed: boolean) => {
    if (!transposed) return t;
    const [rows, cols] = t.shape.slice(-2) as [number, number];
    return scope.transpose(scope.reshape(t, [rows, cols]), [1, 0]);
  };
  return scope.result('BatchMatMul', { a: plain(a, attrs.transposeA), b: plain(b, attrs.transposeB) }, {
    transposeA: false,
    transposeB: false,
  });
}

function required(inputs: tf.NamedTensorInfoMap, name: string): Info {
  const info = inputs[name];
  if (info === undefined) throw new Error(`Missing input ${name}.`);
  return info;
}

/** The kernels this module adds or replaces, each made of the built-in kernels it is given. */
function trainingKernels(builtIns: ReadonlyMap<string, tf.KernelFunc>): Omit<tf.KernelConfig, 'backendName'>[] {
  const kernel =
    (body: (scope: KernelScope, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => Info): tf.KernelFunc =>
    ({ inputs, backend, attrs }) => {
      const scope = new KernelScope(backend as tf.KernelBackend, builtIns);
      try {
        return body(scope, inputs, attrs ?? {});
      } finally {
        scope.dispose();
      }
    };
  return [
    {
      kernelName: 'Conv2DBackpropFilter',
      kernelFunc: kernel((scope, inputs, attrs) =>
        conv2DBackpropFilter(scope, required(inputs, 'x'), required(inputs, 'dy'), attrs as unknown as tf.Conv2DBackpropFilterAttrs),
      ),
    },
    {
      kernelName: 'Conv2DBackpropInput',
      kernelFunc: kernel((scope, inputs, attrs) =>
        conv2DBackpropInput(scope, required(inputs, 'dy'), required(inputs, 'filter'), attrs as unknown as tf.Conv2DBackpropInputAttrs),
      ),
    },
    {
      kernelName: 'BatchMatMul',
      kernelFunc: kernel((scope, inputs, attrs) =>
        batchMatMul(scope, required(inputs, 'a'), required(inputs, 'b'), attrs as unknown as tf.BatchMatMulAttrs),
      ),
    },
    {
      kernelName: 'Tile',
      kernelFunc: kernel((scope, inputs, attrs) => tile(scope, required(inputs, 'x'), attrs as unknown as tf.TileAttrs)),
    },
  ];
}

/** The built-in wasm kernels the training kernels are made of, those they replace included. */
const BUILT_INS = [
  'Add',
  'BatchMatMul',
  'Conv2D',
  'Conv2DBackpropInput',
  'Fill',
  'Reshape',
  'Reverse',
  'Slice',
  'Tile',
  'Transpose',
] as const;

/**
 * Registers the training kernels for the wasm backend (before or after it starts). Idempotent: wasm ships no
 * Conv2DBackpropFilter, so finding one means this already ran, and the built-ins it captured are the right ones.
 */
export function registerWasmTrainingKernels(): void {
  if (tf.getKernel('Conv2DBackpropFilter', WASM) !== undefined) return;
  const builtIns = new Map<string, tf.KernelConfig>();
  for (const name of BUILT_INS) {
    const config = tf.getKernel(name, WASM);
    if (config === undefined) throw new Error(`tfjs-backend-wasm has no ${name} kernel to build the training kernels on.`);
    builtIns.set(name, config);
  }
  const functions = new Map([...builtIns].map(([name, config]) => [name, config.kernelFunc]));
  for (const config of trainingKernels(functions)) {
    const replaced = builtIns.get(config.kernelName);
    if (replaced !== undefined) tf.unregisterKernel(config.kernelName, WASM);
    // A replaced kernel's native function is bound when the backend starts, and the new kernel still calls it.
    tf.registerKernel({ ...config, backendName: WASM, setupFunc: replaced?.setupFunc });
  }
}
