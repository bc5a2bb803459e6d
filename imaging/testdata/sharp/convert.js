// Makes the benchmark's PNG and WebP inputs from its JPEGs with sharp, so
// Rampart and sharp read identical files. sharp's defaults for each format
// (PNG: zlib level 6, no adaptive filtering; WebP: lossy, quality 80); the
// EXIF block (orientation) is kept, the pixels are left as stored. cmyk
// makes Adobe CMYK JPEGs without a profile (TestSharpCMYK).
// usage: NODE_PATH=<sharp's node_modules> node convert.js SRC_DIR FORMATS OUT_DIR
// FORMATS is a comma-separated list of png, webp and cmyk; each format's
// files go to OUT_DIR/FORMAT.
const fs = require('fs'), path = require('path');
const sharp = require('sharp');
const [src, formats, base] = process.argv.slice(2);
sharp.cache(false);
(async () => {
  for (const format of formats.split(',')) {
    if (!['png', 'webp', 'cmyk'].includes(format)) throw new Error('format must be png, webp or cmyk');
    const out = path.join(base, format);
    fs.mkdirSync(out, { recursive: true });
    for (const f of fs.readdirSync(src).filter(f => /\.jpe?g$/i.test(f)).sort()) {
      const img = sharp(path.join(src, f)).keepExif();
      if (format === 'cmyk') await img.toColourspace('cmyk').jpeg().toFile(path.join(out, f.replace(/\.jpe?g$/i, '.jpg')));
      else await img[format]().toFile(path.join(out, f.replace(/\.jpe?g$/i, '.' + format)));
    }
  }
})().catch(e => { console.error(e); process.exit(1); });
