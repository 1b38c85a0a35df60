/**
 * Small dense linear algebra in float64 on plain arrays, for tests and diagnostics
 * (numerical Jacobians, reference log-determinants). Not for training-time use.
 */

/** log|det A| of a square matrix by LU decomposition with partial pivoting. */
export function logAbsDet(a: number[][]): number {
  const n = a.length;
  const m = a.map((r) => r.slice());
  let logDet = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i][k]) > Math.abs(m[p][k])) p = i;
    if (m[p][k] === 0) return -Infinity;
    if (p !== k) [m[p], m[k]] = [m[k], m[p]];
    logDet += Math.log(Math.abs(m[k][k]));
    for (let i = k + 1; i < n; i++) {
      const f = m[i][k] / m[k][k];
      for (let j = k; j < n; j++) m[i][j] -= f * m[k][j];
    }
  }
  return logDet;
}
