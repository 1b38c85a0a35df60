/** The exported page's index.html: the sections `page/main.ts` fills, inline styles, the bundled script. */
export function pageHtml(run: string): string {
  const title = run.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title} · vaeflow</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 16px 24px 48px; color: #1d1d1f; }
  h1 { font-size: 22px; margin: 8px 0 2px; }
  h2 { font-size: 17px; margin: 28px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
  #facts, .note { color: #555; font-size: 13px; }
  #status { font-size: 13px; color: #2a6; margin: 6px 0; }
  #status.error { color: #c22; font-weight: 600; }
  canvas { image-rendering: pixelated; }
  .row { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
  .controls { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin: 6px 0; }
  .slider { display: grid; grid-template-columns: 170px 220px 48px; align-items: center; font-size: 13px; }
  #draw { border: 1px solid #999; background: #fff; cursor: crosshair; touch-action: none; image-rendering: auto; }
  figure { margin: 0; }
  figcaption { font-size: 12px; color: #555; }
  button { font: inherit; padding: 3px 12px; }
  input[type=number] { width: 64px; }
  pre.examples { font-size: 12px; max-height: 26em; overflow: auto; background: #f7f7f7; padding: 6px 10px; }
</style>
</head>
<body>
<header>
  <h1 id="title">${title}</h1>
  <div id="facts"></div>
  <div id="status">Loading the model…</div>
  <p id="not-images" class="note" hidden></p>
  <p id="class-picker" hidden><label>class <select id="class"></select></label> <span class="note">a conditional model: samples, traversal, interpolation, manifold and drawings are decoded for this class; the test examples are encoded with their own</span></p>
</header>

<section id="samples-section">
  <h2>Samples from the prior</h2>
  <div class="controls">
    <button id="sample">sample</button>
    <label>temperature <input id="temperature" type="range" min="0" max="1.5" step="0.05" value="1"> <output id="temperature-value">1.00</output></label>
  </div>
  <canvas id="samples"></canvas>
  <p id="samples-note" class="note"></p>
</section>

<section id="traversal-section">
  <h2>Latent traversal</h2>
  <div class="controls">
    <button id="traverse-random">start from a random test example</button>
    <button id="traverse-zero">start from z = 0</button>
    <span id="traverse-from" class="note">from z = 0</span>
  </div>
  <div class="row">
    <div id="sliders"></div>
    <canvas id="traversal"></canvas>
  </div>
  <p id="traversal-note" class="note"></p>
</section>

<section id="interpolation-section">
  <h2>Interpolation between two test examples</h2>
  <div class="controls">
    <label>from test # <input id="interp-a" type="number" min="0" value="0"></label>
    <label>to test # <input id="interp-b" type="number" min="0" value="1"></label>
    <button id="interp-random">random pair</button>
  </div>
  <canvas id="interpolation"></canvas>
  <p class="note">Left and right: the two test examples; between them, decoder means along the straight line between their posterior means.</p>
</section>

<section id="latent-section">
  <h2>Latent space</h2>
  <p id="latent-note" class="note"></p>
  <div class="row">
    <canvas id="scatter" width="620" height="460"></canvas>
    <figure><canvas id="hover"></canvas><figcaption id="hover-label">hover a point</figcaption></figure>
    <figure id="manifold-figure"><canvas id="manifold"></canvas><figcaption>Decoder means over the latent plane (1st–99th percentile of the test codes)</figcaption></figure>
  </div>
</section>

<section id="draw-section">
  <h2>Draw an example</h2>
  <div class="row">
    <figure><canvas id="draw" width="280" height="280"></canvas><figcaption>draw here</figcaption></figure>
    <figure><canvas id="draw-input"></canvas><figcaption>what the encoder sees</figcaption></figure>
    <figure><canvas id="draw-recon"></canvas><figcaption>reconstruction</figcaption></figure>
  </div>
  <div class="controls">
    <button id="draw-clear">clear</button>
    <button id="draw-traverse">traverse from this drawing</button>
  </div>
  <p id="draw-code" class="note"></p>
  <p class="note">The drawing's place in the latent space is the star in the plot above.</p>
</section>
<script src="page.js"></script>
</body>
</html>
`;
}
