// The sharp side of BenchmarkCompareSharp's per-file mode: as
// ../shared/bench/sharp/thumbs.js (smart mode: decode once at the largest
// size, derive the smaller sizes; one thread; a warm-up image, then --reps
// passes over the folder), except that each input is read from disk just
// before it is processed and dropped after, so peak RSS measures the
// decoder and pipeline rather than the harness holding every input.
// usage: NODE_PATH=<sharp's node_modules> node perfile.js DIR [--reps N]
const fs = require('fs'), path = require('path');
const sharp = require('sharp');
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf('--' + name); return i >= 0 ? args[i + 1] : def; };
const dir = args[0];
const sizes = [1024, 512, 128];
const reps = Number(opt('reps', '3'));
sharp.concurrency(1);
sharp.cache(false);
const files = fs.readdirSync(dir).filter(f => /\.(jpe?g|png|webp)$/i.test(f)).sort().map(f => path.join(dir, f));
const fit = w => ({ width: w, height: w, fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' });
async function one(file) {
  const buf = fs.readFileSync(file);
  const big = await sharp(buf).rotate().resize(fit(sizes[0])).raw().toBuffer({ resolveWithObject: true });
  const from = () => sharp(big.data, { raw: big.info });
  await from().jpeg({ quality: 80 }).toBuffer();
  for (const w of sizes.slice(1)) await from().resize(fit(w)).jpeg({ quality: 80 }).toBuffer();
}
(async () => {
  await one(files[0]); // warm-up
  const t0 = process.hrtime.bigint();
  let n = 0;
  for (let r = 0; r < reps; r++) for (const f of files) { await one(f); n++; }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ tool: 'sharp', sharp: sharp.versions.sharp, vips: sharp.versions.vips, mode: 'smart-perfile', images: n, seconds: +s.toFixed(3), images_per_second: +(n / s).toFixed(2) }));
})().catch(e => { console.error(e); process.exit(1); });
