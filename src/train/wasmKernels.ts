import * as tf from '@tensorflow/tfjs';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  type Pads,
  checkChannelsLast,
  convolve,
  forwardConvWeightGradient,
  isPointwise,
  shape4,
  weightGradientConvInfo,
} from './convGradientForms';
import { type Info, KernelScope, inputOf, originalKernels } from './kernelSupport';
import { MaxPoolGradient } from './maxPoolGradient';

/**
 * Training kernels for tfjs's wasm backend, built from its own XNNPACK kernels so that the gradients run as fast,
 * threaded native code. tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter at all; its Conv2DBackpropInput is a
 * plain loop (8× slower than the forward convolution below on a 3×3 layer); its BatchMatMul reaches XNNPACK only
 * when neither operand is transposed, which every matMul gradient asks for; and its Tile, which batch norm's
 * gradient calls once per layer on a full activation, walks every element. Each kernel here calls registered wasm
 * kernels on data already in the wasm heap, or, for MaxPoolGrad, loops over that heap from JavaScript: nothing is
 * read back.
 */

const WASM = 'wasm';

/**
 * One product [Cin, N·H·W] × [N·H·W, Cout] for a 1×1 stride-1 layer, the forward-convolution form otherwise. xᵀ is
 * made explicitly because wasm's BatchMatMul only reaches XNNPACK with untransposed operands.
 */
function conv2DBackpropFilter(scope: KernelScope, x: Info, dy: Info, attrs: tf.Conv2DBackpropFilterAttrs): Info {
  const info = weightGradientConvInfo(x, attrs);
  if (!isPointwise(info)) return forwardConvWeightGradient(scope, x, dy, info);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outChannels: cout } = info;
  const xT = scope.transpose(scope.reshape(x, [n * h * w, cin]), [1, 0]);
  const product = scope.run(
    'BatchMatMul',
    { a: scope.reshape(xT, [1, cin, n * h * w]), b: scope.reshape(dy, [1, n * h * w, cout]) },
    { transposeA: false, transposeB: false },
  );
  return scope.result('Reshape', { x: product }, { shape: [1, 1, cin, cout] });
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

/**
 * The max pool's gradient as a JavaScript loop over the wasm heap (see MaxPoolGradient): 2.5× faster than wasm's
 * own kernel over the 13 pools of a classroom step (6.6 against 16 ms), and it gives ties to the first largest cell
 * as the cpu backend does, where wasm's gives them to the last (and an all-zero window's gradient to none). A
 * composition of wasm kernels needs about 7 element-wise kernels per window cell: 2.5–9× slower than wasm's kernel.
 */
function maxPoolGrad(scope: KernelScope, gradient: MaxPoolGradient, dy: Info, x: Info, y: Info, attrs: tf.MaxPoolGradAttrs): Info {
  const { backend } = scope;
  if (!(backend instanceof BackendWasm) || x.dtype !== 'float32') {
    return scope.result('MaxPoolGrad', { dy, input: x, output: y }, attrs as unknown as tf.NamedAttrMap);
  }
  const info = tf.backend_util.computePool2DInfo(shape4(x), attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const dx = backend.makeOutput(x.shape, 'float32');
  // Views taken after the allocation, which may grow the heap and detach views taken before it.
  const heap = (tensor: Info) => backend.typedArrayFromHeap(tensor) as Float32Array;
  // wasm's MaxPool ignores dimRoundingMode (XNNPACK sizes its output from the padding): its output is then no
  // window's maximum, and the gradient searches the windows itself.
  const maxima = attrs.dimRoundingMode === undefined ? heap(y) : undefined;
  gradient.compute(heap(x), maxima, heap(dy), heap(dx), info);
  return dx;
}

/** The kernels this module adds or replaces, each made of the built-in kernels it is given. */
function trainingKernels(builtIns: ReadonlyMap<string, tf.KernelFunc>): Omit<tf.KernelConfig, 'backendName'>[] {
  const maxPoolGradient = new MaxPoolGradient();
  const kernel =
    (body: (scope: KernelScope, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => Info): tf.KernelFunc =>
    ({ inputs, backend, attrs }) => {
      const scope = new KernelScope(backend as tf.KernelBackend, WASM, builtIns);
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
        conv2DBackpropFilter(scope, inputOf(inputs, 'x'), inputOf(inputs, 'dy'), attrs as unknown as tf.Conv2DBackpropFilterAttrs),
      ),
    },
    {
      kernelName: 'Conv2DBackpropInput',
      kernelFunc: kernel((scope, inputs, attrs) =>
        conv2DBackpropInput(scope, inputOf(inputs, 'dy'), inputOf(inputs, 'filter'), attrs as unknown as tf.Conv2DBackpropInputAttrs),
      ),
    },
    {
      kernelName: 'BatchMatMul',
      kernelFunc: kernel((scope, inputs, attrs) =>
        batchMatMul(scope, inputOf(inputs, 'a'), inputOf(inputs, 'b'), attrs as unknown as tf.BatchMatMulAttrs),
      ),
    },
    {
      kernelName: 'Tile',
      kernelFunc: kernel((scope, inputs, attrs) => tile(scope, inputOf(inputs, 'x'), attrs as unknown as tf.TileAttrs)),
    },
    {
      kernelName: 'MaxPoolGrad',
      kernelFunc: kernel((scope, inputs, attrs) =>
        maxPoolGrad(
          scope,
          maxPoolGradient,
          inputOf(inputs, 'dy'),
          inputOf(inputs, 'input'),
          inputOf(inputs, 'output'),
          attrs as unknown as tf.MaxPoolGradAttrs,
        ),
      ),
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
  'MaxPoolGrad',
  'Reshape',
  'Reverse',
  'Slice',
  'Tile',
  'Transpose',
] as const;

/** The wasm training kernels, each built on tfjs's own wasm kernels as they were before anything replaced them. */
export function wasmTrainingKernels(): Omit<tf.KernelConfig, 'backendName'>[] {
  return trainingKernels(originalKernels(BUILT_INS, WASM));
}
