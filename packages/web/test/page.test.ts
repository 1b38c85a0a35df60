import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { imageLayout } from '../src/page/images.mjs';
import { latentActivity } from '../src/page/model.mjs';
import { pagePlugins } from '../src/export.js';

describe("the page's helpers", () => {
  it('reads [H, W] and [H, W, C] (C = 1 or 3) as images, nothing else', () => {
    expect(imageLayout([28, 28, 1])).toEqual({ height: 28, width: 28, channels: 1 });
    expect(imageLayout([32, 32, 3])).toEqual({ height: 32, width: 32, channels: 3 });
    expect(imageLayout([8, 8])).toEqual({ height: 8, width: 8, channels: 1 });
    expect(imageLayout([2])).toBeNull();
    expect(imageLayout([20, 7, 5])).toBeNull(); // a sequence of 20 steps of 7 x 5 features
  });

  it('measures latent activity as the variance of the posterior mean over examples', () => {
    // 4 examples, L = 2: the first dimension varies (values -1, 1, -1, 1: variance 1), the second not
    const codes = Float32Array.from([-1, 0.5, 1, 0.5, -1, 0.5, 1, 0.5]);
    const v = latentActivity(codes, 4, 2);
    expect(v[0]).toBeCloseTo(1, 12);
    expect(v[1]).toBeCloseTo(0, 12);
  });

  it('bundles the plugins that provide model components and leaves dataset plugins out', async () => {
    const files = ['data-plugin.cjs', 'flow-plugin.cjs'].map((f) => path.join(__dirname, 'fixtures', f));
    expect(await pagePlugins(files)).toEqual([files[1]]);
  });
});
