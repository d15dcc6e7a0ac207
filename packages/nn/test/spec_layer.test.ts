/** SpecLayer: a tfjs Layer whose weights are ParamSpecs (PyTorch names, seeded), loadable like any HasParameters. */
import { describeBackends, expectAllClose, expectNoLeak } from '@pir/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import { linear, linearSpecs, loadStateDict, type ParamSpec, stateDict } from '../src/index.js';
import { firstShape, type InputShape, SpecLayer } from '../src/layers/index.js';

/** `x · W + b`, W from a spec that depends on the input width. */
class Dense extends SpecLayer {
  static className = 'TestSpecDense';
  protected specsFor(shape: InputShape | null): ParamSpec[] {
    if (shape === null) throw new Error('needs the input width');
    return linearSpecs('fc', firstShape(shape).at(-1) as number, 3);
  }
  override call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const t = (Array.isArray(x) ? x[0] : x) as tf.Tensor;
    return tf.tidy(() => linear(t, this.weight('fc.weight'), this.weight('fc.bias')));
  }
  override computeOutputShape(s: tfl.Shape): tfl.Shape {
    return [...s.slice(0, -1), 3];
  }
}
tf.serialization.registerClass(Dense);

describeBackends('SpecLayer', () => {
  it('makes its weights from specs (PyTorch names, tfjs layout), seeded; loads and exports state dicts', async () => {
    await expectNoLeak(async () => {
      const x = tf.ones([2, 5]);
      const a = new Dense({ seed: 4 });
      const ya = a.apply(x) as tf.Tensor;
      expect(a.paramSpecs().map((s) => s.name)).toEqual(['fc.weight', 'fc.bias']);
      expect(a.getWeights()[0]?.shape).toEqual([5, 3]);
      const same = new Dense({ seed: 4 });
      const ys = same.apply(x) as tf.Tensor;
      await expectAllClose(ys, ya, { atol: 0, rtol: 0 }, 'same seed');
      const b = new Dense({ seed: 5 });
      tf.dispose(b.apply(x) as tf.Tensor);
      const sd = await stateDict(a);
      expect(sd.get('fc.weight')?.shape).toEqual([3, 5]);
      loadStateDict(b, sd);
      const yb = b.apply(x) as tf.Tensor;
      await expectAllClose(yb, ya, { atol: 0, rtol: 0 }, 'loaded');
      expect(b.getConfig().seed).toBe(5);
      tf.dispose([x, ya, ys, yb]);
      for (const l of [a, same, b]) l.dispose();
      expect(new Dense({ seed: 6 }).dispose().numDisposedVariables).toBe(0); // never built: nothing to free
    }, 'SpecLayer');
  });

  it('round-trips through model.save / loadLayersModel and trains every weight', async () => {
    const layer = new Dense({ seed: 1 });
    const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [4] }), layer] });
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 2);
    const y = model.predict(x) as tf.Tensor;
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (m) => {
        saved = m;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    const y2 = loaded.predict(x) as tf.Tensor;
    await expectAllClose(y2, y, { atol: 0, rtol: 0 }, 'round trip');
    const vars = layer.namedParameters().map((p) => p.variable);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.square(layer.apply(x) as tf.Tensor)) as tf.Scalar,
      vars,
    );
    for (const v of vars)
      expect((await tf.sum(tf.abs(grads[v.name] as tf.Tensor)).data())[0]).toBeGreaterThan(0);
    tf.dispose([x, y, y2, value, ...Object.values(grads)]);
    model.dispose();
    loaded.dispose();
  });
});
